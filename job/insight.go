package job

import (
	"cmp"
	"context"
	"math"
	"slices"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/evaluation"
	"github.com/spindle-ml/spindle/jsonnum"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/runrecord"
	"github.com/spindle-ml/spindle/table"
)

// topFeatures is how many features a model report lists.
const topFeatures = 20

// curvePoints bounds the points of a reported ROC or PR curve.
const curvePoints = 200

// curves adds a binary classifier's test ROC and PR curves to mr (one
// pass over the scored rows).
func (r *runner) curves(ctx context.Context, mr *runrecord.ModelReport, pred engine.Dataset) error {
	if len(r.rep.Input.Classes) != 2 || pred.Schema().Index("rawPrediction") < 0 {
		return nil
	}
	ev := &evaluation.BinaryClassificationEvaluator{LabelCol: r.s.Label.IndexedCol}
	var err error
	mr.ROC, mr.PR, err = ev.Curves(ctx, r.e, pred, curvePoints)
	return err
}

// describeModel adds what the fitted model says about itself to mr: its
// objective history and its most important features, named after the
// slots of the feature vector as the fitted stages make it from input
// schema in (ml.SlotsOf: an assembled column by its name, a vector input
// slot by slot, a hashed term as tf[74]), where they can tell.
func describeModel(mr *runrecord.ModelReport, model ml.Model, fitted []ml.Transformer, in *table.Schema) {
	p, d := ml.Params(model), ml.Data(model)
	if h, ok := d["objectiveHistory"].([]float64); ok {
		mr.ObjectiveHistory = jsonnum.Floats(h)
	}
	featuresCol, _ := p["featuresCol"].(string)
	if featuresCol == "" {
		featuresCol = "features"
	}
	slots := ml.SlotsOf(in, fitted, featuresCol, nil)
	var w []runrecord.FeatureWeight
	if sz, ok := model.(ml.Summarizer); ok {
		if top, ok := sz.Summary()["topFeatures"].([][2]float64); ok {
			for _, f := range top {
				w = append(w, runrecord.FeatureWeight{Index: int(f[0]), Weight: jsonnum.Float(f[1])})
			}
			mr.TopFeaturesKind = "importance"
		}
	}
	if coef, ok := d["coefficients"].([]float64); ok && w == nil {
		n, _ := d["numFeatures"].(int)
		if n <= 0 || len(coef)%n != 0 {
			n = len(coef)
		}
		rows := len(coef) / max(n, 1)
		// A feature's weight: its coefficient (one row), or the largest
		// in magnitude over the classes' rows.
		for j := range n {
			best := 0.0
			for c := range rows {
				if v := coef[c*n+j]; math.Abs(v) > math.Abs(best) {
					best = v
				}
			}
			w = append(w, runrecord.FeatureWeight{Index: j, Weight: jsonnum.Float(best)})
		}
		slices.SortStableFunc(w, func(a, b runrecord.FeatureWeight) int {
			return cmp.Compare(math.Abs(float64(b.Weight)), math.Abs(float64(a.Weight)))
		})
		w = w[:min(topFeatures, len(w))]
		mr.TopFeaturesKind = "coefficient"
	}
	for i := range w {
		if slots != nil && w[i].Index < slots.Size {
			w[i].Name = slots.Name(w[i].Index)
		}
	}
	mr.TopFeatures = w
}
