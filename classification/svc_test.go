package classification

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/internal/approx"

	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/evaluation"
	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/ml"
)

// TestLinearSVCGolden compares with libsvm's solution of the same
// objective, polished to the exact minimizer, on three datasets
// (testdata/golden/svc.py).
func TestLinearSVCGolden(t *testing.T) {
	data, err := os.ReadFile("testdata/golden/svc.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Datasets map[string]struct {
			X [][]float64 `json:"X"`
			Y []float64   `json:"y"`
		} `json:"datasets"`
		Cases []struct {
			Dataset         string
			RegParam        float64
			Standardization bool
			Coef            []float64
			Intercept       float64
			TrainAccuracy   float64 `json:"train_accuracy"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	e := &local.Engine{}
	approx.Cases(t, "LinearSVC golden file", len(g.Cases))
	for _, c := range g.Cases {
		// Rows stored dense (block kernels) and sparse (row by row, a
		// path of its own) must both match the reference.
		for _, sparse := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/reg=%v/std=%v/sparse=%v", c.Dataset, c.RegParam, c.Standardization, sparse), func(t *testing.T) {
				d := g.Datasets[c.Dataset]
				ds := tabletest.Dataset(t, e, tabletest.Labeled(t, d.X, d.Y, 50, sparse))
				m, err := (&LinearSVC{RegParam: c.RegParam, Standardization: ml.Bool(c.Standardization), MaxIter: ml.Int(2000), Tol: ml.Float(1e-12)}).Fit(ctx, e, ds)
				if err != nil {
					t.Fatal(err)
				}
				svc := m.(*LinearSVCModel)
				if rel := approx.ScaledRel(append(slices.Clone(svc.Coefficients), svc.Intercept), append(slices.Clone(c.Coef), c.Intercept)); rel > 1e-6 {
					t.Errorf("%s reg=%v std=%v sparse=%v: coefficients differ by %.3g relative (%d iterations)\n got %v %v\nwant %v %v", c.Dataset, c.RegParam, c.Standardization, sparse, rel, svc.TotalIterations, svc.Coefficients, svc.Intercept, c.Coef, c.Intercept)
				} else {
					t.Logf("%s reg=%v std=%v sparse=%v: within %.2g relative (%d iterations)", c.Dataset, c.RegParam, c.Standardization, sparse, rel, svc.TotalIterations)
				}
				pred, _ := ml.Transform(ctx, e, ds, m)
				acc, err := (&evaluation.MulticlassClassificationEvaluator{MetricName: "accuracy"}).Evaluate(ctx, e, pred)
				if err != nil {
					t.Fatal(err)
				}
				approx.Float(t, c.Dataset+": train accuracy (libsvm's)", acc, c.TrainAccuracy, 1e-12)
			})
		}
	}
}

func TestLinearSVCErrors(t *testing.T) {
	ctx := context.Background()
	e := &local.Engine{}
	x := [][]float64{{1, 0}, {0, 2}, {3, 1}, {1, 1}}
	cases := []struct {
		name string
		y    []float64
		s    *LinearSVC
		want string
	}{
		{"three classes", []float64{0, 1, 2, 1}, &LinearSVC{}, "labels must be 0 and 1"},
		{"one class", []float64{1, 1, 1, 1}, &LinearSVC{}, "single class"},
		{"negative reg", []float64{0, 1, 0, 1}, &LinearSVC{RegParam: -1}, "parameter regParam: must be ≥ 0, got -1"},
	}
	for _, c := range cases {
		ds := tabletest.Dataset(t, e, dataset(t, x, c.y, 2))
		if _, err := c.s.Fit(ctx, e, ds); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}
