package linalg

import (
	"math"
	"strings"
	"testing"
)

func TestVectorBasics(t *testing.T) {
	d := Dense([]float64{1, 0, -2})
	s, err := Sparse(3, []int32{0, 2}, []float64{1, -2})
	if err != nil {
		t.Fatal(err)
	}
	w := []float64{3, 4, 5}
	if Dot(d, w) != -7 || Dot(s, w) != -7 {
		t.Fatalf("dot: %v %v", Dot(d, w), Dot(s, w))
	}
	y := []float64{1, 1, 1}
	Axpy(2, s, y)
	if y[0] != 3 || y[1] != 1 || y[2] != -3 {
		t.Fatalf("axpy: %v", y)
	}
	for p, want := range map[float64]float64{1: 3, 2: math.Sqrt(5), math.Inf(1): 2, 3: math.Cbrt(9)} {
		if got := Norm(s, p); math.Abs(got-want) > 1e-15 {
			t.Errorf("norm %v = %v, want %v", p, got, want)
		}
	}
	if !Equal(s.ToDense(), d) || s.At(2) != -2 || s.At(1) != 0 {
		t.Fatal("ToDense/At")
	}
}

func TestSparseValidation(t *testing.T) {
	for _, c := range []struct {
		size int
		idx  []int32
		vals []float64
		want string
	}{
		{3, []int32{2, 1}, []float64{1, 1}, "strictly increasing"},
		{3, []int32{3}, []float64{1}, "out of range"},
		{3, []int32{0}, []float64{1, 2}, "1 indices but 2 values"},
		{-1, nil, nil, "negative"},
	} {
		if _, err := Sparse(c.size, c.idx, c.vals); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Sparse(%d, %v, %v) error = %v, want %q", c.size, c.idx, c.vals, err, c.want)
		}
	}
}

func TestStringParse(t *testing.T) {
	s, _ := Sparse(5, []int32{1, 4}, []float64{2, -0.5})
	for _, v := range []Vector{Dense([]float64{1, 2.5, -3e-9}), s, Dense(nil), {Size: 4, Indices: []int32{}, Values: []float64{}}} {
		got, err := Parse(v.String())
		if err != nil || !Equal(got, v) {
			t.Errorf("Parse(%q) = %v, %v", v.String(), got, err)
		}
	}
	if s.String() != "(5,[1,4],[2.0,-0.5])" {
		t.Errorf("String = %s", s.String())
	}
	for _, bad := range []string{"", "[1,x]", "(3,[5],[1.0])", "(3,[1],[1.0]", "(a,[],[])", "{1}"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
}

// BenchmarkKernels measures the shared kernels on a 2^18-wide weight
// vector, dense and sparse (250 non-zeros, a typical hashed document).
func BenchmarkKernels(b *testing.B) {
	const n = 1 << 18
	w := make([]float64, n)
	dense := make([]float64, 4096)
	for i := range dense {
		dense[i] = float64(i % 7)
	}
	idx := make([]int32, 250)
	vals := make([]float64, 250)
	for i := range idx {
		idx[i] = int32(i * 1000)
		vals[i] = 1
	}
	sp, _ := Sparse(n, idx, vals)
	dv := Dense(dense)
	b.Run("dot/dense4096", func(b *testing.B) {
		for b.Loop() {
			Dot(dv, w)
		}
	})
	b.Run("dot/sparse250", func(b *testing.B) {
		for b.Loop() {
			Dot(sp, w)
		}
	})
	b.Run("axpy/dense4096", func(b *testing.B) {
		for b.Loop() {
			Axpy(0.5, dv, w)
		}
	})
	b.Run("axpy/sparse250", func(b *testing.B) {
		for b.Loop() {
			Axpy(0.5, sp, w)
		}
	})
	b.Run("norm2/dense4096", func(b *testing.B) {
		for b.Loop() {
			Norm(dv, 2)
		}
	})
}
