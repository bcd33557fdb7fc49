package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"gonum.org/v1/gonum/blas/blas64"
)

// withGo runs fn with the Go versions of the kernels.
func withGo(fn func()) {
	saved := useAsm
	useAsm = false
	defer func() { useAsm = saved }()
	fn()
}

func randSlice(r *rand.Rand, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = r.NormFloat64() * math.Pow(10, float64(r.IntN(7)-3))
	}
	return s
}

func randSlice32(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

var lengths = []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 28, 31, 32, 33, 63, 64, 65, 250, 784, 1001}

// TestSameBits checks that the assembly and the Go versions give the same
// bits, and that both are the exact sum to within rounding.
func TestSameBits(t *testing.T) {
	if !Accelerated() {
		t.Log("no AVX2/FMA here: the Go versions are compared with themselves")
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range lengths {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			stride := n + r.IntN(3)
			x := randSlice(r, 3*stride+n)
			w := randSlice(r, n)
			var asm, gov [4]float64
			DotRows4(x, stride, w, &asm)
			withGo(func() { DotRows4(x, stride, w, &gov) })
			for k := range asm {
				if math.Float64bits(asm[k]) != math.Float64bits(gov[k]) {
					t.Errorf("DotRows4 row %d: assembly %v, Go %v", k, asm[k], gov[k])
				}
				exact, abs := 0.0, 0.0
				for i := range n {
					exact += x[k*stride+i] * w[i]
					abs += math.Abs(x[k*stride+i] * w[i])
				}
				if d := math.Abs(asm[k] - exact); d > 1e-13*abs+1e-300 {
					t.Errorf("DotRows4 row %d = %v, naive sum %v", k, asm[k], exact)
				}
				if d := Dot(x[k*stride:k*stride+n], w); math.Float64bits(d) != math.Float64bits(gov[k]) {
					t.Errorf("Dot row %d = %v, DotRows4 %v", k, d, gov[k])
				}
			}

			a := [4]float64{r.NormFloat64(), r.NormFloat64(), 0, r.NormFloat64()}
			g1, g2 := randSlice(r, n), make([]float64, n)
			copy(g2, g1)
			AxpyRows4(&a, x, stride, g1)
			withGo(func() { AxpyRows4(&a, x, stride, g2) })
			for i := range g1 {
				if math.Float64bits(g1[i]) != math.Float64bits(g2[i]) {
					t.Fatalf("AxpyRows4 at %d: assembly %v, Go %v", i, g1[i], g2[i])
				}
			}
			b0, b1 := randSlice(r, n), randSlice(r, n)
			a1 := [4]float64{r.NormFloat64(), 0, r.NormFloat64(), r.NormFloat64()}
			c0, c1 := append([]float64(nil), b0...), append([]float64(nil), b1...)
			AxpyRows4x2(&a, &a1, x, stride, b0, b1)
			withGo(func() { AxpyRows4(&a, x, stride, c0); AxpyRows4(&a1, x, stride, c1) })
			for i := range b0 {
				if math.Float64bits(b0[i]) != math.Float64bits(c0[i]) || math.Float64bits(b1[i]) != math.Float64bits(c1[i]) {
					t.Fatalf("AxpyRows4x2 at %d: %v %v, want %v %v", i, b0[i], b1[i], c0[i], c1[i])
				}
			}
			y0 := randSlice(r, n)
			y1, y2 := append([]float64(nil), y0...), append([]float64(nil), y0...)
			Axpy(a[0], w, y1)
			withGo(func() { Axpy(a[0], w, y2) })
			for i := range y1 {
				if want := math.FMA(a[0], w[i], y0[i]); math.Float64bits(y1[i]) != math.Float64bits(want) || math.Float64bits(y2[i]) != math.Float64bits(want) {
					t.Fatalf("Axpy at %d: assembly %v, Go %v, fma %v", i, y1[i], y2[i], want)
				}
			}

			x32, y32 := randSlice32(r, n), randSlice32(r, n)
			var d1, d2 float32
			d1 = Dot32(x32, y32)
			withGo(func() { d2 = Dot32(x32, y32) })
			if math.Float32bits(d1) != math.Float32bits(d2) {
				t.Errorf("Dot32: assembly %v, Go %v", d1, d2)
			}
			var exact float64
			for i := range n {
				exact += float64(x32[i]) * float64(y32[i])
			}
			if math.Abs(float64(d1)-exact) > 1e-5*math.Sqrt(float64(n))+1e-6 {
				t.Errorf("Dot32 = %v, float64 sum %v", d1, exact)
			}
			z1, z2 := randSlice32(r, n), make([]float32, n)
			copy(z2, z1)
			Axpy32(0.37, x32, z1)
			withGo(func() { Axpy32(0.37, x32, z2) })
			for i := range z1 {
				if math.Float32bits(z1[i]) != math.Float32bits(z2[i]) {
					t.Fatalf("Axpy32 at %d: assembly %v, Go %v", i, z1[i], z2[i])
				}
			}
		})
	}
}

// TestAxpyRowsOrder checks AxpyRows4's stated order: four Axpy calls.
func TestAxpyRowsOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	n, stride := 37, 40
	x := randSlice(r, 3*stride+n)
	a := [4]float64{1e16, -1e16, 3, 0.5}
	g, h := randSlice(r, n), make([]float64, n)
	copy(h, g)
	AxpyRows4(&a, x, stride, g)
	for k := range a {
		Axpy(a[k], x[k*stride:k*stride+n], h)
	}
	for i := range g {
		if math.Float64bits(g[i]) != math.Float64bits(h[i]) {
			t.Fatalf("at %d: %v vs %v", i, g[i], h[i])
		}
	}
}

// TestSpecials: NaN and infinities propagate as in a plain sum.
func TestSpecials(t *testing.T) {
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		x := make([]float64, 4*9)
		w := make([]float64, 9)
		for i := range w {
			w[i] = 1
		}
		x[5] = v
		var out [4]float64
		DotRows4(x, 9, w, &out)
		if !(math.IsNaN(v) && math.IsNaN(out[0]) || out[0] == v) || out[1] != 0 {
			t.Errorf("DotRows4 with %v: %v", v, out)
		}
	}
}

// The benchmarks report GFLOP/s (a fused multiply-add counts 2) and
// GB/s read, to compare with the roofline: BenchmarkRoofline measures
// this machine's in-cache peak of the same instructions (all cores) and
// its memory bandwidth (a streaming read, all cores).

func report(b *testing.B, flops, bytes float64) {
	s := b.Elapsed().Seconds()
	b.ReportMetric(flops*float64(b.N)/s/1e9, "GFLOP/s")
	b.ReportMetric(bytes*float64(b.N)/s/1e9, "GB/s")
}

func BenchmarkKernels(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, d := range []int{28, 250, 784} {
		rows := max(4, 24576/d/4*4) // ≈ 192 KiB: an L2-resident block
		x := randSlice(r, rows*d)
		w := randSlice(r, d)
		b.Run(fmt.Sprintf("DotRows4/d=%d", d), func(b *testing.B) {
			var out [4]float64
			for b.Loop() {
				for i := 0; i+4 <= rows; i += 4 {
					DotRows4(x[i*d:], d, w, &out)
				}
			}
			report(b, 2*float64(rows*d), 8*float64(rows*d))
		})
		b.Run(fmt.Sprintf("AxpyRows4/d=%d", d), func(b *testing.B) {
			a := [4]float64{0.1, 0.2, 0.3, 0.4}
			g := make([]float64, d)
			for b.Loop() {
				for i := 0; i+4 <= rows; i += 4 {
					AxpyRows4(&a, x[i*d:], d, g)
				}
			}
			report(b, 2*float64(rows*d), 8*float64(rows*d))
		})
		b.Run(fmt.Sprintf("AxpyRows4x2/d=%d", d), func(b *testing.B) {
			a := [4]float64{0.1, 0.2, 0.3, 0.4}
			g0, g1 := make([]float64, d), make([]float64, d)
			for b.Loop() {
				for i := 0; i+4 <= rows; i += 4 {
					AxpyRows4x2(&a, &a, x[i*d:], d, g0, g1)
				}
			}
			report(b, 4*float64(rows*d), 8*float64(rows*d))
		})
		b.Run(fmt.Sprintf("GonumDdot/d=%d", d), func(b *testing.B) {
			for b.Loop() {
				for i := 0; i < rows; i++ {
					blas64.Dot(blas64.Vector{N: d, Data: x[i*d:], Inc: 1}, blas64.Vector{N: d, Data: w, Inc: 1})
				}
			}
			report(b, 2*float64(rows*d), 8*float64(rows*d))
		})
	}
	for _, n := range []int{100, 250} {
		x, y := randSlice32(r, n), randSlice32(r, n)
		b.Run(fmt.Sprintf("Dot32/n=%d", n), func(b *testing.B) {
			for b.Loop() {
				Dot32(x, y)
			}
			report(b, 2*float64(n), 8*float64(n))
		})
		b.Run(fmt.Sprintf("Axpy32/n=%d", n), func(b *testing.B) {
			for b.Loop() {
				Axpy32(1e-3, x, y)
			}
			report(b, 2*float64(n), 12*float64(n))
		})
	}
}

// BenchmarkRoofline: "peak" runs AxpyRows4x2 on an L1-resident block on
// every core (the compute roof these kernels can reach); "bandwidth"
// streams a 512 MiB array through Dot on every core (the memory roof).
func BenchmarkRoofline(b *testing.B) {
	cores := runtime.GOMAXPROCS(0)
	par := func(fn func(c int)) {
		var wg sync.WaitGroup
		for c := range cores {
			wg.Go(func() { fn(c) })
		}
		wg.Wait()
	}
	b.Run("peak", func(b *testing.B) {
		const d, rows = 128, 16 // 16 KiB per core
		xs := make([][]float64, cores)
		for c := range xs {
			xs[c] = make([]float64, rows*d)
		}
		a := [4]float64{1e-9, 2e-9, 3e-9, 4e-9}
		for b.Loop() {
			par(func(c int) {
				g0, g1 := make([]float64, d), make([]float64, d)
				for range 1000 {
					for i := 0; i < rows; i += 4 {
						AxpyRows4x2(&a, &a, xs[c][i*d:], d, g0, g1)
					}
				}
			})
		}
		report(b, 4*1000*rows*d*float64(cores), 0)
	})
	b.Run("bandwidth", func(b *testing.B) {
		x := make([]float64, 64<<20)
		for i := range x {
			x[i] = 1
		}
		chunk := len(x) / cores
		for b.Loop() {
			par(func(c int) {
				part := x[c*chunk : (c+1)*chunk]
				for i := 0; i+4096 <= len(part); i += 4096 {
					var out [4]float64
					DotRows4(part[i:], 1024, part[i:i+1024], &out)
				}
			})
		}
		report(b, 0, 8*float64(len(x)))
	})
}
