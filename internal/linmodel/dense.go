package linmodel

import (
	"context"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/internal/simd"
	"github.com/spindle-ml/spindle/table"
)

// DenseRows returns a partition's features as one row-major block of nf
// columns, for DensePass: in place when the column is stored as a block
// (table.DenseBlock); else, when every row is a dense vector of size nf
// (a fold's view of a block, say), a copy made once per pass (shared by
// the fits of the pass through engine.Memoized). ok is false otherwise —
// a null row, a row of another size, sparse rows — and the caller reads
// the rows one by one. (Copying sparse rows into a block each pass costs
// more than the block's kernels save: 20% on the hashing workload.)
func DenseRows(ctx context.Context, b *table.Batch, col string, vc *table.VectorColumn, nf int) ([]float64, bool, error) {
	if x, dim, ok := table.DenseBlock(vc); ok {
		return x, dim == nf, nil
	}
	return CopyDense(ctx, b, col, vc, nf)
}

// CopyDense is DenseRows for a column that is not stored as a block: it
// copies dense rows only (Densify with sparse rows refused).
func CopyDense(ctx context.Context, b *table.Batch, col string, vc *table.VectorColumn, nf int) ([]float64, bool, error) {
	return copyRows(ctx, b, col, vc, nf, false, 0)
}

// Densify is CopyDense for sparse rows too: a partition whose rows are all
// vectors of size nf, with at least minDensity of the block's entries
// non-zero, is copied into a dense block once per pass (shared by the fits
// of the pass). For models whose work per row grows with the number of
// classes the block kernels repay the copy; for one coefficient vector
// they do not (copying was 20% slower on the hashing workload).
func Densify(ctx context.Context, b *table.Batch, col string, vc *table.VectorColumn, nf int, minDensity float64) ([]float64, bool, error) {
	return copyRows(ctx, b, col, vc, nf, true, minDensity)
}

// copyRows copies vc's rows into a dense block, once per pass
// (engine.Memoized), when every row is a vector of size nf (dense, or
// sparse if sparse is set) and minDensity of the entries are non-zero.
func copyRows(ctx context.Context, b *table.Batch, col string, vc *table.VectorColumn, nf int, sparse bool, minDensity float64) ([]float64, bool, error) {
	if vc.NullCount() > 0 || nf == 0 {
		return nil, false, nil
	}
	nnz := 0
	for _, v := range vc.Values {
		if v.Size != nf || v.IsSparse() && !sparse {
			return nil, false, nil
		}
		nnz += len(v.Values)
	}
	if float64(nnz) < minDensity*float64(len(vc.Values)*nf) {
		return nil, false, nil
	}
	x, err := engine.Memoized(ctx, denseKey{batch: b, col: col, n: nf}, func() ([]float64, error) {
		x := make([]float64, len(vc.Values)*nf)
		for i, v := range vc.Values {
			row := x[i*nf : (i+1)*nf]
			if v.IsSparse() {
				for t, j := range v.Indices {
					row[j] = v.Values[t]
				}
			} else {
				copy(row, v.Values)
			}
		}
		return x, nil
	})
	return x, err == nil, err
}

// denseKey names a partition's features copied into a dense block.
type denseKey struct {
	batch *table.Batch
	col   string
	n     int
}

// DensePass is the gradient pass of a linear model over one partition
// whose rows are a dense row-major block: X holds N rows of NF features,
// W the model's K coefficient vectors (K rows of NF, over the features as
// stored: scaling folded in), Bias its K intercepts. Run adds each row's
// gradient terms into G (K rows of NF) and InterceptG (K).
type DensePass struct {
	X          []float64
	N, NF, K   int
	W, Bias    []float64
	G          []float64
	InterceptG []float64
}

// DenseChunk is the most rows a DensePass step (one terms call) takes.
const DenseChunk = 64

// Run goes over the rows in chunks that stay in the L1 cache (about 24
// KiB; 4 to 64 rows) from their margins to their gradient terms:
//
//   - margins m[r·K + c] = Bias_c + x_r·w_c, four rows at a time
//     (simd.DotRows4, or simd.Block4.Dots for every class over
//     cache-sized slices of the features; the same bits as simd.Dot);
//   - terms(r0, rows, m) replaces each margin of rows r0 … r0+rows−1 by
//     that row's gradient multiplier for the class (keeping the loss
//     itself);
//   - G_c += Σ_r m_rc·x_r and InterceptG_c += Σ_r m_rc, four rows at a
//     time (simd.AxpyRows4, simd.Block4.Axpys).
//
// Rows are asked for 16 KiB ahead of use (at least four): of 2, 4, 8,
// 16 and 32 KiB, 16 was fastest on 28-feature rows (BenchmarkGradientPass
// in classification). Every sum runs in the order of the rows, so the
// result is fixed for a partition, on every engine.
func (p *DensePass) Run(terms func(r0, rows int, m []float64) error) error {
	nf, K, x, w := p.NF, p.K, p.X, p.W
	m := make([]float64, DenseChunk*K)
	prods := make([]float64, 4*K) // four rows' products (class c, row r at [c·4 + r]), then multipliers
	var b4 simd.Block4
	prefetchRows := max(4, (16384/(8*max(nf, 1))+3)&^3)
	chunk := max(4, min(DenseChunk, 24576/(8*max(nf, 1))&^3))
	for c0 := 0; c0 < p.N; c0 += chunk {
		rows := min(chunk, p.N-c0)
		for g0 := 0; g0 < rows; g0 += 4 {
			gr, blk := min(4, rows-g0), x[(c0+g0)*nf:]
			if ahead := c0 + g0 + prefetchRows; ahead+4 <= p.N {
				simd.Prefetch(x[ahead*nf : (ahead+4)*nf])
			}
			if gr == 4 && K == 1 { // one vector: no reshuffling
				var o [4]float64
				simd.DotRows4(blk, nf, w, &o)
				bias := p.Bias[0]
				m[g0], m[g0+1], m[g0+2], m[g0+3] = bias+o[0], bias+o[1], bias+o[2], bias+o[3]
				continue
			}
			if gr == 4 {
				b4.Dots(blk, nf, w, nf, prods)
			} else {
				for c := range K {
					for r := range gr {
						prods[c*4+r] = simd.Dot(blk[r*nf:(r+1)*nf], w[c*nf:(c+1)*nf])
					}
				}
			}
			for c := range K {
				for r := range gr {
					m[(g0+r)*K+c] = p.Bias[c] + prods[c*4+r]
				}
			}
		}
		if err := terms(c0, rows, m[:rows*K]); err != nil {
			return err
		}
		if K == 1 { // one vector: the multipliers are m itself
			ig := p.InterceptG[0] // summed here, in the rows' order
			for g0 := 0; g0 < rows; g0 += 4 {
				blk := x[(c0+g0)*nf:]
				if rows-g0 < 4 {
					for r := g0; r < rows; r++ {
						ig += m[r]
						simd.Axpy(m[r], x[(c0+r)*nf:(c0+r+1)*nf], p.G)
					}
					break
				}
				a := (*[4]float64)(m[g0 : g0+4])
				ig += a[0]
				ig += a[1]
				ig += a[2]
				ig += a[3]
				simd.AxpyRows4(a, blk, nf, p.G)
			}
			p.InterceptG[0] = ig
			continue
		}
		for g0 := 0; g0 < rows; g0 += 4 {
			gr, blk := min(4, rows-g0), x[(c0+g0)*nf:]
			for c := range K {
				for r := range gr {
					prods[c*4+r] = m[(g0+r)*K+c]
					p.InterceptG[c] += prods[c*4+r]
				}
			}
			if gr == 4 {
				b4.Axpys(prods, blk, nf, p.G, nf)
			} else {
				for c := range K {
					for r := range gr {
						simd.Axpy(prods[c*4+r], blk[r*nf:(r+1)*nf], p.G[c*nf:(c+1)*nf])
					}
				}
			}
		}
	}
	return nil
}

// DenseOne is a DensePass of one coefficient vector w and intercept bias
// over x (n rows of len(w)): for each row i of non-zero weight (ws nil:
// every weight 1), in order, row(i, m, wt) gets the row's margin and
// weight and returns its gradient multiplier (keeping the loss itself).
// It returns the unscaled gradient sum Σ mult·x_i and Σ mult.
func DenseOne(x []float64, n int, w []float64, bias float64, ws []float64, row func(i int, m, wt float64) float64) ([]float64, float64, error) {
	p := DensePass{X: x, N: n, NF: len(w), K: 1, W: w, Bias: []float64{bias}, G: make([]float64, len(w)), InterceptG: make([]float64, 1)}
	err := p.Run(func(r0, rows int, m []float64) error {
		for r := range rows {
			wt := 1.0
			if ws != nil {
				wt = ws[r0+r]
			}
			if wt == 0 {
				m[r] = 0
				continue
			}
			m[r] = row(r0+r, m[r], wt)
		}
		return nil
	})
	return p.G, p.InterceptG[0], err
}
