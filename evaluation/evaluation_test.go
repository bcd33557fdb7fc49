package evaluation

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/table"
)

type golden struct {
	Binary struct {
		Label        []float64 `json:"label"`
		Score        []float64 `json:"score"`
		AreaUnderROC float64   `json:"areaUnderROC"`
		AreaUnderPR  float64   `json:"areaUnderPR"`
	} `json:"binary"`
	Multiclass struct {
		Label, Prediction []float64
		Probability       [][]float64
		F1                float64     `json:"f1"`
		Accuracy          float64     `json:"accuracy"`
		WeightedPrecision float64     `json:"weightedPrecision"`
		WeightedRecall    float64     `json:"weightedRecall"`
		HammingLoss       float64     `json:"hammingLoss"`
		LogLoss           float64     `json:"logLoss"`
		Confusion         [][]float64 `json:"confusion"`
	} `json:"multiclass"`
	Regression struct {
		Label, Prediction []float64
		RMSE              float64 `json:"rmse"`
		MSE               float64 `json:"mse"`
		MAE               float64 `json:"mae"`
		R2                float64 `json:"r2"`
	} `json:"regression"`
}

func load(t *testing.T) *golden {
	data, err := os.ReadFile("testdata/metrics.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	return &g
}

func ds(t *testing.T, fields []table.Field, cols ...table.Column) (engine.Engine, engine.Dataset) {
	schema, _ := table.NewSchema(fields...)
	b, err := table.NewBatch(schema, cols)
	if err != nil {
		t.Fatal(err)
	}
	tb, _ := table.New(schema, b)
	tb, _ = tb.Repartition(37)
	e := &local.Engine{}
	return e, tabletest.Dataset(t, e, tb)
}

func close6(a, b float64) bool { return math.Abs(a-b) <= 1e-6*math.Max(1, math.Abs(b)) }

func TestBinaryGolden(t *testing.T) {
	g := load(t)
	raw := make([]linalg.Vector, len(g.Binary.Score))
	for i, s := range g.Binary.Score {
		raw[i] = linalg.Dense([]float64{-s, s})
	}
	e, d := ds(t, []table.Field{{Name: "rawPrediction", Type: table.Vector}, {Name: "label", Type: table.Float64}, {Name: "s", Type: table.Float64}},
		table.NewVectorColumn(raw, nil), table.NewFloat64Column(g.Binary.Label, nil), table.NewFloat64Column(g.Binary.Score, nil))
	ctx := context.Background()
	for _, c := range []struct {
		ev   *BinaryClassificationEvaluator
		want float64
	}{
		{&BinaryClassificationEvaluator{}, g.Binary.AreaUnderROC},
		{&BinaryClassificationEvaluator{RawPredictionCol: "s"}, g.Binary.AreaUnderROC},
		{&BinaryClassificationEvaluator{MetricName: "areaUnderPR"}, g.Binary.AreaUnderPR},
	} {
		got, err := c.ev.Evaluate(ctx, e, d)
		if err != nil || !close6(got, c.want) {
			t.Errorf("%+v = %v, %v; want %v", c.ev, got, err, c.want)
		}
	}
	// The curves: under the full ROC and PR curves lie scikit-learn's
	// areas (trapezoids, as Spark integrates); a thinned curve keeps its
	// ends and stays close.
	trapezoid := func(c [][2]float64) (a float64) {
		for i := 1; i < len(c); i++ {
			a += (c[i][0] - c[i-1][0]) * (c[i][1] + c[i-1][1]) / 2
		}
		return a
	}
	ev := &BinaryClassificationEvaluator{}
	roc, pr, err := ev.Curves(ctx, e, d, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if !close6(trapezoid(roc), g.Binary.AreaUnderROC) || !close6(trapezoid(pr), g.Binary.AreaUnderPR) || roc[0] != [2]float64{0, 0} || roc[len(roc)-1] != [2]float64{1, 1} {
		t.Fatalf("ROC area %v (want %v), PR area %v (want %v), ends %v %v", trapezoid(roc), g.Binary.AreaUnderROC, trapezoid(pr), g.Binary.AreaUnderPR, roc[0], roc[len(roc)-1])
	}
	thin, _, err := ev.Curves(ctx, e, d, 20)
	if err != nil || len(thin) != 20 || thin[0] != roc[0] || thin[19] != roc[len(roc)-1] || math.Abs(trapezoid(thin)-g.Binary.AreaUnderROC) > 0.02 {
		t.Fatalf("thinned ROC: %d points, %v, area %v", len(thin), err, trapezoid(thin))
	}
}

func TestMulticlassGolden(t *testing.T) {
	g := load(t)
	probs := make([]linalg.Vector, len(g.Multiclass.Probability))
	for i, p := range g.Multiclass.Probability {
		probs[i] = linalg.Dense(p)
	}
	e, d := ds(t, []table.Field{{Name: "prediction", Type: table.Float64}, {Name: "label", Type: table.Float64}, {Name: "probability", Type: table.Vector}},
		table.NewFloat64Column(g.Multiclass.Prediction, nil), table.NewFloat64Column(g.Multiclass.Label, nil), table.NewVectorColumn(probs, nil))
	ctx := context.Background()
	for metric, want := range map[string]float64{"": g.Multiclass.F1, "f1": g.Multiclass.F1, "accuracy": g.Multiclass.Accuracy,
		"weightedPrecision": g.Multiclass.WeightedPrecision, "weightedRecall": g.Multiclass.WeightedRecall, "logLoss": g.Multiclass.LogLoss,
		"hammingLoss": g.Multiclass.HammingLoss} {
		got, err := (&MulticlassClassificationEvaluator{MetricName: metric}).Evaluate(ctx, e, d)
		if err != nil || !close6(got, want) {
			t.Errorf("%s = %v, %v; want %v", metric, got, err, want)
		}
	}
	cm, err := (&MulticlassClassificationEvaluator{}).Confusion(ctx, e, d)
	if err != nil || !reflect.DeepEqual(cm.Matrix(), g.Multiclass.Confusion) {
		t.Errorf("confusion = %v, want %v", cm.Matrix(), g.Multiclass.Confusion)
	}
	// The partial travels to workers: it must gob-encode.
	if err := gob.NewEncoder(&bytes.Buffer{}).Encode(cm); err != nil {
		t.Fatal(err)
	}
}

func TestRegressionGolden(t *testing.T) {
	g := load(t)
	e, d := ds(t, []table.Field{{Name: "prediction", Type: table.Float64}, {Name: "label", Type: table.Float64}},
		table.NewFloat64Column(g.Regression.Prediction, nil), table.NewFloat64Column(g.Regression.Label, nil))
	ctx := context.Background()
	for metric, want := range map[string]float64{"": g.Regression.RMSE, "rmse": g.Regression.RMSE, "mse": g.Regression.MSE, "mae": g.Regression.MAE, "r2": g.Regression.R2} {
		got, err := (&RegressionEvaluator{MetricName: metric}).Evaluate(ctx, e, d)
		if err != nil || !close6(got, want) {
			t.Errorf("%s = %v, %v; want %v", metric, got, err, want)
		}
	}
	if (&RegressionEvaluator{}).IsLargerBetter() || !(&RegressionEvaluator{MetricName: "r2"}).IsLargerBetter() {
		t.Error("IsLargerBetter")
	}
}

func TestEvaluatorErrors(t *testing.T) {
	ctx := context.Background()
	e, d := ds(t, []table.Field{{Name: "prediction", Type: table.Float64}, {Name: "label", Type: table.Float64}},
		table.NewFloat64Column([]float64{1, 0}, nil), table.NewFloat64Column([]float64{1, 1}, nil))
	if _, err := (&BinaryClassificationEvaluator{RawPredictionCol: "prediction"}).Evaluate(ctx, e, d); err == nil || !strings.Contains(err.Error(), "need both labels") {
		t.Errorf("one label: %v", err)
	}
	if _, err := (&MulticlassClassificationEvaluator{MetricName: "auc"}).Evaluate(ctx, e, d); err == nil || !strings.Contains(err.Error(), `metricName "auc"`) {
		t.Errorf("bad metric: %v", err)
	}
	if _, err := (&RegressionEvaluator{LabelCol: "y"}).Evaluate(ctx, e, d); err == nil || !strings.Contains(err.Error(), `column "y" does not exist`) {
		t.Errorf("missing column: %v", err)
	}
}
