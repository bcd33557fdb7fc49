package tree_test

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/classification"
	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/feature"
	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/regression"
	"github.com/spindle-ml/spindle/tree"
)

// indexed returns rows whose feature 0 takes the values 10·c for
// categories c < k and feature 1 is noise, with labels label(c), through
// VectorIndexer (features "idx", categorical feature 0).
func indexed(t *testing.T, e engine.Engine, k, n int, label func(c int) float64) engine.Dataset {
	t.Helper()
	r := rand.New(rand.NewPCG(5, 6))
	x := make([][]float64, n)
	y := make([]float64, n)
	for i := range x {
		c := r.IntN(k)
		x[i] = []float64{float64(10 * c), r.NormFloat64()}
		y[i] = label(c)
	}
	ds := tabletest.Dataset(t, e, tabletest.Labeled(t, x, y, 50, false))
	ctx := context.Background()
	m, err := (&feature.VectorIndexer{InputCol: "features", OutputCol: "idx", MaxCategories: k}).Fit(ctx, e, ds)
	if err != nil {
		t.Fatal(err)
	}
	out, err := ml.Transform(ctx, e, ds, m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCategoricalSplits: a categorical feature (VectorIndexer's) is split
// by a set of categories, as Spark does — ordered by centroid for binary
// labels and regression, by every subset for a few categories and more
// classes — so one split separates labels that depend on the category
// set, where thresholds would need several; maxBins below a feature's
// number of categories is an error before any pass.
func TestCategoricalSplits(t *testing.T) {
	ctx := context.Background()
	e := &local.Engine{}
	one := 1
	in := map[int]bool{0: true, 2: true, 5: true}
	cases := []struct {
		name  string
		k     int
		label func(c int) float64
		est   ml.Estimator
	}{
		{"binary, ordered", 6, func(c int) float64 { return map[bool]float64{true: 1}[in[c]] }, &classification.DecisionTreeClassifier{Params: tree.Params{MaxDepth: &one, FeaturesCol: "idx"}}},
		{"regression, ordered", 6, func(c int) float64 { return map[bool]float64{true: 3.5}[in[c]] }, &regression.DecisionTreeRegressor{Params: tree.Params{MaxDepth: &one, FeaturesCol: "idx"}}},
		{"3 classes, unordered", 4, func(c int) float64 { return []float64{2, 0, 2, 0}[c] }, &classification.DecisionTreeClassifier{Params: tree.Params{MaxDepth: &one, FeaturesCol: "idx"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ds := indexed(t, e, c.k, 400, c.label)
			m, err := c.est.Fit(ctx, e, ds)
			if err != nil {
				t.Fatal(err)
			}
			var root tree.Node
			switch m := m.(type) {
			case *classification.DecisionTreeClassificationModel:
				root = m.Trees[0].Nodes[0]
			case *regression.DecisionTreeRegressionModel:
				root = m.Trees[0].Nodes[0]
			}
			if !root.Categorical || root.Feature != 0 {
				t.Fatalf("root split %+v, want categorical on feature 0", root)
			}
			var left, right []int
			for cat := range c.k {
				if root.GoesLeft(float64(cat)) {
					left = append(left, cat)
				} else {
					right = append(right, cat)
				}
			}
			// One side holds exactly the categories of one label.
			for _, side := range [][]int{left, right} {
				for _, cat := range side[1:] {
					if c.label(cat) != c.label(side[0]) {
						t.Fatalf("left %v right %v mix labels", left, right)
					}
				}
			}
			t.Logf("left categories %v, right %v, gain %.4f", left, right, root.Gain)
		})
	}
	t.Run("forest and boosting", func(t *testing.T) {
		ds := indexed(t, e, 6, 400, cases[0].label)
		for _, est := range []ml.Estimator{
			&classification.RandomForestClassifier{Params: tree.Params{FeaturesCol: "idx"}, ForestParams: tree.ForestParams{NumTrees: 5, FeatureSubsetStrategy: "all"}},
			&classification.GBTClassifier{Params: tree.Params{FeaturesCol: "idx"}},
			&regression.GBTRegressor{Params: tree.Params{FeaturesCol: "idx"}, BoostParams: tree.BoostParams{NewtonLeaves: true}},
		} {
			m, err := est.Fit(ctx, e, ds)
			if err != nil {
				t.Fatalf("%T: %v", est, err)
			}
			if _, err := ml.Transform(ctx, e, ds, m); err != nil {
				t.Fatalf("%T: %v", m, err)
			}
		}
	})
	t.Run("maxBins below the categories", func(t *testing.T) {
		ce := &countingEngine{Engine: e}
		ds := indexed(t, e, 40, 800, func(c int) float64 { return float64(c % 2) })
		_, err := (&classification.GBTClassifier{Params: tree.Params{FeaturesCol: "idx"}}).Fit(ctx, ce, ds)
		if err == nil || !strings.Contains(err.Error(), "categorical feature 0") || !strings.Contains(err.Error(), "40 categories, more than maxBins (32)") {
			t.Fatalf("error %v", err)
		}
		if ce.passes > 0 {
			t.Fatalf("%d passes before the error", ce.passes)
		}
		t.Log(err)
	})

}
