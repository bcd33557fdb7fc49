package tree_test

import (
	"context"
	"math"
	"testing"

	"github.com/spindle-ml/spindle/classification"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/tree"
)

// TestIndependentOfPartitioning: the same rows in partitions of other
// sizes give the same trees — the same splits, leaf values equal but for
// the last bits of sums taken in another order — for a forest with
// bootstrap and feature subsets and for subsampled boosting: every draw
// is a function of the seed and a row's position, and the thresholds'
// sample is the rows of smallest hash.
func TestIndependentOfPartitioning(t *testing.T) {
	ctx := context.Background()
	e := &local.Engine{}
	n := 3000
	x, y := make([][]float64, n), make([]float64, n)
	for i := range x {
		a, b, c := math.Sin(float64(i)), math.Cos(float64(3*i)), float64(i%7)
		x[i] = []float64{a, b, c, a * b}
		if a+0.5*b+0.1*c > 0.3 {
			y[i] = 1
		}
	}
	rate := 0.7
	ests := map[string]func() ml.Estimator{
		"RandomForest": func() ml.Estimator {
			return &classification.RandomForestClassifier{ForestParams: tree.ForestParams{NumTrees: 8}, Params: tree.Params{Seed: 3}}
		},
		"GBT subsampled": func() ml.Estimator {
			return &classification.GBTClassifier{Params: tree.Params{Seed: 3}, BoostParams: tree.BoostParams{SubsamplingRate: &rate, NewtonLeaves: true}}
		},
	}
	for name, est := range ests {
		t.Run(name, func(t *testing.T) {
			var fits []*tree.Ensemble
			for _, per := range []int{n, 256, 1000} {
				ds := tabletest.Dataset(t, e, tabletest.Labeled(t, x, y, per, false))
				m, err := est().Fit(ctx, e, ds)
				if err != nil {
					t.Fatal(err)
				}
				switch m := m.(type) {
				case *classification.RandomForestClassificationModel:
					fits = append(fits, &m.Ensemble)
				case *classification.GBTClassificationModel:
					fits = append(fits, &m.Ensemble)
				}
			}
			// The same predictions on every training row. (Node by node
			// the trees may differ where two features split a node's rows
			// the same way with the same gain: sums in another order can
			// tell them apart in the last bit, and either is the split.)
			for k := 1; k < len(fits); k++ {
				if len(fits[k].Trees) != len(fits[0].Trees) {
					t.Fatalf("%d trees, %d", len(fits[k].Trees), len(fits[0].Trees))
				}
				for i, r := range x {
					a, b := rawOf(fits[0], r), rawOf(fits[k], r)
					for c := range a {
						if math.Abs(a[c]-b[c]) > 1e-9*math.Max(1, math.Abs(a[c])) {
							t.Fatalf("partitioning %d: row %d: %v vs %v", k, i, b, a)
						}
					}
				}
			}
		})
	}
}

// rawOf is an ensemble's raw prediction of x: margins when boosted, class
// distributions summed otherwise.
func rawOf(m *tree.Ensemble, x []float64) []float64 {
	v := linalg.Dense(x)
	if m.Boosted {
		out := make([]float64, len(m.Base))
		m.Margins(v, out)
		return out
	}
	out := make([]float64, m.NumClasses)
	m.ClassRaw(v, out)
	return out
}
