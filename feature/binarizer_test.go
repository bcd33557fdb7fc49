package feature

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

// TestBinarizer checks Spark's Binarizer on numbers (with a null and a
// NaN) and on dense and sparse vectors, built as a spec builds it and
// after the save/load encoding.
func TestBinarizer(t *testing.T) {
	x := table.NewFloat64Column([]float64{0.1, 0.5, 0.9, math.NaN(), 0}, nil)
	x.SetNull(4)
	n := table.NewInt64Column([]int64{0, 1, 2, 3, -1}, nil)
	v := table.NewVectorColumn([]linalg.Vector{
		linalg.Dense([]float64{0.2, 0.7, 0.5}),
		{Size: 4, Indices: []int32{0, 3}, Values: []float64{0.6, 0.4}},
		linalg.Dense([]float64{1, 0, 0}),
		{Size: 4, Indices: []int32{}, Values: []float64{}},
		linalg.Dense([]float64{0, 0, 0}),
	}, nil)
	tb := build(t, 2, []table.Field{{Name: "x", Type: table.Float64}, {Name: "n", Type: table.Int64}, {Name: "v", Type: table.Vector}}, x, n, v)

	// The spec's way: by name, with Spark's parameter names.
	stage, err := ml.New("Binarizer", ml.ParamMap{"inputCol": "x", "outputCol": "bx", "threshold": 0.5})
	if err != nil {
		t.Fatal(err)
	}
	// The saved model's way: encoded and decoded.
	blob, err := engine.Encode(stage.(engine.Kernel))
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := engine.Decode(blob)
	if err != nil {
		t.Fatal(err)
	}
	for _, z := range []any{stage, loaded} {
		out, err := run(t, tb, z)
		if err != nil {
			t.Fatal(err)
		}
		if got := column(t, out, "bx"); !reflect.DeepEqual(got, []any{0.0, 0.0, 1.0, 0.0, nil}) {
			t.Errorf("numbers: %v", got)
		}
	}
	out, err := run(t, tb, &Binarizer{InputCol: "n", OutputCol: "bn", Threshold: 1})
	if err != nil || !reflect.DeepEqual(column(t, out, "bn"), []any{0.0, 0.0, 1.0, 1.0, 0.0}) {
		t.Fatalf("int64: %v, %v", column(t, out, "bn"), err)
	}
	out, err = run(t, tb, &Binarizer{InputCol: "v", OutputCol: "bv", Threshold: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	want := []linalg.Vector{
		linalg.Dense([]float64{0, 1, 0}),
		{Size: 4, Indices: []int32{0}, Values: []float64{1}},
		linalg.Dense([]float64{1, 0, 0}),
		{Size: 4, Indices: []int32{}, Values: []float64{}},
		linalg.Dense([]float64{0, 0, 0}),
	}
	for i, got := range column(t, out, "bv") {
		if !reflect.DeepEqual(got, want[i]) {
			t.Errorf("vector row %d: %v, want %v", i, got, want[i])
		}
	}

	// A negative threshold cannot keep a sparse vector sparse; a string
	// column and a missing one are refused before any data moves.
	if _, err := run(t, tb, &Binarizer{InputCol: "v", OutputCol: "bv", Threshold: -1}); err == nil || !strings.Contains(err.Error(), `a sparse vector with a negative threshold (-1) would turn its zeros into ones`) {
		t.Errorf("negative threshold: %v", err)
	}
	s, _ := table.NewSchema(table.Field{Name: "s", Type: table.String})
	if _, err := (&Binarizer{InputCol: "s", OutputCol: "o"}).OutputSchema(s); err == nil || !strings.Contains(err.Error(), `input column "s" is string, want float64 or int64 or vector`) {
		t.Errorf("string column: %v", err)
	}
	if _, err := ml.New("Binarizer", ml.ParamMap{"threshold": math.Inf(1)}); err == nil || !strings.Contains(err.Error(), "parameter threshold: must be finite") {
		t.Errorf("infinite threshold: %v", err)
	}
}
