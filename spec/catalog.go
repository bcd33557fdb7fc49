package spec

import (
	"github.com/spindle-ml/spindle/classification"
	"github.com/spindle-ml/spindle/feature"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/regression"
)

// featureStages are the stage types allowed in stages and variants, by
// their Spark names.
var featureStages = map[string]func() any{
	"RegexReplace":        func() any { return &feature.RegexReplace{} },
	"StringFunction":      func() any { return &feature.StringFunction{} },
	"Cast":                func() any { return &feature.Cast{} },
	"FillNull":            func() any { return &feature.FillNull{} },
	"DropNullRows":        func() any { return &feature.DropNullRows{} },
	"Filter":              func() any { return &feature.Filter{} },
	"Tokenizer":           func() any { return &feature.Tokenizer{} },
	"RegexTokenizer":      func() any { return &feature.RegexTokenizer{} },
	"StopWordsRemover":    func() any { return &feature.StopWordsRemover{} },
	"NGram":               func() any { return &feature.NGram{} },
	"HashingTF":           func() any { return &feature.HashingTF{} },
	"CountVectorizer":     func() any { return &feature.CountVectorizer{} },
	"IDF":                 func() any { return &feature.IDF{} },
	"Word2Vec":            func() any { return &feature.Word2Vec{} },
	"StringIndexer":       func() any { return &feature.StringIndexer{} },
	"IndexToString":       func() any { return &feature.IndexToString{} },
	"OneHotEncoder":       func() any { return &feature.OneHotEncoder{} },
	"StandardScaler":      func() any { return &feature.StandardScaler{} },
	"MinMaxScaler":        func() any { return &feature.MinMaxScaler{} },
	"MaxAbsScaler":        func() any { return &feature.MaxAbsScaler{} },
	"Normalizer":          func() any { return &feature.Normalizer{} },
	"Imputer":             func() any { return &feature.Imputer{} },
	"Bucketizer":          func() any { return &feature.Bucketizer{} },
	"QuantileDiscretizer": func() any { return &feature.QuantileDiscretizer{} },
	"VectorAssembler":     func() any { return &feature.VectorAssembler{} },
}

// modelStages are the estimator types allowed in models.
var modelStages = map[string]func() any{
	"LogisticRegression": func() any { return &classification.LogisticRegression{} },
	"LinearRegression":   func() any { return &regression.LinearRegression{} },
	"NaiveBayes":         func() any { return &classification.NaiveBayes{} },
	"LinearSVC":          func() any { return &classification.LinearSVC{} },
}

// modelEvaluator is each model type's default evaluator type.
var modelEvaluator = map[string]string{
	"LogisticRegression": "multiclass",
	"LinearRegression":   "regression",
	"NaiveBayes":         "multiclass",
	"LinearSVC":          "multiclass",
}

// NewStage makes a stage of a spec's type with its parameters set.
func NewStage(s Stage) (any, error) {
	mk, ok := featureStages[s.Type]
	if !ok {
		mk, ok = modelStages[s.Type]
	}
	if !ok {
		return nil, &Error{Msg: "unknown stage type " + s.Type}
	}
	return ml.WithParams(mk(), s.Params)
}

// ModelEvaluatorType is the default evaluator type ("multiclass",
// "regression") of a model type.
func ModelEvaluatorType(modelType string) string { return modelEvaluator[modelType] }
