package evaluation

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/spindle-ml/spindle/ml"
)

// Metric describes one metric an evaluator computes.
type Metric struct {
	// Name is Spark's metric name ("areaUnderROC").
	Name string
	// Evaluator is the registered evaluator that computes it.
	Evaluator string
	// Reads lists the model outputs the metric reads, by the parameter
	// that names each ("predictionCol", "probabilityCol",
	// "rawPredictionCol"): a model without such a parameter does not
	// make that column, and the metric cannot score it.
	Reads []string
	// LargerIsBetter says which way the metric improves (tuning picks by
	// it).
	LargerIsBetter bool
}

// EvaluatorInfo declares an evaluator: the metrics it computes (its
// default first), the models it scores, and how to make it.
type EvaluatorInfo struct {
	// Name is the evaluator's name in a spec ("multiclass"); Class its
	// Spark class name.
	Name, Class string
	// Scores lists the kinds of model it can score, by their default
	// evaluator (ml.Registration.Evaluator): a binary evaluator scores
	// classifiers, whose default is "multiclass".
	Scores []string
	// Metrics are what it computes, the default first.
	Metrics []Metric
	// RunDefaults, for the evaluator named as models' kind
	// (ml.Registration.Evaluator), are the test metrics a run of such
	// models reports when its spec lists none.
	RunDefaults []string
	// NoLabel says the models of its kind (those whose
	// ml.Registration.Evaluator names it) use no label: a run of them
	// refuses one, and its metrics are computed without one (clusterings,
	// topic models).
	NoLabel bool
	// New makes the evaluator of metric over a model's output columns
	// (by parameter name, as Metric.Reads names them, and the model's
	// distanceMeasure; missing ones take Spark's defaults) and the label
	// column.
	New func(metric string, cols map[string]string, labelCol string) Evaluator
}

// registry holds the evaluators by name; written by RegisterEvaluator from
// init functions only.
var registry sync.Map // string → EvaluatorInfo

// RegisterEvaluator declares an evaluator, once, from an init function.
// It panics on a missing name, constructor or metric, or a name or
// metric registered twice (programming errors found at start-up).
func RegisterEvaluator(ev EvaluatorInfo) {
	if ev.Name == "" || ev.New == nil || len(ev.Metrics) == 0 {
		panic("evaluation: RegisterEvaluator needs a Name, a New and Metrics")
	}
	for i := range ev.Metrics {
		ev.Metrics[i].Evaluator = ev.Name
		if _, dup := LookupMetric(ev.Metrics[i].Name); dup {
			panic(fmt.Sprintf("evaluation: metric %q registered twice", ev.Metrics[i].Name))
		}
	}
	if _, dup := registry.LoadOrStore(ev.Name, ev); dup {
		panic(fmt.Sprintf("evaluation: evaluator %q registered twice", ev.Name))
	}
}

// LookupEvaluator returns the evaluator registered under name.
func LookupEvaluator(name string) (EvaluatorInfo, bool) {
	v, ok := registry.Load(name)
	if !ok {
		return EvaluatorInfo{}, false
	}
	return v.(EvaluatorInfo), true
}

// EvaluatorNames returns the registered evaluators' names, sorted.
func EvaluatorNames() []string {
	var out []string
	registry.Range(func(k, _ any) bool {
		out = append(out, k.(string))
		return true
	})
	slices.Sort(out)
	return out
}

// LookupMetric returns the metric named name, of whichever evaluator.
func LookupMetric(name string) (Metric, bool) {
	var out Metric
	found := false
	registry.Range(func(_, v any) bool {
		for _, m := range v.(EvaluatorInfo).Metrics {
			if m.Name == name {
				out, found = m, true
				return false
			}
		}
		return true
	})
	return out, found
}

// MetricNames returns every registered metric's name, by evaluator name
// and then in each evaluator's order.
func MetricNames() []string {
	var out []string
	for _, n := range EvaluatorNames() {
		ev, _ := LookupEvaluator(n)
		for _, m := range ev.Metrics {
			out = append(out, m.Name)
		}
	}
	return out
}

// CheckModel reports whether metric can score model, a predictor stage
// (an estimator or a fitted model) whose registration's default
// evaluator is kind: the metric's evaluator must score that kind of
// model, and the model must make every column the metric reads. The error
// says which column is missing, or which metrics would do.
func CheckModel(metric string, model any, kind string) error {
	m, ok := LookupMetric(metric)
	if !ok {
		return fmt.Errorf("unknown metric %q (allowed: %s)", metric, strings.Join(MetricNames(), ", "))
	}
	ev, _ := LookupEvaluator(m.Evaluator)
	name := ml.StageName(model)
	if !slices.Contains(ev.Scores, kind) {
		return fmt.Errorf("%s is a %s metric, which cannot score %s (a %s model; its metrics: %s)", metric, m.Evaluator, name, kind, strings.Join(Usable(model, kind), ", "))
	}
	params := ml.ParamNames(model)
	for _, col := range m.Reads {
		if !slices.Contains(params, col) {
			return fmt.Errorf("%s reads the %s column, which %s does not make (its metrics: %s)", metric, strings.TrimSuffix(col, "Col"), name, strings.Join(Usable(model, kind), ", "))
		}
	}
	return nil
}

// Usable returns the metrics that can score model (see CheckModel).
func Usable(model any, kind string) []string {
	var out []string
	params := ml.ParamNames(model)
	for _, n := range EvaluatorNames() {
		ev, _ := LookupEvaluator(n)
		if !slices.Contains(ev.Scores, kind) {
			continue
		}
	metrics:
		for _, m := range ev.Metrics {
			for _, col := range m.Reads {
				if !slices.Contains(params, col) {
					continue metrics
				}
			}
			out = append(out, m.Name)
		}
	}
	return out
}

// NeedsLabel reports whether a run of models of kind (their
// ml.Registration.Evaluator) needs a label: every kind but those whose
// evaluator says NoLabel.
func NeedsLabel(kind string) bool {
	ev, ok := LookupEvaluator(kind)
	return !ok || !ev.NoLabel
}

// MetricNeedsLabel reports whether metric compares predictions with a
// label (false for the metrics of a NoLabel evaluator, and for an
// unknown name).
func MetricNeedsLabel(metric string) bool {
	m, ok := LookupMetric(metric)
	if !ok {
		return false
	}
	return NeedsLabel(m.Evaluator)
}

// ModelEvaluator is an Evaluator whose metric reads the fitted model as
// well as the rows it scored (a topic model's bound reads its topics).
// WithModel returns it bound to model, or an error when model is not one
// it scores.
type ModelEvaluator interface {
	Evaluator
	WithModel(model any) (Evaluator, error)
}

// Bind returns ev bound to the fitted model when ev reads one
// (ModelEvaluator), and ev itself otherwise. A tuner binds each fit's
// model before scoring its validation rows.
func Bind(ev Evaluator, model any) (Evaluator, error) {
	if me, ok := ev.(ModelEvaluator); ok {
		return me.WithModel(model)
	}
	return ev, nil
}

// ForModel makes the evaluator of metric for model's output columns (its
// column parameters' values, Spark's defaults where unset), the label
// column, and, for a clustering, the model's features column and
// distanceMeasure (a cosine k-means is scored by cosine distance). An
// evaluator that reads the model itself (ModelEvaluator) is bound to
// model when model is a fitted one it scores; given an estimator (as a
// tuner is), it is left for Bind.
func ForModel(metric string, model any, labelCol string) (Evaluator, error) {
	m, ok := LookupMetric(metric)
	if !ok {
		return nil, fmt.Errorf("unknown metric %q (allowed: %s)", metric, strings.Join(MetricNames(), ", "))
	}
	ev, _ := LookupEvaluator(m.Evaluator)
	cols := map[string]string{}
	set := ml.Params(model)
	for _, col := range []string{"predictionCol", "probabilityCol", "rawPredictionCol", "featuresCol", "distanceMeasure"} {
		if v, ok := set[col].(string); ok && v != "" {
			cols[col] = v
		}
	}
	out := ev.New(metric, cols, labelCol)
	if me, ok := out.(ModelEvaluator); ok {
		if bound, err := me.WithModel(model); err == nil {
			out = bound
		}
	}
	return out, nil
}

func init() {
	pred := []string{"predictionCol"}
	RegisterEvaluator(EvaluatorInfo{
		Name: "multiclass", Class: "MulticlassClassificationEvaluator", Scores: []string{"multiclass"},
		RunDefaults: []string{"accuracy", "f1", "weightedPrecision", "weightedRecall"},
		Metrics: []Metric{
			{Name: "f1", Reads: pred, LargerIsBetter: true},
			{Name: "accuracy", Reads: pred, LargerIsBetter: true},
			{Name: "hammingLoss", Reads: pred},
			{Name: "weightedPrecision", Reads: pred, LargerIsBetter: true},
			{Name: "weightedRecall", Reads: pred, LargerIsBetter: true},
			{Name: "logLoss", Reads: []string{"predictionCol", "probabilityCol"}},
		},
		New: func(metric string, cols map[string]string, label string) Evaluator {
			return &MulticlassClassificationEvaluator{MetricName: metric, LabelCol: label, PredictionCol: cols["predictionCol"], ProbabilityCol: cols["probabilityCol"]}
		},
	})
	RegisterEvaluator(EvaluatorInfo{
		Name: "binary", Class: "BinaryClassificationEvaluator", Scores: []string{"multiclass"},
		Metrics: []Metric{
			{Name: "areaUnderROC", Reads: []string{"rawPredictionCol"}, LargerIsBetter: true},
			{Name: "areaUnderPR", Reads: []string{"rawPredictionCol"}, LargerIsBetter: true},
		},
		New: func(metric string, cols map[string]string, label string) Evaluator {
			return &BinaryClassificationEvaluator{MetricName: metric, LabelCol: label, RawPredictionCol: cols["rawPredictionCol"]}
		},
	})
	RegisterEvaluator(EvaluatorInfo{
		Name: "regression", Class: "RegressionEvaluator", Scores: []string{"regression"},
		RunDefaults: []string{"rmse", "mse", "mae", "r2"},
		Metrics: []Metric{
			{Name: "rmse", Reads: pred},
			{Name: "mse", Reads: pred},
			{Name: "mae", Reads: pred},
			{Name: "r2", Reads: pred, LargerIsBetter: true},
			{Name: "var", Reads: pred, LargerIsBetter: true},
		},
		New: func(metric string, cols map[string]string, label string) Evaluator {
			return &RegressionEvaluator{MetricName: metric, LabelCol: label, PredictionCol: cols["predictionCol"]}
		},
	})
}
