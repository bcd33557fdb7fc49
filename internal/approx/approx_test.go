package approx

import (
	"math"
	"testing"
)

func TestNonFiniteFails(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	cases := []struct {
		got, want, tol float64
		ok             bool
	}{
		{1, 1, 0, true},
		{1 + 1e-9, 1, 1e-6, true},
		{1.1, 1, 1e-6, false},
		{nan, 1, 1e9, false},
		{inf, 1, 1e9, false},
		{1, nan, 1e9, false},
		{nan, nan, 0, true},
		{inf, inf, 0, true},
		{inf, -inf, 1e9, false},
		{nan, inf, 1e9, false},
	}
	for _, c := range cases {
		if Close(c.got, c.want, c.tol) != c.ok {
			t.Errorf("Close(%v, %v, %v) = %v", c.got, c.want, c.tol, !c.ok)
		}
	}
	if r := ScaledRel([]float64{1, nan}, []float64{1, 2}); !math.IsInf(r, 1) {
		t.Errorf("ScaledRel with a NaN: %v", r)
	}
	if r := ScaledRel([]float64{1, 2.002}, []float64{1, 2}); math.Abs(r-0.001) > 1e-12 {
		t.Errorf("ScaledRel: %v", r)
	}
	if r, _ := MaxRel([]float64{1}, []float64{1, 2}); !math.IsInf(r, 1) {
		t.Errorf("MaxRel of two lengths: %v", r)
	}
	if r, at := MaxRel([]float64{1, nan, 3}, []float64{1, 2, 3}); !math.IsInf(r, 1) || at != 1 {
		t.Errorf("MaxRel with a NaN: %v at %d", r, at)
	}
}
