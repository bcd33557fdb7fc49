package evaluation

import (
	"context"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/engine"
)

// fakeTopics is a TopicModel with fixed answers.
type fakeTopics struct{ ll, lp float64 }

func (f *fakeTopics) LogLikelihood(context.Context, engine.Engine, engine.Dataset) (float64, error) {
	return f.ll, nil
}

func (f *fakeTopics) LogPerplexity(context.Context, engine.Engine, engine.Dataset) (float64, error) {
	return f.lp, nil
}

// TestNeedsLabel: the registry, not a kind's name, says which runs use
// no label.
func TestNeedsLabel(t *testing.T) {
	for kind, want := range map[string]bool{"multiclass": true, "regression": true, "clustering": false, "topics": false, "unknown": true} {
		if got := NeedsLabel(kind); got != want {
			t.Errorf("NeedsLabel(%q) = %v, want %v", kind, got, want)
		}
	}
	for metric, want := range map[string]bool{"accuracy": true, "rmse": true, "areaUnderROC": true, "silhouette": false, "logPerplexity": false, "logLikelihood": false} {
		if got := MetricNeedsLabel(metric); got != want {
			t.Errorf("MetricNeedsLabel(%q) = %v, want %v", metric, got, want)
		}
	}
}

// TestTopicsEvaluator: ForModel binds a fitted topic model, leaves an
// evaluator for an estimator unbound (Evaluate says so), Bind binds it
// and refuses a model that is not a topic model, and the metrics go the
// right way.
func TestTopicsEvaluator(t *testing.T) {
	ctx := context.Background()
	m := &fakeTopics{ll: -120, lp: 3.5}
	for metric, want := range map[string]float64{"logPerplexity": 3.5, "logLikelihood": -120} {
		ev, err := ForModel(metric, m, "")
		if err != nil {
			t.Fatal(err)
		}
		if got, err := ev.Evaluate(ctx, nil, nil); err != nil || got != want {
			t.Errorf("%s = %v (%v), want %v", metric, got, err, want)
		}
		if ev.IsLargerBetter() != (metric == "logLikelihood") {
			t.Errorf("%s: IsLargerBetter %v", metric, ev.IsLargerBetter())
		}
		info, _ := LookupMetric(metric)
		if info.LargerIsBetter != ev.IsLargerBetter() || info.Evaluator != "topics" {
			t.Errorf("%s registered as %+v", metric, info)
		}
	}
	unbound, err := ForModel("logPerplexity", struct{ FeaturesCol string }{}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := unbound.Evaluate(ctx, nil, nil); err == nil || !strings.Contains(err.Error(), "no fitted topic model") {
		t.Errorf("unbound: %v", err)
	}
	if _, err := Bind(unbound, &ClusteringEvaluator{}); err == nil || !strings.Contains(err.Error(), "scores a fitted topic model") {
		t.Errorf("bound to a non-topic model: %v", err)
	}
	bound, err := Bind(unbound, m)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := bound.Evaluate(ctx, nil, nil); got != 3.5 {
		t.Errorf("bound: %v", got)
	}
	// An evaluator that reads no model is its own binding.
	sil := &ClusteringEvaluator{}
	if got, err := Bind(sil, m); err != nil || got != Evaluator(sil) {
		t.Errorf("Bind of a silhouette: %v, %v", got, err)
	}
	if ev, _ := LookupEvaluator("topics"); !ev.NoLabel || len(ev.RunDefaults) != 2 || ev.RunDefaults[0] != "logPerplexity" {
		t.Errorf("topics registration %+v", ev)
	}
}
