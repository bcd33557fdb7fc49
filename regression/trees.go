package regression

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
	ml.Register(ml.Registration{Name: "DecisionTreeRegressor", New: func() any { return new(DecisionTreeRegressor) },
		Model: &DecisionTreeRegressionModel{}, Evaluator: "regression",
		Samples: tree.Samples("regression", false)})
	ml.Register(ml.Registration{Name: "RandomForestRegressor", New: func() any { return new(RandomForestRegressor) },
		Model: &RandomForestRegressionModel{}, Evaluator: "regression",
		Samples: tree.Samples("regression", false)})
}

// Compile-time checks of the stage contract (see ml/stage.go).
var (
	_ ml.Estimator      = (*DecisionTreeRegressor)(nil)
	_ ml.SchemaChecker  = (*DecisionTreeRegressor)(nil)
	_ ml.ColumnReader   = (*DecisionTreeRegressor)(nil)
	_ ml.Estimator      = (*RandomForestRegressor)(nil)
	_ ml.SchemaChecker  = (*RandomForestRegressor)(nil)
	_ ml.ColumnReader   = (*RandomForestRegressor)(nil)
	_ ml.ParamChecker   = (*RandomForestRegressor)(nil)
	_ engine.Mapper     = (*DecisionTreeRegressionModel)(nil)
	_ ml.StateValidator = (*DecisionTreeRegressionModel)(nil)
	_ engine.Mapper     = (*RandomForestRegressionModel)(nil)
	_ ml.StateValidator = (*RandomForestRegressionModel)(nil)
)

// DecisionTreeRegressor is Spark ML's decision tree regressor, grown by
// histograms (package tree; see classification.DecisionTreeClassifier for
// the bins and the stopping rules) with the variance impurity: a node's
// impurity is Σw(y − ȳ)²/Σw, a split's gain the parent's impurity less
// the children's weighted by their weight shares, a leaf predicts its
// weighted mean label. Defaults: maxDepth 5, maxBins 32,
// minInstancesPerNode 1, minInfoGain 0, impurity variance.
type DecisionTreeRegressor struct {
	tree.Params
	// Impurity is "variance", the only one for regression.
	Impurity string `param:"default=variance,oneOf=variance"`
}

// InputColumns implements ml.ColumnReader.
func (r *DecisionTreeRegressor) InputColumns() []string { return r.Params.InputColumns() }

// OutputSchema implements ml.SchemaChecker.
func (r *DecisionTreeRegressor) OutputSchema(in *table.Schema) (*table.Schema, error) {
	return treeRegressorSchema("DecisionTreeRegressor", in, &r.Params)
}

// Fit implements ml.Estimator: a sampling pass, a binning pass, then one
// pass per level.
func (r *DecisionTreeRegressor) Fit(ctx context.Context, e engine.Engine, ds engine.Dataset) (ml.Model, error) {
	ens, err := fitRegressionForest(ctx, e, ds, "DecisionTreeRegressor", r, &r.Params, 1, "all", tree.Sampling{})
	if err != nil {
		return nil, err
	}
	return &DecisionTreeRegressionModel{TreeColumns: treeColumns(&r.Params), Ensemble: *ens}, nil
}

// RandomForestRegressor is Spark ML's random forest regressor: numTrees
// variance trees on bootstrap draws of the rows, each node choosing among
// featureSubsetStrategy features (see
// classification.RandomForestClassifier); the prediction is the mean of
// the trees'. Defaults (Spark's): numTrees 20, featureSubsetStrategy
// "auto" (a third of the features), subsamplingRate 1, bootstrap true.
type RandomForestRegressor struct {
	tree.Params
	tree.ForestParams
	// Impurity is "variance", the only one for regression.
	Impurity string `param:"default=variance,oneOf=variance"`
}

// InputColumns implements ml.ColumnReader.
func (r *RandomForestRegressor) InputColumns() []string { return r.Params.InputColumns() }

// OutputSchema implements ml.SchemaChecker.
func (r *RandomForestRegressor) OutputSchema(in *table.Schema) (*table.Schema, error) {
	return treeRegressorSchema("RandomForestRegressor", in, &r.Params)
}

// Fit implements ml.Estimator.
func (r *RandomForestRegressor) Fit(ctx context.Context, e engine.Engine, ds engine.Dataset) (ml.Model, error) {
	ens, err := fitRegressionForest(ctx, e, ds, "RandomForestRegressor", r, &r.Params, r.Trees(), r.FeatureSubsetStrategy, r.Sampling(r.Trees()))
	if err != nil {
		return nil, err
	}
	return &RandomForestRegressionModel{TreeColumns: treeColumns(&r.Params), Ensemble: *ens}, nil
}

// fitRegressionForest fits numTrees regression trees for stage (tree.Params.Forest).
func fitRegressionForest(ctx context.Context, e engine.Engine, ds engine.Dataset, name string, stage any, p *tree.Params,
	numTrees int, strategy string, s tree.Sampling) (*tree.Ensemble, error) {
	if err := ml.Validate(stage); err != nil {
		return nil, err
	}
	if _, err := treeRegressorSchema(name, ds.Schema(), p); err != nil {
		return nil, err
	}
	return p.Forest(ctx, e, ds, name, false, "", numTrees, strategy, s)
}

func treeRegressorSchema(stage string, in *table.Schema, p *tree.Params) (*table.Schema, error) {
	features, _, pred := p.Columns()
	if _, err := ml.InputColumn(stage, in, features, table.Vector); err != nil {
		return nil, err
	}
	if err := p.CheckColumns(stage, in); err != nil {
		return nil, err
	}
	return ml.WithOutput(stage, in, pred, table.Float64)
}

// TreeColumns are a tree regression model's columns.
type TreeColumns struct {
	FeaturesCol   string `param:"default=features,nonempty"`
	PredictionCol string `param:"default=prediction,nonempty"`
}

func treeColumns(p *tree.Params) TreeColumns {
	features, _, pred := p.Columns()
	return TreeColumns{FeaturesCol: features, PredictionCol: pred}
}

func (c TreeColumns) outputSchema(stage string, in *table.Schema) (*table.Schema, error) {
	if _, err := ml.InputColumn(stage, in, c.FeaturesCol, table.Vector); err != nil {
		return nil, err
	}
	return ml.WithOutput(stage, in, c.PredictionCol, table.Float64)
}

// transform adds the prediction column of predict over b's features.
func (c TreeColumns) transform(stage string, nf int, info engine.PartitionInfo, b *table.Batch, predict func(x linalg.Vector) float64) (*table.Batch, error) {
	out, err := c.outputSchema(stage, b.Schema())
	if err != nil {
		return nil, err
	}
	fc, err := table.ColumnAs[*table.VectorColumn](b, c.FeaturesCol)
	if err != nil {
		return nil, err
	}
	preds := make([]float64, fc.Len())
	err = linmodel.EachRow(stage, b, fc, info, nf, func(i int, x linalg.Vector) error {
		preds[i] = predict(x)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b.Derive(out, append(append([]table.Column(nil), b.Columns()...), table.NewFloat64Column(preds, nil)))
}

func validateEnsemble(stage string, m *tree.Ensemble) error {
	if m.NumClasses != 0 {
		return fmt.Errorf("%s: a regression model with %d classes", stage, m.NumClasses)
	}
	if err := m.Validate(); err != nil {
		return fmt.Errorf("%s: %w", stage, err)
	}
	return nil
}

// DecisionTreeRegressionModel is a fitted DecisionTreeRegressor.
type DecisionTreeRegressionModel struct {
	TreeColumns
	tree.Ensemble
}

// KernelName implements engine.Kernel.
func (*DecisionTreeRegressionModel) KernelName() string {
	return "regression.DecisionTreeRegressionModel"
}

// OutputSchema implements engine.Mapper.
func (m *DecisionTreeRegressionModel) OutputSchema(in *table.Schema) (*table.Schema, error) {
	return m.outputSchema("DecisionTreeRegressionModel", in)
}

// Predict returns the leaf's mean label.
func (m *DecisionTreeRegressionModel) Predict(x linalg.Vector) float64 { return m.Mean(x) }

// MapPartition implements engine.Mapper.
func (m *DecisionTreeRegressionModel) MapPartition(_ context.Context, info engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	return m.transform("DecisionTreeRegressionModel", m.NumFeatures, info, b, m.Predict)
}

// Validate implements ml.StateValidator.
func (m *DecisionTreeRegressionModel) Validate() error {
	return validateEnsemble("DecisionTreeRegressionModel", &m.Ensemble)
}

// RandomForestRegressionModel is a fitted RandomForestRegressor.
type RandomForestRegressionModel struct {
	TreeColumns
	tree.Ensemble
}

// KernelName implements engine.Kernel.
func (*RandomForestRegressionModel) KernelName() string {
	return "regression.RandomForestRegressionModel"
}

// OutputSchema implements engine.Mapper.
func (m *RandomForestRegressionModel) OutputSchema(in *table.Schema) (*table.Schema, error) {
	return m.outputSchema("RandomForestRegressionModel", in)
}

// Predict returns the mean of the trees' predictions.
func (m *RandomForestRegressionModel) Predict(x linalg.Vector) float64 { return m.Mean(x) }

// MapPartition implements engine.Mapper.
func (m *RandomForestRegressionModel) MapPartition(_ context.Context, info engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	return m.transform("RandomForestRegressionModel", m.NumFeatures, info, b, m.Predict)
}

// Validate implements ml.StateValidator.
func (m *RandomForestRegressionModel) Validate() error {
	return validateEnsemble("RandomForestRegressionModel", &m.Ensemble)
}
