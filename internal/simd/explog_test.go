package simd

import (
	"math"
	"math/rand/v2"
	"testing"
)

// ulps returns how many representable float64s lie between a and b.
func ulps(a, b float64) float64 {
	if a == b {
		return 0
	}
	return math.Abs(float64(int64(math.Float64bits(a)) - int64(math.Float64bits(b))))
}

func explogInputs() (neg, pos []float64) {
	r := rand.New(rand.NewPCG(11, 12))
	neg = []float64{0, math.Copysign(0, -1), -1e-300, -1e-17, -0.5, -math.Ln2 / 2, -1, -30, -700, expMin, -708.4, -745, -1e6, math.Inf(-1)}
	pos = []float64{0, 1e-300, 5e-324, 1e-17, 1e-9, math.Sqrt2 - 1, 0.5, 1, 1.5, 9, 1e6, 1e300}
	for range 20000 {
		neg = append(neg, -math.Abs(r.NormFloat64())*math.Pow(10, float64(r.IntN(6)-3)))
		pos = append(pos, math.Abs(r.NormFloat64())*math.Pow(10, float64(r.IntN(8)-6)))
	}
	return
}

// TestExpLog1pAccuracy: within 2 ulp of math.Exp and math.Log1p (above
// Exp's clamp), and the same bits four at a time as one at a time, with
// and without the assembly.
func TestExpLog1pAccuracy(t *testing.T) {
	neg, pos := explogInputs()
	for _, x := range neg {
		got := Exp1(x)
		if x >= expMin {
			if u := ulps(got, math.Exp(x)); u > 2 {
				t.Errorf("Exp1(%v) = %v, math.Exp %v (%v ulp)", x, got, math.Exp(x), u)
			}
		} else if got != Exp1(expMin) {
			t.Errorf("Exp1(%v) = %v, want the clamp's %v", x, got, Exp1(expMin))
		}
	}
	for _, x := range pos {
		if got, want := Log1p1(x), math.Log1p(x); ulps(got, want) > 2 {
			t.Errorf("Log1p1(%v) = %v, math.Log1p %v (%v ulp)", x, got, want, ulps(got, want))
		}
	}
	for _, c := range []struct {
		name string
		in   []float64
		one  func(float64) float64
		many func(x, out []float64)
	}{{"Exp", neg, Exp1, Exp}, {"Log1p", pos, Log1p1, Log1p}} {
		for _, asm := range []bool{true, false} {
			out := make([]float64, len(c.in))
			if asm {
				c.many(c.in, out)
			} else {
				withGo(func() { c.many(c.in, out) })
			}
			for i, x := range c.in {
				if want := c.one(x); math.Float64bits(out[i]) != math.Float64bits(want) {
					t.Fatalf("%s (assembly %v) of %v: %v, one at a time %v", c.name, asm && Accelerated(), x, out[i], want)
				}
			}
		}
	}
	nan := []float64{math.NaN(), -1, math.NaN(), -2}
	out := make([]float64, 4)
	Exp(nan, out)
	if !math.IsNaN(out[0]) || !math.IsNaN(out[2]) || out[1] != Exp1(-1) {
		t.Errorf("Exp of NaNs: %v", out)
	}
	Log1p([]float64{math.NaN(), 1, 2, 3}, out)
	if !math.IsNaN(out[0]) || out[1] != Log1p1(1) {
		t.Errorf("Log1p of NaN: %v", out)
	}
}

func BenchmarkExpLog1p(b *testing.B) {
	neg, pos := explogInputs()
	x, y := neg[:4096], pos[:4096]
	out := make([]float64, len(x))
	b.Run("Exp", func(b *testing.B) {
		for b.Loop() {
			Exp(x, out)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/value")
	})
	b.Run("Log1p", func(b *testing.B) {
		for b.Loop() {
			Log1p(y, out)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(y)), "ns/value")
	})
	b.Run("math.Exp+Log1p", func(b *testing.B) {
		for b.Loop() {
			for i, v := range x {
				out[i] = math.Log1p(math.Exp(v))
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/value")
	})
}

func BenchmarkExpLog1pScalar(b *testing.B) {
	neg, _ := explogInputs()
	x := neg[:4096]
	var s float64
	b.Run("Exp1+Log1p1", func(b *testing.B) {
		for b.Loop() {
			for _, v := range x {
				s += Log1p1(Exp1(v))
			}
		}
	})
	b.Run("math", func(b *testing.B) {
		for b.Loop() {
			for _, v := range x {
				s += math.Log1p(math.Exp(v))
			}
		}
	})
	_ = s
}
