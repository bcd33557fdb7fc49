package tree

import (
	"context"
	"fmt"
	"math"
	"strconv"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/internal/simd"
	"github.com/spindle-ml/spindle/table"
)

func init() {
	engine.Register(boostUpdate{})
	engine.RegisterAggregator[*LossSum](lossKernel{})
}

// MarginCol names boosting margin k's column.
func MarginCol(k int) string { return "__margin" + strconv.Itoa(k) }

// The boosting losses. Margins F are Spark's: a binary classifier's
// probability of class 1 is σ(2F).
const (
	// Logistic is Spark's log loss 2·log(1 + e^{−2yF}), y = ±1.
	Logistic = "logistic"
	// Squared is (y − F)² (Spark's squared error).
	Squared = "squared"
	// Absolute is |y − F|.
	Absolute = "absolute"
	// Softmax is the multiclass cross-entropy −log p_y, p = softmax(F).
	Softmax = "softmax"
)

// Boost configures gradient boosting (FitBoost).
type Boost struct {
	// Loss is one of the losses above; K the number of margins (classes
	// for Softmax, else 1).
	Loss string
	K    int
	// Newton fits each tree to gradients and hessians with leaf values
	// −G/(H+λ) (XGBoost's second-order boosting) and starts from Base;
	// otherwise each tree is a variance tree fitted to the negative
	// gradient (Spark's), and a binary or regression fit starts with a
	// tree fitted to the label, of weight 1 (Spark's first tree).
	Newton bool
	// MaxIter is the number of rounds, Step the learning rate (the later
	// trees' weight), Rate the share of rows each round samples (without
	// replacement; 1: all).
	MaxIter int
	Step    float64
	Rate    float64
	// ValidationTol stops early (Spark's rule) when the data has a
	// validation indicator: after round m, if the best validation error
	// so far less the current one is below ValidationTol·max(current,
	// 0.01), boosting stops and keeps the rounds up to the best.
	ValidationTol float64
	// Base is the starting margin of each output (Newton only).
	Base []float64
}

// leafWalker is a fitted tree over binned rows, with its leaves' values
// already multiplied by the tree's weight, adding to margin Out.
type leafWalker struct {
	Branches
	Value []float64
	Out   int
}

func (w *leafWalker) value(row []uint8) float64 { return w.Value[w.node(row, 0)] }

// addTo adds the tree's value of each of the n binned rows data (nf bins
// a row) to m.
func (w *leafWalker) addTo(m []float64, data []uint8, n, nf int) {
	fl, depth, ok := w.flat()
	if !ok {
		for i := range n {
			m[i] += w.value(data[i*nf : (i+1)*nf])
		}
		return
	}
	// Four rows at a time, each stepped depth times without a branch:
	// the walks are independent, so their loads overlap.
	i := 0
	for ; i+4 <= n; i += 4 {
		r0, r1, r2, r3 := data[i*nf:(i+1)*nf], data[(i+1)*nf:(i+2)*nf], data[(i+2)*nf:(i+3)*nf], data[(i+3)*nf:(i+4)*nf]
		var n0, n1, n2, n3 int32
		for range depth {
			a, b, c, d := &fl[n0], &fl[n1], &fl[n2], &fl[n3]
			n0 = a.l + (a.b-int32(r0[a.f]))>>31&1
			n1 = b.l + (b.b-int32(r1[b.f]))>>31&1
			n2 = c.l + (c.b-int32(r2[c.f]))>>31&1
			n3 = d.l + (d.b-int32(r3[d.f]))>>31&1
		}
		m[i] += w.Value[n0]
		m[i+1] += w.Value[n1]
		m[i+2] += w.Value[n2]
		m[i+3] += w.Value[n3]
	}
	for ; i < n; i++ {
		m[i] += w.value(data[i*nf : (i+1)*nf])
	}
}

// flatNode is a node of a walk that steps every row the same number of
// times: a row goes to l, or l + 1 when its bin of feature f is above b;
// a leaf steps to itself (feature 0, bin 255: never above).
type flatNode struct{ f, b, l, _ int32 }

// flat returns b's nodes as flatNodes and the tree's depth; ok is false
// when a split is categorical.
func (b *Branches) flat() (fl []flatNode, depth int, ok bool) {
	fl = make([]flatNode, len(b.Left))
	d := make([]int, len(b.Left))
	for n, l := range b.Left {
		if l < 0 {
			fl[n] = flatNode{f: 0, b: 255, l: int32(n)}
			continue
		}
		if b.Cat[n] >= 0 || int(l)+1 >= len(b.Left) || l <= int32(n) {
			return nil, 0, false
		}
		fl[n] = flatNode{f: b.Feature[n], b: int32(b.Bin[n]), l: l}
		d[l], d[l+1] = d[n]+1, d[n]+1
		depth = max(depth, d[n]+1)
	}
	return fl, depth, true
}

// boostUpdate maps a round's dataset to the next: the last round's trees
// added to the margins, and each output's target (and hessian) at the
// new margins.
type boostUpdate struct {
	Loss   string
	K      int
	Newton bool
	// First: no margins yet (they start at Base). LabelTarget: the target
	// is the label (±1 for Logistic): Spark's first tree.
	First, LabelTarget   bool
	Base                 []float64
	Trees                []leafWalker
	Weighted, Validation bool
}

func (boostUpdate) KernelName() string { return "tree.BoostUpdate" }

func (u boostUpdate) OutputSchema(in *table.Schema) (*table.Schema, error) {
	fields := []table.Field{{Name: BinsCol, Type: table.Bins}, {Name: LabelCol, Type: table.Float64}}
	if u.Weighted {
		fields = append(fields, table.Field{Name: WeightCol, Type: table.Float64})
	}
	if u.Validation {
		fields = append(fields, table.Field{Name: ValidCol, Type: table.Bool})
	}
	for k := range u.K {
		fields = append(fields, table.Field{Name: MarginCol(k), Type: table.Float64}, table.Field{Name: TargetCol(k), Type: table.Float64})
		if u.Newton {
			fields = append(fields, table.Field{Name: HessCol(k), Type: table.Float64})
		}
	}
	return table.NewSchema(fields...)
}

// sigmoid returns 1/(1 + e^{−z}).
func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + simd.Exp1(-z))
	}
	e := simd.Exp1(z)
	return e / (1 + e)
}

// margins returns the batch's margins after u's trees.
func (u boostUpdate) margins(b *table.Batch) ([][]float64, error) {
	bc, err := table.ColumnAs[*table.BinsColumn](b, BinsCol)
	if err != nil {
		return nil, err
	}
	n, nf := bc.Len(), bc.Width
	ms := make([][]float64, u.K)
	for k := range ms {
		ms[k] = make([]float64, n)
		if u.First {
			for i := range ms[k] {
				ms[k][i] = u.Base[k]
			}
			continue
		}
		prev, err := floats(b, MarginCol(k))
		if err != nil {
			return nil, err
		}
		copy(ms[k], prev)
	}
	for t := range u.Trees {
		w := &u.Trees[t]
		w.addTo(ms[w.Out], bc.Data, n, nf)
	}
	return ms, nil
}

func (u boostUpdate) MapPartition(_ context.Context, _ engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	out, err := u.OutputSchema(b.Schema())
	if err != nil {
		return nil, err
	}
	ms, err := u.margins(b)
	if err != nil {
		return nil, err
	}
	labels, err := floats(b, LabelCol)
	if err != nil {
		return nil, err
	}
	n := len(labels)
	cols := []table.Column{b.Column(b.Schema().Index(BinsCol)), b.Column(b.Schema().Index(LabelCol))}
	if u.Weighted {
		cols = append(cols, b.Column(b.Schema().Index(WeightCol)))
	}
	if u.Validation {
		cols = append(cols, b.Column(b.Schema().Index(ValidCol)))
	}
	targets := make([][]float64, u.K)
	hess := make([][]float64, u.K)
	for k := range u.K {
		targets[k] = make([]float64, n)
		if u.Newton {
			hess[k] = make([]float64, n)
		}
	}
	t0, h0 := targets[0], hess[0]
	switch {
	case u.LabelTarget:
		for i, y := range labels {
			if u.Loss == Logistic {
				y = 2*y - 1
			}
			t0[i] = y
		}
	case u.Loss == Logistic && u.Newton:
		// The gradient and hessian of log(1 + e^{−y'z}) in z = 2F, as
		// XGBoost's binary:logistic: p − y and p(1 − p), with
		// e^{−|z|} four at a time (simd.Exp; sigmoid's bits).
		for i, f := range ms[0] {
			h0[i] = -2 * math.Abs(f)
		}
		simd.Exp(h0, h0)
		for i, y := range labels {
			e := h0[i]
			// p is 1/(1+e) for z ≥ 0, e/(1+e) below: both computed and
			// one picked by the sign bit, as the signs do not follow a
			// pattern a branch predictor learns.
			neg := uint64(int64(math.Float64bits(ms[0][i])) >> 63)
			p := math.Float64frombits(math.Float64bits(1/(1+e))&^neg | math.Float64bits(e/(1+e))&neg)
			t0[i] = p - y
			v := p * (1 - p)
			if v < 1e-16 {
				v = 1e-16
			}
			h0[i] = v
		}
	case u.Loss == Logistic:
		// Spark: the negative gradient of 2·log(1 + e^{−2y'F}).
		for i, y := range labels {
			yp := 2*y - 1
			t0[i] = 4 * yp * sigmoid(-2*yp*ms[0][i])
		}
	case u.Loss == Squared && u.Newton:
		for i, y := range labels {
			t0[i] = ms[0][i] - y
			h0[i] = 1
		}
	case u.Loss == Squared:
		for i, y := range labels {
			t0[i] = 2 * (y - ms[0][i])
		}
	case u.Loss == Absolute:
		for i, y := range labels {
			t0[i] = 1
			if y-ms[0][i] < 0 {
				t0[i] = -1
			}
		}
	case u.Loss == Softmax:
		p := make([]float64, u.K)
		for i, y := range labels {
			mx := math.Inf(-1)
			for k := range u.K {
				mx = max(mx, ms[k][i])
			}
			var s float64
			for k := range u.K {
				p[k] = simd.Exp1(ms[k][i] - mx)
				s += p[k]
			}
			for k := range u.K {
				pk := p[k] / s
				ind := 0.0
				if int(y) == k {
					ind = 1
				}
				if u.Newton {
					targets[k][i] = pk - ind
					hess[k][i] = max(2*pk*(1-pk), 1e-16)
				} else {
					targets[k][i] = ind - pk
				}
			}
		}
	default:
		return nil, fmt.Errorf("boosting loss %q", u.Loss)
	}
	for k := range u.K {
		cols = append(cols, table.NewFloat64Column(ms[k], nil), table.NewFloat64Column(targets[k], nil))
		if u.Newton {
			cols = append(cols, table.NewFloat64Column(hess[k], nil))
		}
	}
	return table.NewBatch(out, cols)
}

// LossSum is a weighted loss total.
type LossSum struct {
	Loss, Weight float64
}

// lossKernel sums the loss of the validation rows at their margins.
type lossKernel struct {
	Loss     string
	K        int
	Weighted bool
}

func (lossKernel) KernelName() string { return "tree.ValidationLoss" }
func (lossKernel) Zero() *LossSum     { return &LossSum{} }
func (lossKernel) Merge(a, b *LossSum) (*LossSum, error) {
	a.Loss += b.Loss
	a.Weight += b.Weight
	return a, nil
}
func (k lossKernel) Fold(_ context.Context, _ engine.PartitionInfo, acc *LossSum, b *table.Batch) (*LossSum, error) {
	labels, err := floats(b, LabelCol)
	if err != nil {
		return nil, err
	}
	vc, err := table.ColumnAs[*table.BoolColumn](b, ValidCol)
	if err != nil {
		return nil, err
	}
	var ws []float64
	if k.Weighted {
		if ws, err = floats(b, WeightCol); err != nil {
			return nil, err
		}
	}
	ms := make([][]float64, k.K)
	for j := range ms {
		if ms[j], err = floats(b, MarginCol(j)); err != nil {
			return nil, err
		}
	}
	for i, y := range labels {
		if !vc.Values[i] {
			continue
		}
		w := 1.0
		if ws != nil {
			w = ws[i]
		}
		acc.Loss += w * PointLoss(k.Loss, y, ms, i)
		acc.Weight += w
	}
	return acc, nil
}

// PointLoss is row i's loss (Spark's computeError) at margins ms.
func PointLoss(loss string, y float64, ms [][]float64, i int) float64 {
	switch loss {
	case Logistic:
		z := -2 * (2*y - 1) * ms[0][i]
		if z > 0 {
			return 2 * (z + math.Log1p(math.Exp(-z)))
		}
		return 2 * math.Log1p(math.Exp(z))
	case Squared:
		d := y - ms[0][i]
		return d * d
	case Absolute:
		return math.Abs(y - ms[0][i])
	}
	mx := math.Inf(-1)
	for k := range ms {
		mx = max(mx, ms[k][i])
	}
	var s float64
	for k := range ms {
		s += math.Exp(ms[k][i] - mx)
	}
	return mx + math.Log(s) - ms[int(y)][i]
}

// FitBoost runs gradient boosting over b: each round is one pass that
// adds the last round's trees to the margins and computes the targets,
// persisted, then one pass per level for the round's trees (K of them).
func FitBoost(ctx context.Context, e engine.Engine, b *Binned, cfg *Config, bo Boost) (*Ensemble, *FitStats, error) {
	ens := &Ensemble{NumFeatures: b.NumFeatures(), Boosted: true, Base: make([]float64, bo.K)}
	if bo.Newton {
		copy(ens.Base, bo.Base)
	}
	st := &FitStats{}
	update := boostUpdate{Loss: bo.Loss, K: bo.K, Newton: bo.Newton, First: true, LabelTarget: !bo.Newton && bo.K == 1,
		Base: ens.Base, Weighted: b.Weighted, Validation: b.Validation}
	lk := lossKernel{Loss: bo.Loss, K: bo.K, Weighted: b.Weighted}
	best, bestRounds := math.Inf(1), 0
	// stop applies Spark's early-stopping rule to the validation error
	// after rounds rounds.
	stop := func(err float64, rounds int) bool {
		if rounds == 1 {
			best, bestRounds = err, 1
			return false
		}
		if best-err < bo.ValidationTol*max(err, 0.01) {
			return true
		}
		if err < best {
			best, bestRounds = err, rounds
		}
		return false
	}
	cur := b.Data
	rounds := 0
	stopped := false
	for round := 0; round < bo.MaxIter; round++ {
		m, err := e.MapPartitions(cur, update)
		if err != nil {
			return nil, nil, err
		}
		reqs := []engine.Request{{Dataset: m}}
		if b.Validation && round > 0 {
			reqs = append(reqs, engine.Request{Dataset: m, Agg: engine.Erase[*LossSum](lk)})
		}
		engine.Release(e, cur)
		out, err := engine.AggregateBatch(ctx, e, reqs)
		if err != nil {
			return nil, nil, err
		}
		st.TreePasses++
		cur = out[0].(engine.Dataset)
		if len(out) > 1 {
			ls := out[1].(*LossSum)
			if ls.Weight > 0 && stop(ls.Loss/ls.Weight, round) {
				stopped = true
				break
			}
		}
		specs := make([]Spec, bo.K)
		for k := range specs {
			specs[k] = Spec{Target: k, Index: round*bo.K + k}
			if bo.Rate < 1 {
				specs[k].Sampling = Sampling{Method: SampleBernoulli, Rate: bo.Rate, Seed: cfg.Seed + int64(round)}
			}
		}
		res, err := Grow(ctx, e, cur, cfg, specs)
		if err != nil {
			return nil, nil, err
		}
		st.TreePasses += res.Passes
		weight := bo.Step
		if update.LabelTarget {
			weight = 1
		}
		if bo.Newton && bo.Loss == Logistic {
			weight /= 2 // leaf values are steps of z = 2F
		}
		update = boostUpdate{Loss: bo.Loss, K: bo.K, Newton: bo.Newton, Weighted: b.Weighted, Validation: b.Validation}
		for k, tr := range res.Trees {
			ens.Trees = append(ens.Trees, *tr)
			ens.TreeWeights = append(ens.TreeWeights, weight)
			lw := leafWalker{Branches: branches(tr), Out: k, Value: make([]float64, len(tr.Nodes))}
			for i := range tr.Nodes {
				lw.Value[i] = weight * tr.Nodes[i].Value
			}
			update.Trees = append(update.Trees, lw)
		}
		rounds++
	}
	if b.Validation && !stopped && rounds > 0 {
		m, err := e.MapPartitions(cur, update)
		if err != nil {
			return nil, nil, err
		}
		ls, err := engine.Aggregate[*LossSum](ctx, e, m, lk)
		if err != nil {
			return nil, nil, err
		}
		st.TreePasses++
		if ls.Weight > 0 {
			stop(ls.Loss/ls.Weight, rounds)
		}
	}
	engine.Release(e, cur)
	if b.Validation && bestRounds > 0 {
		rounds = bestRounds
		ens.Trees, ens.TreeWeights = ens.Trees[:rounds*bo.K], ens.TreeWeights[:rounds*bo.K]
	}
	st.Rounds = rounds
	if len(ens.Trees) == 0 {
		return nil, nil, fmt.Errorf("boosting grew no tree (maxIter %d)", bo.MaxIter)
	}
	return ens, st, nil
}
