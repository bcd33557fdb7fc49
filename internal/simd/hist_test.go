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

// TestHist1GH: the unit-row kernel adds what Hist4Rows adds for the rows'
// (1, 1, g, h) or (1, 1, y, y²), bit for bit.
func TestHist1GH(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, nf := range []int{1, 5, 28} {
		for _, square := range []bool{false, true} {
			off := make([]int32, nf)
			for f := range off {
				off[f] = int32(f * 256)
			}
			n := 300
			data := make([]uint8, n*nf)
			for i := range data {
				data[i] = uint8(r.IntN(256))
			}
			g, hs := make([]float64, n), make([]float64, n)
			vecs := make([]float64, 4*n)
			for i := range g {
				g[i], hs[i] = r.NormFloat64(), r.Float64()
				h3 := hs[i]
				if square {
					h3 = g[i] * g[i]
				}
				vecs[4*i], vecs[4*i+1], vecs[4*i+2], vecs[4*i+3] = 1, 1, g[i], h3
			}
			var rows []int32
			for i := range n {
				if r.IntN(3) > 0 {
					rows = append(rows, int32(i))
				}
			}
			compact := make([]float64, 4*len(rows))
			for k, i := range rows {
				copy(compact[4*k:4*k+4], vecs[4*i:])
			}
			// Hist4Rows takes the values in the rows' order.
			idx := make([]int32, len(rows))
			gathered := make([]uint8, len(rows)*nf)
			for k, i := range rows {
				idx[k] = int32(k)
				copy(gathered[k*nf:(k+1)*nf], data[int(i)*nf:])
			}
			want := make([]float64, 4*(nf*256+256))
			Hist4Rows(want, off, gathered, nf, idx, compact)
			h := make([]float64, len(want))
			hsArg := hs
			if square {
				hsArg = nil
			}
			Hist1GH(h, off, data, nf, rows, g, hsArg)
			for i := range h {
				if h[i] != want[i] {
					t.Fatalf("nf=%d square=%v: h[%d] = %v, want %v", nf, square, i, h[i], want[i])
				}
			}
		}
	}
}

// TestHistCols: the column-major kernel gives Hist4Rows's bits for the
// same rows.
func TestHistCols(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct{ nf, block int }{{1, 0}, {4, 0}, {9, 0}, {9, 3 * 256 * 32}, {9, 1 << 20}} {
		nf, n := c.nf, 257
		off := make([]int32, nf)
		for f := range off {
			off[f] = int32(f * 256)
		}
		data := make([]uint8, n*nf)
		for i := range data {
			data[i] = uint8(r.IntN(256))
		}
		cols := make([]uint8, n*nf)
		for i := range n {
			for f := range nf {
				cols[f*n+i] = data[i*nf+f]
			}
		}
		var rows []int32
		for i := range n {
			if r.IntN(2) == 0 {
				rows = append(rows, int32(i))
			}
		}
		vecs := make([]float64, 4*n)
		for i := range vecs {
			vecs[i] = r.NormFloat64()
		}
		compact := make([]float64, 4*len(rows))
		for k, i := range rows {
			copy(compact[4*k:4*k+4], vecs[4*i:])
		}
		want := make([]float64, 4*(nf*256+256))
		Hist4Rows(want, off, data, nf, rows, compact)
		h := make([]float64, len(want))
		HistCols(h, off, cols, n, rows, compact, c.block)
		for i := range h {
			if h[i] != want[i] {
				t.Fatalf("nf=%d block=%d: h[%d] = %v, want %v", nf, c.block, i, h[i], want[i])
			}
		}
	}
}
