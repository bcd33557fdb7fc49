package job

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/engine/sched"
	"github.com/spindle-ml/spindle/feature"
	"github.com/spindle-ml/spindle/format"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/pipeline"
	"github.com/spindle-ml/spindle/profile"
	"github.com/spindle-ml/spindle/runrecord"
	"github.com/spindle-ml/spindle/spec"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
	"github.com/spindle-ml/spindle/tuning"
)

// runner holds one run's state.
type runner struct {
	s    *spec.Spec
	o    Options
	e    engine.Engine
	st   *storage.Store
	log  *slog.Logger
	out  string
	rep  *runrecord.Report
	prog func(Event)
	info runrecord.RunInfo
	// dir is the output directory; started once the run has replaced
	// what a previous run left there and begun writing its own.
	dir     *output
	started bool
	// The spec's stages, as the spec built them (read-only).
	shared   []any
	variants [][]any
	// models are the spec's predictors, reading the indexed label unless
	// the spec names another label column.
	models []ml.Estimator
	// passes counts the engine passes per phase (e is it).
	passes *sched.Counter
	// mu guards rep once the variants run at once (each with its own
	// copy of the runner); reports are their reports so far.
	mu      *sync.Mutex
	reports []*runrecord.VariantReport
	// testData is the test input (input.test), read, cleaned and
	// labelled alongside the training input until the split takes it.
	testData engine.Dataset
	// input is the schema of the cleaned input the shared stages read:
	// a saved model's input columns are typed from it.
	input *table.Schema
}

// The phases passes are counted under (Report.Passes).
const (
	PhaseRead      = "read"          // reading the input
	PhaseStats     = "stats"         // null counts, cleaning, class balance, label, split
	PhaseFeaturize = "featurize"     // fitting and applying the feature stages
	PhaseTune      = sched.PhaseTune // fits of the cross-validation or validation split
	PhaseFit       = sched.PhaseFit  // fits of untuned models, and the refit of the best
	PhaseEvaluate  = "evaluate"      // scoring the test split
	PhaseWrite     = "write"         // processed data
)

// The steps of a run. Each is short, reads and writes the runner's
// report, and fails with a spec error at the spec's line:column when the
// mistake is the spec's.
//
//	prepare  the spec's stages and models, before anything is read
//	read     the input (format errors name file:line)
//	clean    null report, drop nulls
//	label    class balance, index the label
//	split    train/test
//	featurize shared stages, then each variant's
//	model    fit (tuned or not), score, save — see model.go
func (r *runner) run(ctx context.Context) error {
	if err := r.prepare(); err != nil {
		return err
	}
	if err := r.checkOutput(ctx); err != nil {
		return err
	}
	r.passes.SetPhase(PhaseRead)
	ds, err := r.read(ctx)
	if err != nil {
		return err
	}
	r.passes.SetPhase(PhaseStats)
	if ds, err = r.clean(ctx, ds); err != nil {
		return err
	}
	ds, labels, err := r.label(ctx, ds)
	if err != nil {
		return err
	}
	if err := r.checkSchemas(ds.Schema()); err != nil {
		return err
	}
	if len(r.s.Models) == 0 {
		return r.prepareData(ctx, ds)
	}
	// When the shared stages only map partitions, the split is not stored
	// by itself: it is stored once, featurized, with only the columns the
	// variants read (one pass, and the raw columns are never copied).
	fuse := r.sharedMapOnly()
	train, test, err := r.split(ctx, ds, !fuse)
	if err != nil {
		return err
	}
	if fuse {
		// Nothing reads the input after the split: the pass that stores
		// the featurized splits frees it partition by partition (on the
		// embedded engine), so the input and the features are not both
		// held whole.
		engine.Release(r.e, ds)
	}
	if !fuse {
		// The input and the spec check out: the output directory is now
		// this run's.
		if err := r.startOutput(ctx); err != nil {
			return err
		}
	}
	r.passes.SetPhase(PhaseFeaturize)
	shared, train, test, err := r.featurizeShared(ctx, train, test)
	if err != nil {
		return err
	}
	if fuse {
		if err := r.splitStored(ctx, train, test); err != nil {
			return err
		}
		if err := r.startOutput(ctx); err != nil {
			return err
		}
	}
	// The variants run at once, in lockstep (sched.Lockstep): a round of
	// their aggregations — tuning steps of one variant's folds and another
	// variant's refit, say — is one pass. Each variant's numbers are those
	// it gets alone.
	r.reports = make([]*runrecord.VariantReport, len(r.s.Variants))
	errs := sched.Lockstep(ctx, r.e, len(r.s.Variants), func(ctx context.Context, vi int, e engine.Engine) error {
		vr := *r
		vr.e = e
		return vr.variant(ctx, vi, labels, shared, train, test)
	})
	return errors.Join(errs...)
}

func (r *runner) specErr(p spec.Pos, format string, args ...any) error {
	return &spec.Error{File: r.s.File, Pos: p, Msg: fmt.Sprintf(format, args...)}
}

// prepare takes the spec's stages and models as built and checked by the
// spec, setting each model's label column to the indexed label when the
// spec does not name one.
func (r *runner) prepare() error {
	s := r.s
	r.shared = values(s.Stages)
	r.variants = make([][]any, len(s.Variants))
	for i, v := range s.Variants {
		r.variants[i] = values(v.Stages)
	}
	r.models = make([]ml.Estimator, len(s.Models))
	for i, m := range s.Models {
		x := m.Stage.Value
		if _, set := m.Stage.Params["labelCol"]; !set && s.Label.Column != "" {
			var err error
			if x, err = ml.WithParams(x, ml.ParamMap{"labelCol": s.Label.IndexedCol}); err != nil {
				return r.specErr(m.Stage.Pos, "%v", err)
			}
		}
		est, ok := x.(ml.Estimator)
		if !ok {
			return r.specErr(m.Stage.Pos, "%s is not an estimator", m.Stage.Type)
		}
		r.models[i] = est
	}
	return nil
}

func values(stages []spec.Stage) []any {
	out := make([]any, len(stages))
	for i, st := range stages {
		out[i] = st.Value
	}
	return out
}

// read reads the input and checks what the spec says about its columns;
// with input.test, it reads the test data too (r.testData).
func (r *runner) read(ctx context.Context) (engine.Dataset, error) {
	s := r.s
	ds, err := r.readFrom(ctx, s.Input.URI, s.Input.Pos, &r.rep.Input)
	if err != nil {
		return nil, err
	}
	if err := r.checkInputSchema(ds.Schema()); err != nil {
		return nil, err
	}
	if s.Input.Test == "" {
		return ds, nil
	}
	r.rep.Input.Test = &runrecord.InputReport{}
	if r.testData, err = r.readFrom(ctx, s.Input.Test, s.Input.TestPos, r.rep.Input.Test); err != nil {
		return nil, err
	}
	if got, want := r.testData.Schema(), ds.Schema(); !got.Equal(want) {
		return nil, r.specErr(s.Input.TestPos, "input.test %s has columns %v; the training input %s has %v (the same columns and types are needed)", s.Input.Test, got, s.Input.URI, want)
	}
	return ds, nil
}

// readFrom reads uri with the input's options, reporting into in.
func (r *runner) readFrom(ctx context.Context, uri string, pos spec.Pos, in *runrecord.InputReport) (engine.Dataset, error) {
	r.prog(Event{Step: "read " + uri})
	start := time.Now()
	opts := r.s.Input.Options
	opts.Wrap = r.o.Wrap
	ds, frep, err := format.Load(ctx, r.e, r.st, uri, opts)
	if err != nil {
		if errors.Is(err, format.ErrUnknownFormat) {
			return nil, r.specErr(pos, "%v; set input.format", err)
		}
		return nil, fmt.Errorf("read input: %w", err)
	}
	in.URI, in.Format, in.Rows, in.ReadSeconds = uri, string(frep.Format), frep.Rows, since(start)
	if frep.CSV != nil {
		in.MalformedDropped = frep.CSV.Dropped
	}
	r.log.Info("read", "uri", uri, "format", frep.Format, "files", frep.Files, "rows", frep.Rows, "seconds", in.ReadSeconds, "engine", r.e.Name())
	if frep.Rows == 0 {
		return nil, fmt.Errorf("input %s has no rows", uri)
	}
	return ds, nil
}

// checkInputSchema checks what the spec says about the input's columns,
// at the spec's line:column, before any work: the label and every
// input.options.schema and clean.dropNulls column exist; label.indexedCol
// is a new column; a foldCol is an integer column.
func (r *runner) checkInputSchema(schema *table.Schema) error {
	s := r.s
	if s.Label.Column != "" && schema.Index(s.Label.Column) < 0 {
		return r.specErr(s.Label.Pos, "label column %q is not in the input (columns: %v)", s.Label.Column, schema.Names())
	}
	for _, c := range s.Clean.Columns {
		if schema.Index(c) < 0 {
			return r.specErr(s.Clean.Pos, "clean.dropNulls: column %q is not in the input (columns: %v)", c, schema.Names())
		}
	}
	for name, p := range s.Input.SchemaPos {
		if schema.Index(name) < 0 {
			return r.specErr(p, "input.options.schema names column %q, which the input does not have (columns: %s)", name, strings.Join(schema.Names(), ", "))
		}
	}
	if ic := s.Label.IndexedCol; s.Label.Column != "" && (ic == s.Label.Column || schema.Index(ic) >= 0) {
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

// clean reports each column's nulls and drops rows as clean.dropNulls
// says.
func (r *runner) clean(ctx context.Context, ds engine.Dataset) (engine.Dataset, error) {
	ds, err := r.cleanInto(ctx, ds, &r.rep.Input)
	if err != nil || r.testData == nil {
		return ds, err
	}
	r.testData, err = r.cleanInto(ctx, r.testData, r.rep.Input.Test)
	return ds, err
}

// cleanInto cleans one input, reporting into in.
func (r *runner) cleanInto(ctx context.Context, ds engine.Dataset, in *runrecord.InputReport) (engine.Dataset, error) {
	s := r.s
	r.prog(Event{Step: "count nulls"})
	nulls, err := engine.Aggregate(ctx, r.e, ds, nullCounter{})
	if err != nil {
		return nil, fmt.Errorf("count nulls: %w", err)
	}
	in.Nulls = map[string]int64{}
	for i, name := range ds.Schema().Names() {
		var n int64
		if i < len(nulls) {
			n = nulls[i]
		}
		in.Nulls[name] = n
		if n > 0 {
			r.log.Info("nulls", "uri", in.URI, "column", name, "count", n, "percent", 100*float64(n)/float64(in.Rows))
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
		return nil, err
	}
	if ds, err = r.e.Persist(ctx, ds); err != nil {
		return nil, err
	}
	if in.RowsAfterClean, err = engine.NumRows(ctx, r.e, ds); err != nil {
		return nil, err
	}
	r.log.Info("cleaned", "uri", in.URI, "dropNulls", s.Clean.DropNulls, "rows", in.RowsAfterClean, "dropped", in.Rows-in.RowsAfterClean)
	if in.RowsAfterClean == 0 {
		where := ""
		if in != &r.rep.Input {
			where = " in input.test " + in.URI
		}
		return nil, r.specErr(s.Clean.Pos, "no rows are left after dropping nulls (%d rows read, every one has a null)%s", in.Rows, where)
	}
	return ds, nil
}

// label reports the class balance and adds the indexed label: string
// labels by frequency (StringIndexer, whose labels it returns), numbers
// cast to double. A run without a label (a clustering) profiles its
// input only.
func (r *runner) label(ctx context.Context, ds engine.Dataset) (_ engine.Dataset, _ []string, err error) {
	s, in := r.s, &r.rep.Input
	in.Label = s.Label.Column
	if s.Label.Column == "" {
		prof, err := profile.Run(ctx, r.e, ds, profile.Profiler{})
		if err != nil {
			return nil, nil, fmt.Errorf("profile: %w", err)
		}
		in.Profile = prof.Columns
		return ds, nil, nil
	}
	// A string label's classes are counted and indexed at once (one
	// pass, sched.Lockstep); the index is used once the counts check out.
	var lprof *profile.Profile
	var idx ml.Model
	var idxErr error
	typ := ds.Schema().Fields[ds.Schema().Index(s.Label.Column)].Type
	errs := sched.Lockstep(ctx, r.e, 2, func(ctx context.Context, i int, e engine.Engine) (err error) {
		if i == 0 {
			// The whole cleaned input's profile (the report's data
			// profile) with the label's classes, in the same pass.
			lprof, err = profile.Run(ctx, e, ds, profile.Profiler{Label: s.Label.Column})
			return err
		}
		if typ == table.String {
			idx, idxErr = (&feature.StringIndexer{InputCol: s.Label.Column, OutputCol: s.Label.IndexedCol}).Fit(ctx, e, ds)
		}
		return nil
	})
	if errs[0] != nil {
		return nil, nil, fmt.Errorf("label classes: %w", errs[0])
	}
	in.Classes = lprof.Classes
	for _, c := range lprof.Classes {
		r.log.Info("class", "label", c.Class, "count", c.Count, "percent", c.Percent)
	}
	in.Profile = lprof.Columns
	if ln := lprof.Columns[ds.Schema().Index(s.Label.Column)].Nulls; ln > 0 {
		return nil, nil, r.specErr(s.Label.Pos, "label column %q has %d nulls; drop them with clean.dropNulls", s.Label.Column, ln)
	}
	// The label's index: string labels by frequency, numbers cast.
	var index ml.Transformer
	var labels []string
	switch typ {
	case table.String:
		if len(lprof.Classes) < 2 {
			return nil, nil, r.specErr(s.Label.Pos, "label column %q has only one class (%q) after cleaning; a classifier needs at least two", s.Label.Column, lprof.Classes[0].Class)
		}
		if idxErr != nil {
			return nil, nil, fmt.Errorf("index label: %w", idxErr)
		}
		index, labels = idx, idx.(*feature.StringIndexerModel).Labels[0]
	case table.Float64, table.Int64, table.Bool:
		index = &feature.Cast{InputCol: s.Label.Column, OutputCol: s.Label.IndexedCol, To: table.Float64}
	default:
		return nil, nil, r.specErr(s.Label.Pos, "label column %q is %v; want a string or number", s.Label.Column, typ)
	}
	if ds, err = ml.Transform(ctx, r.e, ds, index); err != nil {
		return nil, nil, err
	}
	// The test data's labels are indexed as the training data's; a class
	// the training data lacks is an error naming its row.
	if r.testData != nil {
		if r.testData, err = ml.Transform(ctx, r.e, r.testData, index); err != nil {
			return nil, nil, err
		}
	}
	return ds, labels, nil
}

// checkSchemas walks the shared and each variant's stages over schema,
// as far as estimators let it (ml.SchemaChecker), so a missing column or
// wrong type fails with the stage's place in the spec before anything is
// fitted.
func (r *runner) checkSchemas(schema *table.Schema) error {
	walk := func(in *table.Schema, stages []any, specs []spec.Stage) (*table.Schema, bool, error) {
		s := in
		for i, st := range stages {
			st, left, err := ml.ExpandInputCols(st, s, r.labelColumns()...)
			if err != nil {
				return nil, false, r.specErr(specs[i].Pos, "stage %s: %v", specs[i].Type, err)
			}
			if len(left) > 0 {
				r.log.Warn("an inputCols pattern leaves out the label columns: a pattern never selects the label or what the run derives from it",
					"stage", specs[i].Type, "at", fmt.Sprintf("%s:%d:%d", r.s.File, specs[i].Pos.Line, specs[i].Pos.Column), "left out", left)
			}
			sc, ok := st.(ml.SchemaChecker)
			if !ok {
				return s, false, nil // an estimator whose output is known only once fitted
			}
			next, err := sc.OutputSchema(s)
			if err != nil {
				// Stages start their errors with their own name (ml.InputColumn).
				msg := err.Error()
				if !strings.HasPrefix(msg, specs[i].Type+": ") {
					msg = specs[i].Type + ": " + msg
				}
				return nil, false, r.specErr(specs[i].Pos, "stage %s", msg)
			}
			s = next
		}
		return s, true, nil
	}
	s, ok, err := walk(schema, r.shared, r.s.Stages)
	if err != nil || !ok {
		return err
	}
	for i, v := range r.variants {
		vs, ok, err := walk(s, v, r.s.Variants[i].Stages)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		// The models take each variant's output.
		for k, m := range r.s.Models {
			if sc, ok := r.models[k].(ml.SchemaChecker); ok {
				if _, err := sc.OutputSchema(vs); err != nil {
					return r.specErr(m.Stage.Pos, "model %s on variant %s: %v", m.Name, r.s.Variants[i].Name, err)
				}
			}
		}
	}
	return nil
}

// split cuts the rows into the training and test splits.
// sharedMapOnly reports whether there are shared stages, every one maps
// partitions and none is fitted (an estimator fits on the stored training
// split): featurizeShared then stores the splits.
func (r *runner) sharedMapOnly() bool {
	if len(r.shared) == 0 {
		return false
	}
	for _, st := range r.shared {
		if _, ok := st.(ml.Estimator); ok {
			return false
		}
		if _, ok := st.(engine.Mapper); !ok {
			return false
		}
	}
	return true
}

// split splits ds into train and test; with store, it stores both (one
// pass) and reports and checks their sizes (splitStored), else the caller
// stores them and calls splitStored.
func (r *runner) split(ctx context.Context, ds engine.Dataset, store bool) (train, test engine.Dataset, err error) {
	s := r.s
	var parts [2]engine.Dataset
	if r.testData != nil {
		// The data came split (input.test).
		parts = [2]engine.Dataset{ds, r.testData}
		r.testData = nil
	} else {
		for p := range parts {
			if parts[p], err = r.e.MapPartitions(ds, engine.SplitPart{Weights: []float64{s.Split.TrainRatio, 1 - s.Split.TrainRatio}, Seed: s.Split.Seed, Part: p}); err != nil {
				return nil, nil, err
			}
		}
	}
	if !store {
		return parts[0], parts[1], nil
	}
	stored, err := engine.PersistAll(ctx, r.e, parts[:]...) // both in one pass
	if err != nil {
		return nil, nil, err
	}
	copy(parts[:], stored)
	if err := r.splitStored(ctx, parts[0], parts[1]); err != nil {
		return nil, nil, err
	}
	return parts[0], parts[1], nil
}

// splitStored reports the stored splits' sizes and checks that both have
// rows, and enough for the folds.
func (r *runner) splitStored(ctx context.Context, train, test engine.Dataset) (err error) {
	s := r.s
	parts := [2]engine.Dataset{train, test}
	sp := &r.rep.Split
	sp.TrainRatio, sp.Seed = s.Split.TrainRatio, s.Split.Seed
	if s.Input.Test != "" {
		sp.TrainRatio, sp.Seed, sp.TestInput = 0, 0, s.Input.Test
	}
	if sp.Train, err = engine.NumRows(ctx, r.e, parts[0]); err != nil {
		return err
	}
	if sp.Test, err = engine.NumRows(ctx, r.e, parts[1]); err != nil {
		return err
	}
	if sp.TestInput != "" {
		r.log.Info("split", "train", sp.Train, "test", sp.Test, "testInput", sp.TestInput)
	} else {
		r.log.Info("split", "train", sp.Train, "test", sp.Test, "trainRatio", sp.TrainRatio, "seed", sp.Seed)
	}
	if sp.Train == 0 || sp.Test == 0 {
		return r.specErr(spec.Pos{}, "the %d rows split into %d train and %d test rows; both need rows", r.rep.Input.RowsAfterClean, sp.Train, sp.Test)
	}
	for i, m := range s.Models {
		if t := m.Tuning; t != nil && t.Method == "crossValidator" && t.FoldCol == "" {
			if k := (&tuning.CrossValidator{NumFolds: t.NumFolds}).Folds(); sp.Train < int64(k) {
				return r.specErr(t.NumFoldsPos, "models[%d].tuning.numFolds is %d, but the training split has only %d rows; each fold needs rows", i, k, sp.Train)
			}
		}
	}
	return nil
}

// featurizeShared fits the shared stages once, on the training split,
// keeping only the columns the variants and models read.
func (r *runner) featurizeShared(ctx context.Context, train, test engine.Dataset) ([]ml.Transformer, engine.Dataset, engine.Dataset, error) {
	r.prog(Event{Step: "shared stages"})
	start := time.Now()
	r.input = train.Schema()
	fitted, train, test, err := r.fitStages(ctx, "shared stages", r.shared, train, test, r.columnsNeeded())
	if err != nil {
		return nil, nil, nil, err
	}
	r.rep.SharedSeconds = since(start)
	if len(r.shared) > 0 {
		r.log.Info("shared stages", "seconds", r.rep.SharedSeconds)
	}
	return fitted, train, test, nil
}

// variant fits variant vi's stages, then every model on them, writing
// metrics.json after each model so that what is finished is kept.
func (r *runner) variant(ctx context.Context, vi int, labels []string, shared []ml.Transformer, train, test engine.Dataset) error {
	v := r.s.Variants[vi]
	vr := runrecord.VariantReport{Name: v.Name}
	start := time.Now()
	r.prog(Event{Step: "featurize " + v.Name})
	ctx = sched.WithPhase(ctx, PhaseFeaturize)
	fitted, vtrain, vtest, err := r.fitStages(ctx, "variant "+v.Name, r.variants[vi], train, test, nil)
	if err != nil {
		return err
	}
	vr.FeaturizeSeconds = since(start)
	r.log.Info("featurized", "variant", v.Name, "seconds", vr.FeaturizeSeconds)
	stages := append(append([]ml.Transformer(nil), shared...), fitted...)
	for mi, m := range r.s.Models {
		mr, err := r.model(ctx, v.Name, mi, labels, stages, vtrain, vtest)
		if err != nil {
			return fmt.Errorf("variant %s, model %s: %w", v.Name, m.Name, err)
		}
		vr.Models = append(vr.Models, *mr)
		if err := r.modelDone(ctx, vi, vr); err != nil {
			return err
		}
	}
	return nil
}

// modelDone records that variant vi has finished one more model (vr
// holds its models so far) and rewrites metrics.json: the report lists,
// in the spec's order, every variant with a finished model.
func (r *runner) modelDone(ctx context.Context, vi int, vr runrecord.VariantReport) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reports[vi] = &vr
	r.rep.Variants = r.rep.Variants[:0]
	for _, v := range r.reports {
		if v != nil {
			r.rep.Variants = append(r.rep.Variants, *v)
		}
	}
	r.rep.Seconds = since(r.rep.Started)
	return r.writeMetrics(ctx)
}

// columnsNeeded returns the columns the variants' stages and the models
// read (ml.ColumnReader), the label's and a foldCol; or nil, keeping every
// column, when the processed data is to be written or a stage does not
// say what it reads.
func (r *runner) columnsNeeded() map[string]bool {
	if r.s.Output.ProcessedData {
		return nil
	}
	keep := map[string]bool{}
	if r.s.Label.Column != "" {
		keep[r.s.Label.Column], keep[r.s.Label.IndexedCol] = true, true
	}
	readers := []any{}
	for _, stages := range r.variants {
		readers = append(readers, stages...)
	}
	for _, m := range r.models {
		readers = append(readers, m)
	}
	for _, st := range readers {
		cr, ok := st.(ml.ColumnReader)
		if !ok || cr.InputColumns() == nil || ml.HasColumnPattern(cr.InputColumns()) {
			return nil
		}
		for _, c := range cr.InputColumns() {
			keep[c] = true
		}
	}
	for _, m := range r.s.Models {
		if m.Tuning != nil && m.Tuning.FoldCol != "" {
			keep[m.Tuning.FoldCol] = true
		}
	}
	return keep
}

// fitStages fits stages on train and returns them fitted with both splits
// transformed and kept (test may be nil: a data-preparation run fits and
// keeps all rows as train). With keep, only those columns are kept (the
// shared stages' intermediate text columns are otherwise most of the
// memory of a text run).
func (r *runner) fitStages(ctx context.Context, what string, stages []any, train, test engine.Dataset, keep map[string]bool) ([]ml.Transformer, engine.Dataset, engine.Dataset, error) {
	if len(stages) == 0 {
		return nil, train, test, nil
	}
	p := &pipeline.Pipeline{Stages: stages, Exclude: r.labelColumns(), Progress: func(i int, name string) {
		r.prog(Event{Step: fmt.Sprintf("%s: %s", what, ml.StageName(stages[i]))})
		r.log.Info("fit stage", "in", what, "stage", ml.StageName(stages[i]))
	}}
	pm, err := p.Fit(ctx, r.e, train)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", what, err)
	}
	in := []engine.Dataset{train}
	if test != nil {
		in = append(in, test)
	}
	out := make([]engine.Dataset, len(in))
	for i, d := range in {
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
		out[i] = t
	}
	stored, err := engine.PersistAll(ctx, r.e, out...) // both in one pass
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", what, err)
	}
	if test == nil {
		return pm.Stages, stored[0], nil, nil
	}
	return pm.Stages, stored[0], stored[1], nil
}

// labelColumns are the label column and the columns the run derives from
// it (its index), which a column pattern never selects as features.
func (r *runner) labelColumns() []string {
	if r.s.Label.Column == "" {
		return nil
	}
	return []string{r.s.Label.Column, r.s.Label.IndexedCol}
}
