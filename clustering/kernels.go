package clustering

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/internal/linmodel"
	"github.com/spindle-ml/spindle/internal/simd"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/table"
)

// assigner finds a row's nearest center among row-major centers of d
// values (unit length for cosine).
type assigner struct {
	centers []float64
	d, k    int
	cosine  bool
	norms   []float64 // ‖c‖²
}

func (a *assigner) init() {
	a.k = 0
	if a.d > 0 {
		a.k = len(a.centers) / a.d
	}
	a.norms = make([]float64, a.k)
	for c := range a.k {
		r := a.centers[c*a.d : (c+1)*a.d]
		a.norms[c] = simd.Dot(r, r)
	}
}

// check returns ‖x‖², or an error naming the first feature that is not
// finite, or a zero vector under cosine.
func (a *assigner) check(x linalg.Vector) (float64, error) {
	var xx float64
	if x.IsSparse() {
		for _, v := range x.Values {
			xx += v * v
		}
	} else {
		xx = simd.Dot(x.Values, x.Values)
	}
	if !linmodel.Finite(xx) {
		var bad error
		linmodel.ForEach(x, func(j int, v float64) {
			if bad == nil && !linmodel.Finite(v) {
				bad = fmt.Errorf("feature %d is %v; k-means needs finite features", j, v)
			}
		})
		if bad == nil {
			bad = fmt.Errorf("the squared length of the features overflows")
		}
		return 0, bad
	}
	if a.cosine && xx == 0 {
		return 0, fmt.Errorf("a zero vector has no cosine distance (drop it, or use distanceMeasure euclidean)")
	}
	return xx, nil
}

// pick returns the center nearest to a row of squared length xx whose
// dot products with the centers dot gives, and its distance: squared
// Euclidean (‖x‖² − 2x·c + ‖c‖², at least 0) or cosine (1 − x·c/‖x‖).
// Ties go to the first center.
func (a *assigner) pick(xx float64, dot func(c int) float64) (int, float64) {
	best, bd := 0, math.Inf(1)
	if a.cosine {
		n := math.Sqrt(xx)
		for c := range a.k {
			if v := 1 - dot(c)/n; v < bd {
				best, bd = c, v
			}
		}
		return best, bd
	}
	for c := range a.k {
		if v := xx - 2*dot(c) + a.norms[c]; v < bd {
			best, bd = c, v
		}
	}
	return best, max(bd, 0)
}

// exact returns the squared Euclidean distance of dense x to center c,
// summed term by term (pick's form loses digits when x is near c).
func (a *assigner) exact(x []float64, c int) float64 {
	r := a.centers[c*a.d : (c+1)*a.d]
	var s float64
	for j, v := range x {
		t := v - r[j]
		s += t * t
	}
	return s
}

// nearest checks x and returns its nearest center, the distance, and ‖x‖².
func (a *assigner) nearest(x linalg.Vector) (int, float64, float64, error) {
	xx, err := a.check(x)
	if err != nil {
		return 0, 0, 0, err
	}
	var c int
	var dist float64
	if x.IsSparse() {
		c, dist = a.pick(xx, func(c int) float64 { return linalg.Dot(x, a.centers[c*a.d:(c+1)*a.d]) })
	} else {
		c, dist = a.pick(xx, func(c int) float64 { return simd.Dot(x.Values, a.centers[c*a.d:(c+1)*a.d]) })
		if !a.cosine {
			dist = a.exact(x.Values, c)
		}
	}
	return c, dist, xx, nil
}

// rowWeight returns row i's weight: 1 without a weight column.
func rowWeight(wc table.Column, i int, row engine.Row) (float64, error) {
	if wc == nil {
		return 1, nil
	}
	if wc.IsNull(i) {
		return 0, fmt.Errorf("%s: null weight", row)
	}
	w := linmodel.NumAt(wc, i)
	if w < 0 || !linmodel.Finite(w) {
		return 0, fmt.Errorf("%s: weight %v must be finite and non-negative", row, w)
	}
	return w, nil
}

// columns returns the batch's features and weight columns.
func columns(b *table.Batch, features, weight string) (*table.VectorColumn, table.Column, error) {
	vc, err := table.ColumnAs[*table.VectorColumn](b, features)
	if err != nil {
		return nil, nil, err
	}
	var wc table.Column
	if weight != "" {
		if wc, err = b.ColumnByName(weight); err != nil {
			return nil, nil, err
		}
	}
	return vc, wc, nil
}

// KMeansStats is one pass's partial: per center the weighted sum of its
// rows (Sums, centers × D; nil in a cost-only pass), their weight and
// count, and the weighted cost Σ w·d(x, nearest center).
type KMeansStats struct {
	Sums    []float64
	Weights []float64
	Counts  []int64
	Cost    float64
}

// kmeansStep assigns every row to its nearest center: a Lloyd iteration
// (sums per center), or a cost-only pass (the k-means|| rounds, the
// candidates' weights, the final cost).
type kmeansStep struct {
	FeaturesCol, WeightCol string
	Centers                []float64
	D                      int
	Cosine, CostOnly       bool
}

func (kmeansStep) KernelName() string { return "clustering.KMeansStep" }
func (kmeansStep) Zero() *KMeansStats { return &KMeansStats{} }

func (k kmeansStep) Fold(ctx context.Context, info engine.PartitionInfo, acc *KMeansStats, b *table.Batch) (*KMeansStats, error) {
	vc, wc, err := columns(b, k.FeaturesCol, k.WeightCol)
	if err != nil {
		return nil, err
	}
	a := assigner{centers: k.Centers, d: k.D, cosine: k.Cosine}
	a.init()
	if acc.Weights == nil {
		acc.Weights, acc.Counts = make([]float64, a.k), make([]int64, a.k)
		if !k.CostOnly {
			acc.Sums = make([]float64, a.k*k.D)
		}
	}
	add := func(i int, x linalg.Vector, c int, dist, xx float64) error {
		w, err := rowWeight(wc, i, engine.Row{Info: info, Batch: b, I: i})
		if err != nil {
			return err
		}
		acc.Cost += w * dist
		acc.Weights[c] += w
		acc.Counts[c]++
		if k.CostOnly || w == 0 {
			return nil
		}
		s, scale := acc.Sums[c*k.D:(c+1)*k.D], w
		if k.Cosine {
			scale = w / math.Sqrt(xx)
		}
		if x.IsSparse() {
			linmodel.ForEach(x, func(j int, v float64) { s[j] += scale * v })
		} else {
			simd.Axpy(scale, x.Values, s)
		}
		return nil
	}
	n, i := b.NumRows(), 0
	block, ok, err := linmodel.DenseRows(ctx, b, k.FeaturesCol, vc, k.D)
	if err != nil {
		return nil, err
	}
	if ok && a.k > 0 {
		// Four rows against every center at once (simd.Block4: the same
		// bits as one row at a time).
		var blk simd.Block4
		dots := make([]float64, 4*a.k)
		for ; i+4 <= n; i += 4 {
			blk.Dots(block[i*k.D:], k.D, k.Centers, k.D, dots)
			for r := range 4 {
				x := linalg.Dense(block[(i+r)*k.D : (i+r+1)*k.D])
				xx, err := a.check(x)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", engine.Row{Info: info, Batch: b, I: i + r}, err)
				}
				c, dist := a.pick(xx, func(c int) float64 { return dots[4*c+r] })
				if !k.Cosine {
					dist = a.exact(x.Values, c)
				}
				if err := add(i+r, x, c, dist, xx); err != nil {
					return nil, err
				}
			}
		}
	}
	for ; i < n; i++ {
		row := engine.Row{Info: info, Batch: b, I: i}
		x := vc.Values[i]
		if vc.IsNull(i) {
			return nil, fmt.Errorf("%s: null features (drop or impute them first)", row)
		}
		if x.Size != k.D {
			return nil, fmt.Errorf("%s: features of size %d, earlier rows have %d (vectors of mismatched size)", row, x.Size, k.D)
		}
		c, dist, xx, err := a.nearest(x)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", row, err)
		}
		if err := add(i, x, c, dist, xx); err != nil {
			return nil, err
		}
	}
	return acc, nil
}

func (kmeansStep) Merge(a, b *KMeansStats) (*KMeansStats, error) {
	if b.Weights == nil {
		return a, nil
	}
	if a.Weights == nil {
		return b, nil
	}
	if len(a.Weights) != len(b.Weights) || len(a.Sums) != len(b.Sums) {
		return nil, fmt.Errorf("k-means partials of %d and %d centers", len(a.Weights), len(b.Weights))
	}
	for c := range a.Weights {
		a.Weights[c] += b.Weights[c]
		a.Counts[c] += b.Counts[c]
	}
	for j := range a.Sums {
		a.Sums[j] += b.Sums[j]
	}
	a.Cost += b.Cost
	return a, nil
}

// KMeansPicks are rows drawn by a kmeansPick pass, with their draw (or
// distance) and position; D is the features' size (-1 before any row).
type KMeansPicks struct {
	D    int
	Keys []float64
	Pos  []int64
	Rows [][]float64
}

// kmeansPick draws rows, in one of three ways:
//
//   - uniform (Scale 0, Farthest false): the N rows of weight > 0 with the
//     smallest draws table.RowUniform(Seed, position), checking every row
//     (the first pass of a fit);
//   - a k-means|| round (Scale > 0): every row whose draw is below
//     Scale·w·d(x, Centers);
//   - Farthest: the row of weight > 0 farthest from Centers (the first
//     such row on a tie).
type kmeansPick struct {
	FeaturesCol, WeightCol string
	N                      int
	Seed                   int64
	Centers                []float64
	D                      int
	Cosine, Farthest       bool
	Step                   int
	Scale                  float64
}

func (kmeansPick) KernelName() string { return "clustering.KMeansPick" }
func (kmeansPick) Zero() *KMeansPicks { return &KMeansPicks{D: -1} }

func (k kmeansPick) seed() int64 { return k.Seed ^ int64(k.Step)*0x5851f42d4c957f2d }

func (k kmeansPick) Fold(_ context.Context, info engine.PartitionInfo, acc *KMeansPicks, b *table.Batch) (*KMeansPicks, error) {
	vc, wc, err := columns(b, k.FeaturesCol, k.WeightCol)
	if err != nil {
		return nil, err
	}
	a := assigner{centers: k.Centers, d: k.D, cosine: k.Cosine}
	a.init()
	for i := range b.NumRows() {
		row := engine.Row{Info: info, Batch: b, I: i}
		x := vc.Values[i]
		if vc.IsNull(i) {
			return nil, fmt.Errorf("%s: null features (drop or impute them first)", row)
		}
		if acc.D < 0 {
			acc.D = x.Size
		}
		if x.Size != acc.D {
			return nil, fmt.Errorf("%s: features of size %d, earlier rows have %d (vectors of mismatched size)", row, x.Size, acc.D)
		}
		w, err := rowWeight(wc, i, row)
		if err != nil {
			return nil, err
		}
		pos := info.RowOffset + int64(i)
		var key float64
		switch {
		case a.k == 0:
			if _, err := a.check(x); err != nil {
				return nil, fmt.Errorf("%s: %w", row, err)
			}
			if w == 0 {
				continue
			}
			key = table.RowUniform(k.seed(), pos)
		default:
			_, dist, _, err := a.nearest(x)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", row, err)
			}
			if k.Farthest {
				if w == 0 || len(acc.Keys) > 0 && dist <= acc.Keys[0] {
					continue
				}
				acc.Keys, acc.Pos, acc.Rows = acc.Keys[:0], acc.Pos[:0], acc.Rows[:0]
				key = dist
				break
			}
			if key = table.RowUniform(k.seed(), pos); key >= k.Scale*w*dist {
				continue
			}
		}
		acc.Keys = append(acc.Keys, key)
		acc.Pos = append(acc.Pos, pos)
		acc.Rows = append(acc.Rows, x.ToDense().Values)
		if k.N > 0 && len(acc.Keys) > 4*k.N {
			acc.keepSmallest(k.N)
		}
	}
	if k.N > 0 {
		acc.keepSmallest(k.N)
	}
	return acc, nil
}

// keepSmallest keeps the n picks with the smallest keys (then positions).
func (p *KMeansPicks) keepSmallest(n int) {
	if len(p.Keys) <= n {
		return
	}
	order := make([]int, len(p.Keys))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		return cmp.Or(cmp.Compare(p.Keys[a], p.Keys[b]), cmp.Compare(p.Pos[a], p.Pos[b]))
	})
	keys, pos, rows := make([]float64, n), make([]int64, n), make([][]float64, n)
	for i, o := range order[:n] {
		keys[i], pos[i], rows[i] = p.Keys[o], p.Pos[o], p.Rows[o]
	}
	p.Keys, p.Pos, p.Rows = keys, pos, rows
}

func (k kmeansPick) Merge(a, b *KMeansPicks) (*KMeansPicks, error) {
	if b.D < 0 {
		return a, nil
	}
	if a.D < 0 {
		return b, nil
	}
	if a.D != b.D {
		return nil, fmt.Errorf("features of sizes %d and %d (vectors of mismatched size)", a.D, b.D)
	}
	if k.Farthest {
		switch {
		case len(b.Keys) == 0:
			return a, nil
		case len(a.Keys) == 0 || b.Keys[0] > a.Keys[0] || b.Keys[0] == a.Keys[0] && b.Pos[0] < a.Pos[0]:
			return b, nil
		}
		return a, nil
	}
	a.Keys, a.Pos, a.Rows = append(a.Keys, b.Keys...), append(a.Pos, b.Pos...), append(a.Rows, b.Rows...)
	if k.N > 0 {
		a.keepSmallest(k.N)
	}
	return a, nil
}
