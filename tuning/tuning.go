// Package tuning selects an estimator's parameters by validation, as Spark
// ML's tuning package does: a ParamGridBuilder makes the grid of parameter
// maps; CrossValidator scores each map by k-fold cross-validation and
// TrainValidationSplit by one train/validation split; both then refit the
// best map on all the data they were given and keep every metric.
package tuning

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/engine/sched"
	"github.com/spindle-ml/spindle/evaluation"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/optim"
	"github.com/spindle-ml/spindle/table"
)

func init() { engine.Register(&FoldSplit{}) }

// ParamGridBuilder builds the Cartesian product of parameter values, in
// the order the parameters were added (the first varies slowest).
type ParamGridBuilder struct {
	names  []string
	values [][]any
}

// AddGrid adds a parameter (by Spark name) and the values to try.
func (b *ParamGridBuilder) AddGrid(name string, values ...any) *ParamGridBuilder {
	b.names = append(b.names, name)
	b.values = append(b.values, values)
	return b
}

// Build returns the grid; with no parameters added, one empty map.
func (b *ParamGridBuilder) Build() []ml.ParamMap {
	grid := []ml.ParamMap{{}}
	for i, name := range b.names {
		var next []ml.ParamMap
		for _, pm := range grid {
			for _, v := range b.values[i] {
				m := ml.ParamMap{}
				for k, x := range pm {
					m[k] = x
				}
				m[name] = v
				next = append(next, m)
			}
		}
		grid = next
	}
	return grid
}

// FoldSplit keeps the rows of one k-fold split: the validation rows of
// fold Fold, or (Train) all the others. Without FoldCol, a row's fold is
// drawn as table.Table.RandomSplit with NumFolds equal weights and Seed
// draws it, so the folds are the same however the data is partitioned;
// with FoldCol, the row's fold is that integer column's value (Spark's
// foldCol), which must lie in [0, NumFolds).
type FoldSplit struct {
	NumFolds int
	Fold     int
	Seed     int64
	Train    bool
	FoldCol  string
}

// KernelName implements engine.Kernel.
func (*FoldSplit) KernelName() string { return "tuning.FoldSplit" }

// UsesRowOffset implements engine.Positional.
func (f *FoldSplit) UsesRowOffset() bool { return f.FoldCol == "" }

// OutputSchema implements engine.Mapper.
func (f *FoldSplit) OutputSchema(in *table.Schema) (*table.Schema, error) {
	if f.NumFolds < 2 || f.Fold < 0 || f.Fold >= f.NumFolds {
		return nil, fmt.Errorf("fold split: fold %d of %d folds (numFolds must be at least 2)", f.Fold, f.NumFolds)
	}
	if f.FoldCol != "" {
		if _, err := ml.InputColumn("CrossValidator", in, f.FoldCol, table.Int64); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// MapPartition implements engine.Mapper.
func (f *FoldSplit) MapPartition(_ context.Context, info engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	keep := make([]int, 0, b.NumRows())
	if f.FoldCol == "" {
		w := make([]float64, f.NumFolds)
		for i := range w {
			w[i] = 1
		}
		bounds, err := table.SplitBounds(w)
		if err != nil {
			return nil, err
		}
		parts := table.SplitRows(b.NumRows(), info.RowOffset, bounds, f.Seed)
		for p, rows := range parts {
			if (p == f.Fold) != f.Train {
				keep = append(keep, rows...)
			}
		}
		sort.Ints(keep)
		return b.Take(keep), nil
	}
	col, err := table.ColumnAs[*table.Int64Column](b, f.FoldCol)
	if err != nil {
		return nil, err
	}
	for i, v := range col.Values {
		if !col.Valid.Valid(i) || v < 0 || v >= int64(f.NumFolds) {
			return nil, fmt.Errorf("CrossValidator: %s: foldCol %q is %v, want an integer in [0, %d)", engine.RowName(info, b, i), f.FoldCol, col.Value(i), f.NumFolds)
		}
		if (v == int64(f.Fold)) != f.Train {
			keep = append(keep, i)
		}
	}
	return b.Take(keep), nil
}

// Result is what a tuning run learnt.
type Result struct {
	// ParamMaps is the grid, in order.
	ParamMaps []ml.ParamMap
	// Metrics[i][k] is param map i's metric on fold k (one column for
	// TrainValidationSplit).
	Metrics [][]float64
	// AvgMetrics[i] is the mean of Metrics[i].
	AvgMetrics []float64
	// Histories[i][k], for models that report one (objectiveHistory), is
	// the objective per optimizer iteration of map i's fit on fold k.
	Histories [][][]float64
	// BestIndex indexes the best param map; ties go to the first.
	BestIndex int
	// IsLargerBetter is the evaluator's direction.
	IsLargerBetter bool
	// Failed lists the fits that failed numerically (their objective not
	// finite: optim.ErrNotFinite); their metrics are NaN, and the best
	// map is chosen among the others.
	Failed []Failure
}

// Failure is a fit of one param map on one fold that failed
// numerically.
type Failure struct {
	// Fold is the fold (from 0; 0 for TrainValidationSplit) and ParamMap
	// the map's index in the grid.
	Fold, ParamMap int
	// Err says why.
	Err string
}

// Best returns the best param map.
func (r *Result) Best() ml.ParamMap { return r.ParamMaps[r.BestIndex] }

// TunedModel is a tuning run's refit best model and its Result. It
// transforms as the best model does.
type TunedModel struct {
	BestModel ml.Model
	Result
}

// OutputSchema implements ml.Transformer.
func (m *TunedModel) OutputSchema(in *table.Schema) (*table.Schema, error) {
	return m.BestModel.OutputSchema(in)
}

// Transform implements ml.Transformer.
func (m *TunedModel) Transform(ctx context.Context, e engine.Engine, ds engine.Dataset) (engine.Dataset, error) {
	return ml.Transform(ctx, e, ds, m.BestModel)
}

// Progress reports tuning steps: fold k (from 0, -1 for the final refit)
// of folds, param map i of n.
type Progress func(fold, folds, paramMap, paramMaps int)

// CrossValidator is Spark's k-fold cross-validation: for each fold, every
// param map is fitted on the other folds and scored on this one; the map
// with the best mean metric is refitted on the whole dataset.
//
// Folds are drawn at random per row (Spark's way), read from FoldCol, or,
// with Stratify, dealt within each class of LabelCol so that every fold
// keeps the class balance (scikit-learn's StratifiedKFold; Spark has no
// such option).
//
// Every (fold, param map) pair is fitted at once, in lockstep, so that
// one pass over the data serves every optimizer's step (sched.Lockstep);
// each model's numbers are those it gets alone. A fold is a view of the
// data, its rows chosen as a pass reads them, not a copy. Every fit keeps
// its own optimizer state (L-BFGS keeps 20 vectors of the model's size),
// so memory grows with the fits at once: Parallelism, as in Spark the
// number of models fitted at once, bounds them (0, the default: all);
// the fits then run in waves of Parallelism, each wave in lockstep.
//
// Defaults: NumFolds 3, Seed 0, no FoldCol, no stratification, LabelCol
// "label".
type CrossValidator struct {
	Estimator          ml.Estimator
	EstimatorParamMaps []ml.ParamMap
	Evaluator          evaluation.Evaluator
	NumFolds           int
	Seed               int64
	Parallelism        int
	FoldCol            string
	Stratify           bool
	LabelCol           string
	// EagerRefit fits every param map on the whole dataset while the
	// folds are fitted, in the same passes, and keeps the best one's
	// model: the refit then costs no passes of its own (on a cluster, a
	// pass's start is what costs) for 1/(k−1) more fitting work. The
	// model is the same as refitting the best map after.
	EagerRefit bool
	Progress   Progress
}

// Fit implements ml.Estimator; the model is a *TunedModel.
func (cv *CrossValidator) Fit(ctx context.Context, e engine.Engine, ds engine.Dataset) (ml.Model, error) {
	return cv.FitTuned(ctx, e, ds)
}

// Folds returns the number of folds: NumFolds, or its default 3.
func (cv *CrossValidator) Folds() int {
	if cv.NumFolds == 0 {
		return 3
	}
	return cv.NumFolds
}

// FitTuned runs the cross-validation and refits the best map.
func (cv *CrossValidator) FitTuned(ctx context.Context, e engine.Engine, ds engine.Dataset) (*TunedModel, error) {
	k := cv.Folds()
	if k < 2 {
		return nil, fmt.Errorf("CrossValidator: numFolds %d, want at least 2", k)
	}
	grid, err := checkTuner("CrossValidator", cv.Estimator, cv.EstimatorParamMaps, cv.Evaluator)
	if err != nil {
		return nil, err
	}
	ds, err = e.Persist(ctx, ds)
	if err != nil {
		return nil, err
	}
	res := Result{ParamMaps: grid, Metrics: make([][]float64, len(grid)), IsLargerBetter: cv.Evaluator.IsLargerBetter()}
	for i := range res.Metrics {
		res.Metrics[i] = make([]float64, k)
	}
	var offsets map[int]map[float64]int64
	label := cv.LabelCol
	if label == "" {
		label = "label"
	}
	if cv.Stratify {
		if cv.FoldCol != "" {
			return nil, fmt.Errorf("CrossValidator: set foldCol or stratify, not both")
		}
		if ds.Schema().Index(label) < 0 {
			return nil, fmt.Errorf("CrossValidator: label column %q does not exist (columns: %v)", label, ds.Schema().Names())
		}
		counts, err := engine.Aggregate(ctx, e, ds, classCounter{LabelCol: label})
		if err != nil {
			return nil, err
		}
		offsets = stratifiedOffsets(counts)
	}
	// The folds are views of ds (a fold's rows are chosen as each pass
	// reads ds), not copies; every (fold, map) pair is fitted at once.
	folds := make([]foldData, k)
	for fold := range folds {
		for _, train := range []bool{true, false} {
			var m engine.Mapper = &FoldSplit{NumFolds: k, Fold: fold, Seed: cv.Seed, Train: train, FoldCol: cv.FoldCol}
			if cv.Stratify {
				m = &StratifiedFold{NumFolds: k, Fold: fold, Seed: cv.Seed, Train: train, LabelCol: label, Offsets: offsets}
			}
			d, err := e.MapPartitions(ds, m)
			if err != nil {
				return nil, fmt.Errorf("CrossValidator: fold %d: %w", fold+1, err)
			}
			if train {
				folds[fold].train = d
			} else {
				folds[fold].valid = d
			}
		}
	}
	var whole engine.Dataset
	if cv.EagerRefit {
		whole = ds
	}
	ms, hist, failed, eager, err := fitAndScore(ctx, e, cv.Estimator, grid, cv.Evaluator, folds, whole, cv.Parallelism, func(fold, i int) {
		if cv.Progress != nil {
			cv.Progress(fold, k, i, len(grid))
		}
	})
	if err != nil {
		return nil, fmt.Errorf("CrossValidator: %w", err)
	}
	for i := range grid {
		for fold := range folds {
			res.Metrics[i][fold] = ms[fold][i]
		}
	}
	res.Histories = byMap(hist)
	res.Failed = failed
	return refit(ctx, e, "CrossValidator", cv.Estimator, ds, res, eager, func() {
		if cv.Progress != nil {
			cv.Progress(-1, k, res.BestIndex, len(grid))
		}
	})
}

// foldData is one fold's training and validation rows.
type foldData struct{ train, valid engine.Dataset }

// TrainValidationSplit is Spark's single-split tuning: each param map is
// fitted on a TrainRatio share of the rows (drawn with Seed) and scored on
// the rest; the best is refitted on the whole dataset.
//
// The param maps are fitted together, in lockstep, as CrossValidator
// fits them, at most Parallelism at once (0: all).
//
// Defaults: TrainRatio 0.75, Seed 0.
type TrainValidationSplit struct {
	Estimator          ml.Estimator
	EstimatorParamMaps []ml.ParamMap
	Evaluator          evaluation.Evaluator
	TrainRatio         float64
	Seed               int64
	Parallelism        int
	// EagerRefit is as CrossValidator's.
	EagerRefit bool
	Progress   Progress
}

// Fit implements ml.Estimator; the model is a *TunedModel.
func (tv *TrainValidationSplit) Fit(ctx context.Context, e engine.Engine, ds engine.Dataset) (ml.Model, error) {
	return tv.FitTuned(ctx, e, ds)
}

// FitTuned runs the split and refits the best map.
func (tv *TrainValidationSplit) FitTuned(ctx context.Context, e engine.Engine, ds engine.Dataset) (*TunedModel, error) {
	r := tv.TrainRatio
	if r == 0 {
		r = 0.75
	}
	if !(r > 0 && r < 1) {
		return nil, fmt.Errorf("TrainValidationSplit: trainRatio %v, want a number in (0, 1)", r)
	}
	grid, err := checkTuner("TrainValidationSplit", tv.Estimator, tv.EstimatorParamMaps, tv.Evaluator)
	if err != nil {
		return nil, err
	}
	ds, err = e.Persist(ctx, ds)
	if err != nil {
		return nil, err
	}
	// The two parts are views of ds, chosen as each pass reads it.
	parts := make([]engine.Dataset, 2)
	for p := range parts {
		if parts[p], err = e.MapPartitions(ds, engine.SplitPart{Weights: []float64{r, 1 - r}, Seed: tv.Seed, Part: p}); err != nil {
			return nil, err
		}
	}
	var whole engine.Dataset
	if tv.EagerRefit {
		whole = ds
	}
	ms, hist, failed, eager, err := fitAndScore(ctx, e, tv.Estimator, grid, tv.Evaluator, []foldData{{train: parts[0], valid: parts[1]}}, whole, tv.Parallelism, func(_, i int) {
		if tv.Progress != nil {
			tv.Progress(0, 1, i, len(grid))
		}
	})
	if err != nil {
		return nil, fmt.Errorf("TrainValidationSplit: %w", err)
	}
	res := Result{ParamMaps: grid, Metrics: make([][]float64, len(grid)), IsLargerBetter: tv.Evaluator.IsLargerBetter(), Failed: failed}
	for i, m := range ms[0] {
		res.Metrics[i] = []float64{m}
	}
	res.Histories = byMap(hist)
	return refit(ctx, e, "TrainValidationSplit", tv.Estimator, ds, res, eager, func() {
		if tv.Progress != nil {
			tv.Progress(-1, 1, res.BestIndex, len(grid))
		}
	})
}

func checkTuner(name string, est ml.Estimator, grid []ml.ParamMap, ev evaluation.Evaluator) ([]ml.ParamMap, error) {
	if est == nil || ev == nil {
		return nil, fmt.Errorf("%s: estimator and evaluator must be set", name)
	}
	if len(grid) == 0 {
		grid = []ml.ParamMap{{}}
	}
	// Check every map before any fitting, so a typo fails at once.
	for i, pm := range grid {
		if _, err := ml.WithParams(est, pm); err != nil {
			return nil, fmt.Errorf("%s: param map %d %v: %w", name, i+1, pm, err)
		}
	}
	return grid, nil
}

// fitAndScore fits each param map on each fold's training rows and scores
// it on the fold's validation rows: out[fold][map]. All the fits advance
// in lockstep (sched.Lockstep): each round of their aggregations is one
// pass, and identical ones (the first iterations of maps that differ only
// in maxIter) are computed once; every model still gets exactly the
// numbers it gets alone.
//
// A fit whose objective is not finite (optim.ErrNotFinite: it diverges
// at its starting point, say for a regParam that overflows) fails its
// own (fold, map) only: its metric is NaN and it is listed in failed.
func fitAndScore(ctx context.Context, e engine.Engine, est ml.Estimator, grid []ml.ParamMap, ev evaluation.Evaluator, folds []foldData, whole engine.Dataset, parallelism int, progress func(fold, i int)) (out [][]float64, hist [][][]float64, failed []Failure, eager []eagerFit, err error) {
	out = make([][]float64, len(folds))
	hist = make([][][]float64, len(folds))
	for f := range out {
		out[f] = make([]float64, len(grid))
		hist[f] = make([][]float64, len(grid))
	}
	n := len(grid)
	members := len(folds) * n
	if whole != nil {
		// Eager refits: member len(folds)·n + i fits map i on whole.
		eager = make([]eagerFit, n)
		members += n
	}
	var mu sync.Mutex
	errs := waves(sched.WithPhase(ctx, sched.PhaseTune), e, members, parallelism, func(ctx context.Context, k int, e engine.Engine) error {
		f, i := k/n, k%n
		pm := grid[i]
		if f == len(folds) {
			est, err := ml.WithParams(est, pm)
			if err == nil {
				eager[i].model, err = est.Fit(sched.WithPhase(ctx, sched.PhaseFit), e, whole)
			}
			eager[i].err = err
			return nil // reported if the map is chosen
		}
		mu.Lock()
		progress(f, i)
		mu.Unlock()
		est, err := ml.WithParams(est, pm)
		if err == nil {
			var m ml.Model
			if m, err = est.Fit(ctx, e, folds[f].train); err == nil {
				if h, ok := ml.Data(m)["objectiveHistory"].([]float64); ok {
					hist[f][i] = h
				}
				var pred engine.Dataset
				var bound evaluation.Evaluator
				if bound, err = evaluation.Bind(ev, m); err == nil {
					if pred, err = ml.Transform(ctx, e, folds[f].valid, m); err == nil {
						out[f][i], err = bound.Evaluate(ctx, e, pred)
					}
				}
			}
		}
		if err != nil {
			if len(folds) > 1 {
				return fmt.Errorf("fold %d, param map %v: %w", f+1, pm, err)
			}
			return fmt.Errorf("param map %v: %w", pm, err)
		}
		return nil
	})
	for k, err := range errs {
		if err == nil {
			continue
		}
		if !errors.Is(err, optim.ErrNotFinite) {
			return nil, nil, nil, nil, err
		}
		f, i := k/n, k%n
		out[f][i] = math.NaN()
		failed = append(failed, Failure{Fold: f, ParamMap: i, Err: err.Error()})
	}
	return out, hist, failed, eager, nil
}

// byMap turns fitAndScore's histories, [fold][map], into Result's,
// [map][fold]; nil when no fit reported one.
func byMap(hist [][][]float64) [][][]float64 {
	var out [][][]float64
	for f, maps := range hist {
		for i, h := range maps {
			if h == nil {
				continue
			}
			if out == nil {
				out = make([][][]float64, len(maps))
			}
			if out[i] == nil {
				out[i] = make([][]float64, len(hist))
			}
			out[i][f] = h
		}
	}
	return out
}

// waves runs fn for [0, n) in lockstep, at most width at once (0: all):
// members [0, width) together, then the next width, and so on.
func waves(ctx context.Context, e engine.Engine, n, width int, fn func(ctx context.Context, k int, e engine.Engine) error) []error {
	if width <= 0 || width > n {
		width = n
	}
	errs := make([]error, 0, n)
	for lo := 0; lo < n; lo += width {
		hi := min(lo+width, n)
		errs = append(errs, sched.Lockstep(ctx, e, hi-lo, func(ctx context.Context, k int, e engine.Engine) error {
			return fn(ctx, lo+k, e)
		})...)
	}
	return errs
}

// eagerFit is a map's model fitted on the whole dataset during tuning.
type eagerFit struct {
	model ml.Model
	err   error
}

// refit averages the metrics, picks the best map and fits it on ds (or
// takes its eager fit).
func refit(ctx context.Context, e engine.Engine, name string, est ml.Estimator, ds engine.Dataset, res Result, eager []eagerFit, progress func()) (*TunedModel, error) {
	res.AvgMetrics = make([]float64, len(res.Metrics))
	for i, ms := range res.Metrics {
		var s float64
		for _, m := range ms {
			s += m
		}
		res.AvgMetrics[i] = s / float64(len(ms))
	}
	// The best map among those with a metric (a failed fit makes its
	// map's mean NaN); ties go to the first.
	best := -1
	for i, m := range res.AvgMetrics {
		if math.IsNaN(m) {
			continue
		}
		if best < 0 || (res.IsLargerBetter && m > res.AvgMetrics[best]) || (!res.IsLargerBetter && m < res.AvgMetrics[best]) {
			best = i
		}
	}
	if best < 0 {
		if len(res.Failed) > 0 {
			return nil, fmt.Errorf("%s: every param map failed or has no metric; the first failure: %s", name, res.Failed[0].Err)
		}
		best = 0 // every metric NaN (an evaluator with no defined value): keep the first map
	}
	res.BestIndex = best
	progress()
	if eager != nil {
		if err := eager[best].err; err != nil {
			return nil, fmt.Errorf("%s: refit with %v: %w", name, res.ParamMaps[best], err)
		}
		return &TunedModel{BestModel: eager[best].model, Result: res}, nil
	}
	est, err := ml.WithParams(est, res.ParamMaps[best])
	if err != nil {
		return nil, err
	}
	m, err := est.Fit(sched.WithPhase(ctx, sched.PhaseFit), e, ds)
	if err != nil {
		return nil, fmt.Errorf("%s: refit with %v: %w", name, res.ParamMaps[best], err)
	}
	return &TunedModel{BestModel: m, Result: res}, nil
}
