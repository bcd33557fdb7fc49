package clustering

import (
	"cmp"
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/internal/learned"
	"github.com/spindle-ml/spindle/internal/linmodel"
	"github.com/spindle-ml/spindle/internal/memlimit"
	"github.com/spindle-ml/spindle/internal/simd"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

func init() {
	engine.RegisterAggregator[*LDAScan](ldaScan{})
	engine.RegisterAggregator[*LDAStats](ldaStep{})
	engine.RegisterAggregator[*LDABound](ldaBound{})
	ml.Register(ml.Registration{Name: "LDA", New: func() any { return new(LDA) }, Model: &LDAModel{}, Evaluator: "topics",
		Samples: []ml.Sample{
			{
				Columns: []ml.SampleColumn{{Name: "features", Type: table.Vector, Kind: "counts"}},
				Params:  ml.ParamMap{"k": 3},
				Values:  map[string][]any{"docConcentration": {[]any{0.5}, []any{0.2, 0.3, 0.4}}, "k": {3}},
			},
		}})
}

// Compile-time checks of the stage contract (see ml/stage.go).
var (
	_ ml.Estimator        = (*LDA)(nil)
	_ ml.SchemaChecker    = (*LDA)(nil)
	_ ml.ColumnReader     = (*LDA)(nil)
	_ ml.ParamChecker     = (*LDA)(nil)
	_ ml.ProgressReporter = (*LDA)(nil)
	_ ml.Model            = (*LDAModel)(nil)
	_ engine.Mapper       = (*LDAModel)(nil)
	_ ml.StateValidator   = (*LDAModel)(nil)
	_ ml.Summarizer       = (*LDAModel)(nil)
)

// LDA is Spark ML's latent Dirichlet allocation topic model, fitted by
// Spark's online variational Bayes optimizer (Hoffman, Blei and Bach,
// "Online learning for latent Dirichlet allocation", 2010). Each row's
// featuresCol is a document's term-count vector over a vocabulary of V
// terms (CountVectorizer's output); the model has k topics, each a
// Dirichlet q(β_c | λ_c) over the terms, and infers for each document a
// Dirichlet q(θ_d | γ_d) over the topics, with priors α (docConcentration)
// on θ and η (topicConcentration) on β.
//
// Term weights need not be integers: like Spark, the fit uses them as
// they are, so tf-idf weights work (the bound is then not a likelihood of
// counts). A weight that is negative, NaN or infinite is an error naming
// the row and the column; a document of only zeros is skipped by the fit
// (as Spark) and gets a topic distribution of zeros.
//
// The fit (optimizer "online"): λ starts as k × V draws of Gamma(100,
// 1/100) from the seed. Iteration t = 1…maxIter draws each row with
// probability subsamplingRate (keyed by the seed, t and the row's
// position in the dataset, so every engine and partitioning draws the
// same rows; a row counts once a batch, where Spark's default samples
// with replacement) and runs, in an engine pass, the E-step on every drawn
// non-empty document d with term counts n_dw:
//
//	γ_d ← Gamma(100, 1/100) draws (keyed by the seed, t and the row)
//	repeat: γ_dc = α_c + exp(E[log θ_dc]) · Σ_w n_dw · exp(E[log β_cw]) / φ_dw,
//	        φ_dw = Σ_c exp(E[log θ_dc] + E[log β_cw]) + 1e-100,
//	until the mean |Δγ_dc| is below 1e-3, at most 100 times (scikit-learn's
//	cap; Spark's loop has none),
//
// with E[log θ_dc] = ψ(γ_dc) − ψ(Σ_c γ_dc) (ψ the digamma function), and
// sums the sufficient statistics s_cw = Σ_d exp(E[log θ_dc])·n_dw/φ_dw.
// The driver then sets, with ρ_t = (learningOffset + t)^(−learningDecay)
// and the batch size B = ⌈subsamplingRate · corpusSize⌉ (Spark's),
//
//	λ_cw ← (1 − ρ_t)·λ_cw + ρ_t·(η + (corpusSize/B)·s_cw·exp(E[log β_cw])),
//
// and, with optimizeDocConcentration, takes Spark's damped Newton step on
// α from the drawn documents' mean E[log θ_d] (kept only when every α_c
// stays positive). An iteration that draws no non-empty document changes
// nothing (Spark's).
//
// Defaults (Spark's): k 10, maxIter 20, seed 0, optimizer "online",
// learningOffset 1024, learningDecay 0.51, subsamplingRate 0.05,
// optimizeDocConcentration true, docConcentration 1/k for every topic,
// topicConcentration 1/k, featuresCol "features", topicDistributionCol
// "topicDistribution". checkpointInterval and keepLastCheckpoint are
// accepted for Spark's sake and have no effect: they concern the "em"
// optimizer's graph, which Spindle does not implement.
//
// The statistics are summed per partition, in row order, and partials
// merged in the engine's fixed tree: the same partitions give the same
// bits on every engine; another partitioning of the same rows can change
// the last bits of λ (the sums' rounding), not which rows are drawn.
//
// Cost: each iteration is one pass over the drawn rows, O(nnz·k) per
// E-step round of a document, and O(k·V) on the driver; the kernel
// carries exp(E[log β]) (k × V values) and each partition's partial is
// k × V values.
type LDA struct {
	FeaturesCol          string `param:"default=features,nonempty"`
	TopicDistributionCol string `param:"default=topicDistribution,nonempty"`
	// K is the number of topics, ≥ 2; 0 means 10.
	K int `param:"default=10,min=2"`
	// MaxIter is the number of mini-batch iterations; nil means 20.
	MaxIter *int  `param:"default=20,min=0"`
	Seed    int64 `param:"default=0"`
	// Optimizer is "online" (the default); Spark's "em" is refused: only
	// the online optimizer is implemented.
	Optimizer string `param:"default=online,oneOf=online|em"`
	// LearningOffset (Spark's τ₀, > 0) damps the first iterations; 0
	// means 1024.
	LearningOffset float64 `param:"default=1024,gt=0"`
	// LearningDecay (κ, in (0.5, 1]) is the learning rate's exponential
	// decay; 0 means 0.51.
	LearningDecay float64 `param:"default=0.51,gt=0.5,max=1"`
	// SubsamplingRate is the share of the documents each iteration draws,
	// in (0, 1]; 0 means 0.05.
	SubsamplingRate float64 `param:"default=0.05,gt=0,max=1"`
	// OptimizeDocConcentration says whether α is learned; nil means true.
	OptimizeDocConcentration *bool `param:"default=true"`
	// DocConcentration is α, a list: one value for every topic ([0.5]),
	// or k values, each > 0 (Spark's online optimizer also takes 0, which
	// makes the bound infinite); nil means 1/k for every topic.
	DocConcentration []float64 `param:"gt=0"`
	// TopicConcentration is η, > 0; nil means 1/k.
	TopicConcentration *float64 `param:"gt=0"`
	// CheckpointInterval (≥ 1, or −1; nil means 10) and
	// KeepLastCheckpoint (nil means true) are Spark's "em" checkpointing
	// settings: accepted, with no effect.
	CheckpointInterval *int  `param:"default=10,min=-1"`
	KeepLastCheckpoint *bool `param:"default=true"`
	// Progress, if set, is called after each iteration with the number of
	// documents it drew as the loss (the online fit computes no
	// objective; LDAModel.LogLikelihood does, on data).
	Progress func(iter int, loss float64)

	// initial, if set (tests), replaces the random λ (V × k, row-major);
	// onesInit starts every document's γ at 1, as scikit-learn does
	// without a random state.
	initial  []float64
	onesInit bool
}

// SetProgress implements ml.ProgressReporter.
func (l *LDA) SetProgress(fn func(iter int, loss float64)) { l.Progress = fn }

// InputColumns implements ml.ColumnReader.
func (l *LDA) InputColumns() []string { return []string{or(l.FeaturesCol, "features")} }

// CheckParams implements ml.ParamChecker: the optimizer must be "online",
// docConcentration holds one or k values, checkpointInterval is not 0.
func (l *LDA) CheckParams() error {
	if l.Optimizer == "em" {
		return ml.ParamErrorf("optimizer", `"em" is not implemented: Spindle implements only Spark's "online" optimizer (a local model); use optimizer: online`)
	}
	if n := len(l.DocConcentration); n > 1 && n != l.k() {
		return ml.ParamErrorf("docConcentration", "%d values for k = %d topics: give one value (every topic's) or k values", n, l.k())
	}
	if l.CheckpointInterval != nil && *l.CheckpointInterval == 0 {
		return ml.ParamErrorf("checkpointInterval", "must be ≥ 1 or -1 (off), got 0")
	}
	return nil
}

func (l *LDA) k() int { return cmp.Or(l.K, 10) }

func (l *LDA) model() *LDAModel {
	return &LDAModel{FeaturesCol: or(l.FeaturesCol, "features"), TopicDistributionCol: or(l.TopicDistributionCol, "topicDistribution"), Seed: l.Seed}
}

// OutputSchema implements ml.SchemaChecker.
func (l *LDA) OutputSchema(in *table.Schema) (*table.Schema, error) {
	if err := ml.Validate(l); err != nil {
		return nil, err
	}
	return l.model().OutputSchema(in)
}

// Fit implements ml.Estimator.
func (l *LDA) Fit(ctx context.Context, e engine.Engine, ds engine.Dataset) (ml.Model, error) {
	return checkedFit("LDA", l, ds, func() (ml.Model, error) { return l.fit(ctx, e, ds) })
}

// maxLDACells bounds k·V, the size of λ (and of each partial).
const maxLDACells = 1 << 27

func (l *LDA) fit(ctx context.Context, e engine.Engine, ds engine.Dataset) (*LDAModel, error) {
	features := or(l.FeaturesCol, "features")
	data, err := e.MapPartitions(ds, engine.Select{Columns: []string{features}})
	if err == nil {
		data, err = e.Persist(ctx, data)
	}
	if err != nil {
		return nil, err
	}
	defer engine.Release(e, data)
	scan, err := engine.Aggregate(ctx, e, data, ldaScan{FeaturesCol: features})
	if err != nil {
		return nil, err
	}
	k, v := l.k(), scan.D
	switch {
	case scan.Docs == 0:
		return nil, fmt.Errorf("no rows to fit")
	case v == 0:
		return nil, fmt.Errorf("the features are vectors of size 0: an empty vocabulary has no topics")
	case math.IsInf(scan.Tokens, 0):
		return nil, fmt.Errorf("the term weights in column %s sum to %v: too large to fit", features, scan.Tokens)
	case k > maxLDACells/v:
		return nil, fmt.Errorf("k = %d topics over a vocabulary of %d terms make more than %d topic weights (lower k or the vocabulary size)", k, v, maxLDACells)
	}
	// λ, exp(E[log β]) and the new λ on the driver, and a partial a worker.
	if err := memlimit.Check(fmt.Sprintf("LDA: k = %d topics × %d terms", k, v), memlimit.Floats(int64(k), int64(v), memlimit.Workers()+3), "lower k, or the vocabulary size (CountVectorizer's vocabSize)"); err != nil {
		return nil, err
	}
	m := l.model()
	m.K, m.VocabSize = k, v
	m.onesInit = l.onesInit
	m.TopicConcentration = 1 / float64(k)
	if l.TopicConcentration != nil {
		m.TopicConcentration = *l.TopicConcentration
	}
	m.EstimatedDocConcentration = make([]float64, k)
	for c := range k {
		switch len(l.DocConcentration) {
		case 0:
			m.EstimatedDocConcentration[c] = 1 / float64(k)
		case 1:
			m.EstimatedDocConcentration[c] = l.DocConcentration[0]
		default:
			m.EstimatedDocConcentration[c] = l.DocConcentration[c]
		}
	}
	if l.initial != nil {
		if len(l.initial) != k*v {
			return nil, fmt.Errorf("initial topics of %d values, want %d × %d", len(l.initial), v, k)
		}
		m.TopicsMatrix = slices.Clone(l.initial)
	} else {
		m.TopicsMatrix = gammaMatrix(l.Seed, k*v)
	}
	rate := cmp.Or(l.SubsamplingRate, 0.05)
	offset, decay := cmp.Or(l.LearningOffset, 1024), cmp.Or(l.LearningDecay, 0.51)
	optimize := l.OptimizeDocConcentration == nil || *l.OptimizeDocConcentration
	batch := math.Ceil(rate * float64(scan.Docs))
	maxIter := ml.IntOr(l.MaxIter, 20)
	for t := 1; t <= maxIter; t++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		step := ldaStep{FeaturesCol: features, Seed: l.Seed, Iter: t, Rate: rate, K: k, V: v,
			ExpElogBeta: expElogBeta(m.TopicsMatrix, k), Alpha: m.EstimatedDocConcentration, Optimize: optimize, onesInit: l.onesInit}
		st, err := engine.Aggregate(ctx, e, data, step)
		if err != nil {
			return nil, fmt.Errorf("iteration %d: %w", t, err)
		}
		if l.Progress != nil {
			l.Progress(t, float64(st.Docs))
		}
		if st.Docs == 0 {
			continue // Spark's: an empty batch changes nothing
		}
		rho := math.Pow(offset+float64(t), -decay)
		scale := float64(scan.Docs) / batch
		for j, s := range st.Stats {
			m.TopicsMatrix[j] = (1-rho)*m.TopicsMatrix[j] + rho*(m.TopicConcentration+scale*s*step.ExpElogBeta[j])
		}
		if j := slices.IndexFunc(m.TopicsMatrix, func(x float64) bool { return math.IsNaN(x) || math.IsInf(x, 0) }); j >= 0 {
			return nil, fmt.Errorf("iteration %d: topic %d's weight of term %d is %v: the term weights in column %s are too large to fit (the largest sums reach %.3g)",
				t, j%k, j/k, m.TopicsMatrix[j], features, scan.MaxDoc)
		}
		if optimize {
			n := float64(st.Docs)
			logphat := make([]float64, k)
			for c, s := range st.LogPhat {
				logphat[c] = s / n
			}
			m.EstimatedDocConcentration = updateAlpha(m.EstimatedDocConcentration, logphat, n, rho)
			if slices.ContainsFunc(m.EstimatedDocConcentration, func(x float64) bool { return math.IsNaN(x) || math.IsInf(x, 0) }) {
				return nil, fmt.Errorf("iteration %d: docConcentration became %v (not finite)", t, m.EstimatedDocConcentration)
			}
		}
	}
	m.NumIter = maxIter
	return m, nil
}

// updateAlpha is Spark's Newton step on α from the mean E[log θ] of n
// documents (logphat), damped by ρ: with g = n·(logphat − ψ(α) + ψ(Σα)),
// q_c = −n·ψ′(α_c), z = n·ψ′(Σα) and b = Σ(g/q) / (1/z + Σ(1/q)), the step
// is −(g − b)/q; it is taken (times ρ) only when every α_c stays > 0.
func updateAlpha(alpha, logphat []float64, n, rho float64) []float64 {
	var sum float64
	for _, a := range alpha {
		sum += a
	}
	dsum, z := digamma(sum), n*trigamma(sum)
	g, q := make([]float64, len(alpha)), make([]float64, len(alpha))
	var gq, iq float64
	for c, a := range alpha {
		g[c] = n * (logphat[c] - (digamma(a) - dsum))
		q[c] = -n * trigamma(a)
		gq += g[c] / q[c]
		iq += 1 / q[c]
	}
	b := gq / (1/z + iq)
	out := make([]float64, len(alpha))
	for c, a := range alpha {
		out[c] = a + rho*(-(g[c]-b)/q[c])
		if !(out[c] > 0) {
			return alpha
		}
	}
	return out
}

// gammaMatrix draws n values of Gamma(100, 1/100) from seed: Spark's
// initial λ (its own generator, so not Spark's values).
func gammaMatrix(seed int64, n int) []float64 {
	r := rand.New(rand.NewPCG(uint64(seed), 0x4c44415f6c616d62))
	out := make([]float64, n)
	for i := range out {
		out[i] = gamma100(r)
	}
	return out
}

// gamma100 draws Gamma(shape 100, scale 1/100) by Marsaglia and Tsang's
// method (a mean of 1 and a standard deviation of 0.1).
func gamma100(r *rand.Rand) float64 {
	const shape = 100.0
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v / shape
		}
	}
}

// digamma is ψ(x) for x > 0: the recurrence ψ(x) = ψ(x+1) − 1/x up to
// x ≥ 10, then the asymptotic series (error below 1e-16 there).
func digamma(x float64) float64 {
	var r float64
	for x < 10 {
		r -= 1 / x
		x++
	}
	f := 1 / (x * x)
	return r + math.Log(x) - 0.5/x - f*(1.0/12-f*(1.0/120-f*(1.0/252-f*(1.0/240-f*(1.0/132-f*(691.0/32760-f/12))))))
}

// trigamma is ψ′(x) for x > 0, computed as digamma is.
func trigamma(x float64) float64 {
	var r float64
	for x < 10 {
		r += 1 / (x * x)
		x++
	}
	f := 1 / (x * x)
	return r + 1/x + f/2 + f/x*(1.0/6-f*(1.0/30-f*(1.0/42-f*(1.0/30-f*(5.0/66-f*(691.0/2730-f*7.0/6))))))
}

// dirichletExpectation sets out_c = ψ(g_c) − ψ(Σ g), E[log θ_c] under
// Dirichlet(g).
func dirichletExpectation(g, out []float64) {
	var s float64
	for _, v := range g {
		s += v
	}
	ds := digamma(s)
	for c, v := range g {
		out[c] = digamma(v) - ds
	}
}

// elogBeta returns E[log β_cw] = ψ(λ_wc) − ψ(Σ_w λ_wc) for λ stored V × k.
func elogBeta(lambda []float64, k int) []float64 {
	sums := make([]float64, k)
	for j, v := range lambda {
		sums[j%k] += v
	}
	for c := range sums {
		sums[c] = digamma(sums[c])
	}
	out := make([]float64, len(lambda))
	for j, v := range lambda {
		out[j] = digamma(v) - sums[j%k]
	}
	return out
}

// expElogBeta returns exp(E[log β]) for λ stored V × k.
func expElogBeta(lambda []float64, k int) []float64 {
	out := elogBeta(lambda, k)
	for j, v := range out {
		out[j] = math.Exp(v)
	}
	return out
}

// ldaDoc is one document's non-zero terms, checked.
type ldaDoc struct {
	ids []int32
	cts []float64
}

// read fills d from x: the non-zero weights, each finite and ≥ 0.
func (d *ldaDoc) read(x linalg.Vector) error {
	d.ids, d.cts = d.ids[:0], d.cts[:0]
	var bad error
	linmodel.ForEach(x, func(j int, v float64) {
		switch {
		case bad != nil || v == 0:
		case !(v > 0) || math.IsInf(v, 0):
			bad = fmt.Errorf("term %d has weight %v; LDA needs term counts (finite and ≥ 0)", j, v)
		default:
			d.ids, d.cts = append(d.ids, int32(j)), append(d.cts, v)
		}
	})
	return bad
}

// ldaInfer runs the E-step for one document at a time against
// exp(E[log β]) (V × k) and α, reusing its buffers.
type ldaInfer struct {
	k            int
	expEB, alpha []float64
	gamma, last  []float64
	expTheta     []float64
	phiNorm      []float64
	tmp          []float64
	ratio, block []float64 // n_n/φ_n; the document's exp(E[log β]), k × nnz
}

func newInfer(k int, expEB, alpha []float64) *ldaInfer {
	return &ldaInfer{k: k, expEB: expEB, alpha: alpha, gamma: make([]float64, k), last: make([]float64, k),
		expTheta: make([]float64, k), tmp: make([]float64, k)}
}

// Spark's inner loop: its tolerance on the mean change of γ and its
// φ floor; scikit-learn's bound on the rounds.
const (
	ldaGammaTol   = 1e-3
	ldaMaxRounds  = 100
	ldaPhiEpsilon = 1e-100
)

// infer sets in.gamma (γ_d) and in.expTheta (exp E[log θ_d]) for d,
// starting from γ drawn by r (or 1s when r is nil), and in.phiNorm.
func (in *ldaInfer) infer(d *ldaDoc, r *rand.Rand) {
	k := in.k
	for c := range k {
		if r == nil {
			in.gamma[c] = 1
		} else {
			in.gamma[c] = gamma100(r)
		}
	}
	in.expThetaOf()
	nnz := len(d.ids)
	in.phiNorm = slices.Grow(in.phiNorm[:0], nnz)[:nnz]
	in.ratio = slices.Grow(in.ratio[:0], nnz)[:nnz]
	in.block = slices.Grow(in.block[:0], k*nnz)[:k*nnz]
	for n, id := range d.ids {
		for c, v := range in.expEB[int(id)*k : int(id+1)*k] {
			in.block[c*nnz+n] = v
		}
	}
	// One walk over the document's rows of exp(E[log β]) a round: the
	// norms φ for the current θ, and with them the sums the next γ needs.
	in.walk(d, true)
	for range ldaMaxRounds {
		copy(in.last, in.gamma)
		var change float64
		for c := range k {
			in.gamma[c] = in.expTheta[c]*in.tmp[c] + in.alpha[c]
			change += math.Abs(in.gamma[c] - in.last[c])
		}
		in.expThetaOf()
		done := change/float64(k) < ldaGammaTol
		in.walk(d, !done)
		if done {
			break
		}
	}
}

// walk sets φ_n = Σ_c exp(E[log θ_c])·exp(E[log β_c,id_n]) + 1e-100 and,
// when sums is set, tmp_c = Σ_n exp(E[log β_c,id_n])·n_n/φ_n, over the
// document's block of exp(E[log β]) (topic-major: long vectors).
func (in *ldaInfer) walk(d *ldaDoc, sums bool) {
	nnz := len(d.ids)
	clear(in.phiNorm)
	for c, t := range in.expTheta {
		simd.Axpy(t, in.block[c*nnz:(c+1)*nnz], in.phiNorm)
	}
	for n := range in.phiNorm {
		in.phiNorm[n] += ldaPhiEpsilon
	}
	if !sums {
		return
	}
	for n, p := range in.phiNorm {
		in.ratio[n] = d.cts[n] / p
	}
	c := 0
	var four [4]float64
	for ; c+4 <= len(in.tmp); c += 4 {
		simd.DotRows4(in.block[c*nnz:], nnz, in.ratio, &four)
		copy(in.tmp[c:c+4], four[:])
	}
	for ; c < len(in.tmp); c++ {
		in.tmp[c] = simd.Dot(in.block[c*nnz:(c+1)*nnz], in.ratio)
	}
}

func (in *ldaInfer) expThetaOf() {
	dirichletExpectation(in.gamma, in.expTheta)
	for c, v := range in.expTheta {
		in.expTheta[c] = math.Exp(v)
	}
}

// pcgFor returns a generator keyed by two words (reused: reseeded).
func pcgFor(p *rand.PCG, a, b uint64) *rand.Rand {
	p.Seed(a, b)
	return rand.New(p)
}

// ldaResult is one document's E-step: γ_d, exp(E[log θ_d]) and φ_d's
// norms.
type ldaResult struct{ gamma, expTheta, phiNorm []float64 }

// inferDocs runs the E-step of every document of docs, spread over
// GOMAXPROCS goroutines (documents are independent; a partition's rows
// are not spread evenly over partitions by every reader). Document i's
// initial γ is drawn from the generator keyed by key(i), or is 1s when
// key says so. The results do not depend on the number of goroutines:
// callers sum them in row order.
func inferDocs(k int, expEB, alpha []float64, docs []ldaDoc, key func(i int) (a, b uint64, draw bool)) []ldaResult {
	out := make([]ldaResult, len(docs))
	workers := min(runtime.GOMAXPROCS(0), len(docs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := newInfer(k, expEB, alpha)
			var pcg rand.PCG
			for {
				i := int(next.Add(1) - 1)
				if i >= len(docs) {
					return
				}
				var r *rand.Rand
				if a, b, draw := key(i); draw {
					r = pcgFor(&pcg, a, b)
				}
				in.infer(&docs[i], r)
				out[i] = ldaResult{gamma: slices.Clone(in.gamma), expTheta: slices.Clone(in.expTheta), phiNorm: slices.Clone(in.phiNorm)}
			}
		}()
	}
	wg.Wait()
	return out
}

// iterSeed is iteration t's key for the draws of the fit.
func iterSeed(seed int64, t int) int64 { return seed ^ int64(t)*0x2545f4914f6cdd1d }

// LDAScan is the first pass's partial: the vocabulary size D (−1 before
// any row), the rows and the total term weight.
type LDAScan struct {
	D      int
	Docs   int64
	Tokens float64
	// MaxDoc is the largest document's term weight.
	MaxDoc float64
}

// ldaScan checks every row once (not null, one size, finite weights ≥ 0)
// and counts the corpus.
type ldaScan struct{ FeaturesCol string }

func (ldaScan) KernelName() string { return "clustering.LDAScan" }
func (ldaScan) Zero() *LDAScan     { return &LDAScan{D: -1} }

func (k ldaScan) Fold(_ context.Context, info engine.PartitionInfo, acc *LDAScan, b *table.Batch) (*LDAScan, error) {
	vc, err := table.ColumnAs[*table.VectorColumn](b, k.FeaturesCol)
	if err != nil {
		return nil, err
	}
	var d ldaDoc
	for i, x := range vc.Values {
		row := engine.Row{Info: info, Batch: b, I: i}
		if vc.IsNull(i) {
			return nil, fmt.Errorf("%s: column %s: null features (drop them first)", row, k.FeaturesCol)
		}
		if acc.D < 0 {
			acc.D = x.Size
		}
		if x.Size != acc.D {
			return nil, fmt.Errorf("%s: column %s: features of size %d, earlier rows have %d (vectors of mismatched size)", row, k.FeaturesCol, x.Size, acc.D)
		}
		if err := d.read(x); err != nil {
			return nil, fmt.Errorf("%s: column %s: %w", row, k.FeaturesCol, err)
		}
		acc.Docs++
		var sum float64
		for _, c := range d.cts {
			sum += c
		}
		acc.Tokens += sum
		acc.MaxDoc = max(acc.MaxDoc, sum)
	}
	return acc, nil
}

func (ldaScan) Merge(a, b *LDAScan) (*LDAScan, error) {
	if b.D < 0 {
		return a, nil
	}
	if a.D < 0 {
		return b, nil
	}
	if a.D != b.D {
		return nil, fmt.Errorf("features of sizes %d and %d (vectors of mismatched size)", a.D, b.D)
	}
	a.Docs += b.Docs
	a.Tokens += b.Tokens
	a.MaxDoc = max(a.MaxDoc, b.MaxDoc)
	return a, nil
}

// LDAStats is one iteration's partial: the sufficient statistics
// Σ_d exp(E[log θ_dc])·n_dw/φ_dw (V × k, row-major; nil before any
// document), the drawn non-empty documents, and, when α is learned, their
// Σ_d E[log θ_d] (k).
type LDAStats struct {
	Stats   []float64
	Docs    int64
	LogPhat []float64
}

// ldaStep is one online iteration's E-step over the rows it draws.
type ldaStep struct {
	FeaturesCol string
	Seed        int64
	Iter        int
	Rate        float64
	K, V        int
	ExpElogBeta []float64 // V × k
	Alpha       []float64
	Optimize    bool

	onesInit bool // tests: γ starts at 1
}

func (ldaStep) KernelName() string { return "clustering.LDAStep" }
func (ldaStep) Zero() *LDAStats    { return &LDAStats{} }

func (k ldaStep) Fold(_ context.Context, info engine.PartitionInfo, acc *LDAStats, b *table.Batch) (*LDAStats, error) {
	vc, err := table.ColumnAs[*table.VectorColumn](b, k.FeaturesCol)
	if err != nil {
		return nil, err
	}
	if len(k.ExpElogBeta) != k.K*k.V || len(k.Alpha) != k.K {
		return nil, fmt.Errorf("LDA step of %d topic weights and %d α for k = %d, V = %d", len(k.ExpElogBeta), len(k.Alpha), k.K, k.V)
	}
	seed := iterSeed(k.Seed, k.Iter)
	var docs []ldaDoc
	var pos []int64
	for i, x := range vc.Values {
		p := info.RowOffset + int64(i)
		if table.RowUniform(seed, p) >= k.Rate {
			continue
		}
		row := engine.Row{Info: info, Batch: b, I: i}
		if vc.IsNull(i) || x.Size != k.V {
			return nil, fmt.Errorf("%s: column %s: null features or not of size %d", row, k.FeaturesCol, k.V)
		}
		var d ldaDoc
		if err := d.read(x); err != nil {
			return nil, fmt.Errorf("%s: column %s: %w", row, k.FeaturesCol, err)
		}
		if len(d.ids) > 0 {
			docs, pos = append(docs, d), append(pos, p)
		}
	}
	if len(docs) == 0 {
		return acc, nil
	}
	res := inferDocs(k.K, k.ExpElogBeta, k.Alpha, docs, func(i int) (uint64, uint64, bool) { return uint64(seed), uint64(pos[i]), !k.onesInit })
	if acc.Stats == nil {
		acc.Stats = make([]float64, k.K*k.V)
		if k.Optimize {
			acc.LogPhat = make([]float64, k.K)
		}
	}
	elog := make([]float64, k.K)
	for i, d := range docs {
		r := res[i]
		acc.Docs++
		for n, id := range d.ids {
			simd.Axpy(d.cts[n]/r.phiNorm[n], r.expTheta, acc.Stats[int(id)*k.K:int(id+1)*k.K])
		}
		if k.Optimize {
			dirichletExpectation(r.gamma, elog)
			for c, v := range elog {
				acc.LogPhat[c] += v
			}
		}
	}
	return acc, nil
}

func (ldaStep) Merge(a, b *LDAStats) (*LDAStats, error) {
	if b.Stats == nil {
		return a, nil
	}
	if a.Stats == nil {
		return b, nil
	}
	if len(a.Stats) != len(b.Stats) || len(a.LogPhat) != len(b.LogPhat) {
		return nil, fmt.Errorf("LDA partials of %d and %d statistics", len(a.Stats), len(b.Stats))
	}
	simd.Axpy(1, b.Stats, a.Stats)
	for c, v := range b.LogPhat {
		a.LogPhat[c] += v
	}
	a.Docs += b.Docs
	return a, nil
}

// LDAModel is a fitted LDA (Spark's LocalLDAModel): Transform adds each
// document's topic distribution γ_d/Σγ_d (topicDistributionCol, a vector
// of k values; zeros for a document without terms), inferred by the
// fit's E-step from γ drawn from Gamma(100, 1/100) keyed by the seed and
// the document's terms (so a document gets the same distribution in any
// row, batch or engine, as in Spark, whose draws depend on the seed only).
type LDAModel struct {
	FeaturesCol          string `param:"default=features,nonempty"`
	TopicDistributionCol string `param:"default=topicDistribution,nonempty"`
	Seed                 int64  `param:"default=0"`
	// K topics over a vocabulary of VocabSize terms. TopicsMatrix is λ in
	// Spark's orientation: VocabSize × K, row-major (row w holds term w's
	// expected weight in each topic; Spark's topicsMatrix).
	K, VocabSize int
	TopicsMatrix []float64
	// EstimatedDocConcentration is α as learned (or as given, without
	// optimizeDocConcentration); TopicConcentration is η.
	EstimatedDocConcentration []float64
	TopicConcentration        float64
	// NumIter is the number of online iterations run.
	NumIter int

	onesInit bool // tests: γ starts at 1
	// betas caches E[log β] and exp(E[log β]) (betas()).
	betas atomic.Pointer[ldaBetas]
}

// ldaBetas are E[log β] and exp(E[log β]) of a model's λ (2·k·V values),
// computed once per model in a process — not once per partition of every
// pass, or per request of a server.
type ldaBetas struct {
	of         *float64 // &TopicsMatrix[0], the λ they were computed from
	n          int
	elog, exps []float64
}

// expectations returns the model's ldaBetas, validating the model and
// checking the memory they take the first time.
func (m *LDAModel) expectations() (*ldaBetas, error) {
	if b := m.betas.Load(); b != nil && b.n == len(m.TopicsMatrix) && b.n > 0 && b.of == &m.TopicsMatrix[0] {
		return b, nil
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if err := memlimit.Check(fmt.Sprintf("LDAModel: k = %d topics × %d terms", m.K, m.VocabSize), memlimit.Floats(int64(m.K), int64(m.VocabSize), 2), "lower k, or the vocabulary size"); err != nil {
		return nil, err
	}
	b := &ldaBetas{of: &m.TopicsMatrix[0], n: len(m.TopicsMatrix), elog: elogBeta(m.TopicsMatrix, m.K)}
	b.exps = make([]float64, len(b.elog))
	for j, v := range b.elog {
		b.exps[j] = math.Exp(v)
	}
	m.betas.Store(b)
	return b, nil
}

// KernelName implements engine.Kernel.
func (*LDAModel) KernelName() string { return "clustering.LDAModel" }

// IsDistributed is false: an online fit makes a local model (Spark's
// LocalLDAModel).
func (*LDAModel) IsDistributed() bool { return false }

// TopicTerms are a topic's heaviest terms (DescribeTopics).
type TopicTerms struct {
	Topic       int
	TermIndices []int
	TermWeights []float64
}

// DescribeTopics returns each topic's maxTermsPerTopic heaviest terms
// (≤ 0 means 10, Spark's default), by weight λ_wc/Σ_w λ_wc (Spark
// normalizes each topic to sum 1), heaviest first, the lower index first
// on a tie.
func (m *LDAModel) DescribeTopics(maxTermsPerTopic int) []TopicTerms {
	if maxTermsPerTopic <= 0 {
		maxTermsPerTopic = 10
	}
	n := min(maxTermsPerTopic, m.VocabSize)
	out := make([]TopicTerms, m.K)
	for c := range m.K {
		var sum float64
		for w := range m.VocabSize {
			sum += m.TopicsMatrix[w*m.K+c]
		}
		weight := func(w int) float64 { return m.TopicsMatrix[w*m.K+c] }
		t := TopicTerms{Topic: c, TermIndices: heaviest(m.VocabSize, n, weight), TermWeights: make([]float64, n)}
		for i, w := range t.TermIndices {
			t.TermWeights[i] = weight(w) / sum
		}
		out[c] = t
	}
	return out
}

// heaviest returns the n indices of 0…size−1 of largest weight, heaviest
// first, the lower index first on a tie, in O(size·log n): a heap of the
// n best so far, its lightest on top (a vocabulary can hold millions of
// terms; a topic wants ten).
func heaviest(size, n int, weight func(int) float64) []int {
	// worse orders a before b when a is lighter, or as heavy and later.
	worse := func(a, b int) bool {
		wa, wb := weight(a), weight(b)
		return wa < wb || (wa == wb && a > b)
	}
	h := make([]int, 0, n)
	down := func(i int) {
		for {
			l, least := 2*i+1, i
			if l < len(h) && worse(h[l], h[least]) {
				least = l
			}
			if r := l + 1; r < len(h) && worse(h[r], h[least]) {
				least = r
			}
			if least == i {
				return
			}
			h[i], h[least] = h[least], h[i]
			i = least
		}
	}
	for w := range size {
		switch {
		case len(h) < n:
			h = append(h, w)
			for i := len(h) - 1; i > 0 && worse(h[i], h[(i-1)/2]); i = (i - 1) / 2 {
				h[i], h[(i-1)/2] = h[(i-1)/2], h[i]
			}
		case n > 0 && worse(h[0], w):
			h[0] = w
			down(0)
		}
	}
	slices.SortFunc(h, func(a, b int) int {
		if worse(b, a) {
			return -1
		}
		if worse(a, b) {
			return 1
		}
		return 0
	})
	return h
}

// OutputSchema implements engine.Mapper.
func (m *LDAModel) OutputSchema(in *table.Schema) (*table.Schema, error) {
	if _, err := ml.InputColumn("LDAModel", in, m.FeaturesCol, table.Vector); err != nil {
		return nil, err
	}
	return ml.WithOutput("LDAModel", in, m.TopicDistributionCol, table.Vector)
}

// docKey keys the generator of a document's initial γ: the model's seed
// and a hash of the document's terms; draw is false for the tests' 1s.
func (m *LDAModel) docKey(d *ldaDoc) (a, b uint64, draw bool) {
	h := fnv.New64a()
	var buf [16]byte
	for n, id := range d.ids {
		for i := range 8 {
			buf[i] = byte(uint64(id) >> (8 * i))
			buf[8+i] = byte(math.Float64bits(d.cts[n]) >> (8 * i))
		}
		h.Write(buf[:])
	}
	return uint64(m.Seed), h.Sum64(), !m.onesInit
}

// infer reads the rows of a features column (checked: not null, of the
// vocabulary's size, counts) and runs the E-step of the non-empty ones;
// docs[i] and res[i] are row i's (res[i] zero for a row without terms).
func (m *LDAModel) infer(b *table.Batch, fc *table.VectorColumn, info engine.PartitionInfo, expEB []float64) ([]ldaDoc, []ldaResult, error) {
	docs := make([]ldaDoc, fc.Len())
	var idx []int
	err := linmodel.EachRow("LDAModel", b, fc, info, m.VocabSize, func(i int, x linalg.Vector) error {
		if err := docs[i].read(x); err != nil {
			return err
		}
		if len(docs[i].ids) > 0 {
			idx = append(idx, i)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	some := make([]ldaDoc, len(idx))
	for j, i := range idx {
		some[j] = docs[i]
	}
	got := inferDocs(m.K, expEB, m.EstimatedDocConcentration, some, func(j int) (uint64, uint64, bool) { return m.docKey(&some[j]) })
	res := make([]ldaResult, len(docs))
	for j, i := range idx {
		res[i] = got[j]
	}
	return docs, res, nil
}

// MapPartition implements engine.Mapper.
func (m *LDAModel) MapPartition(_ context.Context, info engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	out, err := m.OutputSchema(b.Schema())
	if err != nil {
		return nil, err
	}
	fc, err := table.ColumnAs[*table.VectorColumn](b, m.FeaturesCol)
	if err != nil {
		return nil, err
	}
	betas, err := m.expectations()
	if err != nil {
		return nil, err
	}
	_, res, err := m.infer(b, fc, info, betas.exps)
	if err != nil {
		return nil, err
	}
	dist := make([]linalg.Vector, b.NumRows())
	for i, r := range res {
		t := make([]float64, m.K)
		dist[i] = linalg.Dense(t) // zeros for a document without terms
		var sum float64
		for _, g := range r.gamma {
			sum += g
		}
		for c, g := range r.gamma {
			t[c] = g / sum
		}
	}
	return b.Derive(out, append(append([]table.Column(nil), b.Columns()...), table.NewVectorColumn(dist, nil)))
}

// LDABound is a bound pass's partial: the documents' part of the
// variational bound, their term weight and count.
type LDABound struct {
	Bound, Tokens float64
	Docs          int64
}

// ldaBound sums the documents' part of the variational bound, for each
// non-empty document with γ_d inferred as Transform infers it:
//
//	Σ_w n_dw·log Σ_c exp(E[log θ_dc] + E[log β_cw])
//	+ Σ_c (α_c − γ_dc)·E[log θ_dc] + Σ_c (log Γ(γ_dc) − log Γ(α_c))
//	+ log Γ(Σα) − log Γ(Σγ_d).
type ldaBound struct {
	Model *LDAModel
}

func (ldaBound) KernelName() string { return "clustering.LDABound" }
func (ldaBound) Zero() *LDABound    { return &LDABound{} }

func (k ldaBound) Fold(_ context.Context, info engine.PartitionInfo, acc *LDABound, b *table.Batch) (*LDABound, error) {
	m := k.Model
	betas, err := m.expectations()
	if err != nil {
		return nil, err
	}
	fc, err := table.ColumnAs[*table.VectorColumn](b, m.FeaturesCol)
	if err != nil {
		return nil, err
	}
	elogB, expEB := betas.elog, betas.exps
	alpha := m.EstimatedDocConcentration
	var sumAlpha, lgAlpha float64
	for _, a := range alpha {
		sumAlpha += a
		lg, _ := math.Lgamma(a)
		lgAlpha += lg
	}
	lgSumAlpha, _ := math.Lgamma(sumAlpha)
	docs, res, err := m.infer(b, fc, info, expEB)
	if err != nil {
		return nil, err
	}
	elog, t := make([]float64, m.K), make([]float64, m.K)
	for i, d := range docs {
		acc.Docs++
		if len(d.ids) == 0 {
			continue
		}
		gamma := res[i].gamma
		dirichletExpectation(gamma, elog)
		var bound, sumGamma float64
		for n, id := range d.ids {
			row := elogB[int(id)*m.K : int(id+1)*m.K]
			best := math.Inf(-1)
			for c := range m.K {
				t[c] = elog[c] + row[c]
				best = max(best, t[c])
			}
			var s float64
			for c := range m.K {
				s += math.Exp(t[c] - best)
			}
			bound += d.cts[n] * (best + math.Log(s))
			acc.Tokens += d.cts[n]
		}
		for c, g := range gamma {
			lg, _ := math.Lgamma(g)
			bound += (alpha[c]-g)*elog[c] + lg
			sumGamma += g
		}
		lgSumGamma, _ := math.Lgamma(sumGamma)
		acc.Bound += bound - lgAlpha + lgSumAlpha - lgSumGamma
	}
	return acc, nil
}

func (ldaBound) Merge(a, b *LDABound) (*LDABound, error) {
	a.Bound += b.Bound
	a.Tokens += b.Tokens
	a.Docs += b.Docs
	return a, nil
}

// topicsBound is the topics' part of the variational bound:
// Σ_cw (η − λ_wc)·E[log β_cw] + Σ_cw (log Γ(λ_wc) − log Γ(η))
// + Σ_c (log Γ(V·η) − log Γ(Σ_w λ_wc)).
func (m *LDAModel) topicsBound(elogB []float64) float64 {
	eta := m.TopicConcentration
	lgEta, _ := math.Lgamma(eta)
	lgVEta, _ := math.Lgamma(float64(m.VocabSize) * eta)
	sums := make([]float64, m.K)
	var out float64
	for j, l := range m.TopicsMatrix {
		lg, _ := math.Lgamma(l)
		out += (eta-l)*elogB[j] + lg - lgEta
		sums[j%m.K] += l
	}
	for _, s := range sums {
		lg, _ := math.Lgamma(s)
		out += lgVEta - lg
	}
	return out
}

// bound returns the variational lower bound over ds's documents and their
// term weight.
func (m *LDAModel) bound(ctx context.Context, e engine.Engine, ds engine.Dataset) (float64, float64, error) {
	if _, err := ml.InputColumn("LDAModel", ds.Schema(), m.FeaturesCol, table.Vector); err != nil {
		return 0, 0, err
	}
	data, err := e.MapPartitions(ds, engine.Select{Columns: []string{m.FeaturesCol}})
	if err != nil {
		return 0, 0, err
	}
	st, err := engine.Aggregate(ctx, e, data, ldaBound{Model: m})
	if err != nil {
		return 0, 0, err
	}
	if st.Docs == 0 {
		return 0, 0, fmt.Errorf("LDAModel: no documents to score")
	}
	betas, err := m.expectations()
	if err != nil {
		return 0, 0, err
	}
	return st.Bound + m.topicsBound(betas.elog), st.Tokens, nil
}

// LogLikelihood is Spark's LDAModel.logLikelihood: the variational lower
// bound on log p(documents) of ds's featuresCol, the documents' part
// (ldaBound) plus the topics' part (topicsBound).
func (m *LDAModel) LogLikelihood(ctx context.Context, e engine.Engine, ds engine.Dataset) (float64, error) {
	b, _, err := m.bound(ctx, e, ds)
	return b, err
}

// LogPerplexity is Spark's LDAModel.logPerplexity: −LogLikelihood / the
// documents' total term weight (scikit-learn's perplexity is its exp).
// Documents without terms make it an error (no tokens).
func (m *LDAModel) LogPerplexity(ctx context.Context, e engine.Engine, ds engine.Dataset) (float64, error) {
	b, tokens, err := m.bound(ctx, e, ds)
	if err != nil {
		return 0, err
	}
	if tokens == 0 {
		return 0, fmt.Errorf("LDAModel: the documents have no terms, so no perplexity")
	}
	return -b / tokens, nil
}

// Validate implements ml.StateValidator.
func (m *LDAModel) Validate() error {
	if m.K < 1 || m.VocabSize < 1 || m.K > maxLDACells/m.VocabSize || !learned.IsMatrix(len(m.TopicsMatrix), m.VocabSize, m.K) || len(m.EstimatedDocConcentration) != m.K {
		return fmt.Errorf("LDAModel: %d topics over %d terms, %d topic weights and %d doc concentrations", m.K, m.VocabSize, len(m.TopicsMatrix), len(m.EstimatedDocConcentration))
	}
	for j, v := range m.TopicsMatrix {
		if !(v > 0) || math.IsInf(v, 0) {
			return fmt.Errorf("LDAModel: topicsMatrix[%d][%d] is %v; topic weights are finite and > 0", j/m.K, j%m.K, v)
		}
	}
	for c, v := range m.EstimatedDocConcentration {
		if !(v > 0) || math.IsInf(v, 0) {
			return fmt.Errorf("LDAModel: docConcentration[%d] is %v; it must be finite and > 0", c, v)
		}
	}
	if v := m.TopicConcentration; !(v > 0) || math.IsInf(v, 0) {
		return fmt.Errorf("LDAModel: topicConcentration is %v; it must be finite and > 0", v)
	}
	return nil
}

// Summary implements ml.Summarizer: k, the vocabulary size, α, η and each
// topic's ten heaviest term indices.
func (m *LDAModel) Summary() map[string]any {
	top := make([][]int, 0, m.K)
	for _, t := range m.DescribeTopics(10) {
		top = append(top, t.TermIndices)
	}
	return map[string]any{"k": m.K, "vocabSize": m.VocabSize, "docConcentration": m.EstimatedDocConcentration,
		"topicConcentration": m.TopicConcentration, "numIter": m.NumIter, "topTerms": top}
}
