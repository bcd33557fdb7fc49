package feature

import (
	"context"
	"fmt"
	"math"

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
	engine.RegisterAggregator[*Gram](gramKernel{})
	ml.Register(ml.Registration{Name: "PCA", New: func() any { return new(PCA) }, Model: &PCAModel{},
		Samples: []ml.Sample{
			{
				Columns: []ml.SampleColumn{{Name: "v", Type: table.Vector}},
				Params:  ml.ParamMap{"inputCol": "v", "outputCol": "out", "k": 2},
				Values:  map[string][]any{"k": {1, 4}},
			},
			{
				Name:    "sparse",
				Columns: []ml.SampleColumn{{Name: "v", Type: table.Vector, Kind: "dense+sparse", Nulls: true}},
				Params:  ml.ParamMap{"inputCol": "v", "outputCol": "out", "k": 3},
			},
		}})
}

// Compile-time checks of the stage contract (see ml/stage.go).
var (
	_ ml.Estimator      = (*PCA)(nil)
	_ ml.SchemaChecker  = (*PCA)(nil)
	_ ml.ColumnReader   = (*PCA)(nil)
	_ ml.Model          = (*PCAModel)(nil)
	_ engine.Mapper     = (*PCAModel)(nil)
	_ ml.StateValidator = (*PCAModel)(nil)
	_ ml.Summarizer     = (*PCAModel)(nil)
)

// PCA is Spark ML's principal component analysis: it projects vectors of
// d features onto the k directions of largest variance. With n non-null
// rows, mean μ and the sample covariance C = Σ (x − μ)(x − μ)ᵀ / (n − 1)
// (two passes: the mean, then the centred Gram matrix, so that data far
// from the origin keeps its digits), the principal components are
// C's k eigenvectors of largest eigenvalue λ_1 ≥ … ≥ λ_k, and
// explainedVariance_i = λ_i / Σ_j λ_j (the share of the total variance,
// scikit-learn's explained_variance_ratio_). Each component's sign makes
// its entry of largest magnitude positive, so a fit is reproducible.
//
// The model maps x to the k values pcᵀ·x, as Spark does: the rows are not
// centred first (scikit-learn's transform subtracts the mean; the two
// differ by the constant pcᵀ·μ). Null rows are skipped by the fit and
// stay null. k (required, 1 ≤ k ≤ d) has no default; the covariance is
// d × d, so d is bounded by the memory of one worker.
type PCA struct {
	InputCol  string `param:"nonempty"`
	OutputCol string `param:"nonempty"`
	K         int    `param:"min=1"`
}

// InputColumns implements ml.ColumnReader.
func (p *PCA) InputColumns() []string { return []string{p.InputCol} }

// OutputSchema implements ml.SchemaChecker.
func (p *PCA) OutputSchema(in *table.Schema) (*table.Schema, error) {
	if err := ml.Validate(p); err != nil {
		return nil, err
	}
	if p.K < 1 {
		return nil, fmt.Errorf("PCA: k is required (at least 1)")
	}
	return vectorOutputSchema("PCA", in, p.InputCol, p.OutputCol)
}

// Gram is a PCA fit's partial. The first pass (no mean yet) counts the
// non-null rows N and sums them; the second, given the mean μ, sums
// (x − μ)(x − μ)ᵀ over dense rows into Gram, and x·xᵀ over sparse rows
// into Raw with their count and sum (centring a sparse row would make it
// dense; sparse data sits near the origin, where the raw form loses no
// digits), both the upper triangle of D × D, row-major. D is -1 before
// any row.
type Gram struct {
	D              int
	N, SparseN     float64
	Sum, SparseSum []float64
	Gram, Raw      []float64
}

type gramKernel struct {
	InputCol string
	// Mean is nil in the first pass.
	Mean []float64
}

func (gramKernel) KernelName() string { return "feature.Gram" }
func (gramKernel) Zero() *Gram        { return &Gram{D: -1} }

func (k gramKernel) Fold(ctx context.Context, info engine.PartitionInfo, acc *Gram, b *table.Batch) (*Gram, error) {
	vc, err := table.ColumnAs[*table.VectorColumn](b, k.InputCol)
	if err != nil {
		return nil, err
	}
	rows := make([]int, 0, vc.Len())
	for i, x := range vc.Values {
		if vc.IsNull(i) {
			continue
		}
		row := engine.Row{Info: info, Batch: b, I: i}
		if acc.D < 0 {
			if k.Mean != nil {
				if err := linmodel.CheckFeatures("PCA covariance", x.Size, x.Size); err != nil {
					return nil, err
				}
				acc.Gram = make([]float64, x.Size*x.Size)
			}
			acc.D, acc.Sum = x.Size, make([]float64, x.Size)
		}
		if x.Size != acc.D {
			return nil, fmt.Errorf("PCA: %s: vector of size %d, earlier rows have %d", row, x.Size, acc.D)
		}
		for j, v := range x.Values {
			if !linmodel.Finite(v) {
				if x.IsSparse() {
					j = int(x.Indices[j])
				}
				return nil, fmt.Errorf("PCA: %s: feature %d is %v; PCA needs finite values", row, j, v)
			}
		}
		rows = append(rows, i)
	}
	if acc.D < 0 {
		return acc, nil
	}
	if k.Mean == nil {
		for _, i := range rows {
			acc.N++
			linmodel.ForEach(vc.Values[i], func(c int, v float64) { acc.Sum[c] += v })
		}
		return acc, nil
	}
	d, i := acc.D, 0
	block, ok, err := linmodel.DenseRows(ctx, b, k.InputCol, vc, d)
	if err != nil {
		return nil, err
	}
	centred := make([]float64, 4*d)
	if ok && len(rows) == vc.Len() {
		// Four centred rows at a time, the upper triangle only:
		// Gram_c[c:] += Σ_r y_r[c]·y_r[c:] for every feature c, two
		// features per sweep (simd.AxpyRows4x2: the same bits as four
		// Axpy calls, so the sums do not depend on how rows are grouped).
		var a0, a1 [4]float64
		for ; i+4 <= len(rows); i += 4 {
			for j, v := range block[i*d : (i+4)*d] {
				centred[j] = v - k.Mean[j%d]
			}
			y := centred
			c := 0
			for ; c+1 < d; c += 2 {
				for r := range 4 {
					a0[r], a1[r] = y[r*d+c], y[r*d+c+1]
				}
				simd.AxpyRows4x2(&a0, &a1, y[c:], d, acc.Gram[c*d+c:(c+1)*d], acc.Gram[(c+1)*d+c:(c+2)*d])
			}
			if c < d {
				for r := range 4 {
					a0[r] = y[r*d+c]
				}
				simd.AxpyRows4(&a0, y[c:], d, acc.Gram[c*d+c:(c+1)*d])
			}
			acc.N += 4
		}
	}
	for ; i < len(rows); i++ {
		x := vc.Values[rows[i]]
		acc.N++
		if !x.IsSparse() {
			y := centred[:d]
			for j, v := range x.Values {
				y[j] = v - k.Mean[j]
			}
			for c, v := range y {
				simd.Axpy(v, y[c:], acc.Gram[c*d+c:(c+1)*d])
			}
			continue
		}
		if acc.Raw == nil {
			acc.Raw, acc.SparseSum = make([]float64, d*d), make([]float64, d)
		}
		acc.SparseN++
		for s, c := range x.Indices {
			v := x.Values[s]
			acc.SparseSum[c] += v
			g := acc.Raw[int(c)*d : (int(c)+1)*d]
			for t := s; t < len(x.Indices); t++ {
				j := x.Indices[t]
				g[j] = math.FMA(v, x.Values[t], g[j])
			}
		}
	}
	return acc, nil
}

func (gramKernel) Merge(a, b *Gram) (*Gram, error) {
	if b.D < 0 {
		return a, nil
	}
	if a.D < 0 {
		return b, nil
	}
	if a.D != b.D {
		return nil, fmt.Errorf("PCA: vectors of sizes %d and %d", a.D, b.D)
	}
	a.N += b.N
	a.SparseN += b.SparseN
	for _, p := range [][2][]float64{{a.Sum, b.Sum}, {a.Gram, b.Gram}} {
		if p[1] != nil {
			simd.Axpy(1, p[1], p[0])
		}
	}
	switch {
	case b.Raw == nil:
	case a.Raw == nil:
		a.Raw, a.SparseSum = b.Raw, b.SparseSum
	default:
		simd.Axpy(1, b.Raw, a.Raw)
		simd.Axpy(1, b.SparseSum, a.SparseSum)
	}
	return a, nil
}

// Fit implements ml.Estimator.
func (p *PCA) Fit(ctx context.Context, e engine.Engine, ds engine.Dataset) (ml.Model, error) {
	if _, err := p.OutputSchema(ds.Schema()); err != nil {
		return nil, err
	}
	sums, err := engine.Aggregate(ctx, e, ds, gramKernel{InputCol: p.InputCol})
	if err != nil {
		return nil, fmt.Errorf("PCA: %w", err)
	}
	if sums.D == 0 {
		return nil, fmt.Errorf("PCA: column %q holds vectors of size 0", p.InputCol)
	}
	if sums.N < 2 {
		return nil, fmt.Errorf("PCA: column %q has %v non-null rows; the covariance needs at least 2", p.InputCol, sums.N)
	}
	d := sums.D
	if p.K > d {
		return nil, fmt.Errorf("PCA: k is %d, above the %d features of column %q", p.K, d, p.InputCol)
	}
	mean := make([]float64, d)
	for j, v := range sums.Sum {
		mean[j] = v / sums.N
	}
	g, err := engine.Aggregate(ctx, e, ds, gramKernel{InputCol: p.InputCol, Mean: mean})
	if err != nil {
		return nil, fmt.Errorf("PCA: %w", err)
	}
	cov := mat.NewSymDense(d, nil)
	for i := range d {
		for j := i; j < d; j++ {
			v := g.Gram[i*d+j]
			if g.Raw != nil {
				// Σ_sparse (x − μ)(x − μ)ᵀ = Σxxᵀ − μ_i·S_j − S_i·μ_j + n·μ_i·μ_j.
				v += g.Raw[i*d+j] - mean[i]*g.SparseSum[j] - g.SparseSum[i]*mean[j] + g.SparseN*mean[i]*mean[j]
			}
			cov.SetSym(i, j, v/(g.N-1))
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(cov, true) {
		return nil, fmt.Errorf("PCA: the eigendecomposition of the %d × %d covariance did not converge", d, d)
	}
	vals := eig.Values(nil) // ascending
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	var total float64
	for _, v := range vals {
		total += max(v, 0)
	}
	m := &PCAModel{InputCol: p.InputCol, OutputCol: p.OutputCol, K: p.K, NumFeatures: d,
		PC: make([]float64, d*p.K), ExplainedVariance: make([]float64, p.K)}
	for c := range p.K {
		src := d - 1 - c // the c-th largest
		if total > 0 {
			m.ExplainedVariance[c] = max(vals[src], 0) / total
		}
		sign, big := 1.0, 0.0
		for j := range d {
			if v := vecs.At(j, src); math.Abs(v) > big {
				big, sign = math.Abs(v), math.Copysign(1, v)
			}
		}
		for j := range d {
			m.PC[j*p.K+c] = sign * vecs.At(j, src)
		}
	}
	return m, nil
}

// PCAModel is a fitted PCA: PC holds the k principal components as the
// columns of a NumFeatures × K matrix (row-major), ExplainedVariance the
// share of the variance of each.
type PCAModel struct {
	InputCol          string `param:"nonempty"`
	OutputCol         string `param:"nonempty"`
	K, NumFeatures    int
	PC                []float64
	ExplainedVariance []float64
}

// KernelName implements engine.Kernel.
func (*PCAModel) KernelName() string { return "feature.PCAModel" }

// OutputSchema implements engine.Mapper.
func (m *PCAModel) OutputSchema(in *table.Schema) (*table.Schema, error) {
	return vectorOutputSchema("PCAModel", in, m.InputCol, m.OutputCol)
}

// MapPartition implements engine.Mapper.
func (m *PCAModel) MapPartition(_ context.Context, info engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	return mapVectors("PCAModel", m.InputCol, m.OutputCol, m.NumFeatures, info, b, func(x linalg.Vector) linalg.Vector {
		out := make([]float64, m.K)
		linmodel.ForEach(x, func(j int, v float64) {
			simd.Axpy(v, m.PC[j*m.K:(j+1)*m.K], out)
		})
		return linalg.Dense(out)
	})
}

// Validate implements ml.StateValidator.
func (m *PCAModel) Validate() error {
	if m.K < 1 || m.NumFeatures < m.K || !learned.IsMatrix(len(m.PC), m.NumFeatures, m.K) || len(m.ExplainedVariance) != m.K {
		return fmt.Errorf("PCAModel: k %d, %d features, %d component values, %d explained variances", m.K, m.NumFeatures, len(m.PC), len(m.ExplainedVariance))
	}
	return nil
}

// Summary implements ml.Summarizer.
func (m *PCAModel) Summary() map[string]any {
	return map[string]any{"k": m.K, "numFeatures": m.NumFeatures, "explainedVariance": m.ExplainedVariance}
}
