// Package optim minimizes smooth functions with L-BFGS and L1-regularized
// ones with OWL-QN — the optimizers behind Spark ML's linear models
// (Breeze's LBFGS and OWLQN).
//
// The objective computes its value and gradient together, in one call,
// because in Spindle one evaluation is one data pass through the engine
// (a gradient aggregator); the driver loop runs in the caller. That is
// also why gonum/optimize is not used: its Problem asks for the function
// and the gradient separately (a second pass, or a cache keyed by x), and
// it has no OWL-QN.
//
// Both methods keep the last M correction pairs (default 10, as Breeze)
// and stop after MaxIter iterations (default 100) or when the relative
// decrease of the objective over an iteration falls below Tol (default
// 1e-6, Spark's tol), or the (pseudo-)gradient's largest component falls
// below Tol·max(1, |f|).
package optim

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// Objective is a differentiable function.
type Objective interface {
	// Evaluate returns f(x) and writes ∇f(x) into grad (len(grad) ==
	// len(x)). It must not keep x or grad.
	Evaluate(ctx context.Context, x, grad []float64) (float64, error)
}

// ObjectiveFunc adapts a function to Objective.
type ObjectiveFunc func(ctx context.Context, x, grad []float64) (float64, error)

// Evaluate implements Objective.
func (f ObjectiveFunc) Evaluate(ctx context.Context, x, grad []float64) (float64, error) {
	return f(ctx, x, grad)
}

// Result is the outcome of a minimization.
type Result struct {
	// X is the minimizer found and F its value.
	X []float64
	F float64
	// Iterations is the number of iterations run; Evaluations the number
	// of objective evaluations (data passes).
	Iterations, Evaluations int
	// History is the objective value at the start and after each
	// iteration (Spark's objectiveHistory).
	History []float64
	// Converged is false when MaxIter stopped the run; Reason says why it
	// stopped.
	Converged bool
	Reason    string
}

// LBFGS is the limited-memory BFGS method with a line search satisfying
// the strong Wolfe conditions (Nocedal & Wright, Algorithms 7.4, 3.5, 3.6).
// Its zero value is ready to use. Each iteration costs one or a few
// objective evaluations and O(M·n) work.
type LBFGS struct {
	// MaxIter bounds the iterations. If 0, it is 100; a negative value
	// runs none (the result is the starting point, evaluated once), which
	// is how a model's maxIter = 0 reaches the optimizer (see MaxIterOf).
	MaxIter int
	// M is the number of correction pairs kept. If 0, it is 10.
	M int
	// Tol is the convergence tolerance. If 0, it is 1e-6; a negative
	// value means a tolerance of 0 (see TolOf).
	Tol float64
	// Progress, if set, is called after each iteration.
	Progress func(iter int, f float64)
	// GradientOnly drops the relative-decrease test: the run stops when
	// the (pseudo-)gradient's largest component is below Tol·max(1, |f|),
	// at MaxIter, or when an iteration finds no decrease (the precision
	// limit). For a tight Tol asking for the minimizer itself:
	// in flat directions the objective's decrease per iteration is below
	// any tolerance long before the coefficients settle.
	GradientOnly bool
}

func (o *LBFGS) defaults() (maxIter, m int, tol float64) {
	maxIter, m, tol = o.MaxIter, o.M, o.Tol
	switch {
	case maxIter == 0:
		maxIter = 100
	case maxIter < 0:
		maxIter = 0
	}
	if m == 0 {
		m = 10
	}
	switch {
	case tol == 0:
		tol = 1e-6
	case tol < 0:
		tol = 0
	}
	return
}

// MaxIterOf converts a model's maxIter parameter (nil: Spark's default,
// 100) to LBFGS.MaxIter, keeping an explicit 0 as no iterations.
func MaxIterOf(p *int) int { return explicitZero(p) }

// TolOf converts a model's tol parameter (nil: Spark's default, 1e-6) to
// LBFGS.Tol, keeping an explicit 0.
func TolOf(p *float64) float64 { return explicitZero(p) }

// explicitZero maps an optional parameter to LBFGS's encoding: nil → 0
// (the default), a set 0 → −1, anything else as it is.
func explicitZero[T int | float64](p *T) T {
	switch {
	case p == nil:
		return 0
	case *p == 0:
		return -1
	}
	return *p
}

// OWLQN is the orthant-wise limited-memory quasi-Newton method of Andrew
// and Gao (2007) for f(x) + Σ L1(i)·|x_i| with smooth f: L-BFGS on the
// pseudo-gradient, directions and steps kept in the current orthant, and a
// backtracking line search. Its zero value, with L1 set, is ready to use.
type OWLQN struct {
	LBFGS
	// L1 returns the L1 weight of coordinate i (0 leaves it unpenalized,
	// e.g. an intercept). If nil, OWLQN is plain L-BFGS.
	L1 func(i int) float64
}

// ErrNotFinite is returned when the objective gives NaN or ±Inf at the
// starting point.
var ErrNotFinite = errors.New("objective is not finite at the starting point")

// history keeps the correction pairs. Its vectors are reused: a pair
// pushed out of the memory gives its arrays to the next (a 100,000-wide
// model allocates no new vectors per iteration once the memory is full).
type history struct {
	s, y  [][]float64
	rho   []float64
	m     int
	d     []float64 // direction's result, reused
	alpha []float64
}

// push keeps a copy of the pair (s, y) if it is descent-compatible.
func (h *history) push(s, y []float64) {
	sy := dot(s, y)
	if sy <= 1e-12*math.Sqrt(dot(s, s)*dot(y, y)) {
		return // not a descent-compatible pair: skip it, keep the memory positive definite
	}
	var ns, ny []float64
	if len(h.s) == h.m {
		ns, ny = h.s[0], h.y[0]
		h.s, h.y, h.rho = h.s[1:], h.y[1:], h.rho[1:]
	} else {
		ns, ny = make([]float64, len(s)), make([]float64, len(y))
	}
	copy(ns, s)
	copy(ny, y)
	h.s = append(h.s, ns)
	h.y = append(h.y, ny)
	h.rho = append(h.rho, 1/sy)
}

// direction returns −H·g by the two-loop recursion, in a slice reused
// from call to call (valid until the next call).
func (h *history) direction(g []float64) []float64 {
	if len(h.d) != len(g) {
		h.d = make([]float64, len(g))
	}
	d := h.d
	for i := range g {
		d[i] = -g[i]
	}
	k := len(h.s)
	if cap(h.alpha) < k {
		h.alpha = make([]float64, k)
	}
	alpha := h.alpha[:k]
	for i := k - 1; i >= 0; i-- {
		alpha[i] = h.rho[i] * dot(h.s[i], d)
		axpy(-alpha[i], h.y[i], d)
	}
	if k > 0 {
		gamma := dot(h.s[k-1], h.y[k-1]) / dot(h.y[k-1], h.y[k-1])
		for i := range d {
			d[i] *= gamma
		}
	}
	for i := 0; i < k; i++ {
		beta := h.rho[i] * dot(h.y[i], d)
		axpy(alpha[i]-beta, h.s[i], d)
	}
	return d
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func axpy(a float64, x, y []float64) {
	for i := range x {
		y[i] += a * x[i]
	}
}

// maxAbs returns the largest |x_i|, or NaN if some x_i is NaN (as a
// chain of math.Max would, without its cost).
func maxAbs(x []float64) float64 {
	var m float64
	for _, v := range x {
		if a := math.Abs(v); a > m {
			m = a
		} else if a != a {
			return a
		}
	}
	return m
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// Minimize runs L-BFGS from x0 (not modified).
func (o *LBFGS) Minimize(ctx context.Context, obj Objective, x0 []float64) (*Result, error) {
	return minimize(ctx, obj, x0, o, nil)
}

// Minimize runs OWL-QN from x0 (not modified).
func (o *OWLQN) Minimize(ctx context.Context, obj Objective, x0 []float64) (*Result, error) {
	return minimize(ctx, obj, x0, &o.LBFGS, o.L1)
}

// evaluator counts evaluations and adds the L1 term. It also keeps the
// vectors a run no longer reads (rejected line-search points, replaced
// iterates) for reuse: a 100,000-wide model then allocates few vectors
// per iteration.
type evaluator struct {
	ctx   context.Context
	obj   Objective
	l1    []float64 // L1 weight per coordinate; nil for L-BFGS
	evals int
	free  [][]float64
}

// vec returns a zeroed vector of n, reused if one is free.
func (e *evaluator) vec(n int) []float64 {
	if k := len(e.free); k > 0 {
		v := e.free[k-1]
		e.free = e.free[:k-1]
		if len(v) == n {
			clear(v)
			return v
		}
	}
	return make([]float64, n)
}

// put gives vectors back for reuse: the caller no longer reads them.
func (e *evaluator) put(vs ...[]float64) {
	for _, v := range vs {
		if v != nil && len(e.free) < 8 {
			e.free = append(e.free, v)
		}
	}
}

// eval returns the full objective (smooth + L1) and the smooth gradient.
func (e *evaluator) eval(x, grad []float64) (float64, error) {
	e.evals++
	f, err := e.obj.Evaluate(e.ctx, x, grad)
	if err != nil {
		return 0, err
	}
	if e.l1 != nil {
		for i, v := range x {
			f += e.l1[i] * math.Abs(v)
		}
	}
	return f, nil
}

// pseudoGradient writes into pg (zeroed) the minimum-norm subgradient of
// f + L1 (Andrew & Gao), and returns it.
func pseudoGradient(pg, x, g, l1 []float64) []float64 {
	for i := range g {
		c := l1[i]
		switch {
		case c == 0:
			pg[i] = g[i]
		case x[i] > 0:
			pg[i] = g[i] + c
		case x[i] < 0:
			pg[i] = g[i] - c
		case g[i]+c < 0:
			pg[i] = g[i] + c
		case g[i]-c > 0:
			pg[i] = g[i] - c
		}
	}
	return pg
}

func minimize(ctx context.Context, obj Objective, x0 []float64, o *LBFGS, l1f func(int) float64) (*Result, error) {
	maxIter, m, tol := o.defaults()
	if m < 1 || math.IsNaN(tol) {
		return nil, fmt.Errorf("optim: m must be ≥ 1 and tol a number")
	}
	n := len(x0)
	// The L1 weights, asked once per coordinate: the loops below read
	// them many times per iteration.
	var l1 []float64
	if l1f != nil {
		l1 = make([]float64, n)
		for i := range l1 {
			l1[i] = l1f(i)
		}
	}
	ev := &evaluator{ctx: ctx, obj: obj, l1: l1}
	x := append([]float64(nil), x0...)
	g := make([]float64, n)
	f, err := ev.eval(x, g)
	if err != nil {
		return nil, err
	}
	if !finite(f) {
		return nil, ErrNotFinite
	}
	res := &Result{History: []float64{f}}
	var s, y []float64 // this iteration's correction pair (scratch)
	h := &history{m: m}
	steer := func(x, g []float64) []float64 { // the gradient the method follows
		if l1 == nil {
			return g
		}
		return pseudoGradient(ev.vec(len(g)), x, g, l1)
	}
	pg := steer(x, g)
	finish := func(reason string, converged bool) (*Result, error) {
		res.X, res.F, res.Evaluations = x, f, ev.evals
		res.Reason, res.Converged = reason, converged
		return res, nil
	}
	if maxAbs(pg) <= tol*math.Max(1, math.Abs(f)) {
		return finish("gradient is zero at the start", true)
	}
	for iter := 1; iter <= maxIter; iter++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		d := h.direction(pg)
		if l1 != nil {
			// Keep the direction in the orthant the pseudo-gradient picks.
			for i := range d {
				if d[i]*pg[i] >= 0 {
					d[i] = 0
				}
			}
		}
		if dot(d, pg) >= 0 { // not a descent direction: restart from steepest descent
			h = &history{m: m}
			for i := range d {
				d[i] = -pg[i]
			}
		}
		step := 1.0
		if iter == 1 {
			step = math.Min(1, 1/math.Sqrt(dot(pg, pg)))
		}
		var xn, gn []float64
		var fn float64
		if l1 == nil {
			xn, gn, fn, err = wolfeSearch(ev, x, f, g, d, step)
		} else {
			xn, gn, fn, err = orthantSearch(ev, x, f, pg, d, step, l1)
		}
		if err != nil {
			if errors.Is(err, errLineSearch) {
				res.Iterations = iter - 1
				return finish("line search found no decrease (at the precision limit)", true)
			}
			return nil, err
		}
		if s == nil {
			s, y = make([]float64, n), make([]float64, n) // scratch: push copies what it keeps
		}
		for i := range s {
			s[i] = xn[i] - x[i]
			y[i] = gn[i] - g[i] // smooth gradients, as OWL-QN prescribes
		}
		h.push(s, y)
		prev := f
		oldX, oldG, oldPG := x, g, pg
		x, g, f = xn, gn, fn
		pg = steer(x, g)
		ev.put(oldX, oldG)
		if l1 != nil {
			ev.put(oldPG)
		}
		res.Iterations = iter
		res.History = append(res.History, f)
		if o.Progress != nil {
			o.Progress(iter, f)
		}
		if o.GradientOnly && f >= prev {
			return finish("no decrease (at the precision limit)", true)
		}
		if !o.GradientOnly && math.Abs(prev-f)/math.Max(math.Max(math.Abs(prev), math.Abs(f)), 1) < tol {
			return finish("relative decrease below tol", true)
		}
		if maxAbs(pg) <= tol*math.Max(1, math.Abs(f)) {
			return finish("gradient below tol", true)
		}
	}
	return finish("reached maxIter", false)
}

var errLineSearch = errors.New("line search failed")

// wolfeSearch finds a step along d satisfying the strong Wolfe conditions
// (c1 = 1e-4, c2 = 0.9) by bracketing and zooming with cubic
// interpolation.
func wolfeSearch(ev *evaluator, x []float64, f0 float64, g0, d []float64, step float64) ([]float64, []float64, float64, error) {
	const c1, c2 = 1e-4, 0.9
	dg0 := dot(g0, d)
	n := len(x)
	at := func(a float64) ([]float64, []float64, float64, float64, error) {
		xa := ev.vec(n)
		for i := range xa {
			xa[i] = x[i] + a*d[i]
		}
		ga := ev.vec(n)
		fa, err := ev.eval(xa, ga)
		return xa, ga, fa, dot(ga, d), err
	}
	var (
		aLo, fLo, dLo = 0.0, f0, dg0
		aHi, fHi, dHi float64
		haveHi        bool
	)
	a := step
	for k := 0; k < 40; k++ {
		xa, ga, fa, da, err := at(a)
		if err != nil {
			return nil, nil, 0, err
		}
		if !finite(fa) || fa > f0+c1*a*dg0 || (k > 0 && fa >= fLo) {
			ev.put(xa, ga)
			aHi, fHi, dHi, haveHi = a, fa, da, true
		} else {
			if math.Abs(da) <= -c2*dg0 {
				return xa, ga, fa, nil
			}
			ev.put(xa, ga)
			if da >= 0 {
				aHi, fHi, dHi, haveHi = aLo, fLo, dLo, true
			}
			aLo, fLo, dLo = a, fa, da
			if !haveHi {
				a *= 2
				continue
			}
		}
		// Zoom into [aLo, aHi].
		next := cubicMin(aLo, fLo, dLo, aHi, fHi, dHi)
		lo, hi := math.Min(aLo, aHi), math.Max(aLo, aHi)
		if !finite(next) || next <= lo+0.1*(hi-lo) || next >= hi-0.1*(hi-lo) {
			next = (aLo + aHi) / 2
		}
		if math.Abs(aHi-aLo) < 1e-16*math.Max(1, a) {
			break
		}
		a = next
	}
	if aLo > 0 && fLo < f0 {
		xa, ga, fa, _, err := at(aLo)
		return xa, ga, fa, err
	}
	return nil, nil, 0, errLineSearch
}

// cubicMin is the minimizer of the cubic interpolating f and f' at a and b.
func cubicMin(a, fa, da, b, fb, db float64) float64 {
	d1 := da + db - 3*(fa-fb)/(a-b)
	s := d1*d1 - da*db
	if s < 0 {
		return math.NaN()
	}
	d2 := math.Copysign(math.Sqrt(s), b-a)
	return b - (b-a)*(db+d2-d1)/(db-da+2*d2)
}

// orthantSearch backtracks along d, projecting each trial point onto the
// orthant of x (coordinates that would change sign become 0), until the
// Armijo condition holds with the pseudo-gradient.
func orthantSearch(ev *evaluator, x []float64, f0 float64, pg, d []float64, step float64, l1 []float64) ([]float64, []float64, float64, error) {
	const c1 = 1e-4
	n := len(x)
	orth := make([]float64, n)
	for i := range x {
		switch {
		case x[i] > 0:
			orth[i] = 1
		case x[i] < 0:
			orth[i] = -1
		default:
			orth[i] = -math.Copysign(1, pg[i])
			if pg[i] == 0 {
				orth[i] = 0
			}
		}
	}
	a := step
	for k := 0; k < 60; k++ {
		xa := ev.vec(n)
		for i := range xa {
			v := x[i] + a*d[i]
			if v*orth[i] <= 0 && l1[i] != 0 {
				v = 0
			}
			xa[i] = v
		}
		ga := ev.vec(n)
		fa, err := ev.eval(xa, ga)
		if err != nil {
			return nil, nil, 0, err
		}
		var dec float64
		for i := range xa {
			dec += pg[i] * (xa[i] - x[i])
		}
		if finite(fa) && fa <= f0+c1*dec {
			return xa, ga, fa, nil
		}
		ev.put(xa, ga)
		a *= 0.5
	}
	return nil, nil, 0, errLineSearch
}
