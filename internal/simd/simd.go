// Package simd holds the numeric kernels of Spindle's hot loops (the
// gradient passes of linear models, Word2Vec's training step) in AVX2/FMA
// assembly for amd64, with portable Go versions that compute the same
// bits.
//
// Why assembly: the Go compiler does not vectorize, and these loops are
// where the time of a fit goes (gonum's BLAS has assembly only for its
// level-1 kernels, SSE2, without FMA; see BenchmarkKernels/GonumDdot for the
// comparison). Each kernel's result is defined by its arithmetic, written
// out in its doc comment and in the Go version: the lanes it keeps, the
// fused multiply-adds (one rounding each), and the order of the final
// reduction. The assembly and the Go versions follow it exactly, so a
// model is the same bit for bit on a machine without AVX2 (the Go
// versions run there) as on one with it; the float32 kernels can differ
// in the last bit on such a machine (see Axpy32).
package simd

import (
	"math"

	"golang.org/x/sys/cpu"
)

// useAsm says the assembly kernels can run: amd64 with AVX2 and FMA. It is
// set once at start-up and only read after.
var useAsm = hasAsm && cpu.X86.HasAVX2 && cpu.X86.HasFMA

// Accelerated reports whether the assembly kernels run on this machine.
func Accelerated() bool { return useAsm }

// Dot returns Σ x_i·y_i over i < len(x) (y must be at least as long) as
// one accumulator of 4 lanes: lane l sums the products of i ≡ l (mod 4)
// for i below len(x) rounded down to 4, each by one fused multiply-add;
// the lanes are reduced as (l0+l2)+(l1+l3); then the remaining products
// are fused in one at a time. DotRows4 gives each of its rows this value.
func Dot(x, y []float64) float64 {
	y = y[:len(x)]
	var l0, l1, l2, l3 float64
	n4 := len(x) &^ 3
	for i := 0; i < n4; i += 4 {
		l0 = math.FMA(x[i], y[i], l0)
		l1 = math.FMA(x[i+1], y[i+1], l1)
		l2 = math.FMA(x[i+2], y[i+2], l2)
		l3 = math.FMA(x[i+3], y[i+3], l3)
	}
	s := (l0 + l2) + (l1 + l3)
	for i := n4; i < len(x); i++ {
		s = math.FMA(x[i], y[i], s)
	}
	return s
}

// DotRows4 sets out[r] = Dot(x[r·stride : r·stride+len(w)], w) for the
// four rows r = 0…3 of the row-major block x: the products of four rows
// with one vector in one sweep, reading w once for the four.
func DotRows4(x []float64, stride int, w []float64, out *[4]float64) {
	n := len(w)
	if n == 0 {
		*out = [4]float64{}
		return
	}
	_ = x[3*stride+n-1] // bounds: the fourth row is in x
	if useAsm {
		dotRows4AVX(&x[0], stride, &w[0], n, out)
		return
	}
	for r := range out {
		out[r] = Dot(x[r*stride:r*stride+n], w)
	}
}

// Axpy sets y_i = fma(a, x_i, y_i) for i < len(x) (one rounding per
// element); y must be at least as long as x.
func Axpy(a float64, x, y []float64) {
	if len(x) == 0 {
		return
	}
	y = y[:len(x)]
	if useAsm {
		axpyAVX(a, &x[0], &y[0], len(x))
		return
	}
	for i, v := range x {
		y[i] = math.FMA(a, v, y[i])
	}
}

// AxpyRows4 adds four rows of the row-major block x, scaled, to g:
// g_i = fma(a3, x3_i, fma(a2, x2_i, fma(a1, x1_i, fma(a0, x0_i, g_i)))),
// where xr is x[r·stride : r·stride+len(g)] — exactly four Axpy calls in
// row order, in one sweep over g.
func AxpyRows4(a *[4]float64, x []float64, stride int, g []float64) {
	n := len(g)
	if n == 0 {
		return
	}
	_ = x[3*stride+n-1]
	if useAsm {
		axpyRows4AVX(a, &x[0], stride, &g[0], n)
		return
	}
	for r := range a {
		Axpy(a[r], x[r*stride:r*stride+n], g)
	}
}

// AxpyRows4x2 is AxpyRows4 into two vectors at once: AxpyRows4(a0, x,
// stride, g0) and AxpyRows4(a1, x, stride, g1) (len(g1) = len(g0)), the
// same bits, reading the four rows once for both.
func AxpyRows4x2(a0, a1 *[4]float64, x []float64, stride int, g0, g1 []float64) {
	n := len(g0)
	if n == 0 {
		return
	}
	g1 = g1[:n]
	_ = x[3*stride+n-1]
	if useAsm {
		axpyRows4x2AVX(a0, a1, &x[0], stride, &g0[0], &g1[0], n)
		return
	}
	AxpyRows4(a0, x, stride, g0)
	AxpyRows4(a1, x, stride, g1)
}

// Prefetch asks the CPU to bring x into its caches ahead of use (the next
// block of rows while this one is computed); it changes no value.
func Prefetch(x []float64) {
	if useAsm && len(x) > 0 {
		prefetchAVX(&x[0], len(x))
	}
}

// Dot32 returns Σ x_i·y_i over i < len(x) (y must be at least as long) in
// float32, as four accumulators of 8 lanes: for i below len(x) rounded
// down to 32, accumulator k lane l fuses the product of i ≡ 8k+l (mod 32);
// then each remaining group of 8 goes into accumulator 0; the accumulators
// are added as (a0+a1)+(a2+a3), its lanes reduced as
// ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)), and the last products fused in
// one at a time.
func Dot32(x, y []float32) float32 {
	y = y[:len(x)]
	if len(x) == 0 {
		return 0
	}
	if useAsm {
		return dot32AVX(&x[0], &y[0], len(x))
	}
	var a [4][8]float32
	n := len(x)
	i := 0
	for ; i+32 <= n; i += 32 {
		for k := range 4 {
			for l := range 8 {
				a[k][l] = fma32(x[i+8*k+l], y[i+8*k+l], a[k][l])
			}
		}
	}
	for ; i+8 <= n; i += 8 {
		for l := range 8 {
			a[0][l] = fma32(x[i+l], y[i+l], a[0][l])
		}
	}
	var v [8]float32
	for l := range 8 {
		v[l] = (a[0][l] + a[1][l]) + (a[2][l] + a[3][l])
	}
	s := ((v[0] + v[4]) + (v[2] + v[6])) + ((v[1] + v[5]) + (v[3] + v[7]))
	for ; i < n; i++ {
		s = fma32(x[i], y[i], s)
	}
	return s
}

// Axpy32 sets y_i = fma(a, x_i, y_i) in float32 for i < len(x); y must be
// at least as long. Without AVX2 the fused multiply-add is computed in
// float64 and rounded to float32, which can differ from a true float32
// fused multiply-add in the last bit in rare cases (double rounding);
// Dot32 likewise.
func Axpy32(a float32, x, y []float32) {
	if len(x) == 0 {
		return
	}
	y = y[:len(x)]
	if useAsm {
		axpy32AVX(a, &x[0], &y[0], len(x))
		return
	}
	for i, v := range x {
		y[i] = fma32(a, v, y[i])
	}
}

// fma32 is a·b + c rounded once to float64, then to float32: the product
// of two float32 values is exact in float64.
func fma32(a, b, c float32) float32 {
	return float32(float64(a)*float64(b) + float64(c))
}
