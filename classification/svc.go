package classification

import (
	"context"
	"fmt"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/internal/linmodel"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/optim"
	"github.com/spindle-ml/spindle/table"
)

func init() {
	engine.RegisterAggregator[*lossGrad](hingeGradient{})
	ml.Register(ml.Registration{Name: "LinearSVC", New: func() any { return new(LinearSVC) }, Model: &LinearSVCModel{}, Evaluator: "multiclass",
		Samples: []ml.Sample{
			{
				Columns: []ml.SampleColumn{{Name: "features", Type: table.Vector}, {Name: "w", Type: table.Float64, Kind: "positive"}},
				Label:   "binary",
				Params:  ml.ParamMap{},
				Values:  map[string][]any{"weightCol": {"w"}, "maxIter": {3}},
			},
			{
				Name:    "sparse",
				Columns: []ml.SampleColumn{{Name: "features", Type: table.Vector, Kind: "counts"}},
				Label:   "binary",
				Params:  ml.ParamMap{"regParam": 0.1},
			},
		}})
}

// Compile-time checks of the stage contract (see ml/stage.go).
var (
	_ ml.Estimator        = (*LinearSVC)(nil)
	_ ml.SchemaChecker    = (*LinearSVC)(nil)
	_ ml.ColumnReader     = (*LinearSVC)(nil)
	_ ml.ProgressReporter = (*LinearSVC)(nil)
	_ ml.Model            = (*LinearSVCModel)(nil)
	_ engine.Mapper       = (*LinearSVCModel)(nil)
	_ ml.StateValidator   = (*LinearSVCModel)(nil)
)

// LinearSVC is Spark ML's linear support vector classifier for labels 0
// and 1. It minimizes Spark's objective
//
//	1/Σw Σ w_i max(0, 1 − y'_i (β·x_i + b)) + λ/2 ‖β̃‖²,  y' = 2y − 1,
//
// where β̃_j = β_j σ_j with standardization (the default) and β̃ = β
// without; the intercept is not penalized (λ = RegParam).
//
// Spark runs its quasi-Newton method on the hinge itself, whose kinks stop
// it short of the minimum. Spindle minimizes the same objective through a
// short sequence of quadratically smoothed hinges (width δ = 1, 0.1, …,
// 1e-7, each L-BFGS run warm-started from the last and bounded by MaxIter
// iterations), then solves the KKT conditions for the rows found on the
// margin (see polishSVC), which lands on the exact minimizer: within 1e-12
// of libsvm's polished solution in the golden test, where the smoothed
// answer alone (like Spark's) is off by up to 1e-3.
//
// Defaults: maxIter 100, tol 1e-6, regParam 0, fitIntercept true,
// standardization true, threshold 0 (on the margin); featuresCol
// "features", labelCol "label"; outputs rawPrediction [−m, m] and
// prediction (1 when m > threshold).
type LinearSVC struct {
	FeaturesCol      string `param:"default=features,nonempty"`
	LabelCol         string `param:"default=label,nonempty"`
	WeightCol        string `param:""`
	PredictionCol    string `param:"default=prediction,nonempty"`
	RawPredictionCol string `param:"default=rawPrediction,nonempty"`
	// MaxIter bounds each optimizer run. If nil, it is 100; 0 runs none
	// (the model is all zeros, as in Spark).
	MaxIter *int `param:"default=100,min=0"`
	// RegParam (λ, ≥ 0) and Tol (≥ 0; nil means 1e-6).
	RegParam float64  `param:"default=0,min=0"`
	Tol      *float64 `param:"default=1e-06,min=0"`
	// Threshold on the margin. Default 0.
	Threshold                     float64 `param:"default=0"`
	FitIntercept, Standardization *bool   `param:"default=true"`
	// Progress, if set, is called after each optimizer iteration.
	Progress func(iter int, loss float64)
}

// SetProgress implements ml.ProgressReporter.
func (s *LinearSVC) SetProgress(fn func(iter int, loss float64)) { s.Progress = fn }

// InputColumns implements ml.ColumnReader.
func (s *LinearSVC) InputColumns() []string {
	return linmodel.InputColumns(s.FeaturesCol, s.LabelCol, s.WeightCol)
}

// hingeGradient is one pass of the smoothed hinge loss and its gradient
// at Coef ((d + 1) values, intercept last) over features scaled by InvStd.
type hingeGradient struct {
	FeaturesCol, LabelCol, WeightCol string
	InvStd, Coef                     []float64
	Delta                            float64
}

func (hingeGradient) KernelName() string { return "classification.HingeGradient" }
func (hingeGradient) Zero() *lossGrad    { return &lossGrad{} }

// smoothHinge returns the quadratically smoothed hinge at z and its
// derivative: 0 for z ≥ 1, (1 − z)²/(2δ) within δ below 1, and
// 1 − z − δ/2 further down (the hinge itself when δ = 0).
func smoothHinge(z, delta float64) (float64, float64) {
	switch {
	case z >= 1:
		return 0, 0
	case z > 1-delta:
		u := 1 - z
		return u * u / (2 * delta), -u / delta
	}
	return 1 - z - delta/2, -1
}

func (k hingeGradient) Fold(ctx context.Context, info engine.PartitionInfo, acc *lossGrad, b *table.Batch) (*lossGrad, error) {
	c, err := linmodel.Read(b, k.FeaturesCol, k.LabelCol, k.WeightCol)
	if err != nil {
		return nil, err
	}
	d := len(k.InvStd)
	if acc.Grad == nil {
		acc.Grad = make([]float64, d+1)
	}
	if x, ok, err := linmodel.DenseRows(ctx, b, k.FeaturesCol, c.Features, d); err != nil {
		return nil, err
	} else if ok {
		return k.foldDense(info, acc, b, c, x)
	}
	for i := 0; i < b.NumRows(); i++ {
		x, y, w, err := k.row(c, info, i)
		if err != nil {
			return nil, err
		}
		if w == 0 {
			continue
		}
		m := k.Coef[d]
		linmodel.ForEach(x, func(j int, v float64) { m += v * k.InvStd[j] * k.Coef[j] })
		ys := 2*y - 1
		l, dl := smoothHinge(ys*m, k.Delta)
		acc.Loss += w * l
		acc.Weight += w
		if dl == 0 {
			continue
		}
		mult := w * dl * ys
		linmodel.ForEach(x, func(j int, v float64) { acc.Grad[j] += mult * v * k.InvStd[j] })
		acc.Grad[d] += mult
	}
	return acc, nil
}

// row is Columns.Row, with LinearSVC's labels: 0 and 1.
func (hingeGradient) row(c *linmodel.Columns, info engine.PartitionInfo, i int) (linalg.Vector, float64, float64, error) {
	x, y, w, err := c.Row(i, info)
	if err == nil && y != 0 && y != 1 {
		err = fmt.Errorf("%s: label %v; LinearSVC needs labels 0 and 1", engine.Row{Info: info, Batch: c.Batch(), I: i}, y)
	}
	return x, y, w, err
}

// foldDense is Fold over x, the partition's rows as a dense row-major
// block (linmodel.DensePass): margins with w = InvStd ⊙ coef, the
// gradient summed unscaled and scaled by InvStd at the end.
func (k hingeGradient) foldDense(info engine.PartitionInfo, acc *lossGrad, b *table.Batch, c *linmodel.Columns, x []float64) (*lossGrad, error) {
	d := len(k.InvStd)
	ys, ws, err := c.Labels(info, func(y float64) bool { return y == 0 || y == 1 }, func(i int) (float64, float64, error) {
		_, y, w, err := k.row(c, info, i)
		return y, w, err
	})
	if err != nil {
		return nil, err
	}
	w := make([]float64, d)
	for j := range w {
		w[j] = k.InvStd[j] * k.Coef[j]
	}
	g, ig, err := linmodel.DenseOne(x, b.NumRows(), w, k.Coef[d], ws, func(i int, m, wt float64) float64 {
		ys := 2*ys[i] - 1
		l, dl := smoothHinge(ys*m, k.Delta)
		acc.Loss += wt * l
		acc.Weight += wt
		return wt * dl * ys
	})
	if err != nil {
		return nil, err
	}
	for j := range d {
		acc.Grad[j] += k.InvStd[j] * g[j]
	}
	acc.Grad[d] += ig
	return acc, nil
}

func (hingeGradient) Merge(a, b *lossGrad) (*lossGrad, error) { return logisticGradient{}.Merge(a, b) }

// Fit implements ml.Estimator.
func (s *LinearSVC) Fit(ctx context.Context, e engine.Engine, ds engine.Dataset) (ml.Model, error) {
	const name = "LinearSVC"
	featuresCol, labelCol := orDefault(s.FeaturesCol, "features"), orDefault(s.LabelCol, "label")
	if _, err := ml.InputColumn(name, ds.Schema(), featuresCol, table.Vector); err != nil {
		return nil, err
	}
	if _, err := ml.InputColumn(name, ds.Schema(), labelCol, table.Float64, table.Int64); err != nil {
		return nil, err
	}
	if err := ml.Validate(s); err != nil {
		return nil, err
	}
	stats, err := engine.Aggregate(ctx, e, ds, statsKernel{featuresCol, labelCol, s.WeightCol})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if stats.Rows == 0 || stats.WeightSum == 0 {
		return nil, fmt.Errorf("%s: no training rows (or every weight is 0)", name)
	}
	if len(stats.ClassWeight) > 2 {
		return nil, fmt.Errorf("%s: labels must be 0 and 1, found %d classes", name, len(stats.ClassWeight))
	}
	if len(stats.ClassWeight) < 2 || stats.ClassWeight[0] == 0 || stats.ClassWeight[1] == 0 {
		return nil, fmt.Errorf("%s: the label column %q has a single class; a classifier needs at least two", name, labelCol)
	}
	fitIntercept := ml.BoolOr(s.FitIntercept, true)
	standardize := ml.BoolOr(s.Standardization, true)
	d := stats.Size
	if err := linmodel.CheckModel(fmt.Sprintf("%s: %d features", name, d), int64(d+1)); err != nil {
		return nil, err
	}
	invStd := make([]float64, d)
	for j, sd := range stats.std() {
		if sd > 0 {
			invStd[j] = 1 / sd
		}
	}
	reg := s.RegParam
	k := hingeGradient{FeaturesCol: featuresCol, LabelCol: labelCol, WeightCol: s.WeightCol, InvStd: invStd}
	var hist []float64
	iters := 0
	obj := optim.ObjectiveFunc(func(ctx context.Context, x, g []float64) (float64, error) {
		k.Coef = x
		lg, err := engine.Aggregate(ctx, e, ds, k)
		if err != nil {
			return 0, err
		}
		f := lg.Loss / stats.WeightSum
		for i := range g {
			g[i] = lg.Grad[i] / stats.WeightSum
		}
		if !fitIntercept {
			g[d] = 0
		}
		for j := 0; j < d; j++ {
			p := 1.0
			if !standardize {
				p = invStd[j] * invStd[j]
			}
			f += reg / 2 * x[j] * x[j] * p
			g[j] += reg * x[j] * p
		}
		return f, nil
	})
	x := make([]float64, d+1)
	maxIter := optim.MaxIterOf(s.MaxIter)
	for delta := 1.0; delta > 5e-8 && maxIter >= 0; delta /= 10 {
		k.Delta = delta
		res, err := (&optim.LBFGS{MaxIter: maxIter, Tol: optim.TolOf(s.Tol), Progress: s.Progress}).Minimize(ctx, obj, x)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		x = res.X
		hist = append(hist, res.History...)
		iters += res.Iterations
	}
	pen := make([]float64, d)
	for j := range pen {
		pen[j] = 1
		if !standardize {
			pen[j] = invStd[j] * invStd[j]
		}
	}
	if maxIter >= 0 { // maxIter 0 keeps the starting point
		if x, err = polishSVC(ctx, e, ds, k, x, reg, pen, fitIntercept); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	m := &LinearSVCModel{FeaturesCol: featuresCol, PredictionCol: orDefault(s.PredictionCol, "prediction"),
		RawPredictionCol: orDefault(s.RawPredictionCol, "rawPrediction"), NumFeatures: d, Threshold: s.Threshold,
		Coefficients: make([]float64, d), ObjectiveHistory: hist, TotalIterations: iters}
	for j := range m.Coefficients {
		m.Coefficients[j] = x[j] * invStd[j]
	}
	if fitIntercept {
		m.Intercept = x[d]
	}
	return m, nil
}

// LinearSVCModel is a fitted linear SVM: rawPrediction [−m, m] with
// m = β·x + b, prediction 1 when m > Threshold.
type LinearSVCModel struct {
	FeaturesCol      string `param:"default=features,nonempty"`
	PredictionCol    string `param:"default=prediction,nonempty"`
	RawPredictionCol string `param:"default=rawPrediction,nonempty"`
	NumFeatures      int
	Coefficients     []float64
	Intercept        float64
	Threshold        float64 `param:""`
	ObjectiveHistory []float64
	TotalIterations  int
}

// KernelName implements engine.Kernel.
func (*LinearSVCModel) KernelName() string { return "classification.LinearSVCModel" }

// OutputSchema implements engine.Mapper.
func (m *LinearSVCModel) OutputSchema(in *table.Schema) (*table.Schema, error) {
	return probabilisticSchema("LinearSVCModel", in, m.FeaturesCol, m.RawPredictionCol, "", m.PredictionCol)
}

// Margin returns β·x + b.
func (m *LinearSVCModel) Margin(x linalg.Vector) float64 {
	return linalg.Dot(x, m.Coefficients) + m.Intercept
}

// MapPartition implements engine.Mapper.
func (m *LinearSVCModel) MapPartition(_ context.Context, info engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	out, err := m.OutputSchema(b.Schema())
	if err != nil {
		return nil, err
	}
	fc, err := table.ColumnAs[*table.VectorColumn](b, m.FeaturesCol)
	if err != nil {
		return nil, err
	}
	raws := make([]linalg.Vector, fc.Len())
	preds := make([]float64, fc.Len())
	err = linmodel.EachRow("LinearSVCModel", b, fc, info, m.NumFeatures, func(i int, x linalg.Vector) error {
		mg := m.Margin(x)
		raws[i] = linalg.Dense([]float64{-mg, mg})
		if mg > m.Threshold {
			preds[i] = 1
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	cols := append(append([]table.Column(nil), b.Columns()...), table.NewVectorColumn(raws, nil), table.NewFloat64Column(preds, nil))
	return b.Derive(out, cols)
}

// Validate checks the model's arrays against its sizes.
func (m *LinearSVCModel) Validate() error {
	if m.NumFeatures < 0 || len(m.Coefficients) != m.NumFeatures || !finite(m.Intercept) {
		return fmt.Errorf("LinearSVCModel: %d features, %d coefficients, intercept %v", m.NumFeatures, len(m.Coefficients), m.Intercept)
	}
	return nil
}
