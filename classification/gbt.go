package classification

import (
	"context"
	"fmt"
	"math"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
	"github.com/spindle-ml/spindle/tree"
)

func init() {
	ml.Register(ml.Registration{Name: "GBTClassifier", New: func() any { return new(GBTClassifier) },
		Model: &GBTClassificationModel{}, Evaluator: "multiclass",
		Samples: tree.Samples("binary", true)})
}

// Compile-time checks of the stage contract (see ml/stage.go).
var (
	_ ml.Estimator      = (*GBTClassifier)(nil)
	_ ml.SchemaChecker  = (*GBTClassifier)(nil)
	_ ml.ColumnReader   = (*GBTClassifier)(nil)
	_ ml.ParamChecker   = (*GBTClassifier)(nil)
	_ engine.Mapper     = (*GBTClassificationModel)(nil)
	_ ml.StateValidator = (*GBTClassificationModel)(nil)
)

// GBTClassifier is Spark ML's gradient-boosted tree classifier, trained
// by histograms (package tree). With Spark's settings (the defaults), the
// labels 0/1 become y = ±1, the first tree is a variance tree fitted to y
// (weight 1), and each of the maxIter−1 later rounds fits a variance tree
// to the negative gradient of the log loss 2·log(1 + e^{−2yF}), 4y/(1 +
// e^{2yF}), and adds it with weight stepSize. The model's rawPrediction
// is [−F, F], probability [1 − σ(2F), σ(2F)], prediction 1 when F > 0.
//
// Beyond Spark:
//   - newtonLeaves fits second-order trees (XGBoost's binary:logistic
//     with gradient p − y and hessian p(1 − p) in z = 2F, L2 penalty
//     regLambda, minimum child hessian minChildWeight), from margin 0;
//   - labels of more than two classes (Spark refuses them) train softmax
//     boosting: each round fits one tree per class to the gradient of the
//     cross-entropy (with newtonLeaves, gradient p_k − y_k and hessian
//     2p_k(1 − p_k) as XGBoost's multi:softprob); rawPrediction is the
//     class margins, probability their softmax.
//
// Defaults (Spark's): maxIter 20, stepSize 0.1, lossType logistic,
// subsamplingRate 1, featureSubsetStrategy all, validationTol 0.01, and
// the tree defaults (maxDepth 5, maxBins 32). The variance trees of
// Spark's boosting take impurity variance; impurity is accepted for
// Spark's sake and must be "variance" when set.
type GBTClassifier struct {
	tree.Params
	tree.BoostParams
	RawPredictionCol string `param:"default=rawPrediction,nonempty"`
	ProbabilityCol   string `param:"default=probability,nonempty"`
	// LossType is "logistic", the only one (Spark's).
	LossType string `param:"default=logistic,oneOf=logistic"`
	// Impurity is "variance" (Spark's boosting fits regression trees).
	Impurity string `param:"default=variance,oneOf=variance"`
}

// InputColumns implements ml.ColumnReader.
func (c *GBTClassifier) InputColumns() []string {
	return c.Params.InputColumns(c.ValidationIndicatorCol)
}

// OutputSchema implements ml.SchemaChecker.
func (c *GBTClassifier) OutputSchema(in *table.Schema) (*table.Schema, error) {
	if err := c.BoostParams.CheckColumns("GBTClassifier", in); err != nil {
		return nil, err
	}
	return treeClassifierSchema("GBTClassifier", in, &c.Params, c.RawPredictionCol, c.ProbabilityCol)
}

// Fit implements ml.Estimator: a sampling pass, a binning pass, then per
// round one pass for the margins and one per tree level.
func (c *GBTClassifier) Fit(ctx context.Context, e engine.Engine, ds engine.Dataset) (ml.Model, error) {
	m, _, err := c.FitStats(ctx, e, ds)
	return m, err
}

// FitStats is Fit, also returning the fit's pass counts.
func (c *GBTClassifier) FitStats(ctx context.Context, e engine.Engine, ds engine.Dataset) (*GBTClassificationModel, *tree.FitStats, error) {
	const name = "GBTClassifier"
	if err := ml.Validate(c); err != nil {
		return nil, nil, err
	}
	if _, err := c.OutputSchema(ds.Schema()); err != nil {
		return nil, nil, err
	}
	b, err := c.Params.Prepare(ctx, e, ds, name, true, c.ValidationIndicatorCol)
	if err != nil {
		return nil, nil, err
	}
	defer engine.Release(e, b.Data)
	classes := max(int(b.MaxLabel)+1, 2)
	cfg := c.Config(b, tree.Variance, 0, "variance")
	loss, k := tree.Logistic, 1
	if classes > 2 {
		loss, k = tree.Softmax, classes
	}
	bo, err := c.Boost(cfg, loss, k)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	ens, st, err := tree.FitBoost(ctx, e, b, cfg, bo)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	st.Passes = st.TreePasses + 2
	ens.NumClasses = classes
	return &GBTClassificationModel{TreeColumns: treeColumns(&c.Params, c.RawPredictionCol, c.ProbabilityCol), Ensemble: *ens}, st, nil
}

// GBTClassificationModel is a fitted GBTClassifier.
type GBTClassificationModel struct {
	TreeColumns
	tree.Ensemble
}

// KernelName implements engine.Kernel.
func (*GBTClassificationModel) KernelName() string { return "classification.GBTClassificationModel" }

// OutputSchema implements engine.Mapper.
func (m *GBTClassificationModel) OutputSchema(in *table.Schema) (*table.Schema, error) {
	return m.outputSchema("GBTClassificationModel", in)
}

// Predict returns the raw prediction, probability and class of x: for
// two classes [−F, F], [1 − σ(2F), σ(2F)] and F > 0; for more, the
// margins, their softmax and the most probable class.
func (m *GBTClassificationModel) Predict(x linalg.Vector) (raw, prob []float64, pred float64) {
	ms := make([]float64, len(m.Base))
	m.Margins(x, ms)
	if len(ms) == 1 {
		f := ms[0]
		p := 1 / (1 + math.Exp(-2*f))
		if f > 0 {
			pred = 1
		}
		return []float64{-f, f}, []float64{1 - p, p}, pred
	}
	prob, best := softmax(ms)
	return ms, prob, float64(best)
}

// MapPartition implements engine.Mapper.
func (m *GBTClassificationModel) MapPartition(_ context.Context, info engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	return m.transform("GBTClassificationModel", m.NumFeatures, info, b, m.Predict)
}

// Validate implements ml.StateValidator.
func (m *GBTClassificationModel) Validate() error {
	if err := validateEnsemble("GBTClassificationModel", &m.Ensemble, 2); err != nil {
		return err
	}
	if k := len(m.Base); !m.Boosted || (k != 1 && k != m.NumClasses) || (k == 1 && m.NumClasses != 2) {
		return fmt.Errorf("GBTClassificationModel: %d margins for %d classes", k, m.NumClasses)
	}
	return nil
}
