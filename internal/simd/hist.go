package simd

import "fmt"

// Hist4Rows adds histogram rows: for each r < len(rows), with row =
// data[rows[r]·stride : rows[r]·stride + len(off)] and v = vecs[4r : 4r+4],
// it adds v lane by lane to the 4 values of bin off[f] + row[f] of h, for
// every f < len(off) in order. It is the inner loop of tree training
// (package tree): one 4-lane add per feature value, which the assembly
// does with one AVX instruction. Every add is a plain float64 add, so the
// Go version gives the same bits.
//
// h must hold the bins every index can reach: off[f] + 255 < len(h)/4 for
// every f (the caller leaves that slack), which it checks, panicking
// otherwise.
func Hist4Rows(h []float64, off []int32, data []uint8, stride int, rows []int32, vecs []float64) {
	checkOffsets("Hist4Rows", h, off)
	if len(vecs) < 4*len(rows) || stride < len(off) {
		panic("simd.Hist4Rows: short vecs or stride")
	}
	for _, r := range rows {
		if r < 0 || int(r)*stride+len(off) > len(data) {
			panic(fmt.Sprintf("simd.Hist4Rows: row %d beyond the data", r))
		}
	}
	if len(rows) == 0 || len(off) == 0 {
		return
	}
	if useAsm {
		hist4RowsAVX(&h[0], &off[0], len(off), &data[0], stride, &rows[0], len(rows), &vecs[0])
		return
	}
	for k, r := range rows {
		row := data[int(r)*stride : int(r)*stride+len(off)]
		v := (*[4]float64)(vecs[4*k:])
		for f, b := range row {
			q := (*[4]float64)(h[(int(off[f])+int(b))*4:])
			q[0] += v[0]
			q[1] += v[1]
			q[2] += v[2]
			q[3] += v[3]
		}
	}
}

// checkOffsets panics unless h holds every bin the offsets reach: off[f]
// + 255 < len(h)/4 (the histogram kernels' contract).
func checkOffsets(kernel string, h []float64, off []int32) {
	nb := len(h) / 4
	for _, o := range off {
		if o < 0 || int(o)+255 >= nb {
			panic(fmt.Sprintf("simd.%s: bin offset %d beyond %d bins", kernel, o, nb))
		}
	}
}

// Hist1GH is Hist4Rows for unit rows: row i = rows[r] adds (1, 1, g[i],
// hs[i]) — a count, a weight, a gradient and a hessian — or, when hs is
// nil, (1, 1, g[i], g[i]²) (a target and its square). It reads g and hs
// in place, with the row's bytes, so no per-row values are gathered
// first; the bits are Hist4Rows's for the same values.
func Hist1GH(h []float64, off []int32, data []uint8, stride int, rows []int32, g, hs []float64) {
	checkOffsets("Hist1GH", h, off)
	if stride < len(off) {
		panic("simd.Hist1GH: stride shorter than a row")
	}
	for _, r := range rows {
		if r < 0 || int(r)*stride+len(off) > len(data) || int(r) >= len(g) || (hs != nil && int(r) >= len(hs)) {
			panic(fmt.Sprintf("simd.Hist1GH: row %d beyond the data or values", r))
		}
	}
	if len(rows) == 0 || len(off) == 0 {
		return
	}
	if useAsm {
		var hp *float64
		if hs != nil {
			hp = &hs[0]
		}
		hist1GHAVX(&h[0], &off[0], len(off), &data[0], stride, &rows[0], len(rows), &g[0], hp)
		return
	}
	for _, r := range rows {
		row := data[int(r)*stride : int(r)*stride+len(off)]
		y := g[r]
		v3 := y * y
		if hs != nil {
			v3 = hs[r]
		}
		for f, b := range row {
			q := (*[4]float64)(h[(int(off[f])+int(b))*4:])
			q[0]++
			q[1]++
			q[2] += y
			q[3] += v3
		}
	}
}

// HistCols is Hist4Rows over column-major bins: row i's value of feature
// f is cols[f·n + i], and v = vecs[4r : 4r+4] belongs to the r-th row of
// rows. It is the kernel for wide rows, whose histograms outgrow the
// cache: it sweeps the rows once per block of features whose bins take at
// most blockBytes (a block is at least one feature), so that a block's
// bins stay in L1 while the rows stream by. Each bin gets the same adds
// in the same order as from Hist4Rows over the same rows, so the same
// bits.
func HistCols(h []float64, off []int32, cols []uint8, n int, rows []int32, vecs []float64, blockBytes int) {
	checkOffsets("HistCols", h, off)
	if len(vecs) < 4*len(rows) || len(cols) < len(off)*n {
		panic("simd.HistCols: short vecs or columns")
	}
	for _, r := range rows {
		if r < 0 || int(r) >= n {
			panic(fmt.Sprintf("simd.HistCols: row %d beyond %d", r, n))
		}
	}
	if len(rows) == 0 {
		return
	}
	for f0 := 0; f0 < len(off); {
		f1 := f0 + 1
		for f1 < len(off) && int(off[f1]+256-off[f0])*32 <= blockBytes {
			f1++
		}
		histCols(h, off[f0:f1], cols[f0*n:], n, rows, vecs)
		f0 = f1
	}
}

func histCols(h []float64, off []int32, cols []uint8, n int, rows []int32, vecs []float64) {
	if useAsm {
		histColsAVX(&h[0], &off[0], len(off), &cols[0], n, &rows[0], len(rows), &vecs[0])
		return
	}
	for k, r := range rows {
		v := (*[4]float64)(vecs[4*k:])
		for f, o := range off {
			q := (*[4]float64)(h[(int(o)+int(cols[f*n+int(r)]))*4:])
			q[0] += v[0]
			q[1] += v[1]
			q[2] += v[2]
			q[3] += v[3]
		}
	}
}
