package classification

import (
	"context"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/internal/linmodel"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/table"
)

func init() { engine.RegisterAggregator[*svcSets](svcSetsKernel{}) }

// maxMarginRows bounds the rows the KKT polish gathers on the driver.
const maxMarginRows = 4000

// svcSets is one pass at (Coef, intercept last, over features scaled by
// InvStd): the hinge objective's loss, the sum over rows inside the margin
// (z < 1 − Tau) of w·y'·x̃ and w·y', and the rows on it (|z − 1| ≤ Tau).
type svcSets struct {
	Loss, Weight  float64
	InsideX       []float64
	InsideY       float64
	MarginX       []linalg.Vector
	MarginY       []float64
	MarginW       []float64
	TooManyMargin bool
}

type svcSetsKernel struct {
	FeaturesCol, LabelCol, WeightCol string
	InvStd, Coef                     []float64
	Tau                              float64
}

func (svcSetsKernel) KernelName() string { return "classification.SVCSets" }
func (svcSetsKernel) Zero() *svcSets     { return &svcSets{} }

func (k svcSetsKernel) Fold(_ context.Context, info engine.PartitionInfo, acc *svcSets, b *table.Batch) (*svcSets, error) {
	c, err := linmodel.Read(b, k.FeaturesCol, k.LabelCol, k.WeightCol)
	if err != nil {
		return nil, err
	}
	d := len(k.InvStd)
	if acc.InsideX == nil {
		acc.InsideX = make([]float64, d)
	}
	for i := 0; i < b.NumRows(); i++ {
		x, y, w, err := c.Row(i, info)
		if err != nil {
			return nil, err
		}
		if w == 0 {
			continue
		}
		m := k.Coef[d]
		linmodel.ForEach(x, func(j int, v float64) { m += v * k.InvStd[j] * k.Coef[j] })
		ys := 2*y - 1
		z := ys * m
		acc.Weight += w
		acc.Loss += w * math.Max(0, 1-z)
		switch {
		case math.Abs(z-1) <= k.Tau:
			if len(acc.MarginY) >= maxMarginRows {
				acc.TooManyMargin = true
				continue
			}
			acc.MarginX = append(acc.MarginX, x)
			acc.MarginY = append(acc.MarginY, ys)
			acc.MarginW = append(acc.MarginW, w)
		case z < 1:
			wy := w * ys
			linmodel.ForEach(x, func(j int, v float64) { acc.InsideX[j] += wy * v * k.InvStd[j] })
			acc.InsideY += wy
		}
	}
	return acc, nil
}

func (svcSetsKernel) Merge(a, b *svcSets) (*svcSets, error) {
	if b.InsideX == nil {
		return a, nil
	}
	if a.InsideX == nil {
		return b, nil
	}
	a.Loss += b.Loss
	a.Weight += b.Weight
	for j, v := range b.InsideX {
		a.InsideX[j] += v
	}
	a.InsideY += b.InsideY
	a.MarginX = append(a.MarginX, b.MarginX...)
	a.MarginY = append(a.MarginY, b.MarginY...)
	a.MarginW = append(a.MarginW, b.MarginW...)
	a.TooManyMargin = a.TooManyMargin || b.TooManyMargin || len(a.MarginY) > maxMarginRows
	return a, nil
}

// polishSVC finishes a LinearSVC fit exactly. At the minimum of
// 1/W Σ w·hinge(z) + λ/2 Σ p_j β_j² (scaled space), rows inside the margin
// carry multiplier 1, rows beyond it 0, and rows on it (z = 1) a
// multiplier a ∈ [0, 1] such that
//
//	λ p_j β_j = 1/W (Σ_inside w y x̃_j + Σ_on a w y x̃_j),  Σ_inside w y + Σ_on a w y = 0,
//
// and y (β·x̃ + b) = 1 on the margin: a linear system in the on-margin
// multipliers and b. Given the near-optimal x from the smoothed
// continuation, it reads the three sets off one pass, solves the system,
// and keeps the answer only if the multipliers are feasible and the
// objective does not rise; it tries a few margin widths. It returns x
// unchanged when nothing passes.
func polishSVC(ctx context.Context, e engine.Engine, ds engine.Dataset, k hingeGradient, x []float64, reg float64, pen []float64, fitIntercept bool) ([]float64, error) {
	d := len(k.InvStd)
	objective := func(s *svcSets, coef []float64) float64 {
		f := s.Loss / s.Weight
		for j := 0; j < d; j++ {
			f += reg / 2 * pen[j] * coef[j] * coef[j]
		}
		return f
	}
	best := x
	bestF := math.Inf(1)
	for _, tau := range []float64{1e-6, 1e-5, 1e-4, 1e-3} {
		sets, err := engine.Aggregate(ctx, e, ds, svcSetsKernel{FeaturesCol: k.FeaturesCol, LabelCol: k.LabelCol, WeightCol: k.WeightCol, InvStd: k.InvStd, Coef: best, Tau: tau})
		if err != nil {
			return nil, err
		}
		if math.IsInf(bestF, 1) {
			bestF = objective(sets, best)
		}
		if sets.TooManyMargin || reg == 0 || sets.Weight == 0 {
			return best, nil
		}
		cand, ok := solveKKT(sets, k.InvStd, reg, pen, fitIntercept)
		if !ok {
			continue
		}
		check, err := engine.Aggregate(ctx, e, ds, svcSetsKernel{FeaturesCol: k.FeaturesCol, LabelCol: k.LabelCol, WeightCol: k.WeightCol, InvStd: k.InvStd, Coef: cand, Tau: 0})
		if err != nil {
			return nil, err
		}
		if f := objective(check, cand); f <= bestF+1e-15 {
			best, bestF = cand, f
		}
	}
	return best, nil
}

// solveKKT solves the on-margin system; ok is false when it is singular
// or its multipliers fall outside [0, 1].
func solveKKT(s *svcSets, invStd []float64, reg float64, pen []float64, fitIntercept bool) ([]float64, bool) {
	d := len(invStd)
	W := s.Weight
	nm := len(s.MarginY)
	// β = βin + Σ_i a_i v_i with βin_j = InsideX_j/(λ W p_j), v_i = w_i y_i x̃_i/(λ W p).
	betaIn := make([]float64, d)
	for j := range betaIn {
		if pen[j] > 0 {
			betaIn[j] = s.InsideX[j] / (reg * W * pen[j])
		}
	}
	scaled := func(x linalg.Vector) []float64 { // x̃ dense
		out := make([]float64, d)
		linmodel.ForEach(x, func(j int, v float64) { out[j] = v * invStd[j] })
		return out
	}
	xs := make([][]float64, nm)
	for i, x := range s.MarginX {
		xs[i] = scaled(x)
	}
	n := nm
	if fitIntercept {
		n++
	}
	if n == 0 {
		return nil, false
	}
	A := mat.NewDense(n, n, nil)
	rhs := mat.NewVecDense(n, nil)
	for r := 0; r < nm; r++ {
		yr := s.MarginY[r]
		var dotIn float64
		for j, v := range xs[r] {
			dotIn += v * betaIn[j]
		}
		rhs.SetVec(r, 1-yr*dotIn)
		for c := 0; c < nm; c++ {
			var dot float64
			for j, v := range xs[r] {
				if v != 0 && pen[j] > 0 {
					dot += v * xs[c][j] / pen[j]
				}
			}
			A.Set(r, c, yr*s.MarginW[c]*s.MarginY[c]*dot/(reg*W))
		}
		if fitIntercept {
			A.Set(r, nm, yr)
		}
	}
	if fitIntercept {
		for c := 0; c < nm; c++ {
			A.Set(nm, c, s.MarginW[c]*s.MarginY[c])
		}
		rhs.SetVec(nm, -s.InsideY)
	}
	// Least squares through the SVD: duplicate rows on the margin make the
	// system singular, their multipliers being fixed only in sum; the
	// minimum-norm answer shares it out.
	var svd mat.SVD
	if !svd.Factorize(A, mat.SVDThin) {
		return nil, false
	}
	vals := svd.Values(nil)
	rank := 0
	for _, v := range vals {
		if v > 1e-12*vals[0] {
			rank++
		}
	}
	if rank == 0 {
		return nil, false
	}
	var sol mat.VecDense
	svd.SolveVecTo(&sol, rhs, rank)
	var res mat.VecDense
	res.MulVec(A, &sol)
	res.SubVec(&res, rhs)
	if mat.Norm(&res, math.Inf(1)) > 1e-9 {
		return nil, false // inconsistent: the sets were wrong
	}
	for i := 0; i < nm; i++ {
		if a := sol.AtVec(i); a < -1e-9 || a > 1+1e-9 || math.IsNaN(a) {
			return nil, false
		}
	}
	out := make([]float64, d+1)
	copy(out, betaIn)
	for i := 0; i < nm; i++ {
		a := sol.AtVec(i) * s.MarginW[i] * s.MarginY[i] / (reg * W)
		for j, v := range xs[i] {
			if pen[j] > 0 {
				out[j] += a * v / pen[j]
			}
		}
	}
	if fitIntercept {
		out[d] = sol.AtVec(nm)
	}
	for _, v := range out {
		if !finite(v) {
			return nil, false
		}
	}
	return out, true
}
