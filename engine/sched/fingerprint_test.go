package sched

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"math"
	"reflect"
	"testing"
)

type fpKernel struct {
	Name    string
	Weights []float64
	Vocab   map[string]int
	Inner   *fpKernel
	Any     any
	hidden  int
}

func (fpKernel) KernelName() string { return "test.fp" }

func TestFingerprint(t *testing.T) {
	base := func() fpKernel {
		return fpKernel{Name: "a", Weights: []float64{1, math.NaN()}, Vocab: map[string]int{"x": 1, "y": 2, "z": 3}}
	}
	fp := func(k fpKernel) string {
		t.Helper()
		s, err := Fingerprint(k)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	want := fp(base())
	// A map built in another order, and unexported fields, do not count.
	same := base()
	same.Vocab = map[string]int{}
	for _, k := range []string{"z", "x", "y"} {
		same.Vocab[k] = base().Vocab[k]
	}
	same.hidden = 7
	for i := 0; i < 20; i++ {
		if got := fp(same); got != want {
			t.Fatalf("equal kernels: %s != %s", got, want)
		}
	}
	tests := []struct {
		name   string
		change func(*fpKernel)
	}{
		{"string", func(k *fpKernel) { k.Name = "b" }},
		{"float bits", func(k *fpKernel) { k.Weights[0] = math.Nextafter(1, 2) }},
		{"slice length", func(k *fpKernel) { k.Weights = k.Weights[:1] }},
		{"map value", func(k *fpKernel) { k.Vocab["x"] = 9 }},
		{"map key", func(k *fpKernel) { delete(k.Vocab, "x"); k.Vocab["w"] = 1 }},
		{"nil map vs empty", func(k *fpKernel) { k.Vocab = nil }},
		{"pointer", func(k *fpKernel) { k.Inner = &fpKernel{} }},
		{"interface type", func(k *fpKernel) { k.Any = int64(1) }},
		{"interface type 2", func(k *fpKernel) { k.Any = uint64(1) }},
	}
	seen := map[string]string{want: "base"}
	for _, tc := range tests {
		k := base()
		tc.change(&k)
		got := fp(k)
		if prev, dup := seen[got]; dup {
			t.Errorf("%s: same fingerprint as %s", tc.name, prev)
		}
		seen[got] = tc.name
	}
	if _, err := Fingerprint(fpKernel{Any: func() {}}); err == nil {
		t.Error("a func field: no error")
	}
}

// The fast path for numeric slices writes what the reflective path writes.
func TestFingerprintNumbersFastPath(t *testing.T) {
	for _, x := range []any{[]float64{1, -2, math.NaN()}, []float32{1.5, 0}, []int{3, -4}, []int64{5}, []int32{-6, 7}} {
		fast, slow := sha256.New(), sha256.New()
		if !hashNumbers(fast, x) {
			t.Fatalf("%T: no fast path", x)
		}
		v := reflect.ValueOf(x)
		var num [8]byte
		binary.LittleEndian.PutUint64(num[:], uint64(v.Len()))
		slow.Write(num[:])
		for i := range v.Len() {
			if err := hashValue(slow, v.Index(i), 1); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(fast.Sum(nil), slow.Sum(nil)) {
			t.Errorf("%T: fast and reflective hashes differ", x)
		}
	}
}
