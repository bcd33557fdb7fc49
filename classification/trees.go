package classification

import (
	"context"
	"fmt"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/internal/linmodel"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
	"github.com/spindle-ml/spindle/tree"
)

func init() {
	ml.Register(ml.Registration{Name: "DecisionTreeClassifier", New: func() any { return new(DecisionTreeClassifier) },
		Model: &DecisionTreeClassificationModel{}, Evaluator: "multiclass",
		Samples: tree.Samples("binary", false)})
	ml.Register(ml.Registration{Name: "RandomForestClassifier", New: func() any { return new(RandomForestClassifier) },
		Model: &RandomForestClassificationModel{}, Evaluator: "multiclass",
		Samples: tree.Samples("binary", false)})
}

// Compile-time checks of the stage contract (see ml/stage.go).
var (
	_ ml.Estimator      = (*DecisionTreeClassifier)(nil)
	_ ml.SchemaChecker  = (*DecisionTreeClassifier)(nil)
	_ ml.ColumnReader   = (*DecisionTreeClassifier)(nil)
	_ ml.Estimator      = (*RandomForestClassifier)(nil)
	_ ml.SchemaChecker  = (*RandomForestClassifier)(nil)
	_ ml.ColumnReader   = (*RandomForestClassifier)(nil)
	_ ml.ParamChecker   = (*RandomForestClassifier)(nil)
	_ engine.Mapper     = (*DecisionTreeClassificationModel)(nil)
	_ ml.StateValidator = (*DecisionTreeClassificationModel)(nil)
	_ engine.Mapper     = (*RandomForestClassificationModel)(nil)
	_ ml.StateValidator = (*RandomForestClassificationModel)(nil)
)

// DecisionTreeClassifier is Spark ML's decision tree classifier, grown
// by histograms (package tree): each feature's values go into at most
// maxBins bins, whose thresholds are the midpoints between consecutive
// distinct values when there are at most maxBins of them (then the tree
// is the exact one) and equal-weight quantiles otherwise. A node splits
// on the threshold of largest gain, impurity(parent) − w_L/w·impurity(L)
// − w_R/w·impurity(R), with impurity gini (1 − Σ p_c², the default) or
// entropy (−Σ p_c log₂ p_c) of the weighted class proportions p_c; it is
// a leaf at maxDepth, when no split leaves minInstancesPerNode rows and a
// minWeightFractionPerNode share of the weight on each side, or when the
// best gain is below minInfoGain or not positive. Ties go to the lowest
// feature, then the lowest threshold (Spark's order).
//
// Labels are class indexes 0 … K−1 (K is the largest label + 1, at least
// 2). The model's rawPrediction is the leaf's class weights, probability
// their normalization, prediction the most probable class (Spark's).
type DecisionTreeClassifier struct {
	tree.Params
	RawPredictionCol string `param:"default=rawPrediction,nonempty"`
	ProbabilityCol   string `param:"default=probability,nonempty"`
	// Impurity is "gini" (default) or "entropy".
	Impurity string `param:"default=gini,oneOf=gini|entropy"`
}

// InputColumns implements ml.ColumnReader.
func (c *DecisionTreeClassifier) InputColumns() []string { return c.Params.InputColumns() }

// OutputSchema implements ml.SchemaChecker.
func (c *DecisionTreeClassifier) OutputSchema(in *table.Schema) (*table.Schema, error) {
	return treeClassifierSchema("DecisionTreeClassifier", in, &c.Params, c.RawPredictionCol, c.ProbabilityCol)
}

// Fit implements ml.Estimator: a sampling pass, a binning pass, then one
// pass per tree level.
func (c *DecisionTreeClassifier) Fit(ctx context.Context, e engine.Engine, ds engine.Dataset) (ml.Model, error) {
	const name = "DecisionTreeClassifier"
	ens, err := fitClassForest(ctx, e, ds, name, c, &c.Params, c.Impurity, 1, "all", tree.Sampling{})
	if err != nil {
		return nil, err
	}
	return &DecisionTreeClassificationModel{TreeColumns: treeColumns(&c.Params, c.RawPredictionCol, c.ProbabilityCol), Ensemble: *ens}, nil
}

// RandomForestClassifier is Spark ML's random forest classifier: numTrees
// decision trees (see DecisionTreeClassifier), each grown on a bootstrap
// draw of the rows (Poisson(subsamplingRate) copies of each, when
// bootstrap is true and there is more than one tree; else a
// subsamplingRate sample without replacement), each node choosing among
// featureSubsetStrategy features drawn for it. All trees grow together:
// one pass per level for the whole forest. rawPrediction is the sum of
// the trees' leaf class distributions, probability its normalization.
//
// Defaults (Spark's): numTrees 20, featureSubsetStrategy "auto" (sqrt of
// the features), subsamplingRate 1, bootstrap true, impurity gini, and the
// tree defaults (maxDepth 5, maxBins 32).
type RandomForestClassifier struct {
	tree.Params
	tree.ForestParams
	RawPredictionCol string `param:"default=rawPrediction,nonempty"`
	ProbabilityCol   string `param:"default=probability,nonempty"`
	// Impurity is "gini" (default) or "entropy".
	Impurity string `param:"default=gini,oneOf=gini|entropy"`
}

// InputColumns implements ml.ColumnReader.
func (c *RandomForestClassifier) InputColumns() []string { return c.Params.InputColumns() }

// OutputSchema implements ml.SchemaChecker.
func (c *RandomForestClassifier) OutputSchema(in *table.Schema) (*table.Schema, error) {
	return treeClassifierSchema("RandomForestClassifier", in, &c.Params, c.RawPredictionCol, c.ProbabilityCol)
}

// Fit implements ml.Estimator.
func (c *RandomForestClassifier) Fit(ctx context.Context, e engine.Engine, ds engine.Dataset) (ml.Model, error) {
	const name = "RandomForestClassifier"
	ens, err := fitClassForest(ctx, e, ds, name, c, &c.Params, c.Impurity, c.Trees(), c.FeatureSubsetStrategy, c.Sampling(c.Trees()))
	if err != nil {
		return nil, err
	}
	return &RandomForestClassificationModel{TreeColumns: treeColumns(&c.Params, c.RawPredictionCol, c.ProbabilityCol), Ensemble: *ens}, nil
}

// fitClassForest fits numTrees classification trees for stage (tree.Params.Forest).
func fitClassForest(ctx context.Context, e engine.Engine, ds engine.Dataset, name string, stage any, p *tree.Params,
	impurity string, numTrees int, strategy string, sampling tree.Sampling) (*tree.Ensemble, error) {
	if err := ml.Validate(stage); err != nil {
		return nil, err
	}
	if _, err := treeClassifierSchema(name, ds.Schema(), p, "", ""); err != nil {
		return nil, err
	}
	return p.Forest(ctx, e, ds, name, true, impurity, numTrees, strategy, sampling)
}

// treeClassifierSchema checks a tree classifier's input columns and adds
// its outputs.
func treeClassifierSchema(stage string, in *table.Schema, p *tree.Params, raw, prob string) (*table.Schema, error) {
	features, _, pred := p.Columns()
	if err := p.CheckColumns(stage, in); err != nil {
		return nil, err
	}
	return probabilisticSchema(stage, in, features, orDefault(raw, "rawPrediction"), orDefault(prob, "probability"), pred)
}

// TreeColumns are a tree classification model's columns.
type TreeColumns struct {
	FeaturesCol      string `param:"default=features,nonempty"`
	PredictionCol    string `param:"default=prediction,nonempty"`
	RawPredictionCol string `param:"default=rawPrediction,nonempty"`
	ProbabilityCol   string `param:"default=probability,nonempty"`
}

func treeColumns(p *tree.Params, raw, prob string) TreeColumns {
	features, _, pred := p.Columns()
	return TreeColumns{FeaturesCol: features, PredictionCol: pred, RawPredictionCol: orDefault(raw, "rawPrediction"),
		ProbabilityCol: orDefault(prob, "probability")}
}

// predictForest returns a decision tree's or forest's raw prediction,
// probability and class of x.
func predictForest(m *tree.Ensemble, x linalg.Vector) (raw, prob []float64, pred float64) {
	raw = make([]float64, m.NumClasses)
	m.ClassRaw(x, raw)
	prob = make([]float64, len(raw))
	var s float64
	for _, v := range raw {
		s += v
	}
	best := 0
	for c, v := range raw {
		if s > 0 {
			prob[c] = v / s
		}
		if prob[c] > prob[best] {
			best = c
		}
	}
	return raw, prob, float64(best)
}

func (c TreeColumns) outputSchema(stage string, in *table.Schema) (*table.Schema, error) {
	return probabilisticSchema(stage, in, c.FeaturesCol, c.RawPredictionCol, c.ProbabilityCol, c.PredictionCol)
}

// transform adds the three columns of predict over b's features.
func (c TreeColumns) transform(stage string, nf int, info engine.PartitionInfo, b *table.Batch,
	predict func(x linalg.Vector) (raw, prob []float64, pred float64)) (*table.Batch, error) {
	out, err := c.outputSchema(stage, b.Schema())
	if err != nil {
		return nil, err
	}
	return addPredictions(stage, out, b, c.FeaturesCol, nf, info, predict)
}

// addPredictions appends the rawPrediction, probability and prediction
// columns of predict over the vectors of column features (nf features
// each) to b, under schema out.
func addPredictions(stage string, out *table.Schema, b *table.Batch, features string, nf int, info engine.PartitionInfo,
	predict func(x linalg.Vector) (raw, prob []float64, pred float64)) (*table.Batch, error) {
	fc, err := table.ColumnAs[*table.VectorColumn](b, features)
	if err != nil {
		return nil, err
	}
	n := fc.Len()
	raws, probs := make([]linalg.Vector, n), make([]linalg.Vector, n)
	preds := make([]float64, n)
	err = linmodel.EachRow(stage, b, fc, info, nf, func(i int, x linalg.Vector) error {
		r, p, y := predict(x)
		raws[i], probs[i], preds[i] = linalg.Dense(r), linalg.Dense(p), y
		return nil
	})
	if err != nil {
		return nil, err
	}
	cols := append(append([]table.Column(nil), b.Columns()...),
		table.NewVectorColumn(raws, nil), table.NewVectorColumn(probs, nil), table.NewFloat64Column(preds, nil))
	return b.Derive(out, cols)
}

func validateEnsemble(stage string, m *tree.Ensemble, classes int) error {
	if m.NumClasses < classes {
		return fmt.Errorf("%s: %d classes", stage, m.NumClasses)
	}
	if err := m.Validate(); err != nil {
		return fmt.Errorf("%s: %w", stage, err)
	}
	return nil
}

// DecisionTreeClassificationModel is a fitted DecisionTreeClassifier.
type DecisionTreeClassificationModel struct {
	TreeColumns
	tree.Ensemble
}

// KernelName implements engine.Kernel.
func (*DecisionTreeClassificationModel) KernelName() string {
	return "classification.DecisionTreeClassificationModel"
}

// OutputSchema implements engine.Mapper.
func (m *DecisionTreeClassificationModel) OutputSchema(in *table.Schema) (*table.Schema, error) {
	return m.outputSchema("DecisionTreeClassificationModel", in)
}

// Predict returns the raw prediction (the leaf's class weights),
// probability and class of x.
func (m *DecisionTreeClassificationModel) Predict(x linalg.Vector) (raw, prob []float64, pred float64) {
	return predictForest(&m.Ensemble, x)
}

// MapPartition implements engine.Mapper.
func (m *DecisionTreeClassificationModel) MapPartition(_ context.Context, info engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	return m.transform("DecisionTreeClassificationModel", m.NumFeatures, info, b, m.Predict)
}

// Validate implements ml.StateValidator.
func (m *DecisionTreeClassificationModel) Validate() error {
	return validateEnsemble("DecisionTreeClassificationModel", &m.Ensemble, 2)
}

// RandomForestClassificationModel is a fitted RandomForestClassifier.
type RandomForestClassificationModel struct {
	TreeColumns
	tree.Ensemble
}

// KernelName implements engine.Kernel.
func (*RandomForestClassificationModel) KernelName() string {
	return "classification.RandomForestClassificationModel"
}

// OutputSchema implements engine.Mapper.
func (m *RandomForestClassificationModel) OutputSchema(in *table.Schema) (*table.Schema, error) {
	return m.outputSchema("RandomForestClassificationModel", in)
}

// Predict returns the raw prediction (the sum of the trees' leaf class
// distributions), probability and class of x.
func (m *RandomForestClassificationModel) Predict(x linalg.Vector) (raw, prob []float64, pred float64) {
	return predictForest(&m.Ensemble, x)
}

// MapPartition implements engine.Mapper.
func (m *RandomForestClassificationModel) MapPartition(_ context.Context, info engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	return m.transform("RandomForestClassificationModel", m.NumFeatures, info, b, m.Predict)
}

// Validate implements ml.StateValidator.
func (m *RandomForestClassificationModel) Validate() error {
	return validateEnsemble("RandomForestClassificationModel", &m.Ensemble, 2)
}
