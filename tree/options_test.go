package tree_test

import (
	"context"
	"math"
	"testing"

	"github.com/spindle-ml/spindle/classification"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/regression"
	"github.com/spindle-ml/spindle/table"
	"github.com/spindle-ml/spindle/tree"
)

// withColumn returns tb (one partition) with column c appended as name.
func withColumn(t *testing.T, tb *table.Table, name string, typ table.Type, c table.Column) *table.Table {
	t.Helper()
	b := tb.Partitions()[0]
	s, err := table.NewSchema(append(append([]table.Field(nil), b.Schema().Fields...), table.Field{Name: name, Type: typ})...)
	if err != nil {
		t.Fatal(err)
	}
	nb, err := b.Derive(s, append(append([]table.Column(nil), b.Columns()...), c))
	if err != nil {
		t.Fatal(err)
	}
	out, err := table.New(s, nb)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestWeights: a row of weight 2 weighs as two copies of it: the same
// splits, leaf values and node weights as the tree of the duplicated rows
// (Spark's weightCol).
func TestWeights(t *testing.T) {
	ctx := context.Background()
	e := &local.Engine{}
	var x, dx [][]float64
	var y, dy, w []float64
	for i := range 300 {
		r := []float64{math.Sin(float64(i)), math.Cos(float64(2 * i))}
		l := float64(i % 3 % 2)
		if r[0] > 0.4 {
			l = 1 - l
		}
		k := 1 + i%2
		x, y, w = append(x, r), append(y, l), append(w, float64(k))
		for range k {
			dx, dy = append(dx, r), append(dy, l)
		}
	}
	weighted := withColumn(t, tabletest.LabeledVectors(t, vecs(x), y), "w", table.Float64, table.NewFloat64Column(w, nil))
	copies := tabletest.LabeledVectors(t, vecs(dx), dy)
	fitTree := func(tb *table.Table, weightCol string) *tree.Tree {
		ds := tabletest.Dataset(t, e, tb)
		m, err := (&regression.DecisionTreeRegressor{Params: tree.Params{WeightCol: weightCol, MaxBins: 256}}).Fit(ctx, e, ds)
		if err != nil {
			t.Fatal(err)
		}
		return &m.(*regression.DecisionTreeRegressionModel).Trees[0]
	}
	a, b := fitTree(weighted, "w"), fitTree(copies, "")
	if len(a.Nodes) != len(b.Nodes) {
		t.Fatalf("%d nodes with weights, %d with copies", len(a.Nodes), len(b.Nodes))
	}
	for i := range a.Nodes {
		p, q := &a.Nodes[i], &b.Nodes[i]
		if p.Feature != q.Feature || p.Threshold != q.Threshold || math.Abs(p.Value-q.Value) > 1e-12 || p.Weight != q.Weight {
			t.Fatalf("node %d: %+v with weights, %+v with copies", i, *p, *q)
		}
	}
}

func vecs(x [][]float64) []linalg.Vector {
	out := make([]linalg.Vector, len(x))
	for i, r := range x {
		out[i] = linalg.Dense(r)
	}
	return out
}

// TestValidationStops: with validationIndicatorCol, the validation rows
// are left out of training and boosting keeps the rounds Spark's rule
// keeps: recomputed here from the validation loss of every prefix of a
// full fit.
func TestValidationStops(t *testing.T) {
	ctx := context.Background()
	e := &local.Engine{}
	n := 1000
	x, y := make([][]float64, n), make([]float64, n)
	val := make([]bool, n)
	for i := range x {
		a, b := math.Sin(float64(i)*1.3), math.Cos(float64(i)*0.7)
		x[i] = []float64{a, b, math.Sin(float64(i * i))}
		if a+b+0.8*math.Sin(float64(7*i)) > 0 { // noisy: boosting overfits
			y[i] = 1
		}
		val[i] = i%4 == 0
	}
	tb := withColumn(t, tabletest.LabeledVectors(t, vecs(x), y), "isVal", table.Bool, table.NewBoolColumn(val, nil))
	ds := tabletest.Dataset(t, e, tb)
	iters, depth, tol := 60, 3, 0.001
	step := 0.1
	g := &classification.GBTClassifier{Params: tree.Params{MaxDepth: &depth}, BoostParams: tree.BoostParams{MaxIter: &iters, StepSize: &step, ValidationIndicatorCol: "isVal", ValidationTol: &tol}}
	m, st, err := g.FitStats(ctx, e, ds)
	if err != nil {
		t.Fatal(err)
	}
	// The same boosting without stopping, on the training rows alone:
	// Spark's rule over its prefixes.
	full := &classification.GBTClassifier{Params: tree.Params{MaxDepth: &depth}, BoostParams: tree.BoostParams{MaxIter: &iters, StepSize: &step}}
	var tx [][]float64
	var ty []float64
	for i := range x {
		if !val[i] {
			tx, ty = append(tx, x[i]), append(ty, y[i])
		}
	}
	fm, err := full.Fit(ctx, e, tabletest.Dataset(t, e, tabletest.LabeledVectors(t, vecs(tx), ty)))
	if err != nil {
		t.Fatal(err)
	}
	ens := &fm.(*classification.GBTClassificationModel).Ensemble
	errAt := func(rounds int) float64 {
		var s float64
		var cnt int
		for i := range x {
			if !val[i] {
				continue
			}
			f := ens.Base[0]
			for k := range rounds {
				f += ens.TreeWeights[k] * ens.Trees[k].Leaf(linalg.Dense(x[i])).Value
			}
			// Spark's LogLoss.computeError, written out here rather than
			// read from the package (tree.PointLoss is what is tested):
			// 2·log(1 + exp(−2·y'·F)) with y' = 2y − 1.
			s += 2 * math.Log1p(math.Exp(-2*(2*y[i]-1)*f))
			cnt++
		}
		return s / float64(cnt)
	}
	best, bestM := errAt(1), 1
	for m := 2; m <= iters; m++ {
		cur := errAt(m)
		if best-cur < tol*math.Max(cur, 0.01) {
			break
		}
		if cur < best {
			best, bestM = cur, m
		}
	}
	got := m.NumTrees()
	t.Logf("kept %d of %d rounds (Spark's rule on the full fit: %d), %d passes", got, iters, bestM, st.Passes)
	if got != bestM || got == iters {
		t.Fatalf("kept %d rounds, Spark's rule keeps %d of %d", got, bestM, iters)
	}
	for k := range got {
		if math.Abs(ens.TreeWeights[k]-m.TreeWeights[k]) > 0 || len(ens.Trees[k].Nodes) != len(m.Trees[k].Nodes) {
			t.Fatalf("round %d differs from the fit without the validation rows", k)
		}
	}
}
