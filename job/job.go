// Package job runs a pipeline spec end to end: read the input, report and
// drop nulls, report class balance, index the label, split into train and
// test, fit the shared stages, then for every feature variant and model
// fit (tuned by cross-validation or a validation split when asked), score
// the test split, and write metrics.json, the fitted models, optionally the
// processed data, and run.log under the output directory (local or s3://).
//
// Estimator state (IDF weights, scaler ranges, Word2Vec vectors) is fitted
// on the training split only, so the test metrics are honest; the label
// indexer is fitted on all rows, as Spark jobs usually do.
package job

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/evaluation"
	"github.com/spindle-ml/spindle/feature"
	"github.com/spindle-ml/spindle/format"
	"github.com/spindle-ml/spindle/jsonnum"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/pipeline"
	"github.com/spindle-ml/spindle/profile"
	"github.com/spindle-ml/spindle/spec"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
	"github.com/spindle-ml/spindle/tuning"
)

// Options configure a run.
type Options struct {
	Store  *storage.Store
	Engine engine.Engine
	// Out overrides the spec's output.dir.
	Out string
	// OutName is how messages name Out (say "--out"); default "output
	// directory".
	OutName string
	// Log receives the run's log records (they also go to run.log).
	Log *slog.Logger
	// Progress, if set, is told what the run is doing.
	Progress func(Event)
	// SpindleVersion is recorded in the outputs.
	SpindleVersion string
	// Wrap, if set, wraps input sources (for read progress).
	Wrap func(storage.Source) storage.Source
}

// Event is a progress report: the step, and where tuning and the
// optimizer are.
type Event struct {
	Step           string // e.g. "read", "featurize tfidf", "tune lr on tfidf"
	Fold, Folds    int    // current fold (1-based; 0: the final refit)
	ParamMap, Maps int    // current param map (1-based)
	Iter           int    // optimizer iteration
}

// Report is metrics.json. It is written when the run has checked its
// input and starts work (Status "running"), again after every model, and
// at the end ("succeeded", or "failed" with Error), so that a failure
// late in a run keeps what was finished.
type Report struct {
	Name           string      `json:"name"`
	Spec           string      `json:"spec"`
	SpecDigest     string      `json:"specDigest,omitempty"`
	RunID          string      `json:"runId,omitempty"`
	Status         string      `json:"status,omitempty"`
	Error          string      `json:"error,omitempty"`
	SpindleVersion string      `json:"spindleVersion,omitempty"`
	Engine         string      `json:"engine"`
	Started        time.Time   `json:"started"`
	Seconds        float64     `json:"seconds"`
	PeakRSSBytes   int64       `json:"peakRSSBytes"`
	Input          InputReport `json:"input"`
	Split          SplitReport `json:"split"`
	// SharedSeconds is the time the shared stages took (fit and
	// transform of both splits), before any variant.
	SharedSeconds float64         `json:"sharedStagesSeconds"`
	Variants      []VariantReport `json:"variants"`
}

// Run statuses in metrics.json.
const (
	StatusRunning   = "running"
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
)

// InputReport describes the data read and cleaned.
type InputReport struct {
	URI             string               `json:"uri"`
	Format          string               `json:"format"`
	Rows            int64                `json:"rows"`
	Nulls           map[string]int64     `json:"nulls"`
	DropNulls       string               `json:"dropNulls"`
	RowsAfterClean  int64                `json:"rowsAfterClean"`
	Label           string               `json:"label"`
	Classes         []profile.ClassCount `json:"classes,omitempty"`
	ReadSeconds     float64              `json:"readSeconds"`
	MalformedDopped int64                `json:"malformedDropped,omitempty"`
}

// SplitReport describes the train/test split.
type SplitReport struct {
	TrainRatio float64 `json:"trainRatio"`
	Seed       int64   `json:"seed"`
	Train      int64   `json:"trainRows"`
	Test       int64   `json:"testRows"`
}

// VariantReport is one feature variant's results.
type VariantReport struct {
	Name             string        `json:"name"`
	FeaturizeSeconds float64       `json:"featurizeSeconds"`
	Models           []ModelReport `json:"models"`
}

// ModelReport is one model trained on one variant.
type ModelReport struct {
	Name         string                   `json:"name"`
	Type         string                   `json:"type"`
	Params       ml.ParamMap              `json:"params"`
	Tuning       *TuningReport            `json:"tuning,omitempty"`
	Test         map[string]jsonnum.Float `json:"test"`
	Confusion    *ConfusionReport         `json:"confusion,omitempty"`
	FitSeconds   float64                  `json:"fitSeconds"`
	ScoreSeconds float64                  `json:"scoreSeconds"`
	Model        string                   `json:"model,omitempty"`
	Processed    []string                 `json:"processedData,omitempty"`
}

// TuningReport keeps every fold's metric.
type TuningReport struct {
	Method      string            `json:"method"`
	Metric      string            `json:"metric"`
	ParamMaps   []ml.ParamMap     `json:"paramMaps"`
	FoldMetrics [][]jsonnum.Float `json:"foldMetrics"`
	AvgMetrics  []jsonnum.Float   `json:"avgMetrics"`
	Best        ml.ParamMap       `json:"best"`
}

// ConfusionReport is the test confusion matrix: rows are true labels,
// columns predicted labels, in Labels order.
type ConfusionReport struct {
	Labels []string    `json:"labels"`
	Matrix [][]float64 `json:"matrix"`
}

// schemaChecker is an estimator that can tell its output schema before
// fitting.
type schemaChecker interface {
	TransformSchema(in *table.Schema) (*table.Schema, error)
}

// runner holds one run's state.
type runner struct {
	s    *spec.Spec
	o    Options
	e    engine.Engine
	st   *storage.Store
	log  *slog.Logger
	out  string
	rep  *Report
	prog func(Event)
	info RunInfo
	// dir is the output directory; started once the run has replaced
	// what a previous run left there and begun writing its own.
	dir     *output
	started bool
}

// Run runs s. Nothing is written before the run has checked the spec,
// the output location and its input (a mistake found by then leaves the
// output directory as it was); from then on the directory is this run's
// (see RunningFile, SuccessFile), and on failure metrics.json (status
// "failed", with every model finished so far) and run.log are still
// written.
func Run(ctx context.Context, s *spec.Spec, o Options) (*Report, error) {
	out := o.Out
	if out == "" {
		out = s.Output.Dir
	}
	if out == "" {
		return nil, &spec.Error{File: s.File, Msg: "no output directory: set output.dir in the spec or pass --out"}
	}
	started := time.Now()
	host, _ := os.Hostname()
	info := RunInfo{RunID: newRunID(started), SpecDigest: s.Digest, Spec: s.File, Seed: s.Split.Seed, Started: started, Host: host, PID: os.Getpid()}
	var logBuf bytes.Buffer
	runLog := slog.NewJSONHandler(&logBuf, &slog.HandlerOptions{ReplaceAttr: jsonnum.ReplaceAttr}).WithAttrs([]slog.Attr{slog.String("runId", info.RunID)})
	handlers := []slog.Handler{runLog}
	if o.Log != nil {
		handlers = append(handlers, o.Log.Handler())
	}
	r := &runner{s: s, o: o, e: o.Engine, st: o.Store, out: out, log: slog.New(slog.NewMultiHandler(handlers...)), info: info,
		rep: &Report{Name: s.Name, Spec: s.File, SpecDigest: s.Digest, RunID: info.RunID, SpindleVersion: o.SpindleVersion,
			Engine: o.Engine.Name(), Started: started},
		prog: o.Progress}
	if r.prog == nil {
		r.prog = func(Event) {}
	}
	err := r.run(ctx)
	if !r.started {
		// Nothing was written: the spec, the output location or the
		// input failed their checks (run returns an error then).
		r.dir.abandon()
		return nil, err
	}
	// From here on, whatever happened, the directory says so.
	wctx := context.WithoutCancel(ctx)
	r.rep.Seconds = since(r.rep.Started)
	r.rep.PeakRSSBytes = peakRSS()
	if err != nil {
		// Into run.log only: the caller shows the error itself (on a
		// terminal it would otherwise appear twice).
		slog.New(runLog).Error("run failed", "error", err.Error())
		r.rep.Status, r.rep.Error = StatusFailed, err.Error()
	} else {
		r.log.Info("run finished", "seconds", r.rep.Seconds, "out", out)
		r.rep.Status = StatusSucceeded
	}
	if werr := r.writeMetrics(wctx); werr != nil {
		err = errors.Join(err, werr)
	}
	if werr := r.st.WriteFile(wctx, storage.Join(out, "run.log"), logBuf.Bytes()); werr != nil {
		err = errors.Join(err, fmt.Errorf("write run.log: %w", werr))
	}
	if err == nil {
		if werr := r.dir.finish(wctx, r.info); werr != nil {
			err = fmt.Errorf("write %s: %w", storage.Join(out, SuccessFile), werr)
		}
	} else if werr := r.st.Delete(wctx, storage.Join(out, RunningFile)); werr != nil {
		// metrics.json says "failed"; _RUNNING would say it still runs.
		err = errors.Join(err, werr)
	}
	if err != nil {
		return nil, err
	}
	return r.rep, nil
}

// writeMetrics writes metrics.json as the report stands.
func (r *runner) writeMetrics(ctx context.Context) error {
	js, err := json.MarshalIndent(r.rep, "", "  ")
	if err != nil {
		return fmt.Errorf("encode metrics.json: %w", err)
	}
	if err := r.st.WriteFile(ctx, storage.Join(r.out, "metrics.json"), append(js, '\n')); err != nil {
		return fmt.Errorf("write metrics.json: %w", err)
	}
	return nil
}

// outputName is how messages name the output directory.
func (r *runner) outputName() string {
	switch {
	case r.o.Out != "" && r.o.OutName != "":
		return r.o.OutName + " " + r.o.Out
	case r.o.Out != "":
		return "output directory " + r.o.Out
	}
	return "output.dir " + r.out
}

// checkOutput checks the output location before any work; a spec's
// output.dir that will not do is a spec error at its line.
func (r *runner) checkOutput(ctx context.Context) error {
	d, err := checkOutput(ctx, r.st, r.out, r.outputName())
	if err != nil {
		if r.o.Out == "" {
			return &spec.Error{File: r.s.File, Pos: r.s.Output.DirPos, Msg: err.Error(), Err: err}
		}
		return err
	}
	r.dir = d
	return nil
}

// startOutput makes the output directory this run's: what a previous run
// left is replaced, and metrics.json says the run is under way.
func (r *runner) startOutput(ctx context.Context) error {
	if r.dir.previous != "" {
		r.log.Warn("replacing the previous run's output", "out", r.out, "previous", r.dir.previous)
	}
	if err := r.dir.start(ctx, r.info); err != nil {
		return err
	}
	r.started = true
	r.rep.Status = StatusRunning
	return r.writeMetrics(ctx)
}

func peakRSS() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Maxrss * 1024 // kilobytes on Linux
}

func since(t time.Time) float64 { return float64(time.Since(t).Milliseconds()) / 1000 }

func (r *runner) specErr(p spec.Pos, format string, args ...any) error {
	return &spec.Error{File: r.s.File, Pos: p, Msg: fmt.Sprintf(format, args...)}
}

func (r *runner) run(ctx context.Context) error {
	s := r.s
	// Check every stage and model can be built before reading anything.
	shared, err := buildStages(s.File, s.Stages)
	if err != nil {
		return err
	}
	variants := make([][]any, len(s.Variants))
	for i, v := range s.Variants {
		if variants[i], err = buildStages(s.File, v.Stages); err != nil {
			return err
		}
	}
	if err := r.checkOutput(ctx); err != nil {
		return err
	}

	// Read.
	r.prog(Event{Step: "read " + s.Input.URI})
	start := time.Now()
	opts := s.Input.Options
	opts.Wrap = r.o.Wrap
	tb, frep, err := format.Read(ctx, r.st, s.Input.URI, opts)
	if err != nil {
		if errors.Is(err, format.ErrUnknownFormat) {
			return r.specErr(s.Input.Pos, "%v; set input.format", err)
		}
		return fmt.Errorf("read input: %w", err)
	}
	in := &r.rep.Input
	in.URI, in.Format, in.Rows, in.ReadSeconds = s.Input.URI, string(frep.Format), frep.Rows, since(start)
	if frep.CSV != nil {
		in.MalformedDopped = frep.CSV.Dropped
	}
	r.log.Info("read", "uri", s.Input.URI, "format", frep.Format, "files", frep.Files, "rows", frep.Rows, "seconds", in.ReadSeconds)
	if tb.Count() == 0 {
		return fmt.Errorf("input %s has no rows", s.Input.URI)
	}
	schema := tb.Schema()
	li := schema.Index(s.Label.Column)
	if li < 0 {
		return r.specErr(s.Label.Pos, "label column %q is not in the input (columns: %v)", s.Label.Column, schema.Names())
	}
	for _, c := range s.Clean.Columns {
		if schema.Index(c) < 0 {
			return r.specErr(s.Clean.Pos, "clean.dropNulls: column %q is not in the input (columns: %v)", c, schema.Names())
		}
	}
	if err := r.checkInputSchema(schema); err != nil {
		return err
	}
	ds, err := r.e.FromTable(ctx, tb)
	if err != nil {
		return err
	}

	// Nulls and cleaning.
	r.prog(Event{Step: "count nulls"})
	nulls, err := engine.Aggregate(ctx, r.e, ds, nullCounter{})
	if err != nil {
		return fmt.Errorf("count nulls: %w", err)
	}
	in.Nulls = map[string]int64{}
	for i, name := range schema.Names() {
		var n int64
		if i < len(nulls) {
			n = nulls[i]
		}
		in.Nulls[name] = n
		if n > 0 {
			r.log.Info("nulls", "column", name, "count", n, "percent", 100*float64(n)/float64(in.Rows))
		}
	}
	in.DropNulls = s.Clean.DropNulls
	switch s.Clean.DropNulls {
	case "any":
		ds, err = r.e.MapPartitions(ds, &feature.DropNullRows{})
	case "columns":
		ds, err = r.e.MapPartitions(ds, &feature.DropNullRows{Columns: s.Clean.Columns})
	}
	if err != nil {
		return err
	}
	if ds, err = r.e.Persist(ctx, ds); err != nil {
		return err
	}
	if in.RowsAfterClean, err = engine.Aggregate(ctx, r.e, ds, engine.Count{}); err != nil {
		return err
	}
	r.log.Info("cleaned", "dropNulls", s.Clean.DropNulls, "rows", in.RowsAfterClean, "dropped", in.Rows-in.RowsAfterClean)
	if in.RowsAfterClean == 0 {
		return r.specErr(s.Clean.Pos, "no rows are left after dropping nulls (%d rows read, every one has a null)", in.Rows)
	}

	// Label: class balance and index.
	in.Label = s.Label.Column
	lds, err := r.e.MapPartitions(ds, engine.Select{Columns: []string{s.Label.Column}})
	if err != nil {
		return err
	}
	lprof, err := profile.Run(ctx, r.e, lds, profile.Profiler{Label: s.Label.Column})
	if err != nil {
		return fmt.Errorf("label classes: %w", err)
	}
	in.Classes = lprof.Classes
	for _, c := range lprof.Classes {
		r.log.Info("class", "label", c.Class, "count", c.Count, "percent", c.Percent)
	}
	if ln := lprof.Columns[0].Nulls; ln > 0 {
		return r.specErr(s.Label.Pos, "label column %q has %d nulls; drop them with clean.dropNulls", s.Label.Column, ln)
	}
	var labels []string
	switch schema.Fields[li].Type {
	case table.String:
		if len(lprof.Classes) < 2 {
			return r.specErr(s.Label.Pos, "label column %q has only one class (%q) after cleaning; a classifier needs at least two", s.Label.Column, lprof.Classes[0].Class)
		}
		idx, err := (&feature.StringIndexer{InputCol: s.Label.Column, OutputCol: s.Label.IndexedCol}).Fit(ctx, r.e, ds)
		if err != nil {
			return fmt.Errorf("index label: %w", err)
		}
		labels = idx.(*feature.StringIndexerModel).Labels[0]
		if ds, err = idx.Transform(ctx, r.e, ds); err != nil {
			return err
		}
	case table.Float64, table.Int64, table.Bool:
		if ds, err = r.e.MapPartitions(ds, &feature.Cast{InputCol: s.Label.Column, OutputCol: s.Label.IndexedCol, To: table.Float64}); err != nil {
			return err
		}
	default:
		return r.specErr(s.Label.Pos, "label column %q is %v; want a string or number", s.Label.Column, schema.Fields[li].Type)
	}

	// Check that the stages fit the data before any fitting.
	if err := r.checkSchemas(ds.Schema(), shared, variants); err != nil {
		return err
	}

	// Split.
	var parts [2]engine.Dataset
	for p := range parts {
		d, err := r.e.MapPartitions(ds, engine.SplitPart{Weights: []float64{s.Split.TrainRatio, 1 - s.Split.TrainRatio}, Seed: s.Split.Seed, Part: p})
		if err != nil {
			return err
		}
		if parts[p], err = r.e.Persist(ctx, d); err != nil {
			return err
		}
	}
	train, test := parts[0], parts[1]
	sp := &r.rep.Split
	sp.TrainRatio, sp.Seed = s.Split.TrainRatio, s.Split.Seed
	if sp.Train, err = engine.Aggregate(ctx, r.e, train, engine.Count{}); err != nil {
		return err
	}
	if sp.Test, err = engine.Aggregate(ctx, r.e, test, engine.Count{}); err != nil {
		return err
	}
	r.log.Info("split", "train", sp.Train, "test", sp.Test, "trainRatio", sp.TrainRatio, "seed", sp.Seed)
	if sp.Train == 0 || sp.Test == 0 {
		return r.specErr(spec.Pos{}, "the %d rows split into %d train and %d test rows; both need rows", in.RowsAfterClean, sp.Train, sp.Test)
	}
	for i, m := range s.Models {
		if t := m.Tuning; t != nil && t.Method == "crossValidator" && t.FoldCol == "" && sp.Train < int64(t.NumFolds) {
			return r.specErr(t.NumFoldsPos, "models[%d].tuning.numFolds is %d, but the training split has only %d rows; each fold needs rows", i, t.NumFolds, sp.Train)
		}
	}

	// The input and the spec check out: the output directory is now this
	// run's.
	if err := r.startOutput(ctx); err != nil {
		return err
	}

	// Shared stages, fitted once on the training split.
	r.prog(Event{Step: "shared stages"})
	start = time.Now()
	sharedModel, train, test, err := r.fitStages(ctx, "shared stages", shared, train, test, r.columnsNeeded(variants))
	if err != nil {
		return err
	}
	r.rep.SharedSeconds = since(start)
	if len(shared) > 0 {
		r.log.Info("shared stages", "seconds", r.rep.SharedSeconds)
	}

	for vi, v := range s.Variants {
		vr := VariantReport{Name: v.Name}
		start := time.Now()
		r.prog(Event{Step: "featurize " + v.Name})
		vModel, vtrain, vtest, err := r.fitStages(ctx, "variant "+v.Name, variants[vi], train, test, nil)
		if err != nil {
			return err
		}
		vr.FeaturizeSeconds = since(start)
		r.log.Info("featurized", "variant", v.Name, "seconds", vr.FeaturizeSeconds)
		for _, m := range s.Models {
			mr, err := r.fitModel(ctx, v.Name, m, labels, append(append([]ml.Transformer(nil), sharedModel...), vModel...), vtrain, vtest)
			if err != nil {
				return fmt.Errorf("variant %s, model %s: %w", v.Name, m.Name, err)
			}
			vr.Models = append(vr.Models, *mr)
			// Keep what is finished, whatever happens next.
			r.rep.Variants = append(r.rep.Variants[:vi], vr)
			r.rep.Seconds = since(r.rep.Started)
			if err := r.writeMetrics(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkInputSchema checks what the spec says about the input's columns,
// at the spec's line:column, before any work: every input.options.schema
// entry names a column; label.indexedCol is a new column; a foldCol is an
// integer column.
func (r *runner) checkInputSchema(schema *table.Schema) error {
	s := r.s
	for name, p := range s.Input.SchemaPos {
		if schema.Index(name) < 0 {
			return r.specErr(p, "input.options.schema names column %q, which the input does not have (columns: %s)", name, strings.Join(schema.Names(), ", "))
		}
	}
	if ic := s.Label.IndexedCol; ic == s.Label.Column || schema.Index(ic) >= 0 {
		return r.specErr(s.Label.Pos, "label.indexedCol %q is already a column of the input; name a new column for the indexed label", ic)
	}
	for i, m := range s.Models {
		t := m.Tuning
		if t == nil || t.FoldCol == "" {
			continue
		}
		j := schema.Index(t.FoldCol)
		if j < 0 {
			return r.specErr(t.FoldColPos, "models[%d].tuning.foldCol %q is not a column of the input (columns: %s)", i, t.FoldCol, strings.Join(schema.Names(), ", "))
		}
		if typ := schema.Fields[j].Type; typ != table.Int64 {
			return r.specErr(t.FoldColPos, "models[%d].tuning.foldCol %q is %v; want an integer column of fold numbers 0 … numFolds−1", i, t.FoldCol, typ)
		}
	}
	return nil
}

// buildStages makes the stages of a list.
func buildStages(file string, stages []spec.Stage) ([]any, error) {
	out := make([]any, len(stages))
	for i, st := range stages {
		x, err := spec.NewStage(st)
		if err != nil {
			return nil, &spec.Error{File: file, Pos: st.Pos, Msg: err.Error()}
		}
		out[i] = x
	}
	return out, nil
}

// checkSchemas walks the shared and each variant's stages over schema,
// as far as estimators let it, so a missing column or wrong type fails
// with the stage's place in the spec before anything is fitted.
func (r *runner) checkSchemas(schema *table.Schema, shared []any, variants [][]any) error {
	walk := func(in *table.Schema, stages []any, specs []spec.Stage) (*table.Schema, bool, error) {
		s := in
		for i, st := range stages {
			sc, ok := st.(schemaChecker)
			if !ok {
				return s, false, nil // an estimator whose output is known only once fitted
			}
			next, err := sc.TransformSchema(s)
			if err != nil {
				return nil, false, r.specErr(specs[i].Pos, "stage %s: %v", specs[i].Type, err)
			}
			s = next
		}
		return s, true, nil
	}
	s, ok, err := walk(schema, shared, r.s.Stages)
	if err != nil || !ok {
		return err
	}
	for i, v := range variants {
		vs, ok, err := walk(s, v, r.s.Variants[i].Stages)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		// The models take each variant's output.
		for _, m := range r.s.Models {
			x, err := r.modelStage(m)
			if err != nil {
				return r.specErr(m.Stage.Pos, "%v", err)
			}
			if sc, ok := x.(schemaChecker); ok {
				if _, err := sc.TransformSchema(vs); err != nil {
					return r.specErr(m.Stage.Pos, "model %s on variant %s: %v", m.Name, r.s.Variants[i].Name, err)
				}
			}
		}
	}
	return nil
}

// columnsNeeded returns the columns the variants and models read (any
// parameter value naming a column) and the label's, or nil (keep every
// column) when the processed data is to be written.
func (r *runner) columnsNeeded(variants [][]any) map[string]bool {
	if r.s.Output.ProcessedData {
		return nil
	}
	keep := map[string]bool{r.s.Label.Column: true, r.s.Label.IndexedCol: true}
	add := func(p ml.ParamMap) {
		for _, v := range p {
			switch v := v.(type) {
			case string:
				keep[v] = true
			case []string:
				for _, x := range v {
					keep[x] = true
				}
			}
		}
	}
	for _, stages := range variants {
		for _, st := range stages {
			add(ml.Params(st))
		}
	}
	for _, m := range r.s.Models {
		if x, err := r.modelStage(m); err == nil {
			add(ml.Params(x))
		}
	}
	for _, m := range r.s.Models {
		if m.Tuning != nil && m.Tuning.FoldCol != "" {
			keep[m.Tuning.FoldCol] = true
		}
	}
	keep["features"] = true // the models' default featuresCol
	return keep
}

// fitStages fits stages on train and returns them fitted with both splits
// transformed and kept. With keep, only those columns are kept (the
// shared stages' intermediate text columns are otherwise most of the
// memory of a text run).
func (r *runner) fitStages(ctx context.Context, what string, stages []any, train, test engine.Dataset, keep map[string]bool) ([]ml.Transformer, engine.Dataset, engine.Dataset, error) {
	if len(stages) == 0 {
		return nil, train, test, nil
	}
	p := &pipeline.Pipeline{Stages: stages, Progress: func(i int, name string) {
		r.prog(Event{Step: fmt.Sprintf("%s: %s", what, ml.StageName(stages[i]))})
		r.log.Info("fit stage", "in", what, "stage", ml.StageName(stages[i]))
	}}
	pm, err := p.Fit(ctx, r.e, train)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", what, err)
	}
	out := [2]engine.Dataset{}
	for i, d := range []engine.Dataset{train, test} {
		t, err := pm.Transform(ctx, r.e, d)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %w", what, err)
		}
		if keep != nil {
			var cols []string
			for _, c := range t.Schema().Names() {
				if keep[c] {
					cols = append(cols, c)
				}
			}
			if t, err = r.e.MapPartitions(t, engine.Select{Columns: cols}); err != nil {
				return nil, nil, nil, err
			}
		}
		if out[i], err = r.e.Persist(ctx, t); err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %w", what, err)
		}
	}
	return pm.Stages, out[0], out[1], nil
}

// modelStage builds a model's estimator from the spec, reading the
// indexed label unless the spec names another label column.
func (r *runner) modelStage(m spec.Model) (any, error) {
	x, err := spec.NewStage(m.Stage)
	if err != nil {
		return nil, err
	}
	return setDefault(x, m.Stage.Params, "labelCol", r.s.Label.IndexedCol)
}

// setDefault sets a parameter when the spec did not.
func setDefault(x any, p ml.ParamMap, name string, v any) (any, error) {
	if _, set := p[name]; set {
		return x, nil
	}
	for _, n := range ml.ParamNames(x) {
		if n == name {
			return ml.WithParams(x, ml.ParamMap{name: v})
		}
	}
	return x, nil
}

// setProgress connects an estimator's optimizer callback, when it has one.
func setProgress(x any, fn func(iter int, loss float64)) {
	v := reflect.ValueOf(x)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return
	}
	f := v.Elem().FieldByName("Progress")
	if f.IsValid() && f.CanSet() && f.Type() == reflect.TypeOf(fn) {
		f.Set(reflect.ValueOf(fn))
	}
}

func (r *runner) fitModel(ctx context.Context, variant string, m spec.Model, labels []string, fitted []ml.Transformer, train, test engine.Dataset) (*ModelReport, error) {
	mr := &ModelReport{Name: m.Name, Type: m.Stage.Type, Test: map[string]jsonnum.Float{}}
	x, err := r.modelStage(m)
	if err != nil {
		return nil, err
	}
	est, ok := x.(ml.Estimator)
	if !ok {
		return nil, fmt.Errorf("%s is not an estimator", m.Stage.Type)
	}
	step := fmt.Sprintf("train %s on %s", m.Name, variant)
	var cur Event
	setProgress(est, func(iter int, _ float64) {
		e := cur
		e.Iter = iter
		r.prog(e)
	})
	cur = Event{Step: step}
	r.prog(cur)
	start := time.Now()
	var model ml.Model
	if t := m.Tuning; t != nil {
		grid := &tuning.ParamGridBuilder{}
		for _, g := range t.Grid {
			grid.AddGrid(g.Name, g.Values...)
		}
		ev, err := newEvaluator(t.Evaluator.Type, t.Evaluator.MetricName, r.s.Label.IndexedCol)
		if err != nil {
			return nil, err
		}
		progress := func(fold, folds, pm, n int) {
			cur = Event{Step: step, Fold: fold + 1, Folds: folds, ParamMap: pm + 1, Maps: n}
			r.prog(cur)
			if fold < 0 {
				r.log.Info("refit best", "variant", variant, "model", m.Name)
			} else {
				r.log.Info("tuning", "variant", variant, "model", m.Name, "fold", fold+1, "folds", folds, "paramMap", pm+1, "paramMaps", n)
			}
		}
		var tm *tuning.TunedModel
		switch t.Method {
		case "trainValidationSplit":
			tm, err = (&tuning.TrainValidationSplit{Estimator: est, EstimatorParamMaps: grid.Build(), Evaluator: ev, TrainRatio: t.TrainRatio, Seed: t.Seed, Parallelism: t.Parallelism, Progress: progress}).FitTuned(ctx, r.e, train)
		default:
			tm, err = (&tuning.CrossValidator{Estimator: est, EstimatorParamMaps: grid.Build(), Evaluator: ev, NumFolds: t.NumFolds, Seed: t.Seed, Parallelism: t.Parallelism, FoldCol: t.FoldCol, Stratify: t.Stratify, LabelCol: r.s.Label.IndexedCol, Progress: progress}).FitTuned(ctx, r.e, train)
		}
		if err != nil {
			return nil, err
		}
		model = tm.BestModel
		mr.Tuning = &TuningReport{Method: t.Method, Metric: t.Evaluator.MetricName, ParamMaps: tm.ParamMaps, FoldMetrics: floats2(tm.Metrics), AvgMetrics: jsonnum.Floats(tm.AvgMetrics), Best: tm.Best()}
		r.log.Info("tuned", "variant", variant, "model", m.Name, "best", tm.Best().String(), "metric", t.Evaluator.MetricName, "avgMetrics", fmt.Sprint(tm.AvgMetrics))
		best, err := ml.WithParams(est, tm.Best())
		if err != nil {
			return nil, err
		}
		mr.Params = ml.Params(best)
	} else {
		if model, err = est.Fit(ctx, r.e, train); err != nil {
			return nil, err
		}
		mr.Params = ml.Params(est)
	}
	mr.FitSeconds = since(start)

	// Score the test split.
	start = time.Now()
	r.prog(Event{Step: fmt.Sprintf("score %s on %s", m.Name, variant)})
	pred, err := model.Transform(ctx, r.e, test)
	if err != nil {
		return nil, err
	}
	if pred, err = r.e.Persist(ctx, pred); err != nil {
		return nil, err
	}
	if err := r.score(ctx, mr, pred, labels); err != nil {
		return nil, err
	}
	mr.ScoreSeconds = since(start)
	r.log.Info("test", append([]any{"variant", variant, "model", m.Name, "fitSeconds", mr.FitSeconds}, metricAttrs(mr.Test)...)...)

	// Save the whole fitted pipeline: raw input to prediction and label.
	if r.s.Output.SaveModels {
		stages := append(fitted, model)
		if labels != nil {
			stages = append(stages, &feature.IndexToString{InputCol: "prediction", OutputCol: "predictedLabel", Labels: labels})
		}
		dir := "models/" + variant
		if len(r.s.Models) > 1 {
			dir += "." + m.Name
		}
		mjs, err := json.MarshalIndent(struct {
			RunID   string `json:"runId"`
			Variant string `json:"variant"`
			*ModelReport
		}{r.info.RunID, variant, mr}, "", "  ")
		if err != nil {
			return nil, err
		}
		err = pipeline.Save(ctx, r.st, storage.Join(r.out, dir), &pipeline.PipelineModel{Stages: stages}, pipeline.SaveOptions{
			Overwrite: true, SpindleVersion: r.o.SpindleVersion, RunID: r.info.RunID, Extra: map[string][]byte{"metrics.json": mjs}})
		if err != nil {
			return nil, err
		}
		mr.Model = dir
	}
	if r.s.Output.ProcessedData {
		for name, d := range map[string]engine.Dataset{"train": train, "test": pred} {
			rel := fmt.Sprintf("processed/%s/%s.parquet", variant, name)
			if len(r.s.Models) > 1 {
				rel = fmt.Sprintf("processed/%s.%s/%s.parquet", variant, m.Name, name)
			}
			tb, err := r.e.Collect(ctx, d)
			if err != nil {
				return nil, err
			}
			if err := format.Write(ctx, r.st, storage.Join(r.out, rel), tb, format.Options{Format: format.Parquet}); err != nil {
				return nil, err
			}
			mr.Processed = append(mr.Processed, rel)
		}
	}
	return mr, nil
}

func floats2(x [][]float64) [][]jsonnum.Float {
	out := make([][]jsonnum.Float, len(x))
	for i, row := range x {
		out[i] = jsonnum.Floats(row)
	}
	return out
}

func metricAttrs(m map[string]jsonnum.Float) []any {
	var out []any
	for k, v := range m {
		out = append(out, k, float64(v))
	}
	return out
}

func newEvaluator(typ, metric, labelCol string) (evaluation.Evaluator, error) {
	switch typ {
	case "multiclass":
		return &evaluation.MulticlassClassificationEvaluator{MetricName: metric, LabelCol: labelCol}, nil
	case "binary":
		return &evaluation.BinaryClassificationEvaluator{MetricName: metric, LabelCol: labelCol}, nil
	case "regression":
		return &evaluation.RegressionEvaluator{MetricName: metric, LabelCol: labelCol}, nil
	}
	return nil, fmt.Errorf("unknown evaluator type %q", typ)
}

// score computes the spec's metrics on the test predictions.
func (r *runner) score(ctx context.Context, mr *ModelReport, pred engine.Dataset, labels []string) error {
	label := r.s.Label.IndexedCol
	var conf *evaluation.Confusion
	confMetric := "f1"
	if slices.Contains(r.s.Metrics, "logLoss") {
		confMetric = "logLoss" // the confusion pass then sums the log loss too
	}
	for _, name := range r.s.Metrics {
		switch spec.MetricType(name) {
		case "multiclass":
			if conf == nil {
				var err error
				if conf, err = (&evaluation.MulticlassClassificationEvaluator{LabelCol: label, MetricName: confMetric}).Confusion(ctx, r.e, pred); err != nil {
					return err
				}
			}
			mr.Test[name] = jsonnum.Float(conf.Metric(name))
		default:
			ev, err := newEvaluator(spec.MetricType(name), name, label)
			if err != nil {
				return err
			}
			v, err := ev.Evaluate(ctx, r.e, pred)
			if err != nil {
				return fmt.Errorf("metric %s: %w", name, err)
			}
			mr.Test[name] = jsonnum.Float(v)
		}
	}
	if conf != nil && len(labels) <= evaluation.MaxMatrixClasses {
		cr := &ConfusionReport{Matrix: conf.Matrix()}
		if n := len(labels); len(cr.Matrix) < n {
			// Classes absent from the test split still get a row.
			full := make([][]float64, n)
			for i := range full {
				full[i] = make([]float64, n)
				if i < len(cr.Matrix) {
					copy(full[i], cr.Matrix[i])
				}
			}
			cr.Matrix = full
		}
		for i := range cr.Matrix {
			if i < len(labels) {
				cr.Labels = append(cr.Labels, labels[i])
			} else {
				cr.Labels = append(cr.Labels, fmt.Sprint(i))
			}
		}
		mr.Confusion = cr
	}
	return nil
}
