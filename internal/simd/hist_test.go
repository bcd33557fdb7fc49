package simd

import (
	"math/rand/v2"
	"testing"
)

// TestHist4Rows: the kernel (assembly where it runs) adds what a plain
// loop adds, bit for bit, over random rows, offsets and values, and
// refuses offsets that would reach beyond the histogram.
func TestHist4Rows(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, nf := range []int{1, 3, 28, 33} {
		off := make([]int32, nf)
		var o int32
		for f := range off {
			off[f] = o
			o += int32(1 + r.IntN(256))
		}
		stride := nf + r.IntN(3)
		n := 200
		data := make([]uint8, n*stride)
		for f := range nf { // each value inside its feature's bins
			nb := 256
			if f+1 < nf {
				nb = min(int(off[f+1]-off[f]), 256)
			}
			for i := range n {
				data[i*stride+f] = uint8(r.IntN(nb))
			}
		}
		rows := make([]int32, 150)
		vecs := make([]float64, 4*len(rows))
		for k := range rows {
			rows[k] = int32(r.IntN(n))
		}
		for k := range vecs {
			vecs[k] = r.NormFloat64()
		}
		h := make([]float64, 4*(int(o)+256))
		want := make([]float64, len(h))
		for k, row := range rows {
			for f := range nf {
				b := (int(off[f]) + int(data[int(row)*stride+f])) * 4
				for l := range 4 {
					want[b+l] += vecs[4*k+l]
				}
			}
		}
		Hist4Rows(h, off, data, stride, rows, vecs)
		for i := range h {
			if h[i] != want[i] {
				t.Fatalf("nf=%d: h[%d] = %v, want %v (accelerated %v)", nf, i, h[i], want[i], Accelerated())
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Fatal("an offset beyond the histogram was accepted")
		}
	}()
	Hist4Rows(make([]float64, 4*256), []int32{1}, []uint8{0}, 1, []int32{0}, make([]float64, 4))
}
