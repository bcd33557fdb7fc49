package classification

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/internal/approx"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/internal/linmodel"
	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

type goldenLR struct {
	Datasets map[string]struct {
		X [][]float64 `json:"X"`
		Y []float64   `json:"y"`
	} `json:"datasets"`
	Cases []struct {
		Dataset         string      `json:"dataset"`
		RegParam        float64     `json:"regParam"`
		ElasticNetParam float64     `json:"elasticNetParam"`
		Standardization bool        `json:"standardization"`
		Coef            [][]float64 `json:"coef"`
		Intercept       []float64   `json:"intercept"`
		TrainAccuracy   float64     `json:"train_accuracy"`
		TrainLogLoss    float64     `json:"train_logloss"`
	} `json:"cases"`
}

// loadGoldenLR reads testdata/golden/logistic.json.
func loadGoldenLR(t *testing.T) goldenLR {
	t.Helper()
	data, err := os.ReadFile("testdata/golden/logistic.json")
	if err != nil {
		t.Fatal(err)
	}
	var g goldenLR
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

func dataset(t testing.TB, x [][]float64, y []float64, per int) *table.Table {
	return tabletest.Labeled(t, x, y, per, false)
}

// TestLogisticRegressionGolden compares with scikit-learn on three real
// datasets: binomial and multinomial, L2, elastic net and L1, with and
// without standardization (see testdata/golden/logistic.py for the
// parameter mapping).
func TestLogisticRegressionGolden(t *testing.T) {
	g := loadGoldenLR(t)
	ctx := context.Background()
	approx.Cases(t, "logistic golden file", len(g.Cases))
	for _, c := range g.Cases {
		t.Run(fmt.Sprintf("%s/reg=%v/en=%v/std=%v", c.Dataset, c.RegParam, c.ElasticNetParam, c.Standardization), func(t *testing.T) {
			d := g.Datasets[c.Dataset]
			tb := dataset(t, d.X, d.Y, 50)
			e := &local.Engine{}
			ds := tabletest.Dataset(t, e, tb)
			lr := &LogisticRegression{RegParam: c.RegParam, ElasticNetParam: c.ElasticNetParam, Standardization: ml.Bool(c.Standardization), MaxIter: ml.Int(20000), Tol: ml.Float(1e-15)}
			m, err := lr.Fit(ctx, e, ds)
			if err != nil {
				t.Fatal(err)
			}
			model := m.(*LogisticRegressionModel)
			name := c.Dataset
			var got, want []float64
			for k, row := range c.Coef {
				for j, w := range row {
					g := model.Coefficients[k*model.NumFeatures+j]
					got, want = append(got, g), append(want, w)
					if w == 0 && c.ElasticNetParam > 0 && !(math.Abs(g) <= 1e-6) {
						t.Errorf("%s %+v: coefficient %d,%d = %v, scikit-learn has exactly 0", name, c.RegParam, k, j, g)
					}
				}
				got, want = append(got, model.Intercepts[k]), append(want, c.Intercept[k])
			}
			if rel := approx.ScaledRel(got, want); rel > 1e-4 {
				t.Errorf("%s reg=%v α=%v std=%v: max coefficient difference %.3g relative (%d iterations)", name, c.RegParam, c.ElasticNetParam, c.Standardization, rel, model.TotalIterations)
			} else {
				t.Logf("%s reg=%v α=%v std=%v: coefficients within %.2g relative (%d iterations)", name, c.RegParam, c.ElasticNetParam, c.Standardization, rel, model.TotalIterations)
			}
			// Training metrics from the model's predictions.
			var ll float64
			correct := 0
			for i, r := range d.X {
				_, p, pred := model.Predict(linalg.Dense(r))
				ll -= math.Log(p[int(d.Y[i])])
				if pred == d.Y[i] {
					correct++
				}
			}
			ll /= float64(len(d.X))
			acc := float64(correct) / float64(len(d.X))
			if !approx.Close(ll, c.TrainLogLoss, 1e-5) || acc != c.TrainAccuracy {
				t.Errorf("%s: train logloss %.9f accuracy %.6f; scikit-learn %.9f %.6f", name, ll, acc, c.TrainLogLoss, c.TrainAccuracy)
			}
		})
	}
}

func TestLogisticRegressionTransformAndErrors(t *testing.T) {
	ctx := context.Background()
	x := [][]float64{{0, 1}, {1, 0}, {2, 1}, {3, 0}, {0.5, 0.5}, {2.5, 1}}
	y := []float64{0, 0, 1, 1, 0, 1}
	tb := dataset(t, x, y, 4)
	e := &local.Engine{}
	ds := tabletest.Dataset(t, e, tb)
	m, err := (&LogisticRegression{RegParam: 0.1}).Fit(ctx, e, ds)
	if err != nil {
		t.Fatal(err)
	}
	out, err := ml.Transform(ctx, e, ds, m)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Collect(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Schema().String(); got != "features:vector, label:float64, rawPrediction:vector, probability:vector, prediction:float64" {
		t.Fatalf("schema %s", got)
	}
	for i, r := range res.Rows() {
		prob := r[3].(linalg.Vector).Values
		if math.Abs(prob[0]+prob[1]-1) > 1e-12 || r[4].(float64) != y[i] {
			t.Errorf("row %d: probability %v prediction %v, label %v", i, prob, r[4], y[i])
		}
	}
	if h := m.(*LogisticRegressionModel).ObjectiveHistory; len(h) < 2 || h[len(h)-1] >= h[0] {
		t.Errorf("objective history %v", h)
	}
	bad := []struct {
		name string
		x    [][]float64
		y    []float64
		lr   *LogisticRegression
		want string
	}{
		{"one class", x, []float64{1, 1, 1, 1, 1, 1}, &LogisticRegression{}, "has a single class"},
		{"non-integer label", x, []float64{0, 0.5, 1, 1, 0, 1}, &LogisticRegression{}, "label 0.5 in column \"label\" is not a class index"},
		{"negative label", x, []float64{0, -1, 1, 1, 0, 1}, &LogisticRegression{}, "is not a class index"},
		{"bad elastic net", x, y, &LogisticRegression{ElasticNetParam: 2}, "parameter elasticNetParam: must be in [0, 1], got 2"},
		{"binomial with 3 classes", x, []float64{0, 1, 2, 1, 0, 2}, &LogisticRegression{Family: "binomial"}, "needs labels 0 and 1"},
		{"missing column", x, y, &LogisticRegression{FeaturesCol: "feats"}, `input column "feats" does not exist`},
	}
	for _, b := range bad {
		ds := tabletest.Dataset(t, e, dataset(t, b.x, b.y, 10))
		if _, err := b.lr.Fit(ctx, e, ds); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%s: error = %v, want %q", b.name, err, b.want)
		}
	}
}

// TestThresholds: Spark's thresholds pick the largest p_k / t_k.
func TestThresholds(t *testing.T) {
	cases := []struct {
		prob, t []float64
		want    int
	}{
		{[]float64{0.6, 0.4}, []float64{0.5, 0.5}, 0},
		{[]float64{0.6, 0.4}, []float64{0.9, 0.1}, 1},
		{[]float64{0.2, 0.3, 0.5}, []float64{1, 0, 1}, 1},
		{[]float64{0.5, 0, 0.5}, []float64{1, 0, 2}, 0},
	}
	for _, c := range cases {
		if got := byThresholds(c.prob, c.t); got != c.want {
			t.Errorf("%v / %v: %d, want %d", c.prob, c.t, got, c.want)
		}
	}
	ctx := context.Background()
	e := &local.Engine{}
	x := [][]float64{{0, 1}, {1, 0}, {2, 1}, {3, 0}, {0.5, 0.5}, {2.5, 1}}
	ds := tabletest.Dataset(t, e, dataset(t, x, []float64{0, 0, 1, 1, 0, 1}, 3))
	// A threshold of 0 on class 1 predicts class 1 everywhere.
	m, err := (&LogisticRegression{Thresholds: []float64{1, 0}}).Fit(ctx, e, ds)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range x {
		if _, _, p := m.(*LogisticRegressionModel).Predict(linalg.Dense(r)); p != 1 {
			t.Fatalf("prediction %v with thresholds [1 0]", p)
		}
	}
	for _, bad := range [][]float64{{0.5}, {0, 0}, {-1, 1}} {
		if _, err := (&LogisticRegression{Thresholds: bad}).Fit(ctx, e, ds); err == nil {
			t.Errorf("thresholds %v accepted", bad)
		}
	}
}

// TestLogisticRegressionConstantFeatures: a fit over data with constant
// columns (all-zero ones, as absent hashed buckets, and a constant 3)
// solves over the other columns only, and every number equals the fit
// over the data without those columns — coefficients, intercepts,
// objective history, iterations; binomial and multinomial, L2 and L1,
// with and without standardization — for every layout of the rows: dense
// rows, one dense block (read in place), sparse rows (copied into a
// block), and sparse rows too sparse for a block (the row path; the data
// without the constant columns still takes the block path). The block
// path sums the products of a row in another order than the data without
// the columns, so the numbers agree to rounding (1e-9 relative), not bit
// for bit.
func TestLogisticRegressionConstantFeatures(t *testing.T) {
	ctx := context.Background()
	const n = 300
	full, kept, wide := make([][]float64, n), make([][]float64, n), make([][]float64, n)
	y2, y3 := make([]float64, n), make([]float64, n)
	for i := range full {
		a, b, c := math.Sin(float64(i)), math.Cos(float64(i)*0.7), float64(i%7)/7
		full[i] = []float64{0, a, 3, b, 0, c, 0}
		kept[i] = []float64{a, b, c}
		wide[i] = append(append([]float64{}, full[i]...), make([]float64, 40)...)
		if a+0.5*b-c > -0.3 {
			y2[i] = 1
		}
		y3[i] = float64(i % 3)
		if a > 0.6 {
			y3[i] = 0
		}
	}
	close := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }
	for _, layout := range []string{"dense", "block", "sparse", "widesparse"} {
		for _, y := range [][]float64{y2, y3} {
			for _, p := range [][2]float64{{0, 0}, {0.01, 0}, {0.01, 0.5}, {0.02, 1}} {
				for _, std := range []bool{true, false} {
					name := fmt.Sprintf("%s/classes=%d/reg=%v/en=%v/std=%v", layout, int(y[0]+y[1]+y[2]), p[0], p[1], std)
					t.Run(name, func(t *testing.T) {
						fit := func(x [][]float64) *LogisticRegressionModel {
							e := &local.Engine{}
							var tb *table.Table
							switch layout {
							case "block":
								tb = blockTable(t, x, y, 70)
							default:
								tb = tabletest.Labeled(t, x, y, 70, layout != "dense")
							}
							ds := tabletest.Dataset(t, e, tb)
							lr := &LogisticRegression{RegParam: p[0], ElasticNetParam: p[1], Standardization: ml.Bool(std), MaxIter: ml.Int(50)}
							m, err := lr.Fit(ctx, e, ds)
							if err != nil {
								t.Fatal(err)
							}
							return m.(*LogisticRegressionModel)
						}
						src := full
						if layout == "widesparse" {
							src = wide
						}
						a, b := fit(src), fit(kept)
						nf := len(src[0])
						if a.TotalIterations != b.TotalIterations || len(a.ObjectiveHistory) != len(b.ObjectiveHistory) {
							t.Fatalf("iterations %d vs %d, history %v vs %v", a.TotalIterations, b.TotalIterations, a.ObjectiveHistory, b.ObjectiveHistory)
						}
						for i := range a.ObjectiveHistory {
							if !close(a.ObjectiveHistory[i], b.ObjectiveHistory[i]) {
								t.Fatalf("history %v vs %v", a.ObjectiveHistory, b.ObjectiveHistory)
							}
						}
						for c := range a.Intercepts {
							if !close(a.Intercepts[c], b.Intercepts[c]) {
								t.Errorf("intercepts %v vs %v", a.Intercepts, b.Intercepts)
							}
							for j, src := range []int{1, 3, 5} {
								if x, w := a.Coefficients[c*nf+src], b.Coefficients[c*3+j]; !close(x, w) {
									t.Errorf("class %d feature %d: %v, want %v", c, src, x, w)
								}
							}
							for z := range nf {
								if x := a.Coefficients[c*nf+z]; x != 0 && z != 1 && z != 3 && z != 5 {
									t.Errorf("class %d constant feature %d: %v, want 0", c, z, x)
								}
							}
						}
					})
				}
			}
		}
	}
}

// blockTable is tabletest.Labeled with the features stored as one dense
// block (table.NewDenseVectorColumn), cut into partitions of per rows.
func blockTable(t *testing.T, x [][]float64, y []float64, per int) *table.Table {
	t.Helper()
	d := len(x[0])
	flat := make([]float64, 0, len(x)*d)
	for _, r := range x {
		flat = append(flat, r...)
	}
	schema, _ := table.NewSchema(table.Field{Name: "features", Type: table.Vector}, table.Field{Name: "label", Type: table.Float64})
	var batches []*table.Batch
	for lo := 0; lo < len(x); lo += per {
		hi := min(lo+per, len(x))
		col := table.NewDenseVectorColumn(flat[lo*d:hi*d], d)
		if _, _, ok := table.DenseBlock(col); !ok {
			t.Fatal("NewDenseVectorColumn is not a block")
		}
		b, err := table.NewBatch(schema, []table.Column{col, table.NewFloat64Column(y[lo:hi], nil)})
		if err != nil {
			t.Fatal(err)
		}
		batches = append(batches, b)
	}
	tb, err := table.New(schema, batches...)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// TestPreparedCachesBounded: the per-fit caches hold one entry per
// partition index, replaced when the partition's columns change (a fold's
// view is new each pass), and give back what they were given.
func TestPreparedCachesBounded(t *testing.T) {
	var p prepared
	for pass := range 5 {
		tb := blockTable(t, [][]float64{{1, 2}, {3, 4}, {5, 6}}, []float64{0, 1, 0}, 3)
		b := tb.Partitions()[0]
		c, err := linmodel.Read(b, "features", "label", "")
		if err != nil {
			t.Fatal(err)
		}
		info := engine.PartitionInfo{Index: 7}
		x, dim, ok := p.denseBlock(c.Features, info.Index)
		if !ok || dim != 2 || len(x) != 6 {
			t.Fatalf("pass %d: block %v %d %v", pass, x, dim, ok)
		}
		ys, ws, err := p.classLabels(c, info)
		if err != nil || fmt.Sprint(ys) != "[0 1 0]" || ws != nil {
			t.Fatalf("pass %d: labels %v %v %v", pass, ys, ws, err)
		}
		if again, _, _ := p.denseBlock(c.Features, info.Index); &again[0] != &x[0] {
			t.Fatalf("pass %d: the block was not remembered", pass)
		}
		if len(p.blocks) != 1 || len(p.labels) != 1 {
			t.Fatalf("pass %d: %d block and %d label entries, want 1 each", pass, len(p.blocks), len(p.labels))
		}
	}
}

// TestMultinomialSparseRowsDensified: a multinomial fit over sparse rows
// dense enough (a quarter or more non-zero) is copied into blocks each
// pass and runs the block kernels: the same bits as the same rows stored
// dense.
func TestMultinomialSparseRowsDensified(t *testing.T) {
	ctx := context.Background()
	const n = 240
	x, y := make([][]float64, n), make([]float64, n)
	for i := range x {
		a, b := math.Sin(float64(i)), math.Cos(float64(i)*0.3)
		x[i] = []float64{a, 0, b, 0, float64(i%5) / 5, 0}
		y[i] = float64(i % 3)
		if a > 0.5 {
			y[i] = 2
		}
	}
	fit := func(sparse bool) *LogisticRegressionModel {
		e := &local.Engine{}
		ds := tabletest.Dataset(t, e, tabletest.Labeled(t, x, y, 50, sparse))
		m, err := (&LogisticRegression{RegParam: 0.01, MaxIter: ml.Int(30)}).Fit(ctx, e, ds)
		if err != nil {
			t.Fatal(err)
		}
		return m.(*LogisticRegressionModel)
	}
	a, b := fit(true), fit(false)
	if !a.Multinomial || fmt.Sprint(a.Coefficients, a.Intercepts, a.ObjectiveHistory) != fmt.Sprint(b.Coefficients, b.Intercepts, b.ObjectiveHistory) {
		t.Errorf("sparse rows: %v %v, dense rows: %v %v", a.Coefficients, a.Intercepts, b.Coefficients, b.Intercepts)
	}
}
