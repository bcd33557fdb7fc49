package optim

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

func rosenbrock(n int) ObjectiveFunc {
	return func(_ context.Context, x, g []float64) (float64, error) {
		var f float64
		clear(g)
		for i := 0; i+1 < n; i++ {
			a, b := 1-x[i], x[i+1]-x[i]*x[i]
			f += a*a + 100*b*b
			g[i] += -2*a - 400*x[i]*b
			g[i+1] += 200 * b
		}
		return f, nil
	}
}

func TestLBFGSRosenbrock(t *testing.T) {
	for _, n := range []int{2, 10, 100} {
		x0 := make([]float64, n)
		for i := range x0 {
			x0[i] = -1.2
			if i%2 == 1 {
				x0[i] = 1
			}
		}
		res, err := (&LBFGS{MaxIter: 2000, Tol: 1e-12}).Minimize(context.Background(), rosenbrock(n), x0)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range res.X {
			if math.Abs(v-1) > 1e-5 {
				t.Fatalf("n=%d: x[%d] = %v after %d iterations (%s)", n, i, v, res.Iterations, res.Reason)
			}
		}
		if !res.Converged || res.History[0] <= res.F || len(res.History) != res.Iterations+1 {
			t.Fatalf("n=%d: result %+v", n, res.Reason)
		}
		for k := 1; k < len(res.History); k++ {
			if res.History[k] > res.History[k-1] {
				t.Fatalf("objective rose at iteration %d", k)
			}
		}
	}
}

// TestOWLQNLasso: min ½‖x − b‖² + λ‖x‖₁ has the closed form
// x_i = sign(b_i)·max(|b_i| − λ, 0); coordinates with L1 weight 0 get b_i.
func TestOWLQNLasso(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 50
	b := make([]float64, n)
	for i := range b {
		b[i] = r.NormFloat64() * 2
	}
	lambda := 1.0
	obj := ObjectiveFunc(func(_ context.Context, x, g []float64) (float64, error) {
		var f float64
		for i := range x {
			d := x[i] - b[i]
			f += d * d / 2
			g[i] = d
		}
		return f, nil
	})
	l1 := func(i int) float64 {
		if i == 0 {
			return 0 // like an intercept
		}
		return lambda
	}
	res, err := (&OWLQN{LBFGS: LBFGS{MaxIter: 500, Tol: 1e-12}, L1: l1}).Minimize(context.Background(), obj, make([]float64, n))
	if err != nil {
		t.Fatal(err)
	}
	zeros := 0
	for i, v := range res.X {
		want := math.Copysign(math.Max(math.Abs(b[i])-l1(i), 0), b[i])
		if math.Abs(v-want) > 1e-6 {
			t.Fatalf("x[%d] = %v, want %v (%s)", i, v, want, res.Reason)
		}
		if want == 0 && v != 0 {
			t.Errorf("x[%d] = %v, want exactly 0", i, v)
		}
		if v == 0 {
			zeros++
		}
	}
	if zeros == 0 {
		t.Fatal("no coordinate was zeroed; the test is not exercising L1")
	}
}

// TestOWLQNCoupled checks a non-separable L1 problem against coordinate
// descent run to convergence.
func TestOWLQNCoupled(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	n, m := 8, 40
	A := make([][]float64, m)
	y := make([]float64, m)
	for i := range A {
		A[i] = make([]float64, n)
		for j := range A[i] {
			A[i][j] = r.NormFloat64()
		}
		y[i] = A[i][0]*3 - A[i][1]*2 + r.NormFloat64()*0.1
	}
	lambda := 5.0
	obj := ObjectiveFunc(func(_ context.Context, x, g []float64) (float64, error) {
		clear(g)
		var f float64
		for i := range A {
			res := dot(A[i], x) - y[i]
			f += res * res / 2
			axpy(res, A[i], g)
		}
		return f, nil
	})
	res, err := (&OWLQN{LBFGS: LBFGS{MaxIter: 1000, Tol: 1e-14}, L1: func(int) float64 { return lambda }}).Minimize(context.Background(), obj, make([]float64, n))
	if err != nil {
		t.Fatal(err)
	}
	// Coordinate descent reference.
	x := make([]float64, n)
	for sweep := 0; sweep < 5000; sweep++ {
		for j := 0; j < n; j++ {
			var rho, z float64
			for i := range A {
				rj := y[i] - dot(A[i], x) + A[i][j]*x[j]
				rho += A[i][j] * rj
				z += A[i][j] * A[i][j]
			}
			x[j] = math.Copysign(math.Max(math.Abs(rho)-lambda, 0), rho) / z
		}
	}
	for j := range x {
		if math.Abs(res.X[j]-x[j]) > 1e-5 {
			t.Fatalf("x[%d] = %v, coordinate descent %v", j, res.X[j], x[j])
		}
	}
}

func TestStopsAndErrors(t *testing.T) {
	res, err := (&LBFGS{MaxIter: 3}).Minimize(context.Background(), rosenbrock(2), []float64{-1.2, 1})
	if err != nil || res.Converged || res.Iterations != 3 || res.Reason != "reached maxIter" {
		t.Fatalf("maxIter: %+v %v", res, err)
	}
	nan := ObjectiveFunc(func(_ context.Context, x, g []float64) (float64, error) { return math.NaN(), nil })
	if _, err := (&LBFGS{}).Minimize(context.Background(), nan, []float64{1}); err != ErrNotFinite {
		t.Fatalf("NaN objective: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (&LBFGS{}).Minimize(ctx, rosenbrock(2), []float64{-1.2, 1}); err == nil {
		t.Fatal("cancelled context ignored")
	}
	var iters []int
	(&LBFGS{MaxIter: 5, Progress: func(i int, _ float64) { iters = append(iters, i) }}).Minimize(context.Background(), rosenbrock(2), []float64{-1.2, 1})
	if len(iters) != 5 || iters[4] != 5 {
		t.Fatalf("progress calls %v", iters)
	}
}
