package evaluation

import (
	"context"
	"fmt"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/ml"
)

func init() {
	RegisterEvaluator(EvaluatorInfo{
		Name: "topics", Class: "LDAModel", Scores: []string{"topics"}, NoLabel: true,
		RunDefaults: []string{"logPerplexity", "logLikelihood"},
		Metrics: []Metric{
			{Name: "logPerplexity", Reads: []string{"featuresCol", "topicDistributionCol"}},
			{Name: "logLikelihood", Reads: []string{"featuresCol", "topicDistributionCol"}, LargerIsBetter: true},
		},
		New: func(metric string, _ map[string]string, _ string) Evaluator {
			return &TopicsEvaluator{MetricName: metric}
		},
	})
}

// TopicModel is a fitted topic model (clustering.LDAModel): the
// variational bound it gives a dataset's documents, and the bound per
// term.
type TopicModel interface {
	LogLikelihood(ctx context.Context, e engine.Engine, ds engine.Dataset) (float64, error)
	LogPerplexity(ctx context.Context, e engine.Engine, ds engine.Dataset) (float64, error)
}

// TopicsEvaluator scores a fitted topic model on rows holding its
// features column (its input or its predictions), as Spark's
// LDAModel.logPerplexity and logLikelihood do: "logPerplexity" (the
// default; smaller is better) is −bound / the rows' total term weight,
// "logLikelihood" (larger is better) the variational lower bound on the
// log-likelihood of the rows. Spark has no evaluator class for them; in
// Spindle they are metrics like the others, so a run reports them and a
// tuner picks k by them. The metric reads the model itself (its topics),
// not only its output columns: ForModel binds a fitted model, and the
// tuners bind each fit's (Bind).
type TopicsEvaluator struct {
	MetricName string
	Model      TopicModel
}

// IsLargerBetter implements Evaluator.
func (ev *TopicsEvaluator) IsLargerBetter() bool { return ev.MetricName == "logLikelihood" }

// WithModel implements ModelEvaluator.
func (ev *TopicsEvaluator) WithModel(model any) (Evaluator, error) {
	tm, ok := model.(TopicModel)
	if !ok {
		return nil, fmt.Errorf("%s scores a fitted topic model, not %s", orDefault(ev.MetricName, "logPerplexity"), ml.StageName(model))
	}
	return &TopicsEvaluator{MetricName: ev.MetricName, Model: tm}, nil
}

// Evaluate implements Evaluator.
func (ev *TopicsEvaluator) Evaluate(ctx context.Context, e engine.Engine, ds engine.Dataset) (float64, error) {
	if ev.Model == nil {
		return 0, fmt.Errorf("%s: no fitted topic model to score with (the metric reads the model's topics)", orDefault(ev.MetricName, "logPerplexity"))
	}
	switch ev.MetricName {
	case "", "logPerplexity":
		return ev.Model.LogPerplexity(ctx, e, ds)
	case "logLikelihood":
		return ev.Model.LogLikelihood(ctx, e, ds)
	}
	return 0, fmt.Errorf("unknown topic model metric %q (allowed: logPerplexity, logLikelihood)", ev.MetricName)
}
