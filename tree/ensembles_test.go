package tree_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/spindle-ml/spindle/classification"
	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/evaluation"
	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/regression"
	"github.com/spindle-ml/spindle/tree"
)

// TestEnsemblesInReferenceRange: forests and boosted trees score, on the
// test rows of three datasets, within the range scikit-learn's and
// XGBoost's comparable models score (testdata/ensembles.py): random
// forests against scikit-learn's over five seeds, Spark's boosting
// against Spark's algorithm written with scikit-learn's exact trees,
// Newton boosting against XGBoost with the same rounds, depth, step, λ
// and bins.
func TestEnsemblesInReferenceRange(t *testing.T) {
	data, err := os.ReadFile("testdata/ensembles.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Datasets map[string]struct {
			X      [][]float64 `json:"X"`
			Y      []float64   `json:"y"`
			Metric string      `json:"metric"`
		} `json:"datasets"`
		Cases []struct {
			Dataset, Algo string
			Lo, Hi        float64
		} `json:"cases"`
	}
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	e := &local.Engine{}
	for _, c := range g.Cases {
		t.Run(c.Dataset+"/"+c.Algo, func(t *testing.T) {
			d := g.Datasets[c.Dataset]
			var trX, teX [][]float64
			var trY, teY []float64
			for i := range d.X {
				if i%4 == 0 {
					teX, teY = append(teX, d.X[i]), append(teY, d.Y[i])
				} else {
					trX, trY = append(trX, d.X[i]), append(trY, d.Y[i])
				}
			}
			train := tabletest.Dataset(t, e, tabletest.Labeled(t, trX, trY, 50, false))
			test := tabletest.Dataset(t, e, tabletest.Labeled(t, teX, teY, 50, false))
			reg := d.Metric == "rmse"
			var est ml.Estimator
			switch {
			case c.Algo == "rf" && reg:
				est = &regression.RandomForestRegressor{ForestParams: tree.ForestParams{NumTrees: 50}}
			case c.Algo == "rf":
				est = &classification.RandomForestClassifier{ForestParams: tree.ForestParams{NumTrees: 50}}
			case c.Algo == "gbt" && reg:
				est = &regression.GBTRegressor{}
			case c.Algo == "gbt":
				est = &classification.GBTClassifier{}
			default:
				depth, iters, step := 4, 50, 0.3
				p, bp := tree.Params{MaxDepth: &depth, MaxBins: 256}, tree.BoostParams{MaxIter: &iters, StepSize: &step, NewtonLeaves: true}
				if reg {
					est = &regression.GBTRegressor{Params: p, BoostParams: bp}
				} else {
					est = &classification.GBTClassifier{Params: p, BoostParams: bp}
				}
			}
			m, err := est.Fit(ctx, e, train)
			if err != nil {
				t.Fatal(err)
			}
			got := score(t, e, test, m, d.Metric)
			// Tolerances: 0.02 of AUC or accuracy, 8% of RMSE.
			tol := 0.02
			ok := got >= c.Lo-tol
			if reg {
				ok = got <= c.Hi*1.08
			}
			t.Logf("%s %s: %.4f, reference [%.4f, %.4f]", c.Algo, d.Metric, got, c.Lo, c.Hi)
			if !ok || math.IsNaN(got) {
				t.Errorf("%s %.4f outside the reference range [%.4f, %.4f] by more than the tolerance", d.Metric, got, c.Lo, c.Hi)
			}
		})
	}
}

// score returns m's metric on ds.
func score(t *testing.T, e engine.Engine, ds engine.Dataset, m ml.Model, metric string) float64 {
	t.Helper()
	ctx := context.Background()
	pred, err := ml.Transform(ctx, e, ds, m)
	if err != nil {
		t.Fatal(err)
	}
	var ev interface {
		Evaluate(context.Context, engine.Engine, engine.Dataset) (float64, error)
	}
	switch metric {
	case "auc":
		ev = &evaluation.BinaryClassificationEvaluator{}
	case "accuracy":
		ev = &evaluation.MulticlassClassificationEvaluator{MetricName: "accuracy"}
	default:
		ev = &evaluation.RegressionEvaluator{}
	}
	v, err := ev.Evaluate(ctx, e, pred)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
