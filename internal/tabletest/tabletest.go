// Package tabletest holds table fixtures and comparisons shared by tests.
package tabletest

import (
	"context"
	"math"
	"os"
	"reflect"
	"testing"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/table"
)

// MustSparse builds a sparse vector or panics (test fixtures only).
func MustSparse(n int, idx []int32, vals []float64) linalg.Vector {
	v, err := linalg.Sparse(n, idx, vals)
	if err != nil {
		panic(err)
	}
	return v
}

// AllTypes returns a table with every column type, nulls, empty strings, quotes,
// newlines, NaN and ±Inf, and both vector shapes.
func AllTypes(t testing.TB) *table.Table {
	t.Helper()
	schema, _ := table.NewSchema(
		table.Field{Name: "s", Type: table.String},
		table.Field{Name: "i", Type: table.Int64},
		table.Field{Name: "f", Type: table.Float64},
		table.Field{Name: "b", Type: table.Bool},
		table.Field{Name: "l", Type: table.StringList},
		table.Field{Name: "v", Type: table.Vector},
	)
	s := table.NewStringColumn([]string{"plain", "", "with,comma \"q\"\nline", "naïve ☃", ""}, nil)
	s.SetNull(4)
	i := table.NewInt64Column([]int64{1, -2, math.MaxInt64, math.MinInt64, 0}, nil)
	i.SetNull(4)
	f := table.NewFloat64Column([]float64{0.1, math.Inf(1), math.Inf(-1), 1e-300, 0}, nil)
	f.SetNull(4)
	bc := table.NewBoolColumn([]bool{true, false, true, false, false}, nil)
	bc.SetNull(4)
	l := table.NewStringListColumn([][]string{{"a", "b"}, {}, {"x,\"y\""}, {"☃"}, nil}, nil)
	l.SetNull(4)
	v := table.NewVectorColumn([]linalg.Vector{
		linalg.Dense([]float64{1, 2.5}),
		MustSparse(5, []int32{0, 4}, []float64{-1, 3}),
		MustSparse(3, nil, nil),
		linalg.Dense([]float64{}),
		{},
	}, nil)
	v.SetNull(4)
	b, err := table.NewBatch(schema, []table.Column{s, i, f, bc, l, v})
	if err != nil {
		t.Fatal(err)
	}
	tb, _ := table.New(schema, b)
	return tb
}

// RowsEqual compares rows, treating NaN as equal to NaN and vectors by
// linalg.Equal.
func RowsEqual(a, b [][]any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			x, y := a[i][j], b[i][j]
			if xv, ok := x.(linalg.Vector); ok {
				yv, ok := y.(linalg.Vector)
				if !ok || !linalg.Equal(xv, yv) {
					return false
				}
				continue
			}
			if xf, ok := x.(float64); ok {
				if yf, ok := y.(float64); ok && (xf == yf || math.IsNaN(xf) && math.IsNaN(yf)) {
					continue
				}
				return false
			}
			if !reflect.DeepEqual(x, y) {
				return false
			}
		}
	}
	return true
}

// Labeled returns a table of features (dense, or sparse with the zeros
// left out) and label rows, in partitions of per rows.
func Labeled(t testing.TB, x [][]float64, y []float64, per int, sparse bool) *table.Table {
	t.Helper()
	vecs := make([]linalg.Vector, len(x))
	for i, r := range x {
		vecs[i] = linalg.Dense(r)
		if sparse {
			var idx []int32
			var vals []float64
			for j, v := range r {
				if v != 0 {
					idx, vals = append(idx, int32(j)), append(vals, v)
				}
			}
			vecs[i] = MustSparse(len(r), idx, vals)
		}
	}
	tb, err := LabeledVectors(t, vecs, y).Repartition(per)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// LabeledVectors returns a one-partition table of features and label
// columns holding vecs and y.
func LabeledVectors(t testing.TB, vecs []linalg.Vector, y []float64) *table.Table {
	t.Helper()
	return Table(t, []table.Field{{Name: "features", Type: table.Vector}, {Name: "label", Type: table.Float64}},
		table.NewVectorColumn(vecs, nil), table.NewFloat64Column(y, nil))
}

// Table returns a one-partition table of the given fields and columns.
func Table(t testing.TB, fields []table.Field, cols ...table.Column) *table.Table {
	t.Helper()
	schema, err := table.NewSchema(fields...)
	if err != nil {
		t.Fatal(err)
	}
	b, err := table.NewBatch(schema, cols)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := table.New(schema, b)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// ExampleCSV returns the path of the SpamAssassin example CSV
// (SPINDLE_EXAMPLE_CSV, which scripts/test.sh sets): a test without it
// fails under CI and is skipped elsewhere.
func ExampleCSV(t testing.TB) string {
	t.Helper()
	p := os.Getenv("SPINDLE_EXAMPLE_CSV")
	if p == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("SPINDLE_EXAMPLE_CSV is not set; scripts/test.sh prepares it")
		}
		t.Skip("SPINDLE_EXAMPLE_CSV not set (run scripts/example-data.sh)")
	}
	return p
}

// Dataset makes a dataset of tb on engine e, failing the test if the
// engine refuses it.
func Dataset(t testing.TB, e engine.Engine, tb *table.Table) engine.Dataset {
	t.Helper()
	ds, err := e.FromTable(context.Background(), tb)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}
