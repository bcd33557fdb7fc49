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
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

// assigner finds a row's nearest center among row-major centers of d
// values (unit length for cosine).
type assigner struct {
	centers []float64
	d, k    int
	cosine  bool
	norms   []float64 // ‖c‖²
	fast    []float64 // pick's scratch
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
				bad = fmt.Errorf("feature %d is %v; clustering needs finite features", j, v)
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

// pick returns the center nearest to a row x of squared length xx whose
// dot products with the centers dot gives, and its distance: squared
// Euclidean or cosine (1 − x·c/‖x‖). Ties go to the first center.
//
// The squared Euclidean distance is first taken as ‖x‖² − 2x·c + ‖c‖²
// (at least 0), which costs one dot product a center but loses digits
// far from the origin: its error is below tol_c = (d + 2)·2⁻⁵²·(‖x‖² +
// ‖c‖²). Every center within that error of the best is then measured
// term by term, and so is the winner when its distance is small next to
// its error (Spark's fastSquaredDistance does the same).
func (a *assigner) pick(x linalg.Vector, xx float64, dot func(c int) float64) (int, float64) {
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
	if cap(a.fast) < a.k {
		a.fast = make([]float64, a.k)
	}
	fast := a.fast[:a.k]
	for c := range a.k {
		fast[c] = xx - 2*dot(c) + a.norms[c]
		if fast[c] < bd {
			best, bd = c, fast[c]
		}
	}
	eps := float64(a.d+2) * 0x1p-52
	limit := bd + eps*(xx+a.norms[best])
	near := 0
	for c := range a.k {
		if fast[c]-eps*(xx+a.norms[c]) <= limit {
			near++
		}
	}
	if near == 1 {
		if bd > 1e-4*(xx+a.norms[best]) {
			return best, bd
		}
		return best, a.exact(x, best)
	}
	best, bd = 0, math.Inf(1)
	for c := range a.k {
		if fast[c]-eps*(xx+a.norms[c]) <= limit {
			if v := a.exact(x, c); v < bd {
				best, bd = c, v
			}
		}
	}
	return best, bd
}

// exact returns the squared Euclidean distance of x to center c, summed
// term by term over every feature.
func (a *assigner) exact(x linalg.Vector, c int) float64 {
	r := a.centers[c*a.d : (c+1)*a.d]
	var s float64
	if !x.IsSparse() {
		for j, v := range x.Values {
			t := v - r[j]
			s += t * t
		}
		return s
	}
	k := 0
	for j, v := range r {
		if k < len(x.Indices) && int(x.Indices[k]) == j {
			v -= x.Values[k]
			k++
		}
		s += v * v
	}
	return s
}

// nearest returns x's nearest center and the distance, given ‖x‖² = xx.
func (a *assigner) nearest(x linalg.Vector, xx float64) (int, float64) {
	if x.IsSparse() {
		return a.pick(x, xx, func(c int) float64 { return linalg.Dot(x, a.centers[c*a.d:(c+1)*a.d]) })
	}
	return a.pick(x, xx, func(c int) float64 { return simd.Dot(x.Values, a.centers[c*a.d:(c+1)*a.d]) })
}

// each calls fn for every row of a partition of the fit's stored data
// (features, the weight column if any, and the squared lengths normCol
// that kmeansNorms added) with its features, weight, squared length, and,
// when there are centers, its nearest center and the distance. Rows
// stored as one dense block are matched four at a time against every
// center (simd.Block4: the same bits as one at a time).
func (a *assigner) each(ctx context.Context, info engine.PartitionInfo, b *table.Batch, features, weight string,
	fn func(i int, x linalg.Vector, w, xx float64, c int, dist float64) error) error {
	vc, wc, err := columns(b, features, weight)
	if err != nil {
		return err
	}
	nc, err := table.ColumnAs[*table.Float64Column](b, normCol)
	if err != nil {
		return err
	}
	call := func(i int, x linalg.Vector, c int, dist float64) error {
		w, err := rowWeight(wc, i, engine.Row{Info: info, Batch: b, I: i})
		if err != nil {
			return err
		}
		return fn(i, x, w, nc.Values[i], c, dist)
	}
	n, i := b.NumRows(), 0
	if a.k > 0 {
		block, ok, err := linmodel.DenseRows(ctx, b, features, vc, a.d)
		if err != nil {
			return err
		}
		if ok {
			var blk simd.Block4
			dots := make([]float64, 4*a.k)
			for ; i+4 <= n; i += 4 {
				blk.Dots(block[i*a.d:], a.d, a.centers, a.d, dots)
				for r := range 4 {
					x, xx := linalg.Dense(block[(i+r)*a.d:(i+r+1)*a.d]), nc.Values[i+r]
					c, dist := a.pick(x, xx, func(c int) float64 { return dots[4*c+r] })
					if err := call(i+r, x, c, dist); err != nil {
						return err
					}
				}
			}
		}
	}
	for ; i < n; i++ {
		x := vc.Values[i]
		if a.k > 0 && x.Size != a.d {
			return fmt.Errorf("%s: features of size %d, earlier rows have %d (vectors of mismatched size)", engine.Row{Info: info, Batch: b, I: i}, x.Size, a.d)
		}
		var c int
		var dist float64
		if a.k > 0 {
			c, dist = a.nearest(x, nc.Values[i])
		}
		if err := call(i, x, c, dist); err != nil {
			return err
		}
	}
	return nil
}

// predictRows is a clustering model's MapPartition: out (the model's
// OutputSchema of b's) adds the columns extra makes, after the walk, and
// then the int64 cluster each row gets from predict; featuresCol's rows
// are checked by linmodel.EachRow (not null, d features).
func predictRows(stage string, out *table.Schema, b *table.Batch, info engine.PartitionInfo, featuresCol string, d int,
	predict func(i int, x linalg.Vector) (int, error), extra func() []table.Column) (*table.Batch, error) {
	fc, err := table.ColumnAs[*table.VectorColumn](b, featuresCol)
	if err != nil {
		return nil, err
	}
	preds := make([]int64, fc.Len())
	err = linmodel.EachRow(stage, b, fc, info, d, func(i int, x linalg.Vector) error {
		c, err := predict(i, x)
		preds[i] = int64(c)
		return err
	})
	if err != nil {
		return nil, err
	}
	cols := append([]table.Column(nil), b.Columns()...)
	if extra != nil {
		cols = append(cols, extra()...)
	}
	return b.Derive(out, append(cols, table.NewInt64Column(preds, nil)))
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

// cosineSame is the cosine distance under which two directions are one
// (unit vectors of rows at different scales differ in their last bits).
const cosineSame = 1e-12

// storeRows stores the columns a fit reads (cols: the features, then the
// weight if any) with each row's squared length (kmeansNorms), checked
// once: the passes do not compute it again, and draws keyed by row see
// exact positions. The caller releases the result (engine.Release).
func storeRows(ctx context.Context, e engine.Engine, ds engine.Dataset, cols []string, cosine bool) (engine.Dataset, error) {
	data, err := e.MapPartitions(ds, engine.Select{Columns: cols})
	if err == nil {
		data, err = e.MapPartitions(data, kmeansNorms{FeaturesCol: cols[0], Cosine: cosine})
	}
	if err == nil {
		data, err = e.Persist(ctx, data)
	}
	return data, err
}

// normCol is the column of squared lengths kmeansNorms adds to a fit's
// stored data.
const normCol = "__kmeansSquaredLength"

// kmeansNorms adds each row's squared length ‖x‖² (Spark keeps its
// VectorWithNorm the same way), checking the row once for the whole fit:
// not null, finite, and not zero under cosine; rows of one size at
// least a quarter non-zero are stored as one dense block.
type kmeansNorms struct {
	FeaturesCol string
	Cosine      bool
}

func (kmeansNorms) KernelName() string { return "clustering.KMeansNorms" }

func (k kmeansNorms) OutputSchema(in *table.Schema) (*table.Schema, error) {
	if _, err := ml.InputColumn("KMeans", in, k.FeaturesCol, table.Vector); err != nil {
		return nil, err
	}
	return ml.WithOutput("KMeans", in, normCol, table.Float64)
}

func (k kmeansNorms) MapPartition(ctx context.Context, info engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	out, err := k.OutputSchema(b.Schema())
	if err != nil {
		return nil, err
	}
	vc, err := table.ColumnAs[*table.VectorColumn](b, k.FeaturesCol)
	if err != nil {
		return nil, err
	}
	a := assigner{cosine: k.Cosine}
	norms := make([]float64, vc.Len())
	for i, x := range vc.Values {
		row := engine.Row{Info: info, Batch: b, I: i}
		if vc.IsNull(i) {
			return nil, fmt.Errorf("%s: null features (drop or impute them first)", row)
		}
		if norms[i], err = a.check(x); err != nil {
			return nil, fmt.Errorf("%s: %w", row, err)
		}
	}
	cols := append([]table.Column(nil), b.Columns()...)
	if _, _, ok := table.DenseBlock(vc); !ok && vc.Len() > 0 {
		// Rows that are not one dense block — taken by a split, or sparse
		// with at least a quarter of their entries set, as VectorAssembler
		// makes images — are stored as one, once: every pass then runs
		// the four-row kernels in place (dense centers make sparse dot
		// products no cheaper there).
		block, ok, err := linmodel.Densify(ctx, b, k.FeaturesCol, vc, vc.Values[0].Size, 0.25)
		if err != nil {
			return nil, err
		}
		if ok {
			cols[b.Schema().Index(k.FeaturesCol)] = table.NewDenseVectorColumn(block, vc.Values[0].Size)
		}
	}
	return b.Derive(out, append(cols, table.NewFloat64Column(norms, nil)))
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
	a := assigner{centers: k.Centers, d: k.D, cosine: k.Cosine}
	a.init()
	if acc.Weights == nil {
		acc.Weights, acc.Counts = make([]float64, a.k), make([]int64, a.k)
		if !k.CostOnly {
			acc.Sums = make([]float64, a.k*k.D)
		}
	}
	err := a.each(ctx, info, b, k.FeaturesCol, k.WeightCol, func(_ int, x linalg.Vector, w, xx float64, c int, dist float64) error {
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
	})
	if err != nil {
		return nil, err
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
//   - uniform (no Centers): the N rows of weight > 0 with the smallest
//     draws table.RowUniform(Seed, position) (the first pass of a fit,
//     which also finds the features' size);
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

func (k kmeansPick) Fold(ctx context.Context, info engine.PartitionInfo, acc *KMeansPicks, b *table.Batch) (*KMeansPicks, error) {
	a := assigner{centers: k.Centers, d: k.D, cosine: k.Cosine}
	a.init()
	err := a.each(ctx, info, b, k.FeaturesCol, k.WeightCol, func(i int, x linalg.Vector, w, _ float64, _ int, dist float64) error {
		if acc.D < 0 {
			acc.D = x.Size
		}
		if x.Size != acc.D {
			return fmt.Errorf("%s: features of size %d, earlier rows have %d (vectors of mismatched size)", engine.Row{Info: info, Batch: b, I: i}, x.Size, acc.D)
		}
		if w == 0 {
			return nil
		}
		pos := info.RowOffset + int64(i)
		var key float64
		switch {
		case k.Farthest:
			if k.Cosine && dist <= cosineSame {
				dist = 0 // the same direction as a center, to rounding
			}
			if len(acc.Keys) > 0 && dist <= acc.Keys[0] {
				return nil
			}
			acc.Keys, acc.Pos, acc.Rows = acc.Keys[:0], acc.Pos[:0], acc.Rows[:0]
			key = dist
		case a.k == 0:
			key = table.RowUniform(k.seed(), pos)
		default:
			if key = table.RowUniform(k.seed(), pos); key >= k.Scale*w*dist {
				return nil
			}
		}
		acc.Keys = append(acc.Keys, key)
		acc.Pos = append(acc.Pos, pos)
		acc.Rows = append(acc.Rows, x.ToDense().Values)
		if k.N > 0 && len(acc.Keys) > 4*k.N {
			acc.keepSmallest(k.N)
		}
		return nil
	})
	if err != nil {
		return nil, err
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

// checkedFit is an estimator's Fit: its output schema checked on ds's
// schema before any pass, then fit, whose errors are prefixed with the
// estimator's name.
func checkedFit(name string, sc ml.SchemaChecker, ds engine.Dataset, fit func() (ml.Model, error)) (ml.Model, error) {
	if _, err := sc.OutputSchema(ds.Schema()); err != nil {
		return nil, err
	}
	m, err := fit()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return m, nil
}
