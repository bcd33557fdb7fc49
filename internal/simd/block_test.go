package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestBlock4 checks Block4's products and sums against Dot and
// AxpyRows4, bit for bit, for every shape: K odd and even, features
// spanning several slices, lengths not a multiple of 4.
func TestBlock4(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	var b Block4
	for _, k := range []int{1, 2, 3, 10, 11} {
		for _, n := range []int{1, 5, 28, 63, 784, 2001} {
			t.Run(fmt.Sprintf("K=%d/n=%d", k, n), func(t *testing.T) {
				stride := n + 3
				x := randSlice(r, 3*stride+n)
				w := randSlice(r, k*n)
				out := make([]float64, 4*k)
				b.Dots(x, stride, w, n, out)
				for c := range k {
					for row := range 4 {
						if want := Dot(x[row*stride:row*stride+n], w[c*n:(c+1)*n]); math.Float64bits(out[4*c+row]) != math.Float64bits(want) {
							t.Fatalf("Dots class %d row %d: %v, want %v", c, row, out[4*c+row], want)
						}
					}
				}
				a := randSlice(r, 4*k)
				g := randSlice(r, k*n)
				want := append([]float64(nil), g...)
				b.Axpys(a, x, stride, g, n)
				for c := range k {
					AxpyRows4((*[4]float64)(a[4*c:]), x, stride, want[c*n:(c+1)*n])
				}
				for i := range g {
					if math.Float64bits(g[i]) != math.Float64bits(want[i]) {
						t.Fatalf("Axpys at %d: %v, want %v", i, g[i], want[i])
					}
				}
			})
		}
	}
}

func BenchmarkBlock4(b *testing.B) {
	r := rand.New(rand.NewPCG(9, 10))
	const n, k = 784, 10
	rows := 256
	if testing.Short() {
		rows = 16384
	}
	x := randSlice(r, rows*n)
	w := randSlice(r, k*n)
	g := make([]float64, k*n)
	out := make([]float64, 4*k)
	var blk Block4
	b.Run("Dots", func(b *testing.B) {
		for b.Loop() {
			for i := 0; i < rows; i += 4 {
				if i+8 <= rows {
					Prefetch(x[(i+4)*n : (i+8)*n])
				}
				blk.Dots(x[i*n:], n, w, n, out)
			}
		}
		report(b, 2*float64(rows*n*k), 8*float64(rows*n))
	})
	b.Run("Axpys", func(b *testing.B) {
		for b.Loop() {
			for i := 0; i < rows; i += 4 {
				blk.Axpys(out, x[i*n:], n, g, n)
			}
		}
		report(b, 2*float64(rows*n*k), 8*float64(rows*n))
	})
}
