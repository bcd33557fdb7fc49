// Package regression holds Spark ML's regression estimators.
package regression

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/internal/linmodel"
	"github.com/spindle-ml/spindle/internal/memlimit"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/optim"
	"github.com/spindle-ml/spindle/table"
)

func init() {
	engine.RegisterAggregator[*linmodel.Moments](momentsKernel{})
	engine.RegisterAggregator[*squaredLoss](squaredGradient{})
	engine.RegisterAggregator[*Gram](gramKernel{})
	ml.Register(ml.Registration{Name: "LinearRegression", New: func() any { return new(LinearRegression) }, Model: &LinearRegressionModel{}, Evaluator: "regression",
		Samples: []ml.Sample{
			{
				Columns: []ml.SampleColumn{{Name: "features", Type: table.Vector}, {Name: "w", Type: table.Float64, Kind: "positive"}},
				Label:   "regression",
				Params:  ml.ParamMap{},
				Values:  map[string][]any{"weightCol": {"w"}, "maxIter": {3}},
			},
			{
				Name:    "sparse l-bfgs",
				Columns: []ml.SampleColumn{{Name: "features", Type: table.Vector, Kind: "counts"}},
				Label:   "regression",
				Params:  ml.ParamMap{"solver": "l-bfgs", "regParam": 0.1, "elasticNetParam": 0.5},
			},
		}})
}

// Compile-time checks of the stage contract (see ml/stage.go).
var (
	_ ml.Estimator        = (*LinearRegression)(nil)
	_ ml.SchemaChecker    = (*LinearRegression)(nil)
	_ ml.ColumnReader     = (*LinearRegression)(nil)
	_ ml.ProgressReporter = (*LinearRegression)(nil)
	_ ml.Model            = (*LinearRegressionModel)(nil)
	_ engine.Mapper       = (*LinearRegressionModel)(nil)
	_ ml.StateValidator   = (*LinearRegressionModel)(nil)
)

// MaxNormalFeatures bounds the features the normal-equation solver takes
// (its d×d matrix is built on the driver), as Spark's does.
const MaxNormalFeatures = 4096

// LinearRegression is Spark ML's least-squares linear regression with
// elastic-net regularization. It minimizes, over the coefficients β and
// intercept b,
//
//	1/(2Σw) Σ w_i (β·x_i + b − y_i)² + λ/σ_y · ((1−α)/2 ‖β̃‖² + α ‖β̃‖₁) · σ_y²
//
// computed, as Spark does, on features scaled by their standard deviations
// σ_j and a label scaled by σ_y (centred when fitting an intercept): the
// penalty applies to β̃_j = β_j σ_j / σ_y when standardization is true and
// to β_j / σ_y otherwise (λ = RegParam, α = ElasticNetParam). The intercept
// is never penalized and is set in closed form, ȳ − β·x̄.
//
// Solvers: "l-bfgs" (L-BFGS for L2, OWL-QN with L1: one data pass per
// evaluation), "normal" (one pass builds XᵀWX; L2 is then solved by
// Cholesky, L1 by OWL-QN on the d×d system, with no more data passes;
// at most MaxNormalFeatures features) and "auto" (default: normal when the
// features fit, else l-bfgs).
//
// Defaults: featuresCol "features", labelCol "label", predictionCol
// "prediction", maxIter 100, tol 1e-6, regParam 0, elasticNetParam 0,
// fitIntercept true, standardization true, solver auto.
type LinearRegression struct {
	FeaturesCol   string `param:"default=features,nonempty"`
	LabelCol      string `param:"default=label,nonempty"`
	WeightCol     string `param:""`
	PredictionCol string `param:"default=prediction,nonempty"`
	// MaxIter bounds the optimizer's iterations. If nil, it is 100; 0
	// runs none. (The normal solver's L2 answer is direct and ignores it,
	// as Spark's does.)
	MaxIter *int `param:"default=100,min=0"`
	// RegParam is λ (≥ 0); ElasticNetParam α (in [0, 1]); Tol the
	// optimizer's tolerance (≥ 0; nil means 1e-6).
	RegParam                      float64  `param:"default=0,min=0"`
	ElasticNetParam               float64  `param:"default=0,min=0,max=1"`
	Tol                           *float64 `param:"default=1e-06,min=0"`
	FitIntercept, Standardization *bool    `param:"default=true"`
	Solver                        string   `param:"default=auto,oneOf=auto|normal|l-bfgs"`
	// Progress, if set, is called after each optimizer iteration.
	Progress func(iter int, loss float64)
}

// SetProgress implements ml.ProgressReporter.
func (lr *LinearRegression) SetProgress(fn func(iter int, loss float64)) { lr.Progress = fn }

// InputColumns implements ml.ColumnReader.
func (lr *LinearRegression) InputColumns() []string {
	return linmodel.InputColumns(lr.FeaturesCol, lr.LabelCol, lr.WeightCol)
}

type momentsKernel struct{ FeaturesCol, LabelCol, WeightCol string }

func (momentsKernel) KernelName() string                                      { return "regression.Moments" }
func (momentsKernel) Zero() *linmodel.Moments                                 { return linmodel.NewMoments() }
func (momentsKernel) Merge(a, b *linmodel.Moments) (*linmodel.Moments, error) { return a.Merge(b) }
func (k momentsKernel) Fold(_ context.Context, info engine.PartitionInfo, acc *linmodel.Moments, b *table.Batch) (*linmodel.Moments, error) {
	c, err := linmodel.Read(b, k.FeaturesCol, k.LabelCol, k.WeightCol)
	if err != nil {
		return nil, err
	}
	// The rows are summed in two sweeps (Moments.AddDense over a block,
	// AddRows over rows held one by one: the same bits, so every engine
	// and storage gets the same statistics); anything the sweeps do not
	// take goes row by row below, which names the first bad row.
	ys, ws, err := c.Labels(info, func(float64) bool { return true }, func(i int) (float64, float64, error) {
		_, y, w, err := c.Row(i, info)
		return y, w, err
	})
	if err == nil {
		var mo *linmodel.Moments
		var ok bool
		if x, nf, block := table.DenseBlock(c.Features); block {
			mo, ok, err = acc.AddDense(x, nf, ys, ws)
		} else {
			mo, ok, err = acc.AddRows(c.Features.Values, c.Features.Valid, ys, ws)
		}
		if err != nil || ok {
			return mo, err
		}
	}
	for i := 0; i < b.NumRows(); i++ {
		x, y, w, err := c.Row(i, info)
		if err != nil {
			return nil, err
		}
		if err := acc.Add(x, y, w); err != nil {
			return nil, fmt.Errorf("%s: %w", engine.RowName(info, b, i), err)
		}
	}
	return acc, nil
}

// squaredGradient is one pass of the scaled least-squares loss and its
// gradient at Coef (the scaled coefficients β').
type squaredGradient struct {
	FeaturesCol, LabelCol, WeightCol string
	// Scale[j] = 1/σ_j (0 for constant features); Offset is the constant
	// part of each residual, −Σ β'_j x̄_j/σ_j + ȳ/σ_y when centring.
	Scale  []float64
	Coef   []float64
	Offset float64
	InvYS  float64
}

type squaredLoss struct {
	Loss, Weight, ResidualSum float64
	Grad                      []float64
}

func (squaredGradient) KernelName() string { return "regression.SquaredGradient" }
func (squaredGradient) Zero() *squaredLoss { return &squaredLoss{} }

func (k squaredGradient) Fold(ctx context.Context, info engine.PartitionInfo, acc *squaredLoss, b *table.Batch) (*squaredLoss, error) {
	c, err := linmodel.Read(b, k.FeaturesCol, k.LabelCol, k.WeightCol)
	if err != nil {
		return nil, err
	}
	if acc.Grad == nil {
		acc.Grad = make([]float64, len(k.Coef))
	}
	if x, ok, err := linmodel.DenseRows(ctx, b, k.FeaturesCol, c.Features, len(k.Coef)); err != nil {
		return nil, err
	} else if ok {
		return k.foldDense(info, acc, b, c, x)
	}
	for i := 0; i < b.NumRows(); i++ {
		x, y, w, err := c.Row(i, info)
		if err != nil {
			return nil, err
		}
		if w == 0 {
			continue
		}
		if x.Size != len(k.Coef) {
			return nil, fmt.Errorf("%s: features of size %d, want %d", engine.RowName(info, b, i), x.Size, len(k.Coef))
		}
		r := k.Offset - y*k.InvYS
		linmodel.ForEach(x, func(j int, v float64) { r += k.Coef[j] * v * k.Scale[j] })
		acc.Loss += w * r * r / 2
		acc.Weight += w
		acc.ResidualSum += w * r
		wr := w * r
		linmodel.ForEach(x, func(j int, v float64) { acc.Grad[j] += wr * v * k.Scale[j] })
	}
	return acc, nil
}

// foldDense is Fold over x, the partition's rows as a dense row-major
// block (linmodel.DensePass): the residual r = Offset + Σ β'_j·s_j·x_j −
// y/σ_y is the margin with w = Coef ⊙ Scale and intercept Offset, less
// y/σ_y; the gradient is summed unscaled and scaled by Scale at the end.
func (k squaredGradient) foldDense(info engine.PartitionInfo, acc *squaredLoss, b *table.Batch, c *linmodel.Columns, x []float64) (*squaredLoss, error) {
	d := len(k.Coef)
	ys, ws, err := c.Labels(info, func(float64) bool { return true }, func(i int) (float64, float64, error) {
		_, y, w, err := c.Row(i, info)
		return y, w, err
	})
	if err != nil {
		return nil, err
	}
	w := make([]float64, d)
	for j := range w {
		w[j] = k.Coef[j] * k.Scale[j]
	}
	g, _, err := linmodel.DenseOne(x, b.NumRows(), w, k.Offset, ws, func(i int, m, wt float64) float64 {
		res := m - ys[i]*k.InvYS
		acc.Loss += wt * res * res / 2
		acc.Weight += wt
		acc.ResidualSum += wt * res
		return wt * res
	})
	if err != nil {
		return nil, err
	}
	for j := range d {
		acc.Grad[j] += k.Scale[j] * g[j]
	}
	return acc, nil
}

func (squaredGradient) Merge(a, b *squaredLoss) (*squaredLoss, error) {
	if b.Grad == nil {
		return a, nil
	}
	if a.Grad == nil {
		return b, nil
	}
	a.Loss += b.Loss
	a.Weight += b.Weight
	a.ResidualSum += b.ResidualSum
	for i, g := range b.Grad {
		a.Grad[i] += g
	}
	return a, nil
}

// Gram holds weighted second moments of [x, y] about Shift (dense rows)
// and raw ones (sparse rows, which stay sparse): Σw(z−s)(z−s)ᵀ and Σwzzᵀ
// as packed upper triangles over d+1 coordinates (y last).
type Gram struct {
	N               int
	Centered, Raw   []float64
	RawSum          []float64
	CenteredW, RawW float64
	CenteredSum     []float64
}

type gramKernel struct {
	FeaturesCol, LabelCol, WeightCol string
	Shift                            []float64 // x̄ then ȳ
}

func (gramKernel) KernelName() string { return "regression.Gram" }
func (gramKernel) Zero() *Gram        { return &Gram{} }

func tri(n, i, j int) int { return i*n - i*(i-1)/2 + (j - i) } // i ≤ j

func (g *Gram) init(n int) {
	if g.N == 0 {
		g.N = n
		m := n * (n + 1) / 2
		g.Centered, g.Raw = make([]float64, m), make([]float64, m)
		g.RawSum, g.CenteredSum = make([]float64, n), make([]float64, n)
	}
}

func (k gramKernel) Fold(_ context.Context, info engine.PartitionInfo, acc *Gram, b *table.Batch) (*Gram, error) {
	c, err := linmodel.Read(b, k.FeaturesCol, k.LabelCol, k.WeightCol)
	if err != nil {
		return nil, err
	}
	n := len(k.Shift)
	acc.init(n)
	z := make([]float64, n)
	var idx []int
	for i := 0; i < b.NumRows(); i++ {
		x, y, w, err := c.Row(i, info)
		if err != nil {
			return nil, err
		}
		if w == 0 {
			continue
		}
		if x.Size != n-1 {
			return nil, fmt.Errorf("%s: features of size %d, want %d", engine.RowName(info, b, i), x.Size, n-1)
		}
		if !x.IsSparse() {
			for j, v := range x.Values {
				z[j] = v - k.Shift[j]
			}
			z[n-1] = y - k.Shift[n-1]
			acc.CenteredW += w
			for a := 0; a < n; a++ {
				wa := w * z[a]
				acc.CenteredSum[a] += wa
				if wa == 0 {
					continue
				}
				row := acc.Centered[tri(n, a, a) : tri(n, a, a)+n-a]
				for bb, zb := range z[a:] {
					row[bb] += wa * zb
				}
			}
			continue
		}
		// Sparse: products over the non-zeros only.
		idx = idx[:0]
		for _, j := range x.Indices {
			idx = append(idx, int(j))
		}
		vals := append(append(z[:0:0], x.Values...), y)
		idx = append(idx, n-1)
		acc.RawW += w
		for p, a := range idx {
			wa := w * vals[p]
			acc.RawSum[a] += wa
			for q := p; q < len(idx); q++ {
				acc.Raw[tri(n, a, idx[q])] += wa * vals[q]
			}
		}
	}
	return acc, nil
}

func (gramKernel) Merge(a, b *Gram) (*Gram, error) {
	if b.N == 0 {
		return a, nil
	}
	if a.N == 0 {
		return b, nil
	}
	for i := range a.Centered {
		a.Centered[i] += b.Centered[i]
		a.Raw[i] += b.Raw[i]
	}
	for i := range a.RawSum {
		a.RawSum[i] += b.RawSum[i]
		a.CenteredSum[i] += b.CenteredSum[i]
	}
	a.CenteredW += b.CenteredW
	a.RawW += b.RawW
	return a, nil
}

// moment returns Σw(z_a − c_a)(z_b − c_b) over all rows, about centre c
// (c = Shift for centred moments; c = 0 for raw ones).
func (g *Gram) moment(shift []float64, center bool, a, b int) float64 {
	if a > b {
		a, b = b, a
	}
	n := g.N
	// Dense part: Σw(z−s)(z−s)ᵀ about s; sparse part raw about 0.
	dense := g.Centered[tri(n, a, b)]
	raw := g.Raw[tri(n, a, b)]
	// Move both to be about s: raw − s·Σwz_b − Σwz_a·s_b + W s_a s_b.
	rawS := raw - shift[a]*g.RawSum[b] - g.RawSum[a]*shift[b] + g.RawW*shift[a]*shift[b]
	total := dense + rawS // about s over all rows
	if center {
		return total // s is the mean: centred moments
	}
	// Raw moments: about 0 = about s + s·Σw(z_b−s_b) + ... + W s_a s_b.
	sumA := g.CenteredSum[a] + (g.RawSum[a] - g.RawW*shift[a])
	sumB := g.CenteredSum[b] + (g.RawSum[b] - g.RawW*shift[b])
	w := g.CenteredW + g.RawW
	return total + shift[a]*sumB + sumA*shift[b] + w*shift[a]*shift[b]
}

// Fit implements ml.Estimator.
func (lr *LinearRegression) Fit(ctx context.Context, e engine.Engine, ds engine.Dataset) (ml.Model, error) {
	const name = "LinearRegression"
	featuresCol, labelCol := or(lr.FeaturesCol, "features"), or(lr.LabelCol, "label")
	if _, err := ml.InputColumn(name, ds.Schema(), featuresCol, table.Vector); err != nil {
		return nil, err
	}
	if _, err := ml.InputColumn(name, ds.Schema(), labelCol, table.Float64, table.Int64); err != nil {
		return nil, err
	}
	if lr.WeightCol != "" {
		if _, err := ml.InputColumn(name, ds.Schema(), lr.WeightCol, table.Float64, table.Int64); err != nil {
			return nil, err
		}
	}
	if err := ml.Validate(lr); err != nil {
		return nil, err
	}
	solver := or(lr.Solver, "auto")
	mo, err := engine.Aggregate(ctx, e, ds, momentsKernel{featuresCol, labelCol, lr.WeightCol})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if mo.Rows == 0 || mo.WeightSum == 0 {
		return nil, fmt.Errorf("%s: no training rows (or every weight is 0)", name)
	}
	d := mo.Size
	if solver == "auto" {
		solver = "l-bfgs"
		if d <= MaxNormalFeatures {
			solver = "normal"
		}
	}
	if solver == "normal" && d > MaxNormalFeatures {
		return nil, fmt.Errorf("%s: the normal solver takes at most %d features, got %d; use solver l-bfgs", name, MaxNormalFeatures, d)
	}
	need := memlimit.Floats(int64(d+1), 28+memlimit.Workers()) // as linmodel.CheckModel
	if solver == "normal" {
		need += memlimit.Floats(int64(d+1), int64(d+1), memlimit.Workers()+1) // a Gram matrix per worker
	}
	if err := memlimit.Check(fmt.Sprintf("%s: %d features (solver %s)", name, d, solver), need, linmodel.FeatureHint); err != nil {
		return nil, err
	}
	fitIntercept := ml.BoolOr(lr.FitIntercept, true)
	standardize := ml.BoolOr(lr.Standardization, true)
	std, mean := mo.Std(), mo.Mean()
	yMean, yStd := mo.LabelMean, mo.LabelStd()
	if yStd == 0 {
		// A constant label: with an intercept the model is exact; Spark
		// returns it without optimizing.
		if fitIntercept || yMean == 0 {
			return newModel(lr, featuresCol, make([]float64, d), yMean*b2f(fitIntercept), nil, 0, solver), nil
		}
		if lr.RegParam > 0 {
			return nil, fmt.Errorf("%s: the label is constant without an intercept; the model cannot be regularized (set regParam 0 or fitIntercept true)", name)
		}
		yStd = math.Abs(yMean) // as Spark: the label is then not scaled
	}
	scale := make([]float64, d)
	for j, s := range std {
		if s > 0 {
			scale[j] = 1 / s
		}
	}
	reg := lr.RegParam / yStd
	l1, l2 := reg*lr.ElasticNetParam, reg*(1-lr.ElasticNetParam)
	// pen(j) weights coordinate j's penalty in the scaled space.
	pen := func(j int) float64 {
		if standardize {
			return 1
		}
		return scale[j]
	}
	var xs []float64
	var res *optim.Result
	opt := optim.LBFGS{MaxIter: optim.MaxIterOf(lr.MaxIter), Tol: optim.TolOf(lr.Tol), Progress: lr.Progress}
	l1f := func(j int) float64 { return l1 * pen(j) }
	if solver == "normal" {
		xs, res, err = solveNormal(ctx, e, ds, lr, featuresCol, labelCol, mo, scale, yStd, fitIntercept, l1, l2, pen, opt)
	} else {
		xs, res, err = solveLBFGS(ctx, e, ds, lr, featuresCol, labelCol, mo, scale, yStd, fitIntercept, l1, l2, pen, l1f, opt)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	coef := make([]float64, d)
	for j := range coef {
		coef[j] = xs[j] * scale[j] * yStd
	}
	intercept := 0.0
	if fitIntercept {
		intercept = yMean
		for j, c := range coef {
			intercept -= c * mean[j]
		}
	}
	var hist []float64
	iters := 0
	if res != nil {
		hist, iters = res.History, res.Iterations
	}
	return newModel(lr, featuresCol, coef, intercept, hist, iters, solver), nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func newModel(lr *LinearRegression, featuresCol string, coef []float64, intercept float64, hist []float64, iters int, solver string) *LinearRegressionModel {
	return &LinearRegressionModel{FeaturesCol: featuresCol, PredictionCol: or(lr.PredictionCol, "prediction"),
		Coefficients: coef, Intercept: intercept, NumFeatures: len(coef),
		ObjectiveHistory: hist, TotalIterations: iters, Solver: solver}
}

func minimize(ctx context.Context, obj optim.Objective, x0 []float64, l1 float64, l1f func(int) float64, opt optim.LBFGS) (*optim.Result, error) {
	if l1 > 0 {
		return (&optim.OWLQN{LBFGS: opt, L1: l1f}).Minimize(ctx, obj, x0)
	}
	return opt.Minimize(ctx, obj, x0)
}

// solveLBFGS minimizes the scaled objective with one data pass per
// evaluation.
func solveLBFGS(ctx context.Context, e engine.Engine, ds engine.Dataset, lr *LinearRegression, featuresCol, labelCol string, mo *linmodel.Moments, scale []float64, yStd float64, fitIntercept bool, l1, l2 float64, pen, l1f func(int) float64, opt optim.LBFGS) ([]float64, *optim.Result, error) {
	d := len(scale)
	mean := mo.Mean()
	k := squaredGradient{FeaturesCol: featuresCol, LabelCol: labelCol, WeightCol: lr.WeightCol, Scale: scale, InvYS: 1 / yStd}
	obj := optim.ObjectiveFunc(func(ctx context.Context, b, g []float64) (float64, error) {
		k.Coef = b
		k.Offset = 0
		if fitIntercept {
			k.Offset = mo.LabelMean / yStd
			for j, c := range b {
				k.Offset -= c * mean[j] * scale[j]
			}
		}
		sl, err := engine.Aggregate(ctx, e, ds, k)
		if err != nil {
			return 0, err
		}
		f := sl.Loss / mo.WeightSum
		for j := range g {
			// Centring: Σ w r (x_j − x̄_j)/σ_j = Σ w r x_j/σ_j − x̄_j/σ_j Σ w r.
			g[j] = sl.Grad[j]
			if fitIntercept {
				g[j] -= mean[j] * scale[j] * sl.ResidualSum
			}
			g[j] /= mo.WeightSum
		}
		addL2(b, g, &f, l2, pen)
		return f, nil
	})
	res, err := minimize(ctx, obj, make([]float64, d), l1, l1f, opt)
	if err != nil {
		return nil, nil, err
	}
	return res.X, res, nil
}

func addL2(b, g []float64, f *float64, l2 float64, pen func(int) float64) {
	if l2 == 0 {
		return
	}
	for j, c := range b {
		p := pen(j) * pen(j)
		*f += l2 / 2 * c * c * p
		g[j] += l2 * c * p
	}
}

// solveNormal builds the scaled normal equations in one pass and solves
// them on the driver.
func solveNormal(ctx context.Context, e engine.Engine, ds engine.Dataset, lr *LinearRegression, featuresCol, labelCol string, mo *linmodel.Moments, scale []float64, yStd float64, fitIntercept bool, l1, l2 float64, pen func(int) float64, opt optim.LBFGS) ([]float64, *optim.Result, error) {
	d := len(scale)
	mean := mo.Mean()
	shift := append(append([]float64(nil), mean...), mo.LabelMean)
	g, err := engine.Aggregate(ctx, e, ds, gramKernel{FeaturesCol: featuresCol, LabelCol: labelCol, WeightCol: lr.WeightCol, Shift: shift})
	if err != nil {
		return nil, nil, err
	}
	W := mo.WeightSum
	// f(β') = ½ β'ᵀAβ' − bᵀβ' + ½c over the scaled, (centred) data.
	A := mat.NewSymDense(d, nil)
	bv := make([]float64, d)
	for a := 0; a < d; a++ {
		for c := a; c < d; c++ {
			A.SetSym(a, c, g.moment(shift, fitIntercept, a, c)*scale[a]*scale[c]/W)
		}
		bv[a] = g.moment(shift, fitIntercept, a, d) * scale[a] / (yStd * W)
	}
	cc := g.moment(shift, fitIntercept, d, d) / (yStd * yStd * W)
	if l1 == 0 {
		// (A + l2·P) β' = b, P the penalty weights; constant features
		// (scale 0) have zero rows: pin them to 0.
		H := mat.NewSymDense(d, nil)
		H.CopySym(A)
		for j := 0; j < d; j++ {
			v := H.At(j, j) + l2*pen(j)*pen(j)
			if scale[j] == 0 {
				v = 1
			}
			H.SetSym(j, j, v)
		}
		var ch mat.Cholesky
		if ch.Factorize(H) {
			var x mat.VecDense
			if err := ch.SolveVecTo(&x, mat.NewVecDense(d, bv)); err == nil {
				out := make([]float64, d)
				for j := range out {
					out[j] = x.AtVec(j)
				}
				return out, nil, nil
			}
		}
		// Singular (collinear features, no L2): fall through to the
		// quasi-Newton method, which finds a minimizer.
	}
	Ab := make([]float64, d)
	obj := optim.ObjectiveFunc(func(_ context.Context, b, gr []float64) (float64, error) {
		mat.NewVecDense(d, Ab).MulVec(A, mat.NewVecDense(d, b))
		f := cc / 2
		for j := range b {
			f += b[j]*Ab[j]/2 - bv[j]*b[j]
			gr[j] = Ab[j] - bv[j]
		}
		addL2(b, gr, &f, l2, pen)
		return f, nil
	})
	res, err := minimize(ctx, obj, make([]float64, d), l1, func(j int) float64 { return l1 * pen(j) }, opt)
	if err != nil {
		return nil, nil, err
	}
	return res.X, res, nil
}

// LinearRegressionModel predicts β·x + b into PredictionCol.
type LinearRegressionModel struct {
	FeaturesCol   string `param:"default=features,nonempty"`
	PredictionCol string `param:"default=prediction,nonempty"`
	Coefficients  []float64
	Intercept     float64
	NumFeatures   int
	// ObjectiveHistory and TotalIterations summarize training (empty for
	// a direct normal-equation solve); Solver is the one used.
	ObjectiveHistory []float64
	TotalIterations  int
	Solver           string `param:""`
}

// KernelName implements engine.Kernel.
func (*LinearRegressionModel) KernelName() string { return "regression.LinearRegressionModel" }

// OutputSchema implements engine.Mapper.
func (m *LinearRegressionModel) OutputSchema(in *table.Schema) (*table.Schema, error) {
	if _, err := ml.InputColumn("LinearRegressionModel", in, m.FeaturesCol, table.Vector); err != nil {
		return nil, err
	}
	return ml.WithOutput("LinearRegressionModel", in, m.PredictionCol, table.Float64)
}

// Predict returns β·x + b.
func (m *LinearRegressionModel) Predict(x linalg.Vector) float64 {
	return linalg.Dot(x, m.Coefficients) + m.Intercept
}

// MapPartition implements engine.Mapper.
func (m *LinearRegressionModel) MapPartition(_ context.Context, info engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	out, err := m.OutputSchema(b.Schema())
	if err != nil {
		return nil, err
	}
	fc, err := table.ColumnAs[*table.VectorColumn](b, m.FeaturesCol)
	if err != nil {
		return nil, err
	}
	preds := make([]float64, fc.Len())
	err = linmodel.EachRow("LinearRegressionModel", b, fc, info, m.NumFeatures, func(i int, x linalg.Vector) error {
		preds[i] = m.Predict(x)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ml.AppendColumn(out, b, table.NewFloat64Column(preds, nil))
}

// Validate checks the model's arrays against its sizes.
func (m *LinearRegressionModel) Validate() error {
	if m.NumFeatures < 0 || len(m.Coefficients) != m.NumFeatures || !linmodel.Finite(m.Intercept) {
		return fmt.Errorf("LinearRegressionModel: %d features, %d coefficients, intercept %v", m.NumFeatures, len(m.Coefficients), m.Intercept)
	}
	return nil
}

// OutputSchema checks the training columns and returns the schema the
// fitted model produces, before any data moves.
func (lr *LinearRegression) OutputSchema(in *table.Schema) (*table.Schema, error) {
	const name = "LinearRegression"
	if _, err := ml.InputColumn(name, in, or(lr.LabelCol, "label"), table.Float64, table.Int64); err != nil {
		return nil, err
	}
	if lr.WeightCol != "" {
		if _, err := ml.InputColumn(name, in, lr.WeightCol, table.Float64, table.Int64); err != nil {
			return nil, err
		}
	}
	if _, err := ml.InputColumn(name, in, or(lr.FeaturesCol, "features"), table.Vector); err != nil {
		return nil, err
	}
	return ml.WithOutput(name, in, or(lr.PredictionCol, "prediction"), table.Float64)
}
