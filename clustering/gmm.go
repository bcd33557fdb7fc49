package clustering

import (
	"context"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/internal/learned"
	"github.com/spindle-ml/spindle/internal/linmodel"
	"github.com/spindle-ml/spindle/internal/simd"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

func init() {
	engine.RegisterAggregator[*GMMStats](gmmStep{})
	ml.Register(ml.Registration{Name: "GaussianMixture", New: func() any { return new(GaussianMixture) }, Model: &GaussianMixtureModel{}, Evaluator: "clustering",
		Samples: []ml.Sample{
			{
				Columns: []ml.SampleColumn{{Name: "features", Type: table.Vector}, {Name: "w", Type: table.Float64, Kind: "positive"}},
				Params:  ml.ParamMap{},
				Values:  map[string][]any{"weightCol": {"w"}},
			},
		}})
}

// Compile-time checks of the stage contract (see ml/stage.go).
var (
	_ ml.Estimator        = (*GaussianMixture)(nil)
	_ ml.SchemaChecker    = (*GaussianMixture)(nil)
	_ ml.ColumnReader     = (*GaussianMixture)(nil)
	_ ml.ProgressReporter = (*GaussianMixture)(nil)
	_ ml.Model            = (*GaussianMixtureModel)(nil)
	_ engine.Mapper       = (*GaussianMixtureModel)(nil)
	_ ml.StateValidator   = (*GaussianMixtureModel)(nil)
	_ ml.Summarizer       = (*GaussianMixtureModel)(nil)
)

// GaussianMixture is Spark ML's Gaussian mixture model, fitted by
// expectation–maximization: k components of weight π_c, mean μ_c and full
// covariance Σ_c. Each iteration is one pass: with the responsibilities
// γ_ic ∝ π_c·N(x_i | μ_c, Σ_c) (the E-step, in log space), the new
// π_c = Σ_i w_i·γ_ic / Σ_i w_i, μ_c the γ-weighted mean, Σ_c the γ-weighted
// covariance (the M-step; sums about the previous means, so that rows
// far from the origin keep their digits). It stops after maxIter
// iterations or when the log-likelihood Σ_i w_i·log Σ_c π_c·N(x_i | c)
// rises by less than tol.
//
// Initialization (Spark's, but without replacement): k·5 rows drawn at
// random (keyed by the row's position and the seed, so the same rows on
// any engine and partitioning); component c's mean is the mean of its five, its
// covariance the diagonal of their (biased) variances, and the weights
// are equal. A covariance that is not positive definite — a component
// left with fewer distinct rows than features — is an error naming the
// component and iteration.
//
// Defaults: k 2, maxIter 100, tol 0.01, seed 0, featuresCol "features",
// predictionCol "prediction" (the most probable component, int64),
// probabilityCol "probability" (the responsibilities).
type GaussianMixture struct {
	FeaturesCol    string `param:"default=features,nonempty"`
	PredictionCol  string `param:"default=prediction,nonempty"`
	ProbabilityCol string `param:"default=probability,nonempty"`
	WeightCol      string `param:""`
	// K is the number of components, ≥ 2; 0 means 2.
	K int `param:"default=2,min=2"`
	// MaxIter bounds the EM iterations; nil means 100.
	MaxIter *int `param:"default=100,min=0"`
	// Tol is the log-likelihood rise under which the fit stops; nil
	// means 0.01.
	Tol  *float64 `param:"default=0.01,min=0"`
	Seed int64    `param:"default=0"`
	// Progress, if set, is called after each iteration with the negated
	// log-likelihood of the parameters it started from.
	Progress func(iter int, loss float64)

	// initial, if set (tests), replaces the random initialization.
	initial *GaussianMixtureModel
}

// SetProgress implements ml.ProgressReporter.
func (g *GaussianMixture) SetProgress(fn func(iter int, loss float64)) { g.Progress = fn }

// InputColumns implements ml.ColumnReader.
func (g *GaussianMixture) InputColumns() []string {
	cols := []string{or(g.FeaturesCol, "features")}
	if g.WeightCol != "" {
		cols = append(cols, g.WeightCol)
	}
	return cols
}

func (g *GaussianMixture) model() *GaussianMixtureModel {
	return &GaussianMixtureModel{FeaturesCol: or(g.FeaturesCol, "features"), PredictionCol: or(g.PredictionCol, "prediction"),
		ProbabilityCol: or(g.ProbabilityCol, "probability")}
}

// OutputSchema implements ml.SchemaChecker.
func (g *GaussianMixture) OutputSchema(in *table.Schema) (*table.Schema, error) {
	if err := ml.Validate(g); err != nil {
		return nil, err
	}
	if g.WeightCol != "" {
		if _, err := ml.InputColumn("GaussianMixture", in, g.WeightCol, table.Float64, table.Int64); err != nil {
			return nil, err
		}
	}
	return g.model().OutputSchema(in)
}

// GMMStats is one EM pass's partial: per component the responsibilities'
// weight W, and the γ-weighted sums of x − μ_c (S1, k × D) and of
// (x − μ_c)(x − μ_c)ᵀ (S2, k × D × D) about the pass's means; the
// log-likelihood and the rows' weight.
type GMMStats struct {
	W, S1, S2    []float64
	LogLik, Rows float64
}

type gmmStep struct {
	FeaturesCol, WeightCol string
	Model                  *GaussianMixtureModel
}

func (gmmStep) KernelName() string { return "clustering.GMMStep" }
func (gmmStep) Zero() *GMMStats    { return &GMMStats{} }

func (k gmmStep) Fold(_ context.Context, info engine.PartitionInfo, acc *GMMStats, b *table.Batch) (*GMMStats, error) {
	vc, wc, err := columns(b, k.FeaturesCol, k.WeightCol)
	if err != nil {
		return nil, err
	}
	m := k.Model
	nc, d := m.K, m.NumFeatures
	if acc.W == nil {
		acc.W, acc.S1, acc.S2 = make([]float64, nc), make([]float64, nc*d), make([]float64, nc*d*d)
	}
	ev, err := m.evaluator()
	if err != nil {
		return nil, err
	}
	diff := make([]float64, d)
	for i, x := range vc.Values {
		row := engine.Row{Info: info, Batch: b, I: i}
		if vc.IsNull(i) {
			return nil, fmt.Errorf("%s: null features (drop or impute them first)", row)
		}
		if x.Size != d {
			return nil, fmt.Errorf("%s: features of size %d, the others have %d", row, x.Size, d)
		}
		w, err := rowWeight(wc, i, row)
		if err != nil {
			return nil, err
		}
		xd := x.ToDense().Values
		gamma, ll, err := ev.responsibilities(xd)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", row, err)
		}
		if w == 0 {
			continue
		}
		acc.LogLik += w * ll
		acc.Rows += w
		for c := range nc {
			g := w * gamma[c]
			if g == 0 {
				continue
			}
			acc.W[c] += g
			mu := m.Means[c*d : (c+1)*d]
			s1 := acc.S1[c*d : (c+1)*d]
			for j := range d {
				diff[j] = xd[j] - mu[j]
				s1[j] += g * diff[j]
			}
			s2 := acc.S2[c*d*d : (c+1)*d*d]
			for j := range d {
				f := g * diff[j]
				r := s2[j*d : (j+1)*d]
				for l := j; l < d; l++ {
					r[l] += f * diff[l]
				}
			}
		}
	}
	return acc, nil
}

func (gmmStep) Merge(a, b *GMMStats) (*GMMStats, error) {
	if b.W == nil {
		return a, nil
	}
	if a.W == nil {
		return b, nil
	}
	for _, p := range [][2][]float64{{a.W, b.W}, {a.S1, b.S1}, {a.S2, b.S2}} {
		simd.Axpy(1, p[1], p[0])
	}
	a.LogLik += b.LogLik
	a.Rows += b.Rows
	return a, nil
}

// Fit implements ml.Estimator.
func (g *GaussianMixture) Fit(ctx context.Context, e engine.Engine, ds engine.Dataset) (ml.Model, error) {
	return checkedFit("GaussianMixture", g, ds, func() (ml.Model, error) { return g.fit(ctx, e, ds) })
}

func (g *GaussianMixture) fit(ctx context.Context, e engine.Engine, ds engine.Dataset) (*GaussianMixtureModel, error) {
	features := or(g.FeaturesCol, "features")
	data, err := storeRows(ctx, e, ds, g.InputColumns(), false)
	if err != nil {
		return nil, err
	}
	defer engine.Release(e, data)
	k := max(g.K, 2)
	m := g.model()
	if g.initial != nil {
		init := *g.initial
		m.K, m.NumFeatures, m.Weights, m.Means, m.Covariances = init.K, init.NumFeatures, slices.Clone(init.Weights), slices.Clone(init.Means), slices.Clone(init.Covariances)
	} else if err := g.initialize(ctx, e, data, m, k); err != nil {
		return nil, err
	}
	maxIter, tol := ml.IntOr(g.MaxIter, 100), ml.FloatOr(g.Tol, 0.01)
	prev := math.Inf(-1)
	iter := 0
	for ; iter < maxIter; iter++ {
		st, err := engine.Aggregate(ctx, e, data, gmmStep{FeaturesCol: features, WeightCol: g.WeightCol, Model: m})
		if err != nil {
			return nil, fmt.Errorf("iteration %d: %w", iter+1, err)
		}
		if st.Rows == 0 {
			return nil, fmt.Errorf("no rows to fit (or every weight is 0)")
		}
		if g.Progress != nil {
			g.Progress(iter+1, -st.LogLik)
		}
		m.LogLikelihood = st.LogLik
		if err := m.maximize(st, iter+1); err != nil {
			return nil, err
		}
		if st.LogLik-prev < tol {
			iter++
			break
		}
		prev = st.LogLik
	}
	// The log-likelihood of the final parameters.
	st, err := engine.Aggregate(ctx, e, data, gmmStep{FeaturesCol: features, WeightCol: g.WeightCol, Model: m})
	if err != nil {
		return nil, err
	}
	m.LogLikelihood, m.NumIter = st.LogLik, iter
	return m, nil
}

// maximize sets the weights, means and covariances from a pass's sums.
func (m *GaussianMixtureModel) maximize(st *GMMStats, iter int) error {
	nc, d := m.K, m.NumFeatures
	var total float64
	for _, w := range st.W {
		total += w
	}
	for c := range nc {
		w := st.W[c]
		if w == 0 {
			return fmt.Errorf("iteration %d: component %d has no rows left (lower k)", iter, c)
		}
		m.Weights[c] = w / total
		mu, s1 := m.Means[c*d:(c+1)*d], st.S1[c*d:(c+1)*d]
		delta := make([]float64, d)
		for j := range d {
			delta[j] = s1[j] / w
		}
		cov, s2 := m.Covariances[c*d*d:(c+1)*d*d], st.S2[c*d*d:(c+1)*d*d]
		// Σ = S2/W − δ·δᵀ about the old mean; the new mean is old + δ.
		for j := range d {
			for l := j; l < d; l++ {
				v := s2[j*d+l]/w - delta[j]*delta[l]
				cov[j*d+l], cov[l*d+j] = v, v
			}
		}
		for j := range d {
			mu[j] += delta[j]
		}
	}
	if _, err := m.evaluator(); err != nil {
		return fmt.Errorf("iteration %d: %w", iter, err)
	}
	return nil
}

// initialize draws k·5 rows and makes Spark's initial
// components of them.
func (g *GaussianMixture) initialize(ctx context.Context, e engine.Engine, data engine.Dataset, m *GaussianMixtureModel, k int) error {
	const per = 5
	features := or(g.FeaturesCol, "features")
	p, err := engine.Aggregate(ctx, e, data, kmeansPick{FeaturesCol: features, WeightCol: g.WeightCol, N: k * per, Seed: g.Seed})
	if err != nil {
		return err
	}
	if len(p.Rows) == 0 {
		return fmt.Errorf("no rows to fit (or every weight is 0)")
	}
	d := p.D
	// The draws in the order of their keys; with fewer rows than k·5,
	// again from the first.
	picks := make([][]float64, k*per)
	for i := range picks {
		picks[i] = p.Rows[i%len(p.Rows)]
	}
	if d == 0 {
		return fmt.Errorf("the features are vectors of size 0")
	}
	m.K, m.NumFeatures = k, d
	m.Weights, m.Means, m.Covariances = make([]float64, k), make([]float64, k*d), make([]float64, k*d*d)
	for c := range k {
		m.Weights[c] = 1 / float64(k)
		mu := m.Means[c*d : (c+1)*d]
		slice := picks[c*per : (c+1)*per]
		for _, x := range slice {
			for j, v := range x {
				mu[j] += v / per
			}
		}
		for j := range d {
			var v float64
			for _, x := range slice {
				t := x[j] - mu[j]
				v += t * t
			}
			m.Covariances[c*d*d+j*d+j] = v / per
		}
	}
	return nil
}

// GaussianMixtureModel is a fitted Gaussian mixture; Transform adds the
// responsibilities (probabilityCol) and the most probable component
// (predictionCol, int64).
type GaussianMixtureModel struct {
	FeaturesCol    string `param:"default=features,nonempty"`
	PredictionCol  string `param:"default=prediction,nonempty"`
	ProbabilityCol string `param:"default=probability,nonempty"`
	// K components over NumFeatures: Weights (K), Means (K × NumFeatures,
	// row-major), Covariances (K × NumFeatures × NumFeatures).
	K, NumFeatures              int
	Weights, Means, Covariances []float64
	// LogLikelihood is Σ w·log p(x) over the training rows for the final
	// parameters; NumIter the EM iterations run.
	LogLikelihood float64
	NumIter       int
}

// gmmEval holds each component's Cholesky factor and log normalizer.
type gmmEval struct {
	m     *GaussianMixtureModel
	chol  []mat.Cholesky
	l     []*mat.TriDense // the Cholesky factors L, Σ = L·Lᵀ
	logNZ []float64       // log π_c − ½(d·log 2π + log det Σ_c)
	z     *mat.VecDense
	diff  *mat.VecDense
}

// evaluator factors the covariances; a covariance that is not positive
// definite is an error.
func (m *GaussianMixtureModel) evaluator() (*gmmEval, error) {
	d := m.NumFeatures
	ev := &gmmEval{m: m, chol: make([]mat.Cholesky, m.K), logNZ: make([]float64, m.K), z: mat.NewVecDense(d, nil), diff: mat.NewVecDense(d, nil)}
	for c := range m.K {
		sym := mat.NewSymDense(d, slices.Clone(m.Covariances[c*d*d:(c+1)*d*d]))
		if !ev.chol[c].Factorize(sym) {
			return nil, fmt.Errorf("the covariance of component %d is singular (it holds fewer distinct rows than the %d features, or features that are constant or collinear in it)", c, d)
		}
		ev.logNZ[c] = math.Log(m.Weights[c]) - 0.5*(float64(d)*math.Log(2*math.Pi)+ev.chol[c].LogDet())
		ev.l = append(ev.l, &mat.TriDense{})
		ev.chol[c].LTo(ev.l[c])
	}
	return ev, nil
}

// responsibilities returns γ_c ∝ π_c·N(x | μ_c, Σ_c) and log Σ_c π_c·N(x | c).
func (ev *gmmEval) responsibilities(x []float64) ([]float64, float64, error) {
	m, d := ev.m, ev.m.NumFeatures
	logp := make([]float64, m.K)
	best := math.Inf(-1)
	for c := range m.K {
		mu := m.Means[c*d : (c+1)*d]
		for j := range d {
			if !linmodel.Finite(x[j]) {
				return nil, 0, fmt.Errorf("feature %d is %v; a Gaussian mixture needs finite features", j, x[j])
			}
			ev.diff.SetVec(j, x[j]-mu[j])
		}
		// (x − μ)ᵀ Σ⁻¹ (x − μ) = ‖L⁻¹(x − μ)‖², Σ = L·Lᵀ.
		if err := ev.z.SolveVec(ev.l[c], ev.diff); err != nil {
			return nil, 0, err
		}
		q := mat.Dot(ev.z, ev.z)
		logp[c] = ev.logNZ[c] - q/2
		best = max(best, logp[c])
	}
	var sum float64
	for c := range logp {
		logp[c] = math.Exp(logp[c] - best)
		sum += logp[c]
	}
	for c := range logp {
		logp[c] /= sum
	}
	return logp, best + math.Log(sum), nil
}

// KernelName implements engine.Kernel.
func (*GaussianMixtureModel) KernelName() string { return "clustering.GaussianMixtureModel" }

// OutputSchema implements engine.Mapper.
func (m *GaussianMixtureModel) OutputSchema(in *table.Schema) (*table.Schema, error) {
	if _, err := ml.InputColumn("GaussianMixtureModel", in, m.FeaturesCol, table.Vector); err != nil {
		return nil, err
	}
	s, err := ml.WithOutput("GaussianMixtureModel", in, m.ProbabilityCol, table.Vector)
	if err != nil {
		return nil, err
	}
	return ml.WithOutput("GaussianMixtureModel", s, m.PredictionCol, table.Int64)
}

// MapPartition implements engine.Mapper.
func (m *GaussianMixtureModel) MapPartition(_ context.Context, info engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	out, err := m.OutputSchema(b.Schema())
	if err != nil {
		return nil, err
	}
	ev, err := m.evaluator()
	if err != nil {
		return nil, err
	}
	probs := make([]linalg.Vector, b.NumRows())
	return predictRows("GaussianMixtureModel", out, b, info, m.FeaturesCol, m.NumFeatures, func(i int, x linalg.Vector) (int, error) {
		g, _, err := ev.responsibilities(x.ToDense().Values)
		if err != nil {
			return 0, err
		}
		probs[i] = linalg.Dense(g)
		best := 0
		for c, v := range g {
			if v > g[best] {
				best = c
			}
		}
		return best, nil
	}, func() []table.Column { return []table.Column{table.NewVectorColumn(probs, nil)} })
}

// Validate implements ml.StateValidator.
func (m *GaussianMixtureModel) Validate() error {
	if m.K < 1 || m.NumFeatures < 1 || len(m.Weights) != m.K || !learned.IsMatrix(len(m.Means), m.K, m.NumFeatures) ||
		!learned.IsMatrix(len(m.Covariances), m.K, m.NumFeatures*m.NumFeatures) || m.NumFeatures > 1<<15 {
		return fmt.Errorf("GaussianMixtureModel: %d components of %d features, %d weights, %d mean and %d covariance values", m.K, m.NumFeatures, len(m.Weights), len(m.Means), len(m.Covariances))
	}
	_, err := m.evaluator()
	return err
}

// Summary implements ml.Summarizer.
func (m *GaussianMixtureModel) Summary() map[string]any {
	return map[string]any{"k": m.K, "numFeatures": m.NumFeatures, "weights": m.Weights, "logLikelihood": m.LogLikelihood, "numIter": m.NumIter}
}
