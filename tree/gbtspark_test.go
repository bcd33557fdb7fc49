package tree_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/spindle-ml/spindle/classification"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/internal/approx"
	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/regression"
	"github.com/spindle-ml/spindle/tree"
)

// TestGBTSameAsSparkAlgorithm: GBTClassifier and GBTRegressor with
// Spark's defaults (20 rounds, depth 5, step 0.1) give, on every training
// row, the margin (rawPrediction[1]) and prediction of Spark's boosting
// algorithm written out with scikit-learn's exact trees
// (testdata/gbt_spark.py): with fewer distinct values per feature than
// maxBins, Spindle's trees split the rows as those exact trees do, so the
// comparison is both ways and tight (1e-9), not a score floor.
func TestGBTSameAsSparkAlgorithm(t *testing.T) {
	data, err := os.ReadFile("testdata/gbt_spark.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		X                     [][]float64
		Binary, Regression    []float64
		BinaryMargins         []float64
		RegressionPredictions []float64
	}
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	approx.Cases(t, "testdata/gbt_spark.json", len(g.BinaryMargins))
	ctx := context.Background()
	e := &local.Engine{}
	p := tree.Params{MaxBins: 256} // every feature's distinct values fit: exact splits
	cls, err := (&classification.GBTClassifier{Params: p}).Fit(ctx, e, tabletest.Dataset(t, e, tabletest.Labeled(t, g.X, g.Binary, 64, false)))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := (&regression.GBTRegressor{Params: p}).Fit(ctx, e, tabletest.Dataset(t, e, tabletest.Labeled(t, g.X, g.Regression, 64, false)))
	if err != nil {
		t.Fatal(err)
	}
	margins, preds := make([]float64, len(g.X)), make([]float64, len(g.X))
	for i, x := range g.X {
		raw, _, _ := cls.(*classification.GBTClassificationModel).Predict(linalg.Dense(x))
		margins[i] = raw[1]
		preds[i] = reg.(*regression.GBTRegressionModel).Predict(linalg.Dense(x))
	}
	approx.Floats(t, "GBTClassifier margins (Spark's algorithm's)", margins, g.BinaryMargins, 1e-9)
	approx.Floats(t, "GBTRegressor predictions (Spark's algorithm's)", preds, g.RegressionPredictions, 1e-9)
}
