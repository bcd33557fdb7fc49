package tree_test

import (
	"context"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/classification"
	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/regression"
	"github.com/spindle-ml/spindle/tree"
)

// countingEngine counts the passes an engine runs.
type countingEngine struct {
	engine.Engine
	passes int
}

func (c *countingEngine) AggregateAny(ctx context.Context, ds engine.Dataset, a engine.AnyAggregator) (any, error) {
	c.passes++
	return c.Engine.AggregateAny(ctx, ds, a)
}

func (c *countingEngine) Persist(ctx context.Context, ds engine.Dataset) (engine.Dataset, error) {
	c.passes++
	return c.Engine.Persist(ctx, ds)
}

// TestBadInput: each mistake is one error naming what is wrong — the
// row and feature of a bad value, the parameter and its bound — and
// parameter mistakes fail before any pass.
func TestBadInput(t *testing.T) {
	x := [][]float64{{1, 2}, {2, 1}, {3, 0}, {4, 5}, {5, 2}, {6, 1}}
	y := []float64{0, 1, 0, 1, 0, 1}
	with := func(i, j int, v float64) [][]float64 {
		out := make([][]float64, len(x))
		for r := range x {
			out[r] = append([]float64(nil), x[r]...)
		}
		out[i][j] = v
		return out
	}
	big, neg := 31, -1
	cases := []struct {
		name   string
		x      [][]float64
		y      []float64
		est    ml.Estimator
		want   string
		noPass bool
	}{
		{"NaN feature", with(3, 1, math.NaN()), y, &classification.DecisionTreeClassifier{}, "row 4: feature 1 is NaN", false},
		{"infinite feature", with(5, 0, math.Inf(1)), y, &regression.GBTRegressor{}, "row 6: feature 0 is +Inf", false},
		{"label not a class", x, []float64{0, 1, 2.5, 1, 0, 1}, &classification.RandomForestClassifier{}, "row 3: label 2.5", false},
		{"negative label", x, []float64{0, 1, -1, 1, 0, 1}, &classification.GBTClassifier{}, "row 3: label -1", false},
		{"maxDepth above 30", x, y, &classification.DecisionTreeClassifier{Params: tree.Params{MaxDepth: &big}}, "maxDepth", true},
		{"negative maxDepth", x, y, &regression.DecisionTreeRegressor{Params: tree.Params{MaxDepth: &neg}}, "maxDepth", true},
		{"maxBins above 256", x, y, &classification.GBTClassifier{Params: tree.Params{MaxBins: 300}}, "maxBins", true},
		{"maxBins 1", x, y, &regression.RandomForestRegressor{Params: tree.Params{MaxBins: 1}}, "maxBins", true},
		{"bad strategy", x, y, &classification.RandomForestClassifier{ForestParams: tree.ForestParams{FeatureSubsetStrategy: "most"}}, "featureSubsetStrategy", true},
		{"newton absolute", x, y, &regression.GBTRegressor{LossType: "absolute", BoostParams: tree.BoostParams{NewtonLeaves: true}}, "newtonLeaves", true},
		{"missing validation column", x, y, &classification.GBTClassifier{BoostParams: tree.BoostParams{ValidationIndicatorCol: "isVal"}}, `"isVal" does not exist`, true},
		{"missing weight column", x, y, &regression.DecisionTreeRegressor{Params: tree.Params{WeightCol: "w"}}, `"w" does not exist`, true},
	}
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := &countingEngine{Engine: &local.Engine{}}
			ds := tabletest.Dataset(t, e, tabletest.Labeled(t, c.x, c.y, 4, false))
			_, err := c.est.Fit(ctx, e, ds)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
			t.Log(err)
			if c.noPass && e.passes > 0 {
				t.Fatalf("%d passes ran before the error %v", e.passes, err)
			}
		})
	}
}

// TestSparkOnlyParams: Spark's memory knobs are accepted by name and
// change nothing.
func TestSparkOnlyParams(t *testing.T) {
	st, err := ml.New("GBTClassifier", ml.ParamMap{"cacheNodeIds": true, "checkpointInterval": 10, "maxMemoryInMB": 256, "maxIter": 3})
	if err != nil {
		t.Fatal(err)
	}
	x := [][]float64{{1, 2}, {2, 1}, {3, 0}, {4, 5}, {5, 2}, {6, 1}}
	y := []float64{0, 1, 0, 1, 0, 1}
	ctx := context.Background()
	e := &local.Engine{}
	ds := tabletest.Dataset(t, e, tabletest.Labeled(t, x, y, 4, false))
	a, err := st.(ml.Estimator).Fit(ctx, e, ds)
	if err != nil {
		t.Fatal(err)
	}
	three := 3
	b, err := (&classification.GBTClassifier{BoostParams: tree.BoostParams{MaxIter: &three}}).Fit(ctx, e, ds)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.(*classification.GBTClassificationModel).Ensemble, b.(*classification.GBTClassificationModel).Ensemble) {
		t.Fatal("Spark's memory knobs changed the model")
	}
}
