package regression

import (
	"context"
	"fmt"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
	"github.com/spindle-ml/spindle/tree"
)

func init() {
	ml.Register(ml.Registration{Name: "GBTRegressor", New: func() any { return new(GBTRegressor) },
		Model: &GBTRegressionModel{}, Evaluator: "regression",
		Samples: tree.Samples("regression", true)})
}

// Compile-time checks of the stage contract (see ml/stage.go).
var (
	_ ml.Estimator      = (*GBTRegressor)(nil)
	_ ml.SchemaChecker  = (*GBTRegressor)(nil)
	_ ml.ColumnReader   = (*GBTRegressor)(nil)
	_ ml.ParamChecker   = (*GBTRegressor)(nil)
	_ engine.Mapper     = (*GBTRegressionModel)(nil)
	_ ml.StateValidator = (*GBTRegressionModel)(nil)
)

// GBTRegressor is Spark ML's gradient-boosted tree regressor, trained by
// histograms (package tree): the first tree is a variance tree fitted to
// the label (weight 1); each later round fits a variance tree to the
// negative gradient of the loss — 2(y − F) for lossType squared (the
// default), sign(y − F) for absolute — and adds it with weight stepSize.
// The prediction is F. With newtonLeaves (beyond Spark; squared loss
// only) trees are second-order (XGBoost's reg:squarederror: gradient
// F − y, hessian 1, leaves −G/(H+λ)), starting from the mean label.
//
// Defaults (Spark's): maxIter 20, stepSize 0.1, lossType squared,
// subsamplingRate 1, featureSubsetStrategy all, validationTol 0.01,
// maxDepth 5, maxBins 32.
type GBTRegressor struct {
	tree.Params
	tree.BoostParams
	// LossType is "squared" (default) or "absolute".
	LossType string `param:"default=squared,oneOf=squared|absolute"`
	// Impurity is "variance" (Spark's boosting fits regression trees).
	Impurity string `param:"default=variance,oneOf=variance"`
}

// CheckParams implements ml.ParamChecker.
func (r *GBTRegressor) CheckParams() error {
	if err := r.BoostParams.CheckParams(); err != nil {
		return err
	}
	if r.NewtonLeaves && r.LossType == "absolute" {
		return ml.ParamErrorf("newtonLeaves", "needs a loss with a hessian: lossType squared, not absolute")
	}
	return nil
}

// InputColumns implements ml.ColumnReader.
func (r *GBTRegressor) InputColumns() []string {
	return r.Params.InputColumns(r.ValidationIndicatorCol)
}

// OutputSchema implements ml.SchemaChecker.
func (r *GBTRegressor) OutputSchema(in *table.Schema) (*table.Schema, error) {
	if err := r.BoostParams.CheckColumns("GBTRegressor", in); err != nil {
		return nil, err
	}
	return treeRegressorSchema("GBTRegressor", in, &r.Params)
}

// Fit implements ml.Estimator.
func (r *GBTRegressor) Fit(ctx context.Context, e engine.Engine, ds engine.Dataset) (ml.Model, error) {
	const name = "GBTRegressor"
	if err := ml.Validate(r); err != nil {
		return nil, err
	}
	if _, err := r.OutputSchema(ds.Schema()); err != nil {
		return nil, err
	}
	b, err := r.Params.Prepare(ctx, e, ds, name, false, r.ValidationIndicatorCol)
	if err != nil {
		return nil, err
	}
	defer engine.Release(e, b.Data)
	cfg := r.Config(b, tree.Variance, 0, "variance")
	loss := tree.Squared
	if r.LossType == "absolute" {
		loss = tree.Absolute
	}
	bo, err := r.Boost(cfg, loss, 1)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	bo.Base = []float64{b.LabelSum / b.WeightSum}
	ens, _, err := tree.FitBoost(ctx, e, b, cfg, bo)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &GBTRegressionModel{TreeColumns: treeColumns(&r.Params), Ensemble: *ens}, nil
}

// GBTRegressionModel is a fitted GBTRegressor.
type GBTRegressionModel struct {
	TreeColumns
	tree.Ensemble
}

// KernelName implements engine.Kernel.
func (*GBTRegressionModel) KernelName() string { return "regression.GBTRegressionModel" }

// OutputSchema implements engine.Mapper.
func (m *GBTRegressionModel) OutputSchema(in *table.Schema) (*table.Schema, error) {
	return m.outputSchema("GBTRegressionModel", in)
}

// Predict returns the boosted margin F of x.
func (m *GBTRegressionModel) Predict(x linalg.Vector) float64 {
	var f [1]float64
	m.Margins(x, f[:])
	return f[0]
}

// MapPartition implements engine.Mapper.
func (m *GBTRegressionModel) MapPartition(_ context.Context, info engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	return m.transform("GBTRegressionModel", m.NumFeatures, info, b, m.Predict)
}

// Validate implements ml.StateValidator.
func (m *GBTRegressionModel) Validate() error {
	if err := validateEnsemble("GBTRegressionModel", &m.Ensemble); err != nil {
		return err
	}
	if len(m.Base) != 1 || !m.Boosted {
		return fmt.Errorf("GBTRegressionModel: %d margins", len(m.Base))
	}
	return nil
}
