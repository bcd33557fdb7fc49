package tree

import (
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

// Samples are the conformance suite's samples (ml.Sample) for a tree
// stage: label "binary" for classifiers (which also get a multiclass
// sample), "regression" for regressors; boost adds a validation
// indicator column for the boosting stages' early stopping.
func Samples(label string, boost bool) []ml.Sample {
	first := ml.Sample{
		Columns: []ml.SampleColumn{{Name: "features", Type: table.Vector}, {Name: "w", Type: table.Float64, Kind: "positive"}},
		Label:   label,
		Params:  ml.ParamMap{},
		Values: map[string][]any{
			"weightCol":             {"w"},
			"featureSubsetStrategy": {"auto", "all", "sqrt", "log2", "onethird", "0.5", "2"},
			// Bounded by cost, not by the rule: each round or tree is
			// passes on a cluster engine.
			"maxIter":  {3},
			"numTrees": {3},
		},
	}
	if boost {
		first.Columns = append(first.Columns, ml.SampleColumn{Name: "isVal", Type: table.Bool})
		first.Values["validationIndicatorCol"] = []any{"isVal"}
	}
	out := []ml.Sample{first}
	if label == "binary" {
		out = append(out, ml.Sample{Name: "multiclass", Columns: []ml.SampleColumn{{Name: "features", Type: table.Vector}}, Label: "multiclass", Params: ml.ParamMap{}})
	}
	return append(out, ml.Sample{Name: "sparse", Columns: []ml.SampleColumn{{Name: "features", Type: table.Vector, Kind: "counts"}}, Label: label, Params: ml.ParamMap{"maxDepth": 3}})
}
