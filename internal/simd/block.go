package simd

import "math"

// Block4 computes, for a block of four rows and K vectors, the products
// and scaled sums of a linear model's gradient pass, in cache-sized
// slices of the features: the K vectors' slice and the four rows' stay
// in the L1 cache while every vector passes over them. Its scratch space
// is reused from call to call; the zero value is ready.
type Block4 struct {
	acc [][32]float64
}

// blockLen is the slice of features per sweep for K vectors: four rows
// and K vectors of it take about 24 KiB (a multiple of 4, at least 64).
func blockLen(k int) int {
	return max(64, 24576/(8*(4+k))&^3)
}

// Dots sets out[c·4 + r] to Dot(row r, w_c) for the rows r = 0…3 of the
// block x (row r is x[r·stride : r·stride+n]) and the K = len(w)/n
// vectors of w (w_c is w[c·n : (c+1)·n]): the same bits as Dot.
func (b *Block4) Dots(x []float64, stride int, w []float64, n int, out []float64) {
	k := len(w) / n
	if n == 0 || k == 0 {
		clear(out[:4*k])
		return
	}
	_ = x[3*stride+n-1]
	_ = out[4*k-1]
	if !useAsm || k == 1 {
		for c := range k {
			var o [4]float64
			DotRows4(x, stride, w[c*n:(c+1)*n], &o)
			copy(out[4*c:4*c+4], o[:])
		}
		return
	}
	pairs := (k + 1) / 2
	if cap(b.acc) < pairs {
		b.acc = make([][32]float64, pairs)
	}
	acc := b.acc[:pairs]
	clear(acc)
	n4, bl := n&^3, blockLen(k)
	for lo := 0; lo < n4; lo += bl {
		m := min(bl, n4-lo)
		for p := range pairs {
			c0, c1 := 2*p, min(2*p+1, k-1) // an odd K pairs its last vector with itself
			dotRows4x2AccAVX(&x[lo], stride, &w[c0*n+lo], &w[c1*n+lo], m, &acc[p])
		}
	}
	for p := range pairs {
		for h := range 2 {
			c := 2*p + h
			if c == k {
				break
			}
			for r := range 4 {
				l := acc[p][16*h+4*r : 16*h+4*r+4]
				s := (l[0] + l[2]) + (l[1] + l[3])
				row, wc := x[r*stride:r*stride+n], w[c*n:(c+1)*n]
				for i := n4; i < n; i++ {
					s = math.FMA(row[i], wc[i], s)
				}
				out[4*c+r] = s
			}
		}
	}
}

// Axpys adds the four rows of x, scaled, to each of the K = len(g)/n
// vectors of g: g_c += Σ_r a[c·4 + r]·row r, as AxpyRows4(a[c·4:c·4+4],
// x, stride, g_c) does (the same bits), in slices of the features.
func (b *Block4) Axpys(a []float64, x []float64, stride int, g []float64, n int) {
	k := len(g) / n
	if n == 0 || k == 0 {
		return
	}
	_ = x[3*stride+n-1]
	_ = a[4*k-1]
	bl := blockLen(k)
	for lo := 0; lo < n; lo += bl {
		hi := min(lo+bl, n)
		c := 0
		for ; c+1 < k; c += 2 {
			AxpyRows4x2((*[4]float64)(a[4*c:]), (*[4]float64)(a[4*c+4:]), x[lo:], stride, g[c*n+lo:c*n+hi], g[(c+1)*n+lo:(c+1)*n+hi])
		}
		if c < k {
			AxpyRows4((*[4]float64)(a[4*c:]), x[lo:], stride, g[c*n+lo:c*n+hi])
		}
	}
}
