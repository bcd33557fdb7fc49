package tree

import (
	"cmp"
	"context"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/spindle-ml/spindle/engine"
)

// Config is how trees grow: Spark's tree parameters, resolved.
type Config struct {
	// Kind is the histograms' statistic; Classes the number of classes
	// (Kind Classes); Impurity "gini" or "entropy" for Classes.
	Kind     Kind
	Classes  int
	Impurity string
	// MaxDepth bounds the depth (0: a single leaf). A split is kept when
	// each child has at least MinInstances rows and MinWeight weight (and,
	// for Newton, MinHessian hessian), and its gain is at least
	// MinInfoGain and positive.
	MaxDepth               int
	MinInstances           float64
	MinWeight, MinInfoGain float64
	Lambda, MinHessian     float64
	// NumBins and Splits describe the binned features (Splits[f][b] is
	// the threshold between bins b and b+1 of feature f).
	NumBins []int32
	Splits  [][]float64
	// Arity is each feature's number of categories (0: continuous); nil
	// when none is categorical. MaxBins is the learner's maxBins.
	Arity   []int32
	MaxBins int
	// FeaturesPerNode, when in (0, features), is how many features each
	// node draws (Spark's featureSubsetStrategy); 0 means all.
	FeaturesPerNode int
	Seed            int64
	// Weighted and Validation say the binned data has WeightCol and
	// ValidCol.
	Weighted, Validation bool
	pool                 *bufPool  // the fit's buffers, shared by its Grows
	cols                 *colCache // the fit's columns of bins (embedded engine)
}

// Spec is one tree to grow: its boosting target (−1: the label), its
// row sampling, and its index among the trees of the fit (which, with
// Config.Seed, draws its nodes' feature subsets).
type Spec struct {
	Target   int
	Sampling Sampling
	Index    int
}

// open is a node whose histogram a level pass gives (or its parent's
// less its sibling's).
type open struct {
	tree  int
	node  int32
	depth int
	stats []float64 // the node's totals; nil for a root before its pass
	feats []int32   // the features it may split on; nil for all
	hist  []float64 // its histogram, once known
	// Built this pass into slot (≥ 0), or derived: parent − sibling.
	slot    int32
	parent  []float64
	sibling *open
	// sub: hist is still to be made parent − sibling, which best does a
	// feature at a time just before scanning it (from L1, not memory).
	// A node that cannot split never needs it.
	sub bool
}

// Result is what Grow returns.
type Result struct {
	Trees []*Tree
	// Passes is the number of engine passes the trees took (one per
	// level that had a node to split).
	Passes int
}

// Grow grows the trees of specs together over the binned dataset ds:
// each level is one pass that builds the histograms of every open node of
// every tree.
func Grow(ctx context.Context, e engine.Engine, ds engine.Dataset, cfg *Config, specs []Spec) (*Result, error) {
	S := cfg.Kind.width(cfg.Classes)
	// Unweighted rows are summed narrow (the weight is the count).
	narrow := !cfg.Weighted
	NS := S
	if narrow {
		NS = cfg.Kind.narrowWidth(cfg.Classes)
	}
	nf := len(cfg.NumBins)
	res := &Result{Trees: make([]*Tree, len(specs))}
	var level []*open
	for t := range specs {
		res.Trees[t] = &Tree{Nodes: []Node{{Feature: -1, Left: -1, Right: -1}}}
		level = append(level, &open{tree: t, node: 0, slot: -1, feats: cfg.features(specs[t].Index, 0, nf)})
	}
	if cfg.pool == nil {
		cfg.pool = &bufPool{}
	}
	if cfg.cols == nil {
		cfg.cols = &colCache{parts: map[int]*partCols{}}
	}
	cache := &rowCache{parts: map[int]*rowNodes{}, pool: cfg.pool, cols: cfg.cols}
	// The buffers of the last level's histograms, given back once the
	// next level no longer needs them (its derivations are done).
	var held [][]float64
	defer func() {
		for _, b := range held {
			cfg.pool.put(b)
		}
	}()
	for len(level) > 0 {
		// Which nodes may split, and which histograms this pass builds.
		var next []*open
		var slots []Slot
		size := 0
		build := func(o *open) {
			o.slot = int32(len(slots))
			slots = append(slots, Slot{Features: o.feats, Offset: size})
			size += cfg.histLen(o.feats) * NS
		}
		splittable := func(o *open) bool {
			return o.depth < cfg.MaxDepth && (o.stats == nil || cfg.canSplit(o.stats))
		}
		for i := 0; i < len(level); i++ {
			o := level[i]
			if o.sibling != nil && i+1 < len(level) && level[i+1].sibling == o {
				// A pair of siblings: build the smaller, derive the other.
				r := level[i+1]
				i++
				ls, rs := splittable(o), splittable(r)
				switch {
				case ls && rs && o.parent != nil:
					small, big := o, r
					if r.stats[0] < o.stats[0] {
						small, big = r, o
					}
					build(small)
					big.sibling = small
				default:
					if ls {
						build(o)
					}
					if rs {
						build(r)
					}
				}
				if !ls {
					o.parent = nil
				}
				if !rs {
					r.parent = nil
				}
				continue
			}
			if splittable(o) {
				build(o)
			}
		}
		if len(slots) == 0 {
			for _, o := range level {
				cfg.finish(res.Trees[o.tree], o)
			}
			break
		}
		k := histKernel{Kind: cfg.Kind, Classes: cfg.Classes, Slots: slots, NumBins: cfg.NumBins, Size: size,
			Weighted: cfg.Weighted, Validation: cfg.Validation, Narrow: narrow, Trees: make([]Walker, len(specs)),
			Level: level[0].depth, cache: cache}
		slotOf := make([][]int32, len(specs))
		for t, tr := range res.Trees {
			slotOf[t] = make([]int32, len(tr.Nodes))
			for i := range slotOf[t] {
				slotOf[t][i] = -1
			}
		}
		for _, o := range level {
			if o.slot >= 0 {
				slotOf[o.tree][o.node] = o.slot
			}
		}
		for t, tr := range res.Trees {
			k.Trees[t] = walker(tr, slotOf[t], specs[t])
		}
		h, err := engine.Aggregate[*Hist](ctx, e, ds, k)
		if err != nil {
			return nil, err
		}
		res.Passes++
		switch {
		case h.Sums == nil:
			h = &Hist{Sums: cfg.pool.get(size + slack)}
		case !h.claimed.CompareAndSwap(false, true):
			// Another fit's identical request got the same result, and
			// recycles its buffer: take a copy.
			own := cfg.pool.get(len(h.Sums))
			copy(own, h.Sums)
			h = &Hist{Sums: own}
		}
		var now [][]float64 // this level's buffers
		now = append(now, h.Sums)
		for _, o := range level {
			if o.slot < 0 {
				continue
			}
			n := cfg.histLen(o.feats)
			part := h.Sums[slots[o.slot].Offset : slots[o.slot].Offset+n*NS]
			if narrow && cfg.Kind == Classes {
				o.hist = make([]float64, n*S)
				cfg.Kind.widen(o.hist, part, cfg.Classes)
			} else {
				o.hist = part
			}
		}
		// The derived histograms, parent − sibling, in one buffer.
		derive := func(o *open) bool {
			return o.hist == nil && o.sibling != nil && o.sibling.hist != nil && o.parent != nil
		}
		total := 0
		for _, o := range level {
			if derive(o) {
				total += len(o.parent)
			}
		}
		if total > 0 {
			buf := cfg.pool.get(total)
			now = append(now, buf)
			for _, o := range level {
				if derive(o) {
					o.hist, buf = buf[:len(o.parent):len(o.parent)], buf[len(o.parent):]
					o.sub = true // subtracted by the split search
				}
			}
		}
		for _, b := range held {
			cfg.pool.put(b)
		}
		held = now
		// Each node's best split, nodes in parallel on the driver's cores
		// (each node's search is sequential, so the result is the same).
		splits := make([]split, len(level))
		found := make([]bool, len(level))
		var wg sync.WaitGroup
		var cursor atomic.Int64
		for range min(runtime.GOMAXPROCS(0), len(level)) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(cursor.Add(1) - 1)
					if i >= len(level) {
						return
					}
					o := level[i]
					if o.stats == nil {
						o.stats = cfg.totals(o.hist, o.feats, S)
					}
					if o.hist != nil && cfg.canSplit(o.stats) {
						splits[i], found[i] = cfg.best(o, S)
					}
				}
			}()
		}
		wg.Wait()
		for i, o := range level {
			tr := res.Trees[o.tree]
			cfg.finish(tr, o)
			if !found[i] {
				continue
			}
			sp := splits[i]
			nd := &tr.Nodes[o.node]
			nd.Feature, nd.Gain = sp.feature, sp.gain
			if sp.cats != nil {
				nd.Categorical, nd.LeftCategories = true, sp.cats
			} else {
				nd.Bin, nd.Threshold = uint8(sp.bin), cfg.Splits[sp.feature][sp.bin]
			}
			l, r := int32(len(tr.Nodes)), int32(len(tr.Nodes)+1)
			nd.Left, nd.Right = l, r
			tr.Nodes = append(tr.Nodes, Node{Feature: -1, Left: -1, Right: -1}, Node{Feature: -1, Left: -1, Right: -1})
			var parent []float64
			if cfg.FeaturesPerNode == 0 {
				parent = o.hist
			}
			lo := &open{tree: o.tree, node: l, depth: o.depth + 1, stats: sp.left, slot: -1, parent: parent,
				feats: cfg.features(specs[o.tree].Index, int(l), nf)}
			ro := &open{tree: o.tree, node: r, depth: o.depth + 1, stats: sp.right, slot: -1, parent: parent, sibling: lo,
				feats: cfg.features(specs[o.tree].Index, int(r), nf)}
			lo.sibling = ro
			next = append(next, lo, ro)
		}
		level = next
	}
	return res, nil
}

// walker is tr as the level kernel walks it, with each node's slot.
func walker(tr *Tree, slot []int32, sp Spec) Walker {
	return Walker{Branches: branches(tr), Slot: slot, Target: sp.Target, Sampling: sp.Sampling}
}

// histLen is the number of bins of a node over feats (nil: all).
func (cfg *Config) histLen(feats []int32) int {
	n := 0
	if feats == nil {
		for _, b := range cfg.NumBins {
			n += int(b)
		}
		return n
	}
	for _, f := range feats {
		n += int(cfg.NumBins[f])
	}
	return n
}

// features draws the features node may split on: nil (all) unless
// FeaturesPerNode is set, then that many, sorted, drawn by a generator
// seeded with the seed, the tree and the node.
func (cfg *Config) features(tree, node, nf int) []int32 {
	k := cfg.FeaturesPerNode
	if k <= 0 || k >= nf {
		return nil
	}
	all := make([]int32, nf)
	for i := range all {
		all[i] = int32(i)
	}
	state := rowKey(cfg.Seed^int64(tree)*0x5851f42d4c957f2d, int64(node))
	for i := range k {
		state = rowKey(int64(state), int64(i))
		j := i + int(state%uint64(nf-i))
		all[i], all[j] = all[j], all[i]
	}
	out := all[:k]
	slices.Sort(out)
	return out
}

// totals sums a histogram's first feature: the node's statistics.
func (cfg *Config) totals(h []float64, feats []int32, S int) []float64 {
	st := make([]float64, S)
	if h == nil {
		return st
	}
	// Every feature's bins hold every row once: the first feature's
	// bins give the totals.
	f := 0
	if feats != nil {
		f = int(feats[0])
	}
	nb := int(cfg.NumBins[f])
	for b := range nb {
		for s := range S {
			st[s] += h[b*S+s]
		}
	}
	return st
}

// canSplit reports whether a node of stats st could have a valid split.
func (cfg *Config) canSplit(st []float64) bool {
	if st[0] < 2*cfg.MinInstances || st[0] < 2 || st[1] < 2*cfg.MinWeight || st[1] <= 0 {
		return false
	}
	if cfg.Kind == Newton {
		return st[3] >= 2*cfg.MinHessian
	}
	return cfg.impurity(st) > 0
}

// impurity returns the impurity of a node of stats st: gini 1 − Σ p_c²,
// entropy −Σ p_c log₂ p_c, variance Σw(y−ȳ)²/Σw, or for Newton nodes
// −½G²/(H+λ).
func (cfg *Config) impurity(st []float64) float64 {
	w := st[1]
	switch cfg.Kind {
	case Classes:
		if w <= 0 {
			return 0
		}
		var s float64
		for _, c := range st[2:] {
			p := c / w
			if cfg.Impurity == "entropy" {
				if p > 0 {
					s -= p * math.Log2(p)
				}
			} else {
				s += p * p
			}
		}
		if cfg.Impurity == "entropy" {
			return s
		}
		return 1 - s
	case Variance:
		return variance(w, st[2], st[3])
	}
	return -0.5 * st[2] * st[2] / (st[3] + cfg.Lambda)
}

// value returns a node's prediction from its stats.
func (cfg *Config) value(st []float64) float64 {
	switch cfg.Kind {
	case Classes:
		best := 0
		for c, v := range st[2:] {
			if v > st[2+best] {
				best = c
			}
		}
		return float64(best)
	case Variance:
		if st[1] <= 0 {
			return 0
		}
		return st[2] / st[1]
	}
	return -st[2] / (st[3] + cfg.Lambda)
}

// finish sets node o's statistics in its tree (its split, if any, is set
// after).
func (cfg *Config) finish(tr *Tree, o *open) {
	nd := &tr.Nodes[o.node]
	st := o.stats
	if st == nil {
		st = make([]float64, cfg.Kind.width(cfg.Classes))
	}
	nd.Count, nd.Weight, nd.Impurity, nd.Value = st[0], st[1], cfg.impurity(st), cfg.value(st)
	if cfg.Kind == Classes {
		nd.ClassWeights = append([]float64(nil), st[2:]...)
	}
}

type split struct {
	feature, bin int
	cats         []int // a categorical split's left categories
	gain         float64
	left, right  []float64
}

// gain returns the gain of splitting total into left and right, and
// whether the split is valid (each child with MinInstances rows,
// MinWeight weight and, for Newton, MinHessian hessian; gain at least
// MinInfoGain and positive).
func (cfg *Config) gain(total, left, right []float64, parentImp float64) (float64, bool) {
	if !cfg.childrenOK(left[0], left[1], right[0], right[1]) {
		return 0, false
	}
	var g float64
	switch cfg.Kind {
	case Newton:
		if left[3] < cfg.MinHessian || right[3] < cfg.MinHessian {
			return 0, false
		}
		g = newtonGain(left[2], left[3], right[2], right[3], cfg.Lambda, total[2]*total[2]/(total[3]+cfg.Lambda))
	case Variance:
		g = varianceGain(parentImp, total[1], left[1], left[2], left[3], right[1], right[2], right[3])
	default:
		g = parentImp - left[1]/total[1]*cfg.impurity(left) - right[1]/total[1]*cfg.impurity(right)
	}
	return g, g >= cfg.MinInfoGain && g > 0
}

// childrenOK reports whether children of counts nl, nr and weights wl,
// wr are allowed: at least MinInstances rows (and one) and MinWeight
// weight each.
func (cfg *Config) childrenOK(nl, wl, nr, wr float64) bool {
	return nl >= cfg.MinInstances && nr >= cfg.MinInstances && nl >= 1 && nr >= 1 && wl >= cfg.MinWeight && wr >= cfg.MinWeight
}

// newtonGain is the second-order split gain ½(G_L²/(H_L+λ) +
// G_R²/(H_R+λ) − parent), parent being G²/(H+λ).
func newtonGain(gl, hl, gr, hr, lambda, parent float64) float64 {
	return 0.5 * (gl*gl/(hl+lambda) + gr*gr/(hr+lambda) - parent)
}

// varianceGain is the variance split gain parentImp − w_L/w·var(L) −
// w_R/w·var(R), each side given by its weight, Σw·y and Σw·y².
func varianceGain(parentImp, w, wl, sl, s2l, wr, sr, s2r float64) float64 {
	return parentImp - wl/w*variance(wl, sl, s2l) - wr/w*variance(wr, sr, s2r)
}

// scan4 is best's scan of one continuous feature's bins h for the kinds
// of 4 values a bin (Variance, Newton), with the sums in registers and
// gain's formulas called directly (Fashion-MNIST's boosting spent a fifth
// of its time in the general loop): it returns the first bin of the
// largest valid gain. Its gains are gain's, bit for bit.
func (cfg *Config) scan4(h []float64, total *[4]float64, parentImp float64) (int, float64, bool) {
	best, bestGain, found := -1, 0.0, false
	var l0, l1, l2, l3 float64
	minH, lambda := cfg.MinHessian, cfg.Lambda
	totalTerm := total[2] * total[2] / (total[3] + lambda)
	newton := cfg.Kind == Newton
	nb := len(h) / 4
	for b := 0; b < nb-1; b++ {
		q := (*[4]float64)(h[4*b:])
		l0, l1, l2, l3 = l0+q[0], l1+q[1], l2+q[2], l3+q[3]
		r0, r1, r2, r3 := total[0]-l0, total[1]-l1, total[2]-l2, total[3]-l3
		if !cfg.childrenOK(l0, l1, r0, r1) {
			continue
		}
		var g float64
		if newton {
			if l3 < minH || r3 < minH {
				continue
			}
			g = newtonGain(l2, l3, r2, r3, lambda, totalTerm)
		} else {
			g = varianceGain(parentImp, total[1], l1, l2, l3, r1, r2, r3)
		}
		if g >= cfg.MinInfoGain && g > 0 && (!found || g > bestGain) {
			best, bestGain, found = b, g, true
		}
	}
	return best, bestGain, found
}

// variance is Config.impurity of Variance stats with weight w, sum s and
// sum of squares s2.
func variance(w, s, s2 float64) float64 {
	if w <= 0 {
		return 0
	}
	return max((s2-s*s/w)/w, 0)
}

// unordered reports whether a categorical feature of arity categories is
// split by every subset of its categories (Spark's unordered features:
// multiclass classification with 2^(arity−1) − 1 splits fitting in half
// of maxBins) rather than by its categories ordered by centroid.
func (cfg *Config) unordered(arity int) bool {
	return cfg.Kind == Classes && cfg.Classes > 2 && arity <= 30 && (1<<(arity-1))-1 <= max(cfg.MaxBins/2, 1)
}

// centroid orders a category in an ordered categorical split (Spark's):
// the weight of class 1 for a binary classifier, the impurity for more
// classes, the mean target of a variance tree, the Newton leaf value.
// Empty categories go last.
func (cfg *Config) centroid(st []float64) float64 {
	switch {
	case st[0] == 0:
		return math.MaxFloat64
	case cfg.Kind == Classes && cfg.Classes == 2:
		return st[3]
	case cfg.Kind == Classes:
		return cfg.impurity(st)
	}
	return cfg.value(st)
}

// best scans node o's histogram for its best valid split: the largest
// gain, the first feature and bin (or category set) on ties (Spark's
// order).
func (cfg *Config) best(o *open, S int) (split, bool) {
	var sp split
	found := false
	total := o.stats
	left := make([]float64, S)
	right := make([]float64, S)
	parentImp := cfg.impurity(total)
	consider := func(f, b int, cats []int) {
		for s := range S {
			right[s] = total[s] - left[s]
		}
		g, ok := cfg.gain(total, left, right, parentImp)
		if !ok || (found && g <= sp.gain) {
			return
		}
		found = true
		sp.feature, sp.bin, sp.gain = f, b, g
		sp.cats = nil
		if cats != nil {
			sp.cats = slices.Clone(cats)
			slices.Sort(sp.cats)
		}
		sp.left = append(sp.left[:0], left...)
		sp.right = append(sp.right[:0], right...)
	}
	feats := o.feats
	nf := len(cfg.NumBins)
	off := 0
	for fi := 0; fi < nf; fi++ {
		f := fi
		if feats != nil {
			if fi >= len(feats) {
				break
			}
			f = int(feats[fi])
		}
		nb := int(cfg.NumBins[f])
		h := o.hist[off*S : (off+nb)*S]
		if o.sub {
			p, sib := o.parent[off*S:(off+nb)*S], o.sibling.hist[off*S:(off+nb)*S]
			for j, v := range p {
				h[j] = v - sib[j]
			}
		}
		off += nb
		clear(left)
		if (cfg.Arity == nil || cfg.Arity[f] == 0) && S == 4 && cfg.Kind != Classes {
			if b, g, ok := cfg.scan4(h, (*[4]float64)(total), parentImp); ok && (!found || g > sp.gain) {
				for s := range 4 {
					left[s] = 0
					for c := 0; c <= b; c++ {
						left[s] += h[c*4+s]
					}
				}
				consider(f, b, nil)
			}
			continue
		}
		if cfg.Arity == nil || cfg.Arity[f] == 0 {
			for b := 0; b < nb-1; b++ {
				for s := range S {
					left[s] += h[b*S+s]
				}
				consider(f, b, nil)
			}
			continue
		}
		if cfg.unordered(nb) {
			// Every subset with the last category on the right: the
			// categories of subset m are the bits of m.
			var cats []int
			for m := 1; m < 1<<(nb-1); m++ {
				clear(left)
				cats = cats[:0]
				for c := range nb {
					if m>>c&1 == 1 {
						cats = append(cats, c)
						for s := range S {
							left[s] += h[c*S+s]
						}
					}
				}
				consider(f, 0, cats)
			}
			continue
		}
		order := make([]int, nb)
		cent := make([]float64, nb)
		for c := range nb {
			order[c], cent[c] = c, cfg.centroid(h[c*S:(c+1)*S])
		}
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(cent[a], cent[b]) })
		for i := 0; i < nb-1; i++ {
			c := order[i]
			for s := range S {
				left[s] += h[c*S+s]
			}
			consider(f, 0, order[:i+1])
		}
	}
	o.sub = false
	return sp, found
}
