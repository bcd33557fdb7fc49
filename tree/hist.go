package tree

import (
	"context"
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/internal/simd"
	"github.com/spindle-ml/spindle/table"
)

func init() {
	engine.RegisterAggregator[*Hist](histKernel{})
}

// Kind is the statistic a tree's histograms hold per feature bin.
type Kind uint8

// The statistics, each a fixed number of float64s per bin; the first two
// are always the row count (with bootstrap multiplicity) and the weight.
const (
	// Classes: count, then the weight of each class (gini, entropy).
	Classes Kind = iota + 1
	// Variance: count, weight, Σw·y, Σw·y² (variance; y is the label or a
	// boosting target).
	Variance
	// Newton: count, weight, Σw·g, Σw·h (gradient and hessian of a
	// boosting loss).
	Newton
)

// width is the number of float64s per bin.
func (k Kind) width(classes int) int {
	if k == Classes {
		return 2 + classes
	}
	return 4
}

// narrowWidth is the number of float64s per bin a pass over unweighted
// rows sums: for Classes the class counts (the count and the weight are
// their sum); the other kinds keep their 4 values, which one vector add
// updates (simd.Hist4Rows).
func (k Kind) narrowWidth(classes int) int {
	if k == Classes {
		return classes
	}
	return 4
}

// widen copies the narrow histogram h of Classes (narrowWidth per bin)
// into the full one out (width per bin); the other kinds are not
// narrowed.
func (k Kind) widen(out, h []float64, classes int) {
	for b := 0; b*classes < len(h); b++ {
		q, o := h[b*classes:(b+1)*classes], out[b*(classes+2):(b+1)*(classes+2)]
		var n float64
		for c, v := range q {
			n += v
			o[2+c] = v
		}
		o[0], o[1] = n, n
	}
}

// blockBytes bounds the histogram bytes one sweep over a slot's rows
// adds to (about a third of a core's L2 cache).
const blockBytes = 384 << 10

// colBlockBytes bounds the histogram bytes one sweep of the column
// kernel adds to (L1 and some).
const colBlockBytes = 40 << 10

// slack is the room a partial leaves after its last slot, in float64s:
// simd.Hist4Rows wants every bin a feature's offset can reach (+255)
// inside the slice it gets.
const slack = 256 * 4

// Sampling draws a tree's rows: none (every row once), Poisson(Rate)
// counts (a bootstrap, as Spark's forests) or Bernoulli(Rate) (a sample
// without replacement, as Spark's boosting subsamples). A row's draw is a
// function of Seed and its position, so it does not depend on
// partitioning.
type Sampling struct {
	Method uint8 // 0 none, SamplePoisson, SampleBernoulli
	Rate   float64
	Seed   int64
}

// The sampling methods.
const (
	SamplePoisson   = 1
	SampleBernoulli = 2
)

// count returns how many times the row at pos is drawn.
func (s Sampling) count(pos int64) float64 {
	if s.Method == 0 {
		return 1
	}
	switch s.Method {
	case SamplePoisson:
		u := table.RowUniform(s.Seed, pos)
		p := math.Exp(-s.Rate)
		f := p
		k := 0.0
		for u > f && k < 1000 {
			k++
			p *= s.Rate / k
			f += p
		}
		return k
	case SampleBernoulli:
		if table.RowUniform(s.Seed, pos) < s.Rate {
			return 1
		}
		return 0
	}
	return 1
}

// Branches are a tree's splits over binned rows: node n with Left[n] ≥ 0
// sends a row left when its bin of Feature[n] is ≤ Bin[n] (a continuous
// feature, Cat[n] < 0) or is in Sets[Cat[n]] (a categorical feature, a
// 256-bit set of bins); its right child is Left[n] + 1 (Grow appends
// children so).
type Branches struct {
	Feature, Left, Right []int32
	Bin                  []uint8
	Cat                  []int32
	Sets                 [][4]uint64
}

// branches returns tr's splits.
func branches(tr *Tree) Branches {
	n := len(tr.Nodes)
	b := Branches{Feature: make([]int32, n), Left: make([]int32, n), Right: make([]int32, n), Bin: make([]uint8, n), Cat: make([]int32, n)}
	for i := range tr.Nodes {
		nd := &tr.Nodes[i]
		b.Feature[i], b.Bin[i], b.Left[i], b.Right[i], b.Cat[i] = int32(max(nd.Feature, 0)), nd.Bin, nd.Left, nd.Right, -1
		if nd.Categorical {
			var set [4]uint64
			for _, c := range nd.LeftCategories {
				set[c>>6] |= 1 << (uint(c) & 63)
			}
			b.Cat[i] = int32(len(b.Sets))
			b.Sets = append(b.Sets, set)
		}
	}
	return b
}

// right reports whether a row whose bin of node n's feature is bin goes
// right, as 0 or 1 (branch-free for continuous splits).
func (b *Branches) right(n int32, bin uint8) int32 {
	if c := b.Cat[n]; c >= 0 {
		return 1 - int32(b.Sets[c][bin>>6]>>(bin&63)&1)
	}
	var d int32
	if bin > b.Bin[n] {
		d = 1
	}
	return d
}

// node returns the node row falls in, walking from node n.
func (b *Branches) node(row []uint8, n int32) int32 {
	for {
		l := b.Left[n]
		if l < 0 {
			return n
		}
		n = l + b.right(n, row[b.Feature[n]])
	}
}

// Walker is a tree being grown, as the level kernel walks it: its
// branches so far; a node without children is a leaf or a node open at
// this level, whose histogram goes to Slot (−1: none this pass).
type Walker struct {
	Branches
	Slot []int32
	// Target is the boosting target this tree fits (the columns TargetCol
	// and HessCol of index Target), −1 for the label.
	Target   int
	Sampling Sampling
}

// rowCache keeps, on the embedded engine, each partition's rows' nodes
// from one level pass of a Grow to the next, so that a pass steps each
// row down one level instead of walking it from the root. It is an
// unexported field of the kernel: a distributed engine's workers decode
// kernels without it and walk from the root, with the same result.
type rowCache struct {
	mu    sync.Mutex
	parts map[int]*rowNodes
	pool  *bufPool
	cols  *colCache
}

// colCache holds, for a fit on the embedded engine, each partition's
// bins column-major, one feature's bytes in row order: partitioning a
// node's rows by a split reads one feature of scattered rows, which from
// the row-major bins is a cache miss a row (a fifth of a boosting fit's
// time), from a column a sequential read; and wide rows' histograms are
// built from columns a few features at a time (histKernel.Fold). The
// columns are transposed the first time a pass needs one.
type colCache struct {
	mu    sync.Mutex
	parts map[int]*partCols
}

type partCols struct {
	data *uint8
	all  []uint8 // feature f's bins are all[f·n : (f+1)·n]
}

// columns returns partition index's bins (data, row-major, nf a row)
// column-major, transposed the first time.
func (c *colCache) columns(index int, data []uint8, nf int) []uint8 {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.parts[index]
	if p == nil || p.data != &data[0] {
		n := len(data) / nf
		all := make([]uint8, len(data))
		// Blocks of rows, so that the rows read stay in cache while each
		// column's run of them is written.
		const block = 256
		for i0 := 0; i0 < n; i0 += block {
			i1 := min(i0+block, n)
			for f := range nf {
				col := all[f*n+i0 : f*n+i1]
				for k := range col {
					col[k] = data[(i0+k)*nf+f]
				}
			}
		}
		p = &partCols{data: &data[0], all: all}
		c.parts[index] = p
	}
	return p.all
}

// column returns feature f of the row-major bins data (nf a row) of
// partition index.
func (c *colCache) column(index int, data []uint8, nf, f int) []uint8 {
	n := len(data) / nf
	return c.columns(index, data, nf)[f*n : (f+1)*n]
}

// bufPool recycles the large float64 buffers of a fit — partials, the
// driver's histograms — from pass to pass and round to round: fresh ones
// fault their pages in (Fashion-MNIST's boosting spent half its time in
// the kernel zeroing pages), and the sizes repeat level by level. Buffers
// are kept by size class (capacities rounded up to a power of two), a few
// per class.
type bufPool struct {
	mu   sync.Mutex
	free map[int][][]float64 // by class
}

// perClass bounds the buffers a pool keeps of one size class.
const perClass = 3

func sizeClass(n int) int { return bits.Len(uint(n - 1)) }

// get returns a zeroed buffer of n float64s, reused when one of its class
// is free.
func (p *bufPool) get(n int) []float64 {
	if n <= 0 {
		return nil
	}
	c := sizeClass(n)
	if p != nil {
		p.mu.Lock()
		l := p.free[c]
		if len(l) > 0 {
			b := l[len(l)-1][:n]
			p.free[c] = l[:len(l)-1]
			p.mu.Unlock()
			clear(b)
			return b
		}
		p.mu.Unlock()
	}
	return make([]float64, n, 1<<c)
}

// put gives b back (dropped when its class holds enough).
func (p *bufPool) put(b []float64) {
	if p == nil || cap(b) == 0 || cap(b)&(cap(b)-1) != 0 {
		return // not one of get's
	}
	c := sizeClass(cap(b))
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.free == nil {
		p.free = map[int][][]float64{}
	}
	if len(p.free[c]) < perClass {
		p.free[c] = append(p.free[c], b[:0])
	}
}

// buffer returns a zeroed buffer of n float64s from the pool.
func (c *rowCache) buffer(n int) []float64 {
	if c == nil {
		return make([]float64, n)
	}
	return c.pool.get(n)
}

// release gives b back for reuse.
func (c *rowCache) release(b []float64) {
	if c != nil {
		c.pool.put(b)
	}
}

// rowNodes are one partition's rows' nodes, per tree, and the level they
// are at (−1: none).
type rowNodes struct {
	data  *uint8 // the partition's bins, to know it is the same one
	level []int
	parts []*rowPartition
}

// rowPartition is one tree's rows of a partition grouped by node: the
// rows of node nd are order[start[nd]:end[nd]], in row order.
type rowPartition struct {
	order, tmp []int32
	start, end []int32
}

func (p *rowPartition) rows(nd int32) []int32 {
	if int(nd) >= len(p.start) || p.start[nd] < 0 {
		return nil
	}
	return p.order[p.start[nd]:p.end[nd]]
}

// part returns tree t's rows by node at the walker's open nodes: when
// step, by splitting the last pass's groups of the nodes split since
// (left rows first, each side in row order); else by walking every kept
// row from the root.
func (rn *rowNodes) part(t int, w *Walker, step bool, n, nf int, data []uint8, keep func(int) bool, all bool, column func(f int) []uint8) *rowPartition {
	p := rn.parts[t]
	nn := len(w.Left)
	if !step || p == nil {
		p = &rowPartition{order: make([]int32, 0, n), tmp: make([]int32, n)}
		rn.parts[t] = p
		if nn == 1 { // a root: every kept row
			for i := range n {
				if all || keep(i) {
					p.order = append(p.order, int32(i))
				}
			}
			p.start, p.end = []int32{0}, []int32{int32(len(p.order))}
			return p
		}
		node := make([]int32, n)
		counts := make([]int32, nn+1)
		for i := range n {
			node[i] = -1
			if keep(i) {
				node[i] = w.node(data[i*nf:(i+1)*nf], 0)
				counts[node[i]+1]++
			}
		}
		p.start, p.end = make([]int32, nn), make([]int32, nn)
		for nd := range nn {
			counts[nd+1] += counts[nd]
			p.start[nd], p.end[nd] = counts[nd], counts[nd]
		}
		p.order = p.order[:counts[nn]]
		for i := range n {
			if nd := node[i]; nd >= 0 {
				p.order[p.end[nd]] = int32(i)
				p.end[nd]++
			}
		}
		return p
	}
	old := len(p.start)
	for len(p.start) < nn {
		p.start, p.end = append(p.start, -1), append(p.end, -1)
	}
	for nd := range old {
		l := w.Left[nd]
		if l < 0 || int(l) < old || p.start[nd] < 0 {
			continue // not split since the last pass
		}
		seg := p.order[p.start[nd]:p.end[nd]]
		f := int(w.Feature[nd])
		col := column(f) // the feature's bins, one byte a row
		tmp := p.tmp[:len(seg)]
		nl, nr := 0, 0
		// Branch-free: each row is written to both sides, and only its
		// own side's count moves on (which side is data, not a pattern
		// a branch predictor learns).
		if c := w.Cat[nd]; c >= 0 {
			set := &w.Sets[c]
			for _, i := range seg {
				b := col[i]
				d := 1 - int(set[b>>6]>>(b&63)&1)
				seg[nl], tmp[nr] = i, i
				nl, nr = nl+1-d, nr+d
			}
		} else {
			bn := int(w.Bin[nd])
			for _, i := range seg {
				d := (bn - int(col[i])) >> 63 & 1 // bin > Bin
				seg[nl], tmp[nr] = i, i
				nl, nr = nl+1-d, nr+d
			}
		}
		copy(seg[nl:], tmp[:nr])
		p.start[l], p.end[l] = p.start[nd], p.start[nd]+int32(nl)
		p.start[l+1], p.end[l+1] = p.start[nd]+int32(nl), p.end[nd]
	}
	return p
}

// maxCached bounds the row-tree pairs a partition's cache holds (a forest
// of many trees walks from the root instead).
const maxCached = 1 << 22

// entry returns the cache of partition index for the bins data (a new
// one when it held another partition), or nil.
func (c *rowCache) entry(index int, data []uint8, trees, rows int) *rowNodes {
	if c == nil || len(data) == 0 || trees*rows > maxCached {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.parts[index]
	if e == nil || e.data != &data[0] || len(e.level) != trees {
		e = &rowNodes{data: &data[0], level: make([]int, trees), parts: make([]*rowPartition, trees)}
		for t := range e.level {
			e.level[t] = -1
		}
		c.parts[index] = e
	}
	return e
}

// Slot is where one node's histogram lies in a pass's partial: at Offset,
// one run of bins per feature of Features (nil: every feature), in order.
type Slot struct {
	Features []int32
	Offset   int
}

// TargetCol and HessCol name boosting target k's columns: the target (a
// pseudo-residual, or a gradient) and the hessian.
func TargetCol(k int) string { return "__target" + strconv.Itoa(k) }

// HessCol names boosting target k's hessian column.
func HessCol(k int) string { return "__hess" + strconv.Itoa(k) }

// Hist is a level pass's partial: every slot's histogram, concatenated.
type Hist struct {
	Sums []float64
	// claimed is set by the first fit that takes the result for its own:
	// under sched.Lockstep, identical requests of several fits share one
	// result, and only one of them may recycle its buffer.
	claimed atomic.Bool
}

// histKernel builds the histograms of one tree level's open nodes.
type histKernel struct {
	Kind     Kind
	Classes  int
	Trees    []Walker
	Slots    []Slot
	NumBins  []int32
	Size     int
	Weighted bool
	// Validation skips the rows ValidCol marks.
	Validation bool
	// Narrow: the rows are unweighted, and the partial holds narrowWidth
	// values per bin (Size counts them so).
	Narrow bool
	// Level is the depth of the nodes this pass builds.
	Level int
	cache *rowCache
}

func (histKernel) KernelName() string { return "tree.Histograms" }
func (histKernel) Zero() *Hist        { return &Hist{} }

func (k histKernel) Merge(a, b *Hist) (*Hist, error) {
	switch {
	case b.Sums == nil:
		return a, nil
	case a.Sums == nil:
		return b, nil
	case len(a.Sums) != len(b.Sums):
		return nil, fmt.Errorf("histograms of %d and %d values", len(a.Sums), len(b.Sums))
	}
	addInto(a.Sums, b.Sums)
	k.cache.release(b.Sums)
	return a, nil
}

// addInto adds b to a, element by element; a large one (Fashion-MNIST's
// partials are hundreds of MB) in pieces on every core.
func addInto(a, b []float64) {
	const piece = 1 << 18
	p := min(runtime.GOMAXPROCS(0), len(a)/piece)
	if p <= 1 {
		for i, v := range b {
			a[i] += v
		}
		return
	}
	var wg sync.WaitGroup
	for k := range p {
		lo, hi := k*len(a)/p, (k+1)*len(a)/p
		wg.Go(func() {
			a, b := a[lo:hi], b[lo:hi]
			for i, v := range b {
				a[i] += v
			}
		})
	}
	wg.Wait()
}

// floats returns the float64 column name of b.
func floats(b *table.Batch, name string) ([]float64, error) {
	c, err := table.ColumnAs[*table.Float64Column](b, name)
	if err != nil {
		return nil, err
	}
	return c.Values, nil
}

func (k histKernel) Fold(ctx context.Context, info engine.PartitionInfo, acc *Hist, b *table.Batch) (*Hist, error) {
	bc, err := table.ColumnAs[*table.BinsColumn](b, BinsCol)
	if err != nil {
		return nil, err
	}
	n, nf := bc.Len(), bc.Width
	if nf != len(k.NumBins) {
		return nil, fmt.Errorf("binned rows of %d features, the trees have %d", nf, len(k.NumBins))
	}
	if n == 0 {
		return acc, nil
	}
	labels, err := floats(b, LabelCol)
	if err != nil {
		return nil, err
	}
	var weights []float64
	if k.Weighted {
		if weights, err = floats(b, WeightCol); err != nil {
			return nil, err
		}
	}
	var valid []bool
	if k.Validation {
		vc, err := table.ColumnAs[*table.BoolColumn](b, ValidCol)
		if err != nil {
			return nil, err
		}
		valid = vc.Values
	}
	if acc.Sums == nil {
		acc.Sums = k.cache.buffer(k.Size + slack)
	}
	S := k.Kind.width(k.Classes)
	if k.Narrow {
		S = k.Kind.narrowWidth(k.Classes)
	}
	// offs[f] is the position of feature f's first bin in an all-feature
	// slot, in bins.
	offs := make([]int32, nf+1)
	for f, nb := range k.NumBins {
		offs[f+1] = offs[f] + nb
	}
	var slotOf, order []int32 // the walk's, without the row cache
	var vecs []float64
	rn := k.cache.entry(info.Index, bc.Data, len(k.Trees), n)
	// Wide rows (a node's bins beyond L2) are added from the columns, on
	// the embedded engine.
	wide := rn != nil && int(offs[nf]+256)*32 > blockBytes
	for t := range k.Trees {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		w := &k.Trees[t]
		lo, hi := int32(len(k.Slots)), int32(-1)
		for _, s := range w.Slot {
			if s >= 0 {
				lo, hi = min(lo, s), max(hi, s)
			}
		}
		if hi < 0 {
			if rn != nil {
				rn.level[t] = -1
			}
			continue
		}
		targets, hess := labels, []float64(nil)
		if w.Target >= 0 {
			if targets, err = floats(b, TargetCol(w.Target)); err != nil {
				return nil, err
			}
			if k.Kind == Newton {
				if hess, err = floats(b, HessCol(w.Target)); err != nil {
					return nil, err
				}
			}
		}
		// keep reports whether row i is trained on by this tree.
		keep := func(i int) bool {
			return (valid == nil || !valid[i]) && (w.Sampling.Method == 0 || w.Sampling.count(info.RowOffset+int64(i)) > 0)
		}
		// The rows of each slot, in row order: from the cache's
		// partition of the rows by node, one level deeper than the last
		// pass's (XGBoost's row partitioner), or bucketed by slot after a
		// walk from the root (a counting sort).
		var rowsOf func(s int32) []int32
		if rn != nil {
			all := valid == nil && w.Sampling.Method == 0
			p := rn.part(t, w, rn.level[t] == k.Level-1, n, nf, bc.Data, keep, all, func(f int) []uint8 {
				return k.cache.cols.column(info.Index, bc.Data, nf, f)
			})
			rn.level[t] = k.Level
			slotNode := make([]int32, hi-lo+1)
			for nd, s := range w.Slot {
				if s >= 0 {
					slotNode[s-lo] = int32(nd)
				}
			}
			rowsOf = func(s int32) []int32 { return p.rows(slotNode[s-lo]) }
		} else {
			if slotOf == nil {
				slotOf, order = make([]int32, n), make([]int32, n)
			}
			rowsOf = bucket(w, bc, lo, hi, keep, slotOf, order)
		}
		tr := treeRows{w: w, offset: info.RowOffset, labels: labels, weights: weights, targets: targets, hess: hess}
		for s := lo; s <= hi; s++ {
			rows := rowsOf(s)
			if len(rows) == 0 {
				continue
			}
			sl := &k.Slots[s]
			// fo[fi] is the first bin of the fi-th feature of the slot.
			fo, feats := offs[:nf], sl.Features
			if feats != nil {
				fo = make([]int32, len(feats))
				var o int32
				for fi, f := range feats {
					fo[fi] = o
					o += k.NumBins[f]
				}
			}
			h := acc.Sums[sl.Offset:]
			switch {
			case k.Kind == Classes:
				tr.addClasses(h, fo, feats, S, k.Narrow, bc, rows)
			case wide && feats == nil:
				vecs = tr.vecs(rows, vecs)
				histCols(h, fo, k.cache.cols.columns(info.Index, bc.Data, nf), n, rows, vecs)
			default:
				vecs = tr.add4(h, fo, feats, bc, rows, vecs)
			}
		}
	}
	return acc, nil
}

// bucket groups the kept rows of bc by the slot (lo … hi) of the node
// each falls in, walking from the root: a counting sort into order, each
// slot's rows in row order (slotOf is scratch, a row each).
func bucket(w *Walker, bc *table.BinsColumn, lo, hi int32, keep func(int) bool, slotOf, order []int32) func(s int32) []int32 {
	n, nf := bc.Len(), bc.Width
	counts := make([]int32, hi-lo+2)
	for i := range n {
		s := w.Slot[w.node(bc.Data[i*nf:(i+1)*nf], 0)]
		if s >= 0 && !keep(i) {
			s = -1
		}
		slotOf[i] = s
		if s >= 0 {
			counts[s-lo+1]++
		}
	}
	for s := 1; s < len(counts); s++ {
		counts[s] += counts[s-1]
	}
	starts := append([]int32(nil), counts...)
	for i := range n {
		if s := slotOf[i]; s >= 0 {
			order[counts[s-lo]] = int32(i)
			counts[s-lo]++
		}
	}
	return func(s int32) []int32 { return order[starts[s-lo]:starts[s-lo+1]] }
}

// treeRows are one tree's rows of a partition as its histograms add
// them: their draws, weights and targets.
type treeRows struct {
	w       *Walker
	offset  int64 // the partition's first row position
	labels  []float64
	weights []float64 // nil: all 1
	targets []float64
	hess    []float64 // nil: the target's square is added
}

// draw returns row i's count (its draws under the tree's sampling) and
// weight.
func (r *treeRows) draw(i int32) (m, wt float64) {
	m = r.w.Sampling.count(r.offset + int64(i))
	wt = m
	if r.weights != nil {
		wt *= r.weights[i]
	}
	return m, wt
}

// vecs returns the 4-lane adds of rows, in buf when it is large enough:
// each row's count, weight, and target and its square (or gradient and
// hessian), by weight.
func (r *treeRows) vecs(rows []int32, buf []float64) []float64 {
	buf = slices.Grow(buf[:0], 4*len(rows))[:4*len(rows)]
	for j, i := range rows {
		m, wt := r.draw(i)
		y := r.targets[i]
		v := (*[4]float64)(buf[4*j:])
		v[0], v[1], v[2] = m, wt, wt*y
		if r.hess != nil {
			v[3] = wt * r.hess[i]
		} else {
			v[3] = wt * y * y
		}
	}
	return buf
}

// add4 adds rows, row by row, to the 4-value histogram h of a slot whose
// fi-th feature (feats[fi], or fi when feats is nil) starts at bin
// fo[fi], one vector add per feature value; buf is vecs's room, returned
// for reuse.
func (r *treeRows) add4(h []float64, fo, feats []int32, bc *table.BinsColumn, rows []int32, buf []float64) []float64 {
	nf := bc.Width
	if r.weights == nil && r.w.Sampling.Method == 0 && feats == nil {
		// Unit rows: the kernel reads the targets in place.
		eachBlock(fo, func(f0, f1 int) {
			simd.Hist1GH(h, fo[f0:f1], bc.Data[f0:], nf, rows, r.targets, r.hess)
		})
		return buf
	}
	vecs := r.vecs(rows, buf)
	data, stride, idx := bc.Data, nf, rows
	if feats != nil { // the slot's features of its rows, gathered
		data, stride = make([]uint8, len(rows)*len(feats)), len(feats)
		idx = make([]int32, len(rows))
		for j, i := range rows {
			row := bc.Data[int(i)*nf : (int(i)+1)*nf]
			for fi, f := range feats {
				data[j*stride+fi] = row[f]
			}
			idx[j] = int32(j)
		}
	}
	eachBlock(fo, func(f0, f1 int) {
		simd.Hist4Rows(h, fo[f0:f1], data[f0:], stride, idx, vecs)
	})
	return vecs
}

// addClasses adds rows to the class histogram h (S values a bin; narrow:
// the class counts alone, the rows being unweighted) of a slot laid out
// as add4's.
func (r *treeRows) addClasses(h []float64, fo, feats []int32, S int, narrow bool, bc *table.BinsColumn, rows []int32) {
	nf := bc.Width
	a := accum{h: h, fo: fo, S: S}
	if feats != nil {
		a.vals = make([]uint8, len(feats))
	}
	for _, i := range rows {
		row := bc.Data[int(i)*nf : (int(i)+1)*nf]
		if feats != nil {
			for fi, f := range feats {
				a.vals[fi] = row[f]
			}
			row = a.vals
		}
		m, wt := r.draw(i)
		if narrow {
			a.add1(row, int(r.labels[i]), m)
		} else {
			a.addClass(row, 2+int(r.labels[i]), m, wt)
		}
	}
}

// histCols is simd.HistCols, the features shared out to every core when
// the rows are many: each bin still gets its adds in row order, so the
// bits do not depend on the number of workers. A partition of wide rows
// is then folded by all cores, without a partial per core to zero and
// merge (Fashion-MNIST's are hundreds of MB a level).
func histCols(h []float64, fo []int32, cols []uint8, n int, rows []int32, vecs []float64) {
	p := min(runtime.GOMAXPROCS(0), len(fo), len(rows)/minRowsPerWorker)
	if p <= 1 {
		simd.HistCols(h, fo, cols, n, rows, vecs, colBlockBytes)
		return
	}
	var wg sync.WaitGroup
	for k := range p {
		f0, f1 := k*len(fo)/p, (k+1)*len(fo)/p
		wg.Go(func() { simd.HistCols(h, fo[f0:f1], cols[f0*n:], n, rows, vecs, colBlockBytes) })
	}
	wg.Wait()
}

// minRowsPerWorker is the fewest rows for which histCols shares the
// features out.
const minRowsPerWorker = 2048

// eachBlock calls add for the features [f0, f1) of blocks whose bins
// (first bins fo) fit in L2, in order: a wide row's histogram
// (Fashion-MNIST's is 5 MB a node) built all at once misses the cache on
// every add.
func eachBlock(fo []int32, add func(f0, f1 int)) {
	for f0 := 0; f0 < len(fo); {
		f1 := f0 + 1
		for f1 < len(fo) && (int(fo[f1])+256-int(fo[f0]))*32 <= blockBytes {
			f1++
		}
		add(f0, f1)
		f0 = f1
	}
}

// accum adds rows to one slot's histogram h: a row's value of its fi-th
// feature is the bin fo[fi] + value, of S float64s. The loops are the
// hot path of tree training: one conversion to a fixed-size array per
// bin keeps them to one bounds check.
type accum struct {
	h    []float64
	fo   []int32
	S    int
	vals []uint8
}

// add1 adds m to one float of every bin of row (a narrow class count).
func (a *accum) add1(row []uint8, c int, m float64) {
	fo := a.fo[:len(row)]
	h := a.h
	for f, bn := range row {
		h[(int(fo[f])+int(bn))*a.S+c] += m
	}
}

func (a *accum) addClass(row []uint8, c int, m, wt float64) {
	fo := a.fo[:len(row)]
	for f, bn := range row {
		q := a.h[(int(fo[f])+int(bn))*a.S:]
		q[0] += m
		q[1] += wt
		q[c] += wt
	}
}
