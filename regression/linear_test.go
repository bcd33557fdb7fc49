package regression

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/internal/approx"

	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/evaluation"
	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

type goldenLinear struct {
	Datasets map[string]struct {
		X [][]float64 `json:"X"`
		Y []float64   `json:"y"`
	} `json:"datasets"`
	Cases []struct {
		Dataset         string    `json:"dataset"`
		RegParam        float64   `json:"regParam"`
		ElasticNetParam float64   `json:"elasticNetParam"`
		Standardization bool      `json:"standardization"`
		Coef            []float64 `json:"coef"`
		Intercept       float64   `json:"intercept"`
		TrainRMSE       float64   `json:"train_rmse"`
		TrainR2         float64   `json:"train_r2"`
	} `json:"cases"`
}

func dataset(t testing.TB, x [][]float64, y []float64, per int, sparse bool) *table.Table {
	return tabletest.Labeled(t, x, y, per, sparse)
}

// TestLinearRegressionGolden compares both solvers with scikit-learn on
// three real datasets (see testdata/golden/linear.py for the mapping of
// regParam and standardization), on dense and sparse vectors.
func TestLinearRegressionGolden(t *testing.T) {
	data, err := os.ReadFile("testdata/golden/linear.json")
	if err != nil {
		t.Fatal(err)
	}
	var g goldenLinear
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	e := &local.Engine{}
	approx.Cases(t, "testdata/golden/linear.json", len(g.Cases))
	for _, c := range g.Cases {
		t.Run(fmt.Sprintf("%s/reg=%v/en=%v/std=%v", c.Dataset, c.RegParam, c.ElasticNetParam, c.Standardization), func(t *testing.T) {
			d := g.Datasets[c.Dataset]
			for _, solver := range []string{"normal", "l-bfgs"} {
				for _, sparse := range []bool{false, true} {
					ds := tabletest.Dataset(t, e, dataset(t, d.X, d.Y, 40, sparse))
					lr := &LinearRegression{RegParam: c.RegParam, ElasticNetParam: c.ElasticNetParam, Standardization: ml.Bool(c.Standardization),
						Solver: solver, MaxIter: ml.Int(100000), Tol: ml.Float(1e-15)}
					m, err := lr.Fit(ctx, e, ds)
					if err != nil {
						t.Fatal(err)
					}
					model := m.(*LinearRegressionModel)
					rel := approx.ScaledRel(append(slices.Clone(model.Coefficients), model.Intercept), append(slices.Clone(c.Coef), c.Intercept))
					if rel > 1e-4 {
						t.Errorf("%s %s sparse=%v reg=%v α=%v std=%v: coefficients differ by %.3g relative (%d iterations)\n got %v %v\nwant %v %v",
							c.Dataset, solver, sparse, c.RegParam, c.ElasticNetParam, c.Standardization, rel, model.TotalIterations, model.Coefficients, model.Intercept, c.Coef, c.Intercept)
						continue
					}
					if !sparse {
						t.Logf("%s %s reg=%v α=%v std=%v: within %.2g relative", c.Dataset, solver, c.RegParam, c.ElasticNetParam, c.Standardization, rel)
					}
					pred, _ := ml.Transform(ctx, e, ds, m)
					for metric, want := range map[string]float64{"rmse": c.TrainRMSE, "r2": c.TrainR2} {
						got, err := (&evaluation.RegressionEvaluator{MetricName: metric}).Evaluate(ctx, e, pred)
						if err != nil {
							t.Fatal(err)
						}
						approx.Float(t, fmt.Sprintf("%s %s: train %s (scikit-learn's)", c.Dataset, solver, metric), got, want, 1e-6)
					}
				}
			}
		})
	}
}

func TestLinearRegressionErrors(t *testing.T) {
	ctx := context.Background()
	e := &local.Engine{}
	x := [][]float64{{1, 2}, {2, 1}, {3, 5}, {4, 2}}
	cases := []struct {
		name string
		y    []float64
		lr   *LinearRegression
		want string
	}{
		{"bad solver", []float64{1, 2, 3, 4}, &LinearRegression{Solver: "qr"}, `parameter solver: must be one of auto, normal, l-bfgs, got "qr"`},
		{"negative reg", []float64{1, 2, 3, 4}, &LinearRegression{RegParam: -1}, "parameter regParam: must be ≥ 0, got -1"},
		{"nan label", []float64{1, math.NaN(), 3, 4}, &LinearRegression{}, "row 2: label NaN"},
		{"constant label without intercept", []float64{2, 2, 2, 2}, &LinearRegression{FitIntercept: ml.Bool(false), RegParam: 0.1}, "cannot be regularized"},
		{"missing column", []float64{1, 2, 3, 4}, &LinearRegression{LabelCol: "y"}, `input column "y" does not exist`},
	}
	for _, c := range cases {
		ds := tabletest.Dataset(t, e, dataset(t, x, c.y, 2, false))
		if _, err := c.lr.Fit(ctx, e, ds); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	// A constant label with an intercept is fitted exactly.
	ds := tabletest.Dataset(t, e, dataset(t, x, []float64{3, 3, 3, 3}, 2, false))
	m, err := (&LinearRegression{}).Fit(ctx, e, ds)
	if err != nil || m.(*LinearRegressionModel).Intercept != 3 {
		t.Fatalf("%v %+v", err, m)
	}
}
