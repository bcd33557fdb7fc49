package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/evaluation"
	"github.com/spindle-ml/spindle/feature"
	"github.com/spindle-ml/spindle/format"
	"github.com/spindle-ml/spindle/job"
	"github.com/spindle-ml/spindle/jsonnum"
	"github.com/spindle-ml/spindle/pipeline"
	"github.com/spindle-ml/spindle/runrecord"
	"github.com/spindle-ml/spindle/spec"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

func predictCmd(e *env) *cobra.Command {
	var f profileFlags
	var bf engineFlags
	var model, out, outFormat string
	var all bool
	var ev evalFlags
	cmd := &cobra.Command{
		Use:   "predict --model MODEL --input DATA --out OUT",
		Short: "Score data with a saved model (batch prediction)",
		Long: `Predict loads a model saved by 'spindle run' (a directory or s3:// prefix),
reads DATA in any supported format, runs the fitted pipeline over it and
writes the input columns plus rawPrediction, probability, prediction and,
for string labels, predictedLabel to OUT (one file, written atomically;
the format comes from OUT's extension or --out-format). --all-columns
keeps the intermediate columns too.

--evaluate also scores the predictions against the data's label column
(the one the model was trained with, or --label) and prints the metrics
its run computed (or --metrics), with the confusion matrix.

With --runner other than local, the rows are read, scored and written by
the Beam job's workers, never by this process: OUT is then a directory
of part files (Parquet, CSV or JSON Lines), one per partition, and a
_SUCCESS object that lists them with their row counts, written last.`,
		Example: `  spindle predict --model out/spam/models/tfidf --input new.csv --out scored.parquet
  spindle predict --model s3://b/runs/1/models/tf --input 's3://b/in/*.csv' --out s3://b/scored.jsonl
  spindle predict --model s3://b/runs/1/models/tf --input s3://b/big.csv --out s3://b/scored.parquet \
      --runner flink --endpoint localhost:8099 --staging s3://b/staging/p1`,
		Args: exactArgs(0, "no arguments (use --model, --input, --out)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if model == "" || f.input == "" || out == "" {
				return usagef("--model, --input and --out are required")
			}
			if !ev.on && (ev.label != "" || len(ev.metrics) > 0) {
				return usagef("--label and --metrics go with --evaluate")
			}
			eng, done, err := openEngine(cmd.Context(), e, bf)
			if err != nil {
				return err
			}
			defer done()
			return runPredict(cmd.Context(), e, eng, model, out, outFormat, all, f, ev)
		},
	}
	fl := cmd.Flags()
	bf.register(fl)
	fl.StringVar(&model, "model", "", "saved model directory or s3:// prefix")
	fl.StringVar(&f.input, "input", "", "data to score: file, glob, directory or s3:// URI")
	fl.StringVar(&out, "out", "", "output file or s3:// object")
	fl.StringVar(&outFormat, "out-format", "", "output format: "+formatNames()+" (default: from --out's extension)")
	fl.BoolVar(&all, "all-columns", false, "keep every intermediate column")
	fl.BoolVar(&ev.on, "evaluate", false, "print metrics of the predictions against the label column")
	fl.StringVar(&ev.label, "label", "", "with --evaluate: the label column (default: the model's training label)")
	fl.StringSliceVar(&ev.metrics, "metrics", nil, "with --evaluate: metrics to print (default: those of the model's run)")
	fl.StringVar(&f.format, "format", "", "input format (default: from the extension)")
	fl.BoolVar(&f.noHeader, "no-header", false, "CSV input: the first line is data")
	fl.StringVar(&f.delimiter, "delimiter", "", "CSV input: field delimiter")
	fl.StringArrayVar(&f.nullValues, "null-value", nil, "CSV input: a field text read as null (repeatable)")
	fl.StringArrayVar(&f.schema, "schema", nil, "CSV/JSONL input: declare a column's type as NAME=TYPE (repeatable)")
	fl.StringVar(&f.onMalformed, "on-malformed", "fail", "CSV input: fail or drop malformed rows")
	f.distinctBound = 1
	return cmd
}

func runPredict(ctx context.Context, e *env, eng engine.Engine, modelDir, out, outFormat string, all bool, f profileFlags, ev evalFlags) error {
	o, err := f.options()
	if err != nil {
		return err
	}
	wo := format.Options{}
	if outFormat != "" {
		if wo.Format, err = format.Parse(outFormat); err != nil {
			return usagef("--out-format: %v", err)
		}
	} else if wo.Format, err = format.Detect(out); err != nil {
		return usagef("--out %v; pass --out-format", err)
	}
	resident := engine.IsResident(eng)
	if !resident && wo.Format == format.LibSVM {
		return usagef("--out: a Beam runner writes part files in Parquet, CSV or JSON Lines, not LibSVM")
	}
	st := e.store()
	if err := notInput(ctx, st, "--out", out, f.input); err != nil {
		return err
	}
	if loc, err := storage.Parse(out); err == nil && !loc.IsS3() {
		// Before any work, the output's directory must take a file.
		if err := st.CheckWritable(ctx, filepath.Dir(loc.Path)); err != nil {
			return usagef("--out %s: %v", out, err)
		}
	}
	start := time.Now()
	m, info, err := pipeline.LoadWithInfo(ctx, st, modelDir)
	if err != nil {
		return err
	}
	if ev.on {
		if err := ev.resolve(modelDir, info); err != nil {
			return err
		}
	}
	ds, rep, err := format.Load(ctx, eng, st, f.input, o)
	if err != nil {
		if errors.Is(err, format.ErrUnknownFormat) {
			return usagef("%v; pass --format", err)
		}
		return err
	}
	if err := checkSchemaFlags(ds.Schema(), f.input, f); err != nil {
		return err
	}
	e.log.Info("read", "uri", f.input, "rows", rep.Rows, "stages", len(m.Stages), "engine", eng.Name())
	if _, err := m.OutputSchema(ds.Schema()); err != nil {
		return fmt.Errorf("model %s does not fit %s: %w", modelDir, f.input, err)
	}
	res, err := m.Transform(ctx, eng, ds)
	if err != nil {
		return err
	}
	if ev.on {
		if res, err = ev.evaluate(ctx, e, eng, m, res, f.input); err != nil {
			return err
		}
	}
	if !all {
		in := ds.Schema()
		keep := append([]string(nil), in.Names()...)
		for _, c := range pipeline.PredictionColumns() {
			if res.Schema().Index(c) >= 0 && in.Index(c) < 0 {
				keep = append(keep, c)
			}
		}
		if res, err = eng.MapPartitions(res, engine.Select{Columns: keep}); err != nil {
			return err
		}
	}
	if !resident {
		pm, err := format.WriteParts(ctx, eng, st, res, out, wo, fmt.Sprintf("predict-%d", start.UnixNano()))
		if err != nil {
			return fmt.Errorf("score %s: %w", f.input, err)
		}
		e.log.Info("wrote", "uri", out, "files", len(pm.Files), "rows", pm.Rows, "seconds", round(time.Since(start).Seconds()))
		return nil
	}
	tb, err := eng.Collect(ctx, res)
	if err != nil {
		return fmt.Errorf("score %s: %w", f.input, err) // the rows are scored here
	}
	if err := format.Write(ctx, st, out, tb, wo); err != nil {
		return err
	}
	e.log.Info("wrote", "uri", out, "rows", tb.Count(), "seconds", round(time.Since(start).Seconds()))
	return nil
}

func inspectCmd(e *env) *cobra.Command {
	var asJSON bool
	var maxValues int
	cmd := &cobra.Command{
		Use:   "inspect MODEL",
		Short: "Describe a saved model: stages, parameters, learned data, sizes and metrics",
		Example: `  spindle inspect out/spam/models/tfidf
  spindle inspect s3://bucket/runs/1/models/tf --json`,
		Args: exactArgs(1, "one MODEL directory or URI"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if maxValues < 0 {
				return usagef("--max-values must be ≥ 0, got %d", maxValues)
			}
			info, err := pipeline.InspectWith(cmd.Context(), e.store(), args[0], pipeline.InspectOptions{Data: asJSON, MaxValues: maxValues})
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(info)
			}
			return printInspect(e, info)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document, with each stage's learned data (stages[].values)")
	cmd.Flags().IntVar(&maxValues, "max-values", 100_000, "with --json, show longer lists of learned values as their length (0: show all)")
	return cmd
}

func printInspect(e *env, info *pipeline.Info) error {
	w := e.stdout
	fmt.Fprintf(w, "model %s (format %d, spindle %s), %d stages\n", info.Dir, info.FormatVersion, info.SpindleVersion, len(info.Stages))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tstage\tbytes\tparams (set)\tlearned data")
	for i, s := range info.Stages {
		var params bytes.Buffer
		if json.Compact(&params, s.Params) != nil {
			params.Reset()
		}
		var cols []string
		for _, c := range s.Data {
			cols = append(cols, c.Name)
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\n", i+1, s.Class, s.DataBytes, params.String(), strings.Join(cols, ", "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for i, s := range info.Stages {
		printSummary(w, i+1, s.Summary)
	}
	if len(info.Metrics) > 0 {
		if m, err := runrecord.ParseModelMetrics(info.Metrics); err == nil {
			fmt.Fprintf(w, "variant %s; params %v\ntest metrics:", m.Variant, map[string]any(m.Params))
			for _, k := range sortedKeys(m.Test) {
				fmt.Fprintf(w, " %s=%.4f", k, m.Test[k])
			}
			fmt.Fprintln(w)
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// printSummary prints a stage's summary (ml.Summarizer): a tree model's
// sizes and top features.
func printSummary(w io.Writer, stage int, raw json.RawMessage) {
	var s struct {
		NumTrees      *int         `json:"numTrees"`
		TotalNumNodes int          `json:"totalNumNodes"`
		Depth         int          `json:"depth"`
		TopFeatures   [][2]float64 `json:"topFeatures"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil || s.NumTrees == nil {
		return
	}
	fmt.Fprintf(w, "stage %d: %d trees, %d nodes, depth %d; top features:", stage, *s.NumTrees, s.TotalNumNodes, s.Depth)
	for _, f := range s.TopFeatures {
		fmt.Fprintf(w, " %d (%.4f)", int(f[0]), f[1])
	}
	fmt.Fprintln(w)
}

// evalFlags are predict's --evaluate settings.
type evalFlags struct {
	on      bool
	label   string
	metrics []string
}

// resolve fills in the label column and metrics from the model's
// metrics.json where the flags leave them out.
func (ev *evalFlags) resolve(modelDir string, info *pipeline.Info) error {
	mm, err := runrecord.ParseModelMetrics(info.Metrics)
	if err != nil {
		mm, _ = runrecord.ParseModelMetrics(nil) // an unreadable record says nothing
	}
	if len(ev.metrics) == 0 {
		if ev.metrics = sortedKeys(mm.Test); len(ev.metrics) == 0 {
			return usagef("--evaluate: model %s does not list its run's metrics; pass --metrics", modelDir)
		}
	}
	noLabel := true
	for _, name := range ev.metrics {
		if spec.MetricType(name) == "" {
			return usagef("--metrics: unknown metric %q", name)
		}
		noLabel = noLabel && !evaluation.MetricNeedsLabel(name)
	}
	if ev.label == "" && !noLabel {
		if ev.label = mm.Label; ev.label == "" {
			return usagef("--evaluate: model %s does not say its label column (saved by an older spindle, or not by 'spindle run'); pass --label", modelDir)
		}
	}
	return nil
}

// print writes the metrics under a header line, one a line.
func (ev *evalFlags) print(w io.Writer, header string, scores map[string]jsonnum.Float) error {
	fmt.Fprintln(w, header)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, name := range ev.metrics {
		fmt.Fprintf(tw, "  %s\t%.6f\n", name, float64(scores[name]))
	}
	return tw.Flush()
}

// evaluate indexes the label of the scored rows res as the model indexes
// its predictions (by the labels of its IndexToString stage, or a number
// cast to double), prints the metrics and returns res, kept for writing.
func (ev *evalFlags) evaluate(ctx context.Context, e *env, eng engine.Engine, m *pipeline.PipelineModel, res engine.Dataset, input string) (engine.Dataset, error) {
	// The predictor, whose columns (and, for a clustering, features and
	// distance) the metrics read: the last stage but a label's
	// IndexToString.
	var model any
	for i := len(m.Stages) - 1; i >= 0 && model == nil; i-- {
		if _, its := m.Stages[i].(*feature.IndexToString); !its {
			model = m.Stages[i]
		}
	}
	if ev.label == "" {
		// Clustering metrics only: no label to index.
		scores, _, err := job.Score(ctx, eng, res, "", ev.metrics, nil, model)
		if err != nil {
			return nil, fmt.Errorf("--evaluate: %w", err)
		}
		return res, ev.print(e.stdout, fmt.Sprintf("metrics of the predictions for %s:", input), scores)
	}
	s := res.Schema()
	j := s.Index(ev.label)
	if j < 0 {
		return nil, fmt.Errorf("--evaluate: %s has no label column %q (columns: %v)", input, ev.label, s.Names())
	}
	indexed := "labelIndex"
	for s.Index(indexed) >= 0 {
		indexed = "_" + indexed
	}
	var labels []string
	if its, ok := m.Stages[len(m.Stages)-1].(*feature.IndexToString); ok {
		labels = its.Labels
	}
	var mapper engine.Mapper
	switch t := s.Fields[j].Type; {
	case labels != nil:
		mapper = &feature.StringIndexerModel{InputCols: []string{ev.label}, OutputCols: []string{indexed}, Labels: [][]string{labels}, HandleInvalid: "error"}
	case t.IsNumeric() || t == table.Bool:
		mapper = &feature.Cast{InputCol: ev.label, OutputCol: indexed, To: table.Float64}
	default:
		return nil, fmt.Errorf("--evaluate: label column %q of %s is %v, and the model predicts numbers", ev.label, input, t)
	}
	if _, err := mapper.OutputSchema(s); err != nil {
		return nil, fmt.Errorf("--evaluate: %w", err)
	}
	if engine.IsResident(eng) {
		var err error
		if res, err = eng.Persist(ctx, res); err != nil { // scored once, evaluated and written
			return nil, err
		}
	}
	lds, err := eng.MapPartitions(res, mapper)
	if err != nil {
		return nil, err
	}
	scores, conf, err := job.Score(ctx, eng, lds, indexed, ev.metrics, labels, model)
	if err != nil {
		return nil, fmt.Errorf("--evaluate: %w", err)
	}
	w := e.stdout
	if err := ev.print(w, fmt.Sprintf("metrics of the predictions for %s against its column %s:", input, ev.label), scores); err != nil {
		return nil, err
	}
	if conf != nil {
		fmt.Fprintln(w, "confusion matrix (rows: true label, columns: predicted):")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprint(tw, "\t")
		for _, l := range conf.Labels {
			fmt.Fprintf(tw, "%s\t", l)
		}
		fmt.Fprintln(tw)
		for i, row := range conf.Matrix {
			fmt.Fprintf(tw, "%s\t", conf.Labels[i])
			for _, v := range row {
				fmt.Fprintf(tw, "%g\t", v)
			}
			fmt.Fprintln(tw)
		}
		if err := tw.Flush(); err != nil {
			return nil, err
		}
	}
	attrs := []any{"input", input, "label", ev.label}
	for _, name := range ev.metrics {
		attrs = append(attrs, name, float64(scores[name]))
	}
	e.log.Info("evaluated", attrs...)
	return res, nil
}
