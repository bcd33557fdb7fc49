//go:build !amd64 || purego

package simd

const hasAsm = false

func dotRows4AVX(x *float64, stride int, w *float64, n int, out *[4]float64) { panic("no assembly") }
func axpyAVX(a float64, x, y *float64, n int)                                { panic("no assembly") }
func axpyRows4AVX(a *[4]float64, x *float64, stride int, y *float64, n int)  { panic("no assembly") }
func dot32AVX(x, y *float32, n int) float32                                  { panic("no assembly") }
func axpy32AVX(a float32, x, y *float32, n int)                              { panic("no assembly") }

func axpyRows4x2AVX(a0, a1 *[4]float64, x *float64, stride int, y0, y1 *float64, n int) {
	panic("no assembly")
}

func dotRows4x2AccAVX(x *float64, stride int, w0, w1 *float64, n int, acc *[32]float64) {
	panic("no assembly")
}

func prefetchAVX(p *float64, n int) { panic("no assembly") }

func expAVX(x, out *float64, n int, tab *[18]float64)   { panic("no assembly") }
func log1pAVX(x, out *float64, n int, tab *[16]float64) { panic("no assembly") }

func hist4RowsAVX(h *float64, off *int32, nf int, data *uint8, stride int, rows *int32, nrows int, vecs *float64) {
	panic("no assembly")
}

func hist1GHAVX(h *float64, off *int32, nf int, data *uint8, stride int, rows *int32, nrows int, grad *float64, hs *float64) {
	panic("no assembly")
}

func histColsAVX(h *float64, off *int32, nf int, cols *uint8, n int, rows *int32, nrows int, vecs *float64) {
	panic("no assembly")
}
