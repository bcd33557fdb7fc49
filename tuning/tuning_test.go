package tuning_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/classification"
	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/evaluation"
	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/optim"
	"github.com/spindle-ml/spindle/table"
	"github.com/spindle-ml/spindle/tuning"
)

// noisy makes a two-class problem with label noise, so regularization and
// iterations matter, in parts partitions.
func noisy(t *testing.T, n, per int) *table.Table {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	vecs := make([]linalg.Vector, n)
	y := make([]float64, n)
	fold := make([]int64, n)
	for i := range vecs {
		x := []float64{r.NormFloat64(), r.NormFloat64(), r.NormFloat64()}
		z := 2*x[0] - x[1] + 0.5*r.NormFloat64()
		if z > 0 {
			y[i] = 1
		}
		vecs[i] = linalg.Dense(x)
		fold[i] = int64(i % 4)
	}
	schema, _ := table.NewSchema(table.Field{Name: "features", Type: table.Vector}, table.Field{Name: "label", Type: table.Float64}, table.Field{Name: "fold", Type: table.Int64})
	b, err := table.NewBatch(schema, []table.Column{table.NewVectorColumn(vecs, nil), table.NewFloat64Column(y, nil), table.NewInt64Column(fold, nil)})
	if err != nil {
		t.Fatal(err)
	}
	tb, _ := table.New(schema, b)
	tb, err = tb.Repartition(per)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

func TestParamGrid(t *testing.T) {
	g := (&tuning.ParamGridBuilder{}).AddGrid("maxIter", 10, 20).AddGrid("regParam", 0.1, 0.01, 0.0).Build()
	if len(g) != 6 {
		t.Fatalf("%d maps, want 6", len(g))
	}
	if g[0]["maxIter"] != 10 || g[0]["regParam"] != 0.1 || g[5]["maxIter"] != 20 || g[5]["regParam"] != 0.0 {
		t.Fatalf("order: %v", g)
	}
	if g := (&tuning.ParamGridBuilder{}).Build(); len(g) != 1 || len(g[0]) != 0 {
		t.Fatalf("empty grid: %v", g)
	}
}

// TestFoldSplit checks the validation folds partition the rows, the train
// side is the complement, and the folds do not depend on partitioning.
func TestFoldSplit(t *testing.T) {
	ctx := context.Background()
	e := &local.Engine{}
	var ref [][]float64
	for _, per := range []int{1000, 37} {
		ds := tabletest.Dataset(t, e, noisy(t, 1000, per))
		var folds [][]float64
		seen := map[float64]int{}
		for f := 0; f < 3; f++ {
			for _, train := range []bool{false, true} {
				d, err := e.MapPartitions(ds, &tuning.FoldSplit{NumFolds: 3, Fold: f, Seed: 5, Train: train})
				if err != nil {
					t.Fatal(err)
				}
				tb, err := e.Collect(ctx, d)
				if err != nil {
					t.Fatal(err)
				}
				var firsts []float64
				for _, r := range tb.Rows() {
					firsts = append(firsts, r[0].(linalg.Vector).At(0))
				}
				if !train {
					folds = append(folds, firsts)
					for _, x := range firsts {
						seen[x]++
					}
				} else if len(firsts)+len(folds[f]) != 1000 {
					t.Fatalf("fold %d: %d train + %d validation rows", f, len(firsts), len(folds[f]))
				}
			}
		}
		if len(seen) != 1000 {
			t.Fatalf("validation folds cover %d of 1000 rows", len(seen))
		}
		for x, c := range seen {
			if c != 1 {
				t.Fatalf("row %v in %d folds", x, c)
			}
		}
		for _, f := range folds {
			if len(f) < 250 || len(f) > 420 {
				t.Fatalf("fold sizes %d, %d, %d are not near a third", len(folds[0]), len(folds[1]), len(folds[2]))
			}
		}
		if ref == nil {
			ref = folds
		} else if !reflect.DeepEqual(ref, folds) {
			t.Fatal("folds change with partitioning")
		}
	}
}

func TestCrossValidator(t *testing.T) {
	ctx := context.Background()
	e := &local.Engine{}
	tb := noisy(t, 2000, 300)
	ds := tabletest.Dataset(t, e, tb)
	lr := &classification.LogisticRegression{}
	grid := (&tuning.ParamGridBuilder{}).AddGrid("regParam", 5.0, 0.001).AddGrid("maxIter", 1, 50).Build()
	// logLoss (smaller is better) separates the maps; AUC would not, as
	// regularization barely changes the ranking here.
	ev := &evaluation.MulticlassClassificationEvaluator{MetricName: "logLoss"}
	for _, c := range []struct {
		name  string
		folds int
		col   string
		eager bool
	}{{"random folds", 3, "", false}, {"foldCol", 4, "fold", false}, {"eager refit", 3, "", true}} {
		t.Run(c.name, func(t *testing.T) {
			var calls int
			cv := &tuning.CrossValidator{Estimator: lr, EstimatorParamMaps: grid, Evaluator: ev, NumFolds: c.folds, Seed: 11, Parallelism: 2, FoldCol: c.col,
				EagerRefit: c.eager, Progress: func(fold, folds, i, n int) { calls++ }}
			m, err := cv.FitTuned(ctx, e, ds)
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Metrics) != 4 || len(m.Metrics[0]) != c.folds || calls != 4*c.folds+1 {
				t.Fatalf("metrics %v, %d progress calls", m.Metrics, calls)
			}
			if best := m.Best(); best["regParam"] != 0.001 || best["maxIter"] != 50 {
				t.Fatalf("best %v, metrics %v", best, m.AvgMetrics)
			}
			// Every fold metric is exactly what fitting that map alone on
			// that fold gives: the maps were fitted in lockstep, sharing
			// passes.
			for f := 0; f < c.folds; f++ {
				train, _ := e.MapPartitions(ds, &tuning.FoldSplit{NumFolds: c.folds, Fold: f, Seed: 11, Train: true, FoldCol: c.col})
				valid, _ := e.MapPartitions(ds, &tuning.FoldSplit{NumFolds: c.folds, Fold: f, Seed: 11, FoldCol: c.col})
				for i, pm := range grid {
					est, _ := ml.WithParams(lr, pm)
					fm, err := est.Fit(ctx, e, train)
					if err != nil {
						t.Fatal(err)
					}
					pred, _ := ml.Transform(ctx, e, valid, fm)
					loss, err := ev.Evaluate(ctx, e, pred)
					if err != nil {
						t.Fatal(err)
					}
					if loss != m.Metrics[i][f] {
						t.Fatalf("fold %d, map %v: %v, fitting alone gives %v", f, pm, m.Metrics[i][f], loss)
					}
					// And its objective history is that fit's.
					if h := fm.(*classification.LogisticRegressionModel).ObjectiveHistory; len(h) == 0 || !slices.Equal(m.Histories[i][f], h) {
						t.Fatalf("fold %d, map %v: objective history %v, fitting alone gives %v", f, pm, m.Histories[i][f], h)
					}
				}
			}
			// The best model is the best map refit on all rows (eagerly or
			// after: the same model).
			best, _ := ml.WithParams(lr, m.Best())
			want, err := best.Fit(ctx, e, ds)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(want.(*classification.LogisticRegressionModel).Coefficients, m.BestModel.(*classification.LogisticRegressionModel).Coefficients) {
				t.Fatal("best model is not the refit of the best map")
			}
		})
	}
}

func TestTrainValidationSplit(t *testing.T) {
	ctx := context.Background()
	e := &local.Engine{}
	ds := tabletest.Dataset(t, e, noisy(t, 2000, 500))
	tv := &tuning.TrainValidationSplit{
		Estimator:          &classification.LogisticRegression{},
		EstimatorParamMaps: (&tuning.ParamGridBuilder{}).AddGrid("regParam", 10.0, 0.0).Build(),
		Evaluator:          &evaluation.MulticlassClassificationEvaluator{MetricName: "accuracy"},
		Seed:               3,
	}
	m, err := tv.FitTuned(ctx, e, ds)
	if err != nil {
		t.Fatal(err)
	}
	if m.BestIndex != 1 || len(m.Metrics[0]) != 1 || !(m.AvgMetrics[1] > 0.85) {
		t.Fatalf("best %d, metrics %v", m.BestIndex, m.Metrics)
	}
	n, _ := engine.Aggregate(ctx, e, ds, engine.Count{})
	if n != 2000 {
		t.Fatal(n)
	}
}

func TestTuningErrors(t *testing.T) {
	ctx := context.Background()
	e := &local.Engine{}
	ds := tabletest.Dataset(t, e, noisy(t, 200, 50))
	lr := &classification.LogisticRegression{}
	ev := &evaluation.BinaryClassificationEvaluator{}
	cases := []struct {
		name string
		est  ml.Estimator
		want string
	}{
		{"unknown param", &tuning.CrossValidator{Estimator: lr, Evaluator: ev, EstimatorParamMaps: []ml.ParamMap{{"maxIterations": 3}}}, `unknown parameter "maxIterations"`},
		{"wrong type", &tuning.CrossValidator{Estimator: lr, Evaluator: ev, EstimatorParamMaps: []ml.ParamMap{{"maxIter": "ten"}}}, "parameter maxIter: want an integer"},
		{"one fold", &tuning.CrossValidator{Estimator: lr, Evaluator: ev, NumFolds: 1}, "numFolds 1"},
		{"bad ratio", &tuning.TrainValidationSplit{Estimator: lr, Evaluator: ev, TrainRatio: 1.5}, "trainRatio 1.5"},
		{"no evaluator", &tuning.TrainValidationSplit{Estimator: lr}, "must be set"},
		{"foldCol out of range", &tuning.CrossValidator{Estimator: lr, Evaluator: ev, NumFolds: 2, FoldCol: "fold"}, `foldCol "fold" is 2`},
		{"foldCol missing", &tuning.CrossValidator{Estimator: lr, Evaluator: ev, FoldCol: "nope"}, `"nope" does not exist`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.est.Fit(ctx, e, ds)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
}

// TestStratifiedFolds: each fold holds each class's share to within one
// row, the folds partition the rows, and partitioning does not matter.
func TestStratifiedFolds(t *testing.T) {
	ctx := context.Background()
	e := &local.Engine{}
	var ref []int
	for _, per := range []int{1000, 37, 101} {
		tb := noisy(t, 1000, per)
		ds := tabletest.Dataset(t, e, tb)
		ds, _ = e.Persist(ctx, ds)
		counts, err := engine.Aggregate(ctx, e, ds, tuning.ClassCounterForTest("label"))
		if err != nil {
			t.Fatal(err)
		}
		offsets := tuning.StratifiedOffsetsForTest(counts)
		total := map[float64]int{}
		for _, r := range tb.Rows() {
			total[r[1].(float64)]++
		}
		seen := 0
		for f := 0; f < 3; f++ {
			d, err := e.MapPartitions(ds, &tuning.StratifiedFold{NumFolds: 3, Fold: f, Seed: 9, LabelCol: "label", Offsets: offsets})
			if err != nil {
				t.Fatal(err)
			}
			out, err := e.Collect(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			byClass := map[float64]int{}
			for _, r := range out.Rows() {
				byClass[r[1].(float64)]++
			}
			for c, n := range byClass {
				if want := float64(total[c]) / 3; math.Abs(float64(n)-want) > 1 {
					t.Fatalf("fold %d class %v: %d rows, want %.1f±1", f, c, n, want)
				}
			}
			seen += int(out.Count())
		}
		if seen != 1000 {
			t.Fatalf("folds hold %d rows", seen)
		}
		var sig []int
		for f := 0; f < 3; f++ {
			d, _ := e.MapPartitions(ds, &tuning.StratifiedFold{NumFolds: 3, Fold: f, Seed: 9, LabelCol: "label", Offsets: offsets})
			out, _ := e.Collect(ctx, d)
			for _, r := range out.Rows() {
				sig = append(sig, int(r[0].(linalg.Vector).At(0)*1e6))
			}
		}
		if ref == nil {
			ref = sig
		} else if !reflect.DeepEqual(ref, sig) {
			t.Fatalf("partitioning %d changes the folds", per)
		}
	}
	// A stratified cross-validation runs end to end.
	ds := tabletest.Dataset(t, e, noisy(t, 600, 77))
	cv := &tuning.CrossValidator{Estimator: &classification.LogisticRegression{}, Evaluator: &evaluation.MulticlassClassificationEvaluator{}, NumFolds: 3, Stratify: true}
	if _, err := cv.FitTuned(ctx, e, ds); err != nil {
		t.Fatal(err)
	}
}

// diverging is a logistic regression whose fit fails numerically (as
// optim.ErrNotFinite) for a regParam above 1.
type diverging struct {
	RegParam float64 `param:""`
}

func (d *diverging) Fit(ctx context.Context, e engine.Engine, ds engine.Dataset) (ml.Model, error) {
	if d.RegParam > 1 {
		return nil, fmt.Errorf("diverging: %w", optim.ErrNotFinite)
	}
	return (&classification.LogisticRegression{RegParam: d.RegParam}).Fit(ctx, e, ds)
}

// TestTuningFailedFit: a fit that fails numerically fails its grid point
// only: its metrics are NaN, it is listed, the others keep the metrics
// they get without it and the best is chosen among them; when every map
// fails, the run fails and says why.
func TestTuningFailedFit(t *testing.T) {
	ctx := context.Background()
	e := &local.Engine{}
	ds := tabletest.Dataset(t, e, noisy(t, 600, 100))
	ev := &evaluation.MulticlassClassificationEvaluator{MetricName: "logLoss"}
	cv := func(regs ...any) (*tuning.TunedModel, error) {
		grid := (&tuning.ParamGridBuilder{}).AddGrid("regParam", regs...).Build()
		return (&tuning.CrossValidator{Estimator: &diverging{}, EstimatorParamMaps: grid, Evaluator: ev, NumFolds: 3, Seed: 5}).FitTuned(ctx, e, ds)
	}
	got, err := cv(0.5, 2.0, 0.01)
	if err != nil {
		t.Fatal(err)
	}
	want, err := cv(0.5, 0.01)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Failed) != 3 {
		t.Fatalf("failed: %+v, want map 1 on each of 3 folds", got.Failed)
	}
	for k, f := range got.Failed {
		if f.Fold != k || f.ParamMap != 1 || !strings.Contains(f.Err, "not finite") || !strings.Contains(f.Err, "regParam") {
			t.Errorf("failure %d: %+v", k, f)
		}
	}
	if !math.IsNaN(got.AvgMetrics[1]) || !reflect.DeepEqual(got.Metrics[0], want.Metrics[0]) || !reflect.DeepEqual(got.Metrics[2], want.Metrics[1]) {
		t.Errorf("metrics %v, want NaN for map 1 and %v for the others", got.Metrics, want.Metrics)
	}
	if wantBest := map[int]int{0: 0, 1: 2}[want.BestIndex]; got.BestIndex != wantBest {
		t.Errorf("best map %d, want %d", got.BestIndex, wantBest)
	}
	if _, err := cv(2.0, 3.0); err == nil || !strings.Contains(err.Error(), "every param map failed") {
		t.Errorf("all maps failing: %v", err)
	}
}

// TestFoldColAndStratifyAreHonoured: a CrossValidator's folds are what
// its settings say, checked against folds built without its own fold
// mappers: with foldCol, each fold's validation rows are the rows whose
// column holds that fold (selected here with table.Filter on the
// column's values); with stratify, every fold keeps the class balance,
// so its metrics are those of folds dealt within each class, and not
// those of random folds.
func TestFoldColAndStratifyAreHonoured(t *testing.T) {
	ctx := context.Background()
	e := &local.Engine{}
	tb := noisy(t, 1200, 150)
	// A fold column unlike the row order, so random folds cannot match.
	tb, err := tb.WithColumn("block", table.Int64, func(b *table.Batch) (table.Column, error) {
		x, _ := table.ColumnAs[*table.VectorColumn](b, "features")
		out := make([]int64, b.NumRows())
		for i, v := range x.Values {
			if v.At(2) > 0 {
				out[i] = 1
			}
			if v.At(1) > 0.5 {
				out[i] += 2
			}
		}
		return table.NewInt64Column(out, nil), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ds := tabletest.Dataset(t, e, tb)
	lr := &classification.LogisticRegression{MaxIter: ml.Int(20)}
	grid := (&tuning.ParamGridBuilder{}).AddGrid("regParam", 0.5, 0.01).Build()
	ev := &evaluation.MulticlassClassificationEvaluator{MetricName: "logLoss"}
	fitOn := func(train, valid *table.Table, pm ml.ParamMap) float64 {
		t.Helper()
		est, _ := ml.WithParams(lr, pm)
		m, err := est.Fit(ctx, e, tabletest.Dataset(t, e, train))
		if err != nil {
			t.Fatal(err)
		}
		pred, _ := ml.Transform(ctx, e, tabletest.Dataset(t, e, valid), m)
		v, err := ev.Evaluate(ctx, e, pred)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	cv := &tuning.CrossValidator{Estimator: lr, EstimatorParamMaps: grid, Evaluator: ev, NumFolds: 4, Seed: 3, FoldCol: "block"}
	m, err := cv.FitTuned(ctx, e, ds)
	if err != nil {
		t.Fatal(err)
	}
	for f := range 4 {
		keep := func(in bool) func(b *table.Batch) ([]int, error) {
			return func(b *table.Batch) ([]int, error) {
				c, _ := table.ColumnAs[*table.Int64Column](b, "block")
				var rows []int
				for i, v := range c.Values {
					if (v == int64(f)) == in {
						rows = append(rows, i)
					}
				}
				return rows, nil
			}
		}
		valid, _ := tb.Filter(keep(true))
		train, _ := tb.Filter(keep(false))
		if valid.Count() == 0 || train.Count() == 0 {
			t.Fatalf("fold %d: %d validation and %d training rows", f, valid.Count(), train.Count())
		}
		for i, pm := range grid {
			if want := fitOn(train, valid, pm); m.Metrics[i][f] != want {
				t.Fatalf("foldCol: fold %d, map %v: %v, the rows whose block is %d give %v", f, pm, m.Metrics[i][f], f, want)
			}
		}
	}

	// Stratified folds: every fold's class counts are within one of a
	// third of the class's, and the metrics are those folds'.
	strat := &tuning.CrossValidator{Estimator: lr, EstimatorParamMaps: grid, Evaluator: ev, NumFolds: 3, Seed: 5, Stratify: true}
	sm, err := strat.FitTuned(ctx, e, ds)
	if err != nil {
		t.Fatal(err)
	}
	random := &tuning.CrossValidator{Estimator: lr, EstimatorParamMaps: grid, Evaluator: ev, NumFolds: 3, Seed: 5}
	rm, err := random.FitTuned(ctx, e, ds)
	if err != nil {
		t.Fatal(err)
	}
	if reflect.DeepEqual(sm.Metrics, rm.Metrics) {
		t.Fatal("stratified and random folds give the same metrics: stratify is ignored")
	}
	counts, err := engine.Aggregate(ctx, e, ds, tuning.ClassCounterForTest("label"))
	if err != nil {
		t.Fatal(err)
	}
	offsets := tuning.StratifiedOffsetsForTest(counts)
	total := map[float64]int{}
	for _, r := range tb.Rows() {
		total[r[1].(float64)]++
	}
	for f := range 3 {
		part := func(train bool) *table.Table {
			d, _ := e.MapPartitions(ds, &tuning.StratifiedFold{NumFolds: 3, Fold: f, Seed: 5, Train: train, LabelCol: "label", Offsets: offsets})
			out, err := e.Collect(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		valid, train := part(false), part(true)
		byClass := map[float64]int{}
		for _, r := range valid.Rows() {
			byClass[r[1].(float64)]++
		}
		for c, n := range total {
			if want := float64(n) / 3; math.Abs(float64(byClass[c])-want) > 1 {
				t.Fatalf("stratified fold %d, class %v: %d rows, want %.1f±1", f, c, byClass[c], want)
			}
		}
		for i, pm := range grid {
			if want := fitOn(train, valid, pm); sm.Metrics[i][f] != want {
				t.Fatalf("stratify: fold %d, map %v: %v, the stratified fold gives %v", f, pm, sm.Metrics[i][f], want)
			}
		}
	}
}
