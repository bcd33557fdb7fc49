package tree_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/classification"
	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/feature"
	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/pipeline"
	"github.com/spindle-ml/spindle/regression"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/tree"
)

// TestSaveLoad: pipelines ending in each tree model (after VectorIndexer:
// feature 0 is categorical) save, load and predict the same; Inspect
// shows the trees' sizes and top features; a model whose tree is damaged
// (a child outside the nodes) is refused at load, naming the stage.
func TestSaveLoad(t *testing.T) {
	ctx := context.Background()
	e := &local.Engine{}
	ds := indexedData(t, e)
	depth, iters := 3, 4
	models := []ml.Estimator{
		&classification.DecisionTreeClassifier{Params: tree.Params{FeaturesCol: "idx"}},
		&classification.RandomForestClassifier{Params: tree.Params{FeaturesCol: "idx", MaxDepth: &depth}, ForestParams: tree.ForestParams{NumTrees: 3}},
		&classification.GBTClassifier{Params: tree.Params{FeaturesCol: "idx", MaxDepth: &depth}, BoostParams: tree.BoostParams{MaxIter: &iters}},
		&regression.DecisionTreeRegressor{Params: tree.Params{FeaturesCol: "idx"}},
		&regression.RandomForestRegressor{Params: tree.Params{FeaturesCol: "idx", MaxDepth: &depth}, ForestParams: tree.ForestParams{NumTrees: 3}},
		&regression.GBTRegressor{Params: tree.Params{FeaturesCol: "idx", MaxDepth: &depth}, BoostParams: tree.BoostParams{MaxIter: &iters, NewtonLeaves: true}},
	}
	st := storage.New(storage.Options{})
	for _, est := range models {
		name := ml.StageName(est)
		t.Run(name, func(t *testing.T) {
			p := &pipeline.Pipeline{Stages: []any{&feature.VectorIndexer{InputCol: "features", OutputCol: "idx", MaxCategories: 6}, est}}
			m, err := p.Fit(ctx, e, ds)
			if err != nil {
				t.Fatal(err)
			}
			want := predict(t, e, ds, m)
			dir := filepath.Join(t.TempDir(), "model")
			if err := pipeline.Save(ctx, st, dir, m, pipeline.SaveOptions{}); err != nil {
				t.Fatal(err)
			}
			loaded, err := pipeline.Load(ctx, st, dir)
			if err != nil {
				t.Fatal(err)
			}
			if got := predict(t, e, ds, loaded); got != want {
				t.Fatalf("loaded model predicts differently")
			}
			info, err := pipeline.Inspect(ctx, st, dir)
			if err != nil {
				t.Fatal(err)
			}
			var sum struct {
				NumTrees, TotalNumNodes int
				TopFeatures             [][2]float64
			}
			if err := json.Unmarshal(info.Stages[1].Summary, &sum); err != nil || sum.NumTrees < 1 || sum.TotalNumNodes < 3 || len(sum.TopFeatures) == 0 {
				t.Fatalf("summary %s (%v)", info.Stages[1].Summary, err)
			}
			// Damage the tree: a child index outside the nodes.
			bad := loaded.Stages[1]
			switch b := bad.(type) {
			case *classification.DecisionTreeClassificationModel:
				b.Trees[0].Nodes[0].Left = 999
			case *classification.RandomForestClassificationModel:
				b.Trees[0].Nodes[0].Left = 999
			case *classification.GBTClassificationModel:
				b.Trees[0].Nodes[0].Left = 999
			case *regression.DecisionTreeRegressionModel:
				b.Trees[0].Nodes[0].Left = 999
			case *regression.RandomForestRegressionModel:
				b.Trees[0].Nodes[0].Left = 999
			case *regression.GBTRegressionModel:
				b.Trees[0].Nodes[0].Left = 999
			}
			dir2 := filepath.Join(t.TempDir(), "bad")
			if err := pipeline.Save(ctx, st, dir2, loaded, pipeline.SaveOptions{}); err != nil {
				t.Fatal(err)
			}
			_, err = pipeline.Load(ctx, st, dir2)
			if err == nil || !strings.Contains(err.Error(), "child 999") {
				t.Fatalf("damaged model: %v", err)
			}
		})
	}
}

// indexedData has a categorical feature 0 (six values), two continuous
// ones, and a label that depends on both kinds.
func indexedData(t *testing.T, e engine.Engine) engine.Dataset {
	t.Helper()
	x, y := make([][]float64, 500), make([]float64, 500)
	for i := range x {
		c := float64(i % 6 * 7)
		a, b := float64(i%13)/13, float64(i%17)/17
		x[i] = []float64{c, a, b}
		if (i%6 == 1 || i%6 == 4) != (a > 0.6) {
			y[i] = 1
		}
	}
	return datasetOf(t, e, x, y)
}

func datasetOf(t *testing.T, e engine.Engine, x [][]float64, y []float64) engine.Dataset {
	t.Helper()
	ds, err := e.FromTable(context.Background(), tabletest.Labeled(t, x, y, 128, false))
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// predict returns m's predictions (and probabilities, if any) as text.
func predict(t *testing.T, e engine.Engine, ds engine.Dataset, m ml.Model) string {
	t.Helper()
	ctx := context.Background()
	out, err := ml.Transform(ctx, e, ds, m)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Collect(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	cols := []int{res.Schema().Index("prediction"), res.Schema().Index("probability")}
	for _, r := range res.Rows() {
		for _, c := range cols {
			if c >= 0 {
				fmt.Fprint(&sb, r[c], " ")
			}
		}
		sb.WriteByte('\n')
	}
	return sb.String()
}
