// Package classification holds Spindle's classifiers, with Spark ML's
// names, parameters and defaults.
package classification

import (
	"context"
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"sync"
	"unsafe"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/internal/learned"
	"github.com/spindle-ml/spindle/internal/linmodel"
	"github.com/spindle-ml/spindle/internal/simd"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/optim"
	"github.com/spindle-ml/spindle/table"
)

func init() {
	engine.RegisterAggregator[*TrainingStats](statsKernel{})
	engine.RegisterAggregator[*lossGrad](logisticGradient{})
	ml.Register(ml.Registration{Name: "LogisticRegression", New: func() any { return new(LogisticRegression) }, Model: &LogisticRegressionModel{}, Evaluator: "multiclass",
		Samples: []ml.Sample{
			{
				Columns: []ml.SampleColumn{{Name: "features", Type: table.Vector}, {Name: "w", Type: table.Float64, Kind: "positive"}},
				Label:   "binary",
				Params:  ml.ParamMap{},
				Values:  map[string][]any{"thresholds": {[]any{0.3, 0.7}}, "weightCol": {"w"}, "maxIter": {3}},
			},
			{
				Name:    "multiclass",
				Columns: []ml.SampleColumn{{Name: "features", Type: table.Vector, Kind: "dense+sparse"}},
				Label:   "multiclass",
				Params:  ml.ParamMap{},
			},
			{
				Name:    "sparse",
				Columns: []ml.SampleColumn{{Name: "features", Type: table.Vector, Kind: "counts"}},
				Label:   "binary",
				Params:  ml.ParamMap{"regParam": 0.1, "elasticNetParam": 0.5},
			},
		}})
}

// Compile-time checks of the stage contract (see ml/stage.go).
var (
	_ ml.Estimator        = (*LogisticRegression)(nil)
	_ ml.SchemaChecker    = (*LogisticRegression)(nil)
	_ ml.ColumnReader     = (*LogisticRegression)(nil)
	_ ml.ProgressReporter = (*LogisticRegression)(nil)
	_ ml.ParamChecker     = (*LogisticRegression)(nil)
	_ ml.Model            = (*LogisticRegressionModel)(nil)
	_ engine.Mapper       = (*LogisticRegressionModel)(nil)
	_ ml.StateValidator   = (*LogisticRegressionModel)(nil)
)

// LogisticRegression fits a logistic regression model, binomial or
// multinomial, by minimizing Spark ML's objective
//
//	(1/Σw) Σ w_i·loss_i + regParam·((1−α)/2·‖β‖² + α·‖β‖₁),  α = elasticNetParam,
//
// where loss is the logistic (binomial) or softmax (multinomial) loss and
// the intercepts are not penalized. Like Spark, it optimizes over features
// scaled by their standard deviations (not centred, so sparse data stays
// sparse): with Standardization (the default) the penalty applies to the
// coefficients of the scaled features; without it, to the coefficients of
// the original ones. L-BFGS solves L2 problems, OWL-QN those with an L1
// part. Each objective evaluation is one gradient pass over the data (an
// engine aggregator); the optimizer loop runs here.
//
// Labels must be 0, 1, … (e.g. from StringIndexer); features a vector
// column. A feature with zero variance gets coefficient 0.
type LogisticRegression struct {
	// FeaturesCol, LabelCol, WeightCol name the inputs. Defaults:
	// "features", "label", none (every row weighs 1).
	FeaturesCol string `param:"default=features,nonempty"`
	LabelCol    string `param:"default=label,nonempty"`
	WeightCol   string `param:""`
	// PredictionCol, RawPredictionCol, ProbabilityCol name the outputs.
	// Defaults: "prediction", "rawPrediction", "probability".
	PredictionCol    string `param:"default=prediction,nonempty"`
	RawPredictionCol string `param:"default=rawPrediction,nonempty"`
	ProbabilityCol   string `param:"default=probability,nonempty"`
	// MaxIter bounds optimizer iterations. If nil, it is 100; 0 runs
	// none (the model is the starting point, as in Spark).
	MaxIter *int `param:"default=100,min=0"`
	// RegParam is the regularization strength, ≥ 0. Default 0.
	RegParam float64 `param:"default=0,min=0"`
	// ElasticNetParam mixes L1 (1) and L2 (0). Default 0.
	ElasticNetParam float64 `param:"default=0,min=0,max=1"`
	// Tol is the optimizer's convergence tolerance, ≥ 0. If nil, it is
	// 1e-6. Below 1e-9 it asks for the minimizer itself, not Spark's
	// iterates: the fit then runs over centred features (the same
	// minimizer, better conditioned) until the gradient's largest
	// component is below Tol·max(1, |f|) (or an iteration no longer
	// decreases the objective, or MaxIter): with tol 1e-12 the
	// coefficients land within 1e-6 of the exact minimizer.
	Tol *float64 `param:"default=1e-06,min=0"`
	// FitIntercept fits intercepts. If nil, it is true.
	FitIntercept *bool `param:"default=true"`
	// Standardization penalizes scaled coefficients. If nil, it is true.
	Standardization *bool `param:"default=true"`
	// Family is "auto" (default: binomial for ≤ 2 classes),
	// "binomial" or "multinomial".
	Family string `param:"default=auto,oneOf=auto|binomial|multinomial"`
	// Threshold is the binomial decision threshold on P(label = 1), in
	// [0, 1]. If nil, it is 0.5.
	Threshold *float64 `param:"default=0.5,min=0,max=1"`
	// Thresholds, one per class, overrides Threshold: the predicted class
	// is the one with the largest p_k / t_k (Spark's thresholds; at most
	// one may be 0).
	Thresholds []float64 `param:"min=0"`
	// Progress, if set, is called after each optimizer iteration.
	Progress func(iter int, loss float64)
}

// SetProgress implements ml.ProgressReporter.
func (lr *LogisticRegression) SetProgress(fn func(iter int, loss float64)) { lr.Progress = fn }

// InputColumns implements ml.ColumnReader.
func (lr *LogisticRegression) InputColumns() []string {
	return linmodel.InputColumns(lr.FeaturesCol, lr.LabelCol, lr.WeightCol)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// TrainingStats is the first pass: weighted class totals and per-feature
// moments (sparse rows cost their non-zeros; see linmodel.Moments).
type TrainingStats struct {
	linmodel.Moments
	ClassWeight []float64
}

type statsKernel struct {
	FeaturesCol, LabelCol, WeightCol string
}

func (statsKernel) KernelName() string   { return "classification.TrainingStats" }
func (statsKernel) Zero() *TrainingStats { return &TrainingStats{Moments: *linmodel.NewMoments()} }
func finite(x float64) bool              { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func (k statsKernel) Fold(_ context.Context, info engine.PartitionInfo, acc *TrainingStats, b *table.Batch) (*TrainingStats, error) {
	c, err := linmodel.Read(b, k.FeaturesCol, k.LabelCol, k.WeightCol)
	if err != nil {
		return nil, err
	}
	// The rows are summed in two sweeps (Moments.AddDense over a block,
	// AddRows over rows held one by one: the same bits, so every engine
	// and storage gets the same statistics); anything the sweeps do not
	// take — a bad label, weight or feature — goes row by row below,
	// which names the first bad row.
	if ys, ws, err := c.ClassLabels(info); err == nil {
		var mo *linmodel.Moments
		var ok bool
		if x, nf, block := table.DenseBlock(c.Features); block {
			mo, ok, err = acc.Moments.AddDense(x, nf, ys, ws)
		} else {
			mo, ok, err = acc.Moments.AddRows(c.Features.Values, c.Features.Valid, ys, ws)
		}
		if err != nil {
			return nil, err
		}
		if ok {
			acc.Moments = *mo
			for i, y := range ys {
				for int(y) >= len(acc.ClassWeight) {
					acc.ClassWeight = append(acc.ClassWeight, 0)
				}
				w := 1.0
				if ws != nil {
					w = ws[i]
				}
				acc.ClassWeight[int(y)] += w
			}
			return acc, nil
		}
	}
	for i := 0; i < b.NumRows(); i++ {
		x, y, w, err := c.ClassRow(i, info)
		if err != nil {
			return nil, err
		}
		for int(y) >= len(acc.ClassWeight) {
			acc.ClassWeight = append(acc.ClassWeight, 0)
		}
		acc.ClassWeight[int(y)] += w
		if err := acc.Moments.Add(x, y, w); err != nil {
			return nil, fmt.Errorf("%s: %w", engine.RowName(info, b, i), err)
		}
	}
	return acc, nil
}

func (statsKernel) Merge(a, b *TrainingStats) (*TrainingStats, error) {
	m, err := a.Moments.Merge(&b.Moments)
	if err != nil {
		return nil, err
	}
	a.Moments = *m
	for len(a.ClassWeight) < len(b.ClassWeight) {
		a.ClassWeight = append(a.ClassWeight, 0)
	}
	for c, w := range b.ClassWeight {
		a.ClassWeight[c] += w
	}
	return a, nil
}

// std returns the unbiased weighted standard deviations, as Spark's
// summarizer computes them: M2 / (Σw − Σw²/Σw), which is n − 1 for unit
// weights.
func (s *TrainingStats) std() []float64 { return s.Moments.Std() }

// logisticGradient is one data pass: the weighted loss and its gradient
// at Coef, over features scaled by InvStd. Coef is K rows of (d + 1)
// values (the last one the intercept, if FitIntercept); K = 1 for the
// binomial model.
//
// When some features are constant on the training rows (σ = 0: absent
// hashed buckets, mostly), the problem is solved over the others only:
// Active lists them (in order) and InvStd and Coef are over those; a
// constant feature's coefficient is 0 throughout (its gradient is 0 and
// it starts at 0), so every number of the optimizer is what the full
// problem gives — a sum that skips exact zeros is the same sum — while its
// vectors shrink from NumFeatures to len(Active) (2^18 hashed features of
// which ~1/5 occur, for text).
type logisticGradient struct {
	FeaturesCol, LabelCol, WeightCol string
	InvStd                           []float64
	Coef                             []float64
	K                                int
	Multinomial                      bool
	FitIntercept                     bool
	// Active, if set, are the features solved for, of NumFeatures.
	Active      []int32
	NumFeatures int

	prep *prepared // built once per kernel value
	// dense, if set, holds foldDense's scaled coefficients, computed once
	// per pass for all its partitions (a pass's kernel value; nil where a
	// kernel is decoded, as on Beam workers: then each partition computes
	// them).
	dense *denseCoef
}

// prepared is what a kernel value derives from Active once: the feature
// → coordinate map (nil when every feature is solved for; −1 for a
// constant feature) and a hash of Active that keys gathered rows.
type prepared struct {
	once sync.Once
	pos  []int32
	sum  uint64

	mu   sync.Mutex
	same map[*prepared]bool // other kernels' prepared found equal in Active and InvStd

	// Gradients are reused from partition to partition: allocating them
	// anew (often on pages the runtime gave back to the system, which
	// fault in on first write) cost a fifth of a Fashion-MNIST pass in
	// partitions of 2,048 rows. grads holds partials' gradients (returned
	// by Merge), sums foldDense's unscaled sums.
	grads, sums sync.Pool

	blockMu sync.Mutex
	blocks  map[int]blockEntry // by partition index: features found stored as one block
	labels  map[int]labelEntry // by partition index: labels and weights checked
}

// zeroed returns a zeroed slice of n floats from pool, or a new one.
func zeroed(pool *sync.Pool, n int) []float64 {
	if g, ok := pool.Get().(*[]float64); ok && len(*g) == n {
		clear(*g)
		return *g
	}
	return make([]float64, n)
}

// classLabels is c.ClassLabels, remembered per partition for the
// kernels' lifetime (columns are immutable): a fit's passes check a
// stored partition's labels and weights once. One entry per partition
// index, replaced when the partition's columns change (a fold's view, new
// each pass), so the cache never holds more than one pass's columns.
func (p *prepared) classLabels(c *linmodel.Columns, info engine.PartitionInfo) ([]float64, []float64, error) {
	key := [2]table.Column{c.Label, c.Weight}
	p.blockMu.Lock()
	e, ok := p.labels[info.Index]
	p.blockMu.Unlock()
	if ok && e.cols == key {
		return e.ys, e.ws, nil
	}
	ys, ws, err := c.ClassLabels(info)
	if err == nil {
		p.blockMu.Lock()
		if p.labels == nil {
			p.labels = map[int]labelEntry{}
		}
		p.labels[info.Index] = labelEntry{key, ys, ws}
		p.blockMu.Unlock()
	}
	return ys, ws, err
}

// labelEntry is a partition's checked labels and weights.
type labelEntry struct {
	cols   [2]table.Column
	ys, ws []float64
}

// blockEntry is a partition's features found stored as a block.
type blockEntry struct {
	vc *table.VectorColumn
	x  []float64
}

// denseBlock is table.DenseBlock(vc), remembered per partition for the
// kernels' lifetime when it holds (one entry per partition index,
// replaced when the column changes): the check reads every row's header,
// a quarter of the bytes of a 28-feature pass.
func (p *prepared) denseBlock(vc *table.VectorColumn, index int) ([]float64, int, bool) {
	p.blockMu.Lock()
	e, ok := p.blocks[index]
	p.blockMu.Unlock()
	if ok && e.vc == vc {
		return e.x, len(e.x) / len(vc.Values), true
	}
	x, dim, ok := table.DenseBlock(vc)
	if ok {
		p.blockMu.Lock()
		if p.blocks == nil {
			p.blocks = map[int]blockEntry{}
		}
		p.blocks[index] = blockEntry{vc, x}
		p.blockMu.Unlock()
	}
	return x, dim, ok
}

// sameShape reports whether k and o solve over the same coordinates with
// the same scaling (Active and InvStd equal), remembering the answer for
// the kernels' lifetime (a fit's passes share one prepared).
func (k logisticGradient) sameShape(o logisticGradient) bool {
	p, q := k.prepared(), o.prepared()
	if p == q {
		return true
	}
	if p.sum != q.sum || len(k.InvStd) != len(o.InvStd) {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if eq, ok := p.same[q]; ok {
		return eq
	}
	eq := slices.Equal(k.Active, o.Active) && slices.EqualFunc(k.InvStd, o.InvStd, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
	if p.same == nil {
		p.same = map[*prepared]bool{}
	}
	p.same[q] = eq
	return eq
}

// prepared returns k's prepared values.
func (k logisticGradient) prepared() *prepared {
	p := k.prep
	if p == nil {
		p = &prepared{}
	}
	p.once.Do(func() {
		if k.Active != nil {
			p.pos = make([]int32, k.NumFeatures)
			for j := range p.pos {
				p.pos[j] = -1
			}
			for i, j := range k.Active {
				p.pos[j] = int32(i)
			}
		}
		p.sum = maphash.Bytes(gatherSeed, int32Bytes(k.Active))
	})
	return p
}

type lossGrad struct {
	Loss, Weight float64
	Grad         []float64
}

func (logisticGradient) KernelName() string { return "classification.LogisticGradient" }
func (logisticGradient) Zero() *lossGrad    { return &lossGrad{} }

// lossMult returns row's weighted loss w·loss(margins, y) and replaces
// each margin m_c by the gradient's multiplier of the row for class c,
// w·∂loss/∂m_c:
//
//	binomial:    loss = log(1 + e^m) − y·m,   multiplier w·(σ(m) − y);
//	multinomial: loss = log Σ e^{m_c} − m_y,  multiplier w·(p_c − [c = y]),
//
// computed stably: one exponential e^−|m| for the binomial loss and σ;
// the largest margin subtracted for the softmax. The exponentials and
// logarithms are simd's (Exp1, Log1p1), which foldDense computes four at
// a time: every path gives a row the same numbers.
func (k logisticGradient) lossMult(margins []float64, y, w float64) float64 {
	if !k.Multinomial {
		m := margins[0]
		e := simd.Exp1(-math.Abs(m))
		loss, mult := binomialTerms(m, e, simd.Log1p1(e), y, w)
		margins[0] = mult
		return loss
	}
	softmaxShift(margins)
	ty := margins[int(y)]
	var sum float64
	for c, t := range margins {
		margins[c] = simd.Exp1(t)
		sum += margins[c]
	}
	return softmaxTerms(margins, sum, simd.Log1p1(sum-1), ty, int(y), w)
}

// binomialTerms returns a row's weighted loss and gradient multiplier
// from its margin m, e = e^−|m| and l = log(1 + e): σ(m) is 1/(1+e) for
// m ≥ 0, else e/(1+e).
func binomialTerms(m, e, l, y, w float64) (loss, mult float64) {
	lossM := l
	if m > 0 {
		lossM = m + l
	}
	var sig float64
	if m >= 0 {
		sig = 1 / (1 + e)
	} else {
		sig = e / (1 + e)
	}
	return w * (lossM - y*m), w * (sig - y)
}

// softmaxShift subtracts the largest of margins from each.
func softmaxShift(margins []float64) {
	mx := math.Inf(-1)
	for _, m := range margins {
		if m > mx { // a NaN margin makes the loss NaN all the same
			mx = m
		}
	}
	for c := range margins {
		margins[c] -= mx
	}
}

// softmaxTerms returns a row's weighted softmax loss w·(log Σ − t_y)
// from its exponentials ex_c = e^{t_c} (t the shifted margins, largest
// 0), their sum, l = log Σ = log1p(Σ − 1) and t_y, and replaces ex by
// the multipliers w·(ex_c/Σ − [c = y]).
func softmaxTerms(ex []float64, sum, l, ty float64, y int, w float64) float64 {
	for c := range ex {
		p := ex[c] / sum
		if c == y {
			p--
		}
		ex[c] = p * w
	}
	return w * (l - ty)
}

func (k logisticGradient) Fold(ctx context.Context, info engine.PartitionInfo, acc *lossGrad, b *table.Batch) (*lossGrad, error) {
	c, err := linmodel.Read(b, k.FeaturesCol, k.LabelCol, k.WeightCol)
	if err != nil {
		return nil, err
	}
	d := len(k.InvStd)
	stride := d + 1
	if acc.Grad == nil {
		acc.Grad = zeroed(&k.prepared().grads, len(k.Coef))
	}
	// Dense rows go to foldDense: read in place when the partition stores
	// them as a block (the check remembered for the fit), else copied once
	// per pass (linmodel.CopyDense).
	if x, dim, ok := k.prepared().denseBlock(c.Features, info.Index); ok {
		if dim == k.NumFeatures {
			return k.foldDense(info, acc, b, c, x)
		}
	} else if x, ok, err := k.copyDense(ctx, b, c.Features); err != nil {
		return nil, err
	} else if ok {
		return k.foldDense(info, acc, b, c, x)
	}
	margins := make([]float64, k.K)
	rows, err := k.rows(ctx, b, c.Features)
	if err != nil {
		return nil, err
	}
	for i := 0; i < b.NumRows(); i++ {
		x, y, w, err := c.ClassRow(i, info)
		if err != nil {
			return nil, err
		}
		if w == 0 {
			continue
		}
		acc.Weight += w
		// The row's non-zeros on the solved-for coordinates (gathered
		// once per partition, or x's own), then every margin and
		// gradient loop is a plain loop over them: this is the hot path
		// of every logistic fit.
		var r activeRow
		if rows != nil {
			r = rows.row(i)
		} else {
			r.gather(x)
		}
		for c := 0; c < k.K; c++ {
			row := k.Coef[c*stride : c*stride+stride]
			margins[c] = r.margin(row[d], row, k.InvStd)
		}
		if k.Multinomial && int(y) >= k.K {
			return nil, fmt.Errorf("%s: label %d but the model has %d classes", engine.RowName(info, b, i), int(y), k.K)
		}
		acc.Loss += k.lossMult(margins, y, w)
		for c := 0; c < k.K; c++ {
			r.addGrad(acc.Grad[c*stride:c*stride+stride], margins[c], k.InvStd)
		}
	}
	if !k.FitIntercept {
		for c := 0; c < k.K; c++ {
			acc.Grad[c*stride+d] = 0
		}
	}
	return acc, nil
}

// copyDense copies a partition that is not stored as a block into one,
// once per pass: dense rows always (linmodel.CopyDense); sparse rows too
// for a multinomial model of three classes or more when a quarter or more
// of the entries are non-zero (linmodel.Densify) — its margins and
// gradient cost K per non-zero on the row path, against K per entry with
// the block kernels at several times the speed. Fashion-MNIST's images
// as sparse rows (half their pixels 0): 190 ms a pass on the row path.
func (k logisticGradient) copyDense(ctx context.Context, b *table.Batch, vc *table.VectorColumn) ([]float64, bool, error) {
	if k.Multinomial && k.K >= 3 {
		return linmodel.Densify(ctx, b, k.FeaturesCol, vc, k.NumFeatures, 0.25)
	}
	return linmodel.CopyDense(ctx, b, k.FeaturesCol, vc, k.NumFeatures)
}

// feature returns the feature index of solved-for coordinate j.
func (k logisticGradient) feature(j int) int {
	if k.Active == nil {
		return j
	}
	return int(k.Active[j])
}

// foldDense is Fold over x, the partition's rows as a dense row-major
// block of NumFeatures columns: a linmodel.DensePass with the margins'
// coefficients w_c = InvStd ⊙ coef_c (0 at a constant feature), whose
// chunks' exponentials and logarithms are computed four at a time
// (simd.Exp, simd.Log1p; the same bits as lossMult's). The gradient is
// summed unscaled and scaled by InvStd once at the end.
func (k logisticGradient) foldDense(info engine.PartitionInfo, acc *lossGrad, b *table.Batch, c *linmodel.Columns, x []float64) (*lossGrad, error) {
	nf, d, K := k.NumFeatures, len(k.InvStd), k.K
	stride := d + 1
	ys, ws, err := k.prepared().classLabels(c, info)
	if err != nil {
		return nil, err
	}
	p := linmodel.DensePass{X: x, N: b.NumRows(), NF: nf, K: K, W: k.denseCoef(), Bias: make([]float64, K),
		G: zeroed(&k.prepared().sums, K*nf), InterceptG: make([]float64, K)}
	defer k.prepared().sums.Put(&p.G)
	for cl := range K {
		p.Bias[cl] = k.Coef[cl*stride+d]
	}
	ex := make([]float64, linmodel.DenseChunk*K) // exponentials
	lg := make([]float64, linmodel.DenseChunk)   // a row's log1p
	sums := make([]float64, linmodel.DenseChunk) // a row's Σ of exponentials
	err = p.Run(func(r0, rows int, m []float64) error {
		weight := func(r int) float64 {
			if ws == nil {
				return 1
			}
			return ws[r0+r]
		}
		if !k.Multinomial {
			for r := range rows {
				ex[r] = -math.Abs(m[r])
			}
			simd.Exp(ex[:rows], ex[:rows])
			simd.Log1p(ex[:rows], lg[:rows])
			// The chunk's loss and weight are summed here, then added to
			// the partition's (kept in registers, not in acc).
			y := ys[r0 : r0+rows]
			var loss, weight float64
			if ws == nil { // every weight 1
				for r, yr := range y {
					l, mult := binomialTerms(m[r], ex[r], lg[r], yr, 1)
					loss += l
					m[r] = mult
				}
				acc.Weight += float64(len(y))
				acc.Loss += loss
				return nil
			}
			for r, yr := range y {
				wt := ws[r0+r]
				if wt == 0 {
					m[r] = 0
					continue
				}
				l, mult := binomialTerms(m[r], ex[r], lg[r], yr, wt)
				weight += wt
				loss += l
				m[r] = mult
			}
			acc.Weight += weight
			acc.Loss += loss
			return nil
		}
		for r := range rows {
			if y := int(ys[r0+r]); y >= K {
				return fmt.Errorf("%s: label %d but the model has %d classes", engine.RowName(info, b, r0+r), y, K)
			}
			softmaxShift(m[r*K : (r+1)*K])
		}
		simd.Exp(m[:rows*K], ex[:rows*K])
		for r := range rows {
			var sum float64
			for _, e := range ex[r*K : (r+1)*K] {
				sum += e
			}
			sums[r], lg[r] = sum, sum-1
		}
		simd.Log1p(lg[:rows], lg[:rows])
		for r := range rows {
			wt, mr, er := weight(r), m[r*K:(r+1)*K], ex[r*K:(r+1)*K]
			if wt == 0 {
				clear(mr)
				continue
			}
			y := int(ys[r0+r])
			acc.Weight += wt
			acc.Loss += softmaxTerms(er, sums[r], lg[r], mr[y], y, wt)
			copy(mr, er)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for cl := range K {
		grad := acc.Grad[cl*stride : (cl+1)*stride]
		for j := range d {
			grad[j] += k.InvStd[j] * p.G[cl*nf+k.feature(j)]
		}
		if k.FitIntercept {
			grad[d] += p.InterceptG[cl]
		} else {
			grad[d] = 0
		}
	}
	return acc, nil
}

// denseCoef holds a pass's coefficients for foldDense, computed once.
type denseCoef struct {
	once sync.Once
	w    []float64
}

// denseCoef returns w_c = InvStd ⊙ coef_c for every class, over every
// feature (0 at a constant one), K rows of NumFeatures.
func (k logisticGradient) denseCoef() []float64 {
	compute := func() []float64 {
		nf, d := k.NumFeatures, len(k.InvStd)
		w := make([]float64, k.K*nf)
		for cl := range k.K {
			coef := k.Coef[cl*(d+1) : cl*(d+1)+d]
			for j, v := range coef {
				w[cl*nf+k.feature(j)] = k.InvStd[j] * v
			}
		}
		return w
	}
	if k.dense == nil {
		return compute()
	}
	k.dense.once.Do(func() { k.dense.w = compute() })
	return k.dense.w
}

// rows returns the partition's feature rows gathered onto the
// solved-for coordinates, or nil when every feature is solved for. The
// grid points of a fold share the gathering (engine.Memoized): their
// Active sets are equal.
func (k logisticGradient) rows(ctx context.Context, b *table.Batch, vc *table.VectorColumn) (*compactRows, error) {
	p := k.prepared()
	if p.pos == nil {
		return nil, nil
	}
	key := gatherKey{batch: b, col: k.FeaturesCol, n: k.NumFeatures, sum: p.sum}
	g, err := engine.Memoized(ctx, key, func() (*gathered, error) {
		return &gathered{by: k, rows: gatherRows(vc, p.pos)}, nil
	})
	if err != nil {
		return nil, err
	}
	if !k.sameShape(g.by) { // a hash collision: do not share
		return gatherRows(vc, p.pos), nil
	}
	return g.rows, nil
}

// gatherSeed seeds the hash that keys gathered rows (set once, read-only).
var gatherSeed = maphash.MakeSeed()

// gatherKey names a partition's rows gathered for one Active set.
type gatherKey struct {
	batch *table.Batch
	col   string
	n     int
	sum   uint64
}

type gathered struct {
	by   logisticGradient // the kernel that gathered them
	rows *compactRows
}

func int32Bytes(s []int32) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), 4*len(s))
}

// compactRows is a partition's rows on the solved-for coordinates, in
// compressed sparse row form: row i is at[start[i]:start[i+1]] with
// values v[start[i]:start[i+1]].
type compactRows struct {
	start []int
	at    []int32
	v     []float64
}

func (c *compactRows) row(i int) activeRow {
	lo, hi := c.start[i], c.start[i+1]
	return activeRow{at: c.at[lo:hi], v: c.v[lo:hi]}
}

// gatherRows gathers every row of vc: x's non-zeros x_j, in x's order, at
// coordinate pos[j] (left out if −1). A null row is empty.
func gatherRows(vc *table.VectorColumn, pos []int32) *compactRows {
	n := 0
	for _, x := range vc.Values {
		n += len(x.Values)
	}
	c := &compactRows{start: make([]int, 1, len(vc.Values)+1), at: make([]int32, 0, n), v: make([]float64, 0, n)}
	for _, x := range vc.Values {
		if x.IsSparse() {
			for t, j := range x.Indices {
				if p := pos[j]; p >= 0 {
					c.at = append(c.at, p)
					c.v = append(c.v, x.Values[t])
				}
			}
		} else {
			for j, v := range x.Values {
				if p := pos[j]; p >= 0 && v != 0 {
					c.at = append(c.at, p)
					c.v = append(c.v, v)
				}
			}
		}
		c.start = append(c.start, len(c.at))
	}
	return c
}

// activeRow is one row's non-zeros on the solved-for coordinates:
// coordinate at[t] holds value v[t]; or, for a dense row over every
// feature, dense (its zeros skipped by the loops).
type activeRow struct {
	at    []int32
	v     []float64
	dense []float64
}

// gather sets r to x (every feature solved for), in place.
func (r *activeRow) gather(x linalg.Vector) {
	if x.IsSparse() {
		r.at, r.v, r.dense = x.Indices, x.Values, nil
		return
	}
	r.at, r.v, r.dense = nil, nil, x.Values
}

// margin returns b + Σ x_j · InvStd_j · coef_j over the row's non-zeros
// (the products in this order).
func (r activeRow) margin(b float64, coef, invStd []float64) float64 {
	if r.dense != nil {
		for j, v := range r.dense {
			if v != 0 {
				b += v * invStd[j] * coef[j]
			}
		}
		return b
	}
	for t, j := range r.at {
		b += r.v[t] * invStd[j] * coef[j]
	}
	return b
}

// addGrad adds mult · x_j · InvStd_j to g at each non-zero's coordinate,
// and mult to the intercept's, g[len(g)−1] (the products in this order,
// as the gradient's definition writes them).
func (r activeRow) addGrad(g []float64, mult float64, invStd []float64) {
	if r.dense != nil {
		for j, v := range r.dense {
			if v != 0 {
				g[j] += mult * v * invStd[j]
			}
		}
	} else {
		for t, j := range r.at {
			g[j] += mult * r.v[t] * invStd[j]
		}
	}
	g[len(g)-1] += mult
}

func (k logisticGradient) Merge(a, b *lossGrad) (*lossGrad, error) {
	if b.Grad == nil {
		return a, nil
	}
	if a.Grad == nil {
		return b, nil
	}
	a.Loss += b.Loss
	a.Weight += b.Weight
	for i, g := range b.Grad {
		a.Grad[i] += g
	}
	if k.prep != nil { // b is dropped: its gradient serves the next partition
		k.prep.grads.Put(&b.Grad)
	}
	return a, nil
}

func sigmoid(m float64) float64 {
	if m >= 0 {
		return 1 / (1 + math.Exp(-m))
	}
	e := math.Exp(m)
	return e / (1 + e)
}

// tightTol is the tolerance below which a fit asks for the optimum
// itself (see Fit).
const tightTol = 1e-9

// Fit implements ml.Estimator.
func (lr *LogisticRegression) Fit(ctx context.Context, e engine.Engine, ds engine.Dataset) (ml.Model, error) {
	if err := ml.Validate(lr); err != nil {
		return nil, err
	}
	featuresCol, labelCol := orDefault(lr.FeaturesCol, "features"), orDefault(lr.LabelCol, "label")
	if _, err := ml.InputColumn("LogisticRegression", ds.Schema(), featuresCol, table.Vector); err != nil {
		return nil, err
	}
	if _, err := ml.InputColumn("LogisticRegression", ds.Schema(), labelCol, table.Float64, table.Int64); err != nil {
		return nil, err
	}
	if lr.WeightCol != "" {
		if _, err := ml.InputColumn("LogisticRegression", ds.Schema(), lr.WeightCol, table.Float64, table.Int64); err != nil {
			return nil, err
		}
	}
	stats, err := engine.Aggregate(ctx, e, ds, statsKernel{featuresCol, labelCol, lr.WeightCol})
	if err != nil {
		return nil, fmt.Errorf("LogisticRegression: %w", err)
	}
	if stats.Rows == 0 || stats.WeightSum == 0 {
		return nil, fmt.Errorf("LogisticRegression: no training rows (or every weight is 0)")
	}
	numClasses := max(len(stats.ClassWeight), 2)
	if len(lr.Thresholds) > 0 && len(lr.Thresholds) != numClasses {
		return nil, fmt.Errorf("LogisticRegression: %d thresholds for %d classes", len(lr.Thresholds), numClasses)
	}
	multinomial := false
	switch orDefault(lr.Family, "auto") {
	case "auto":
		multinomial = numClasses > 2
	case "binomial":
		if numClasses > 2 {
			return nil, fmt.Errorf("LogisticRegression: family binomial needs labels 0 and 1, found %d classes", numClasses)
		}
	case "multinomial":
		multinomial = true
	}
	present := 0
	for _, w := range stats.ClassWeight {
		if w > 0 {
			present++
		}
	}
	if present < 2 {
		return nil, fmt.Errorf("LogisticRegression: the label column %q has a single class; a classifier needs at least two", labelCol)
	}
	fitIntercept := ml.BoolOr(lr.FitIntercept, true)
	standardize := ml.BoolOr(lr.Standardization, true)
	numFeatures := stats.Size
	k := 1
	if multinomial {
		k = numClasses
	}
	if err := linmodel.CheckModel(fmt.Sprintf("LogisticRegression: %d features × %d coefficient sets", numFeatures, k), int64(k)*int64(numFeatures+1)); err != nil {
		return nil, err
	}
	// The problem is solved over the features that vary (see
	// logisticGradient): d of them, active[j] being the j-th.
	var invStd []float64
	var active []int32
	for j, s := range stats.std() {
		if s > 0 {
			invStd = append(invStd, 1/s)
			active = append(active, int32(j))
		}
	}
	d := len(active)
	if d == numFeatures {
		active = nil
	}
	stride := d + 1
	x0 := make([]float64, k*stride)
	if fitIntercept {
		if !multinomial {
			// Start at the log-odds of the classes, as Spark does.
			p := stats.ClassWeight[1] / stats.WeightSum
			x0[d] = math.Log(p / (1 - p))
		} else {
			var mean float64
			for c := 0; c < k; c++ {
				x0[c*stride+d] = math.Log(math.Max(classWeight(stats, c), 1e-300))
				mean += x0[c*stride+d] / float64(k)
			}
			for c := 0; c < k; c++ {
				x0[c*stride+d] -= mean
			}
		}
	}
	reg, alpha := lr.RegParam, lr.ElasticNetParam
	l2 := reg * (1 - alpha)
	// penalty scale of coordinate j of the scaled problem: 1, or 1/σ_j
	// when the penalty is on the original coefficients.
	scale := func(j int) float64 {
		if standardize {
			return 1
		}
		return invStd[j]
	}
	// Without standardization the penalty's curvature per scaled
	// coordinate, l2/σ_j², can differ from the loss's (at most 1/4) by
	// many orders of magnitude, which stalls L-BFGS. Optimizing over
	// u = β'/p with p_j = (1/4 + l2/σ_j²)^(−1/2) (a diagonal
	// preconditioner) has the same minimizer and a well-conditioned
	// Hessian.
	pre := make([]float64, k*stride)
	for i := range pre {
		pre[i] = 1
		if j := i % stride; !standardize && j < d {
			pre[i] = 1 / math.Sqrt(0.25+l2*scale(j)*scale(j))
		}
	}
	// The objective keeps the weight sum only: the statistics (moments of
	// every feature) are garbage from here on — with many fits at once
	// (tuning in lockstep) they would add up.
	weightSum := stats.WeightSum
	// A tolerance below tightTol asks for the minimizer itself rather
	// than Spark's iterates: the problem is then solved over centred
	// features, intercept b' = b + μ·β with μ the scaled features' means.
	// That is the same minimizer reparametrized (the penalty does not
	// involve the intercept), but with the intercept decoupled from the
	// coefficients, where uncentred features (large means) leave the
	// Hessian so ill-conditioned that L-BFGS crawls and its per-iteration
	// decrease test stops it short. At Spark's tolerances the iterates
	// stay Spark's.
	var mu []float64
	tight := lr.Tol != nil && *lr.Tol < tightTol
	if fitIntercept && tight {
		mean := stats.Mean()
		mu = make([]float64, d)
		for j := range mu {
			f := j
			if active != nil {
				f = int(active[j])
			}
			mu[j] = mean[f] * invStd[j]
		}
	}
	// uncentre turns the centred parameters in p (K rows of d + 1) into
	// the model's: b = b' − μ·β.
	uncentre := func(p []float64) {
		for c := 0; c < k && mu != nil; c++ {
			row := p[c*stride : (c+1)*stride]
			for j, m := range mu {
				row[d] -= m * row[j]
			}
		}
	}
	grad := logisticGradient{FeaturesCol: featuresCol, LabelCol: labelCol, WeightCol: lr.WeightCol, InvStd: invStd, K: k, Multinomial: multinomial, FitIntercept: fitIntercept,
		Active: active, NumFeatures: numFeatures, prep: &prepared{}}
	coef := make([]float64, k*stride)
	// With standardization every p_j and penalty scale is 1, and a
	// product by 1 is exact: those loops are skipped, and the numbers are
	// the same.
	obj := optim.ObjectiveFunc(func(ctx context.Context, u, g []float64) (float64, error) {
		if standardize {
			copy(coef, u)
		} else {
			for i := range u {
				coef[i] = u[i] * pre[i]
			}
		}
		uncentre(coef)
		grad.Coef = coef
		grad.dense = &denseCoef{}
		lg, err := engine.Aggregate(ctx, e, ds, grad)
		if err != nil {
			return 0, err
		}
		f := lg.Loss / weightSum
		for i := range g {
			g[i] = lg.Grad[i] / weightSum
		}
		for c := 0; c < k && mu != nil; c++ { // ∂/∂β'_j = ∂/∂β_j − μ_j·∂/∂b
			row := g[c*stride : (c+1)*stride]
			for j, m := range mu {
				row[j] -= m * row[d]
			}
		}
		switch {
		case l2 > 0 && standardize:
			for c := 0; c < k; c++ {
				row, gr := coef[c*stride:c*stride+d], g[c*stride:c*stride+d]
				for j, v := range row {
					f += l2 / 2 * v * v
					gr[j] += l2 * v
				}
			}
		case l2 > 0:
			for c := 0; c < k; c++ {
				for j := 0; j < d; j++ {
					v := coef[c*stride+j] * scale(j)
					f += l2 / 2 * v * v
					g[c*stride+j] += l2 * v * scale(j)
				}
			}
		}
		if !standardize {
			for i := range g {
				g[i] *= pre[i]
			}
		}
		return f, nil
	})
	u0 := make([]float64, len(x0))
	for i := range x0 {
		u0[i] = x0[i] / pre[i]
	}
	opt := optim.LBFGS{MaxIter: optim.MaxIterOf(lr.MaxIter), Tol: optim.TolOf(lr.Tol), Progress: lr.Progress, GradientOnly: tight}
	var res *optim.Result
	if reg*alpha > 0 {
		// The L1 weight per coordinate, computed once: OWL-QN asks for it
		// several times per coordinate and iteration.
		l1w := make([]float64, len(u0))
		for i := range l1w {
			if j := i % stride; j != d { // intercepts are not penalized
				l1w[i] = reg * alpha * scale(j) * pre[i]
			}
		}
		res, err = (&optim.OWLQN{LBFGS: opt, L1: func(i int) float64 { return l1w[i] }}).Minimize(ctx, obj, u0)
	} else {
		res, err = opt.Minimize(ctx, obj, u0)
	}
	if err != nil {
		return nil, fmt.Errorf("LogisticRegression: %w", err)
	}
	for i := range res.X {
		res.X[i] *= pre[i]
	}
	uncentre(res.X)
	m := &LogisticRegressionModel{
		FeaturesCol: featuresCol, PredictionCol: orDefault(lr.PredictionCol, "prediction"),
		RawPredictionCol: orDefault(lr.RawPredictionCol, "rawPrediction"), ProbabilityCol: orDefault(lr.ProbabilityCol, "probability"),
		NumClasses: numClasses, NumFeatures: numFeatures, Multinomial: multinomial, Threshold: ml.FloatOr(lr.Threshold, 0.5), Thresholds: lr.Thresholds,
		Coefficients: make([]float64, k*numFeatures), Intercepts: make([]float64, k),
		ObjectiveHistory: res.History, TotalIterations: res.Iterations,
	}
	for c := 0; c < k; c++ {
		for j := 0; j < d; j++ {
			f := j
			if active != nil {
				f = int(active[j])
			}
			m.Coefficients[c*numFeatures+f] = res.X[c*stride+j] * invStd[j]
		}
		m.Intercepts[c] = res.X[c*stride+d]
	}
	if multinomial && fitIntercept {
		// Softmax intercepts are defined up to a constant: centre them,
		// as Spark does.
		var mean float64
		for _, b := range m.Intercepts {
			mean += b / float64(k)
		}
		for c := range m.Intercepts {
			m.Intercepts[c] -= mean
		}
	}
	return m, nil
}

func classWeight(s *TrainingStats, c int) float64 {
	if c < len(s.ClassWeight) {
		return s.ClassWeight[c]
	}
	return 0
}

// LogisticRegressionModel is a fitted logistic regression. Transform adds
// rawPrediction (margins; binomial: [−m, m]), probability (binomial:
// [1−p, p]; multinomial: softmax) and prediction (binomial: 1 when p >
// Threshold; multinomial: the most probable class).
type LogisticRegressionModel struct {
	FeaturesCol             string `param:"default=features,nonempty"`
	PredictionCol           string `param:"default=prediction,nonempty"`
	RawPredictionCol        string `param:"default=rawPrediction,nonempty"`
	ProbabilityCol          string `param:"default=probability,nonempty"`
	NumClasses, NumFeatures int
	Multinomial             bool
	// Threshold is the binomial decision threshold (the estimator's,
	// 0.5 unless set).
	Threshold  float64   `param:"min=0,max=1"`
	Thresholds []float64 `param:"min=0"`
	// Coefficients holds one row of NumFeatures per class (one row for a
	// binomial model); Intercepts one value per row.
	Coefficients, Intercepts []float64
	// ObjectiveHistory and TotalIterations summarize training.
	ObjectiveHistory []float64
	TotalIterations  int
}

// KernelName implements engine.Kernel.
func (*LogisticRegressionModel) KernelName() string { return "classification.LogisticRegressionModel" }

// OutputSchema implements engine.Mapper.
func (m *LogisticRegressionModel) OutputSchema(in *table.Schema) (*table.Schema, error) {
	return probabilisticSchema("LogisticRegressionModel", in, m.FeaturesCol, m.RawPredictionCol, m.ProbabilityCol, m.PredictionCol)
}

// Predict returns the margins, probabilities and predicted class of x.
func (m *LogisticRegressionModel) Predict(x linalg.Vector) (raw, prob []float64, pred float64) {
	rows := len(m.Intercepts)
	margins := make([]float64, rows)
	for c := 0; c < rows; c++ {
		margins[c] = m.Intercepts[c] + linalg.Dot(x, m.Coefficients[c*m.NumFeatures:(c+1)*m.NumFeatures])
	}
	if !m.Multinomial {
		p := sigmoid(margins[0])
		if p > m.Threshold {
			pred = 1
		}
		prob = []float64{1 - p, p}
		if len(m.Thresholds) > 0 {
			pred = float64(byThresholds(prob, m.Thresholds))
		}
		return []float64{-margins[0], margins[0]}, prob, pred
	}
	prob, best := softmax(margins)
	if len(m.Thresholds) > 0 {
		best = byThresholds(prob, m.Thresholds)
	}
	return margins, prob, float64(best)
}

// CheckParams implements ml.ParamChecker: at most one of Spark's
// thresholds may be 0.
func (lr *LogisticRegression) CheckParams() error { return checkThresholds(lr.Thresholds) }

// checkThresholds validates Spark's thresholds: non-negative, at most one 0.
func checkThresholds(t []float64) error {
	zeros := 0
	for _, v := range t {
		if v < 0 || !finite(v) {
			return ml.ParamErrorf("thresholds", "must be ≥ 0, got %v", t)
		}
		if v == 0 {
			zeros++
		}
	}
	if zeros > 1 {
		return ml.ParamErrorf("thresholds", "at most one of %v may be 0", t)
	}
	return nil
}

// byThresholds returns the class with the largest p_k / t_k (a zero
// threshold wins when its probability is positive), the first on ties.
func byThresholds(prob, t []float64) int {
	best, bestV := 0, math.Inf(-1)
	for k, p := range prob {
		v := math.Inf(1)
		if t[k] > 0 {
			v = p / t[k]
		} else if p == 0 {
			v = 0
		}
		if v > bestV {
			best, bestV = k, v
		}
	}
	return best
}

// softmax returns the softmax of scores (computed with the maximum
// subtracted) and the index of the largest, the first on ties.
func softmax(scores []float64) ([]float64, int) {
	mx := math.Inf(-1)
	for _, v := range scores {
		mx = math.Max(mx, v)
	}
	prob := make([]float64, len(scores))
	var sum float64
	for c, v := range scores {
		prob[c] = math.Exp(v - mx)
		sum += prob[c]
	}
	best := 0
	for c := range prob {
		prob[c] /= sum
		if prob[c] > prob[best] {
			best = c
		}
	}
	return prob, best
}

// MapPartition implements engine.Mapper.
func (m *LogisticRegressionModel) MapPartition(_ context.Context, info engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	out, err := m.OutputSchema(b.Schema())
	if err != nil {
		return nil, err
	}
	return addPredictions("LogisticRegressionModel", out, b, m.FeaturesCol, m.NumFeatures, info, m.Predict)
}

// Validate checks the model's arrays against its sizes.
func (m *LogisticRegressionModel) Validate() error {
	rows := 1
	if m.Multinomial {
		rows = m.NumClasses
	}
	if m.NumClasses < 2 || m.NumFeatures < 0 || len(m.Intercepts) != rows || !learned.IsMatrix(len(m.Coefficients), rows, m.NumFeatures) ||
		(len(m.Thresholds) > 0 && (len(m.Thresholds) != m.NumClasses || checkThresholds(m.Thresholds) != nil)) {
		return fmt.Errorf("LogisticRegressionModel: %d classes, %d features, %d coefficients, %d intercepts", m.NumClasses, m.NumFeatures, len(m.Coefficients), len(m.Intercepts))
	}
	return nil
}
