package job

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/engine/sched"
	"github.com/spindle-ml/spindle/evaluation"
	"github.com/spindle-ml/spindle/feature"
	"github.com/spindle-ml/spindle/format"
	"github.com/spindle-ml/spindle/jsonnum"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/pipeline"
	"github.com/spindle-ml/spindle/runrecord"
	"github.com/spindle-ml/spindle/spec"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
	"github.com/spindle-ml/spindle/tuning"
)

// model fits model mi on a variant's training split (tuned when the spec
// asks), scores the test split, and saves the whole fitted pipeline and,
// when asked, the processed data.
func (r *runner) model(ctx context.Context, variant string, mi int, labels []string, fitted []ml.Transformer, train, test engine.Dataset) (*runrecord.ModelReport, error) {
	m := r.s.Models[mi]
	mr := &runrecord.ModelReport{Name: m.Name, Type: m.Stage.Type, Test: map[string]jsonnum.Float{}}
	start := time.Now()
	model, err := r.fit(ctx, variant, mi, mr, train)
	if err != nil {
		return nil, err
	}
	mr.FitSeconds = since(start)

	start = time.Now()
	r.prog(Event{Step: fmt.Sprintf("score %s on %s", m.Name, variant)})
	sctx := sched.WithPhase(ctx, PhaseEvaluate)
	pred, err := ml.Transform(sctx, r.e, test, model)
	if err != nil {
		return nil, err
	}
	if r.s.Output.ProcessedData {
		// Written out as well as scored: computed once. Otherwise the
		// scoring passes map the test rows on the fly.
		if pred, err = r.e.Persist(sctx, pred); err != nil {
			return nil, err
		}
	}
	if err := r.score(sctx, mr, pred, labels, model); err != nil {
		return nil, err
	}
	if err := r.curves(sctx, mr, pred); err != nil {
		return nil, err
	}
	describeModel(mr, model, fitted, r.input)
	mr.ScoreSeconds = since(start)
	r.log.Info("test", append([]any{"variant", variant, "model", m.Name, "fitSeconds", mr.FitSeconds}, metricAttrs(mr.Test)...)...)

	if r.s.Output.SaveModels {
		if err := r.save(ctx, variant, mr, labels, append(fitted, model), r.input); err != nil {
			return nil, err
		}
	}
	if r.s.Output.ProcessedData {
		if err := r.writeProcessed(sched.WithPhase(ctx, PhaseWrite), variant, mr, train, pred); err != nil {
			return nil, err
		}
	}
	return mr, nil
}

// fit fits model mi, tuned when the spec asks, reporting the optimizer's
// iterations and the folds as progress.
func (r *runner) fit(ctx context.Context, variant string, mi int, mr *runrecord.ModelReport, train engine.Dataset) (ml.Model, error) {
	m := r.s.Models[mi]
	est := r.models[mi]
	step := fmt.Sprintf("train %s on %s", m.Name, variant)
	cur := Event{Step: step}
	if _, ok := est.(ml.ProgressReporter); ok {
		// On a copy: the spec's stage is shared by every variant.
		c, err := ml.WithParams(est, nil)
		if err != nil {
			return nil, err
		}
		c.(ml.ProgressReporter).SetProgress(func(iter int, _ float64) {
			e := cur
			e.Iter = iter
			r.prog(e)
		})
		est = c
	}
	r.prog(cur)
	t := m.Tuning
	if t == nil {
		model, err := est.Fit(sched.WithPhase(ctx, PhaseFit), r.e, train)
		mr.Params = ml.Params(est)
		return model, err
	}
	ev, err := evaluation.ForModel(t.Evaluator.MetricName, est, r.s.Label.IndexedCol)
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
	grid := &tuning.ParamGridBuilder{}
	for _, g := range t.Grid {
		grid.AddGrid(g.Name, g.Values...)
	}
	var tm *tuning.TunedModel
	ctx = sched.WithPhase(ctx, PhaseTune) // the tuner marks its refit PhaseFit
	// On a cluster a pass's start is what costs: refit every map during
	// the folds' passes unless the spec says otherwise.
	eager := t.Refit == "eager" || (t.Refit != "best" && !engine.IsResident(r.e))
	switch t.Method {
	case "trainValidationSplit":
		tm, err = (&tuning.TrainValidationSplit{Estimator: est, EstimatorParamMaps: grid.Build(), Evaluator: ev, TrainRatio: t.TrainRatio, Seed: t.Seed, Parallelism: t.Parallelism, EagerRefit: eager, Progress: progress}).FitTuned(ctx, r.e, train)
	default:
		tm, err = (&tuning.CrossValidator{Estimator: est, EstimatorParamMaps: grid.Build(), Evaluator: ev, NumFolds: t.NumFolds, Seed: t.Seed, Parallelism: t.Parallelism, FoldCol: t.FoldCol, Stratify: t.Stratify, LabelCol: r.s.Label.IndexedCol, EagerRefit: eager, Progress: progress}).FitTuned(ctx, r.e, train)
	}
	if err != nil {
		return nil, err
	}
	mr.Tuning = &runrecord.TuningReport{Method: t.Method, Metric: t.Evaluator.MetricName, ParamMaps: tm.ParamMaps, FoldMetrics: floats2(tm.Metrics), AvgMetrics: jsonnum.Floats(tm.AvgMetrics), Best: tm.Best(), Failed: tm.Failed, ObjectiveHistories: floats3(tm.Histories)}
	for _, f := range tm.Failed {
		r.log.Warn("tuning: a fit failed; the best map is chosen among the others", "variant", variant, "model", m.Name, "fold", f.Fold+1, "paramMap", tm.ParamMaps[f.ParamMap].String(), "error", f.Err)
	}
	r.log.Info("tuned", "variant", variant, "model", m.Name, "best", tm.Best().String(), "metric", t.Evaluator.MetricName, "avgMetrics", fmt.Sprint(tm.AvgMetrics))
	best, err := ml.WithParams(est, tm.Best())
	if err != nil {
		return nil, err
	}
	mr.Params = ml.Params(best)
	return tm.BestModel, nil
}

// save writes the whole fitted pipeline, raw input to prediction (and
// predictedLabel for string labels), with the model's metrics.
func (r *runner) save(ctx context.Context, variant string, mr *runrecord.ModelReport, labels []string, stages []ml.Transformer, in *table.Schema) (err error) {
	if labels != nil {
		stages = append(stages, &feature.IndexToString{InputCol: "prediction", OutputCol: "predictedLabel", Labels: labels})
	}
	pm := &pipeline.PipelineModel{Stages: stages}
	// The columns the model reads, typed as the data had them: what
	// 'spindle serve' decodes requests into.
	if pm.Input, err = in.Select(pm.InputColumns()...); err != nil {
		return fmt.Errorf("save %s: %w", variant, err)
	}
	dir := "models/" + variant
	if len(r.s.Models) > 1 {
		dir += "." + mr.Name
	}
	mjs, err := json.MarshalIndent(runrecord.ModelMetrics{RunID: r.info.RunID, Variant: variant, Label: r.s.Label.Column, ModelReport: mr}, "", "  ")
	if err != nil {
		return err
	}
	err = pipeline.Save(ctx, r.st, storage.Join(r.out, dir), pm, pipeline.SaveOptions{
		Overwrite: true, SpindleVersion: r.o.SpindleVersion, RunID: r.info.RunID, Extra: map[string][]byte{runrecord.MetricsFile: mjs}})
	if err != nil {
		return err
	}
	mr.Model = dir
	return nil
}

// writeProcessed writes the training rows and the scored test rows as
// Parquet.
func (r *runner) writeProcessed(ctx context.Context, variant string, mr *runrecord.ModelReport, train, pred engine.Dataset) error {
	for _, part := range []struct {
		name string
		d    engine.Dataset
	}{{"train", train}, {"test", pred}} {
		rel := fmt.Sprintf("processed/%s/%s.parquet", variant, part.name)
		if len(r.s.Models) > 1 {
			rel = fmt.Sprintf("processed/%s.%s/%s.parquet", variant, mr.Name, part.name)
		}
		if _, err := r.writeData(ctx, rel, part.d, format.Options{Format: format.Parquet}); err != nil {
			return err
		}
		mr.Processed = append(mr.Processed, rel)
	}
	return nil
}

// writeData writes ds under the output directory at rel and returns its
// rows: one file on the embedded engine; on a cluster engine the workers
// write the rows, and rel is a directory of part files and its _SUCCESS.
func (r *runner) writeData(ctx context.Context, rel string, ds engine.Dataset, o format.Options) (int64, error) {
	if !engine.IsResident(r.e) {
		m, err := format.WriteParts(ctx, r.e, r.st, ds, storage.Join(r.out, rel), o, r.info.RunID)
		if err != nil {
			return 0, err
		}
		r.log.Info("processed data", "dir", rel, "files", len(m.Files), "rows", m.Rows)
		return m.Rows, nil
	}
	tb, err := r.e.Collect(ctx, ds)
	if err != nil {
		return 0, err
	}
	if err := format.Write(ctx, r.st, storage.Join(r.out, rel), tb, o); err != nil {
		return 0, err
	}
	return tb.Count(), nil
}

// floats3 is floats2 one level deeper.
func floats3(x [][][]float64) [][][]jsonnum.Float {
	if x == nil {
		return nil
	}
	out := make([][][]jsonnum.Float, len(x))
	for i, v := range x {
		out[i] = floats2(v)
	}
	return out
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
	ev, ok := evaluation.LookupEvaluator(typ)
	if !ok {
		return nil, fmt.Errorf("unknown evaluator type %q", typ)
	}
	return ev.New(metric, nil, labelCol), nil
}

// score computes the spec's metrics on the test predictions.
func (r *runner) score(ctx context.Context, mr *runrecord.ModelReport, pred engine.Dataset, labels []string, model ml.Model) error {
	test, conf, err := Score(ctx, r.e, pred, r.s.Label.IndexedCol, r.s.Metrics, labels, model)
	if err != nil {
		return err
	}
	maps.Copy(mr.Test, test)
	mr.Confusion = conf
	return nil
}

// Score computes metrics (spec metric names) on scored rows pred whose
// true label, indexed as the model's prediction is, is column label;
// labels, if known, name the classes in index order. Classification
// metrics share one pass (a confusion matrix, returned when there are at
// most evaluation.MaxMatrixClasses classes); each other metric is a pass
// of its evaluator. 'spindle run' scores its test split with it, and
// 'spindle predict --evaluate' the data it scores. model, if not nil, is
// the fitted model whose output columns (and, for a clustering, features
// column and distance) the metrics read; nil means Spark's default
// column names.
func Score(ctx context.Context, e engine.Engine, pred engine.Dataset, label string, metrics, labels []string, model any) (map[string]jsonnum.Float, *runrecord.ConfusionReport, error) {
	out := map[string]jsonnum.Float{}
	var conf *evaluation.Confusion
	confMetric := "f1"
	if slices.Contains(metrics, "logLoss") {
		confMetric = "logLoss" // the confusion pass then sums the log loss too
	}
	for _, name := range metrics {
		switch spec.MetricType(name) {
		case "multiclass":
			if conf == nil {
				var err error
				if conf, err = (&evaluation.MulticlassClassificationEvaluator{LabelCol: label, MetricName: confMetric}).Confusion(ctx, e, pred); err != nil {
					return nil, nil, err
				}
			}
			out[name] = jsonnum.Float(conf.Metric(name))
		default:
			var ev evaluation.Evaluator
			var err error
			if model != nil {
				ev, err = evaluation.ForModel(name, model, label)
			} else {
				ev, err = newEvaluator(spec.MetricType(name), name, label)
			}
			if err != nil {
				return nil, nil, err
			}
			v, err := ev.Evaluate(ctx, e, pred)
			if err != nil {
				return nil, nil, fmt.Errorf("metric %s: %w", name, err)
			}
			out[name] = jsonnum.Float(v)
		}
	}
	if conf == nil || len(labels) > evaluation.MaxMatrixClasses {
		return out, nil, nil
	}
	cr := &runrecord.ConfusionReport{Matrix: conf.Matrix()}
	if n := len(labels); len(cr.Matrix) < n {
		// Classes absent from the rows still get a row.
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
	return out, cr, nil
}
