package linmodel

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/table"
)

// TestAddDense: a block's moments equal Add's row by row (to rounding),
// split into blocks or not, with zero weights and zero values; a
// non-finite feature in a weighted row, or another size, is refused with
// the moments unchanged.
func TestAddDense(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const n, nf = 500, 7
	x := make([]float64, n*nf)
	for i := range x {
		if r.IntN(3) > 0 {
			x[i] = r.NormFloat64()*3 + 10
		}
	}
	ys, ws := make([]float64, n), make([]float64, n)
	for i := range ys {
		ys[i] = float64(r.IntN(3))
		ws[i] = float64(r.IntN(4)) / 2
	}
	for _, weights := range [][]float64{nil, ws} {
		rows := NewMoments()
		for i := range n {
			w := 1.0
			if weights != nil {
				w = weights[i]
			}
			if err := rows.Add(linalg.Dense(x[i*nf:(i+1)*nf]), ys[i], w); err != nil {
				t.Fatal(err)
			}
		}
		block := NewMoments()
		for lo := 0; lo < n; lo += 128 {
			hi := min(lo+128, n)
			var wb []float64
			if weights != nil {
				wb = weights[lo:hi]
			}
			var ok bool
			var err error
			if block, ok, err = block.AddDense(x[lo*nf:hi*nf], nf, ys[lo:hi], wb); !ok || err != nil {
				t.Fatalf("AddDense: %v %v", ok, err)
			}
		}
		near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-10*math.Max(1, math.Abs(b)) }
		if block.Rows != rows.Rows || !near(block.WeightSum, rows.WeightSum) || !near(block.WeightSqSum, rows.WeightSqSum) || !near(block.LabelMean, rows.LabelMean) || !near(block.LabelM2, rows.LabelM2) {
			t.Fatalf("totals %+v, row by row %+v", block, rows)
		}
		for j := range nf {
			if !near(block.NZWeight[j], rows.NZWeight[j]) || !near(block.NZMean[j], rows.NZMean[j]) || !near(block.NZM2[j], rows.NZM2[j]) {
				t.Fatalf("feature %d: %v %v %v, row by row %v %v %v", j, block.NZWeight[j], block.NZMean[j], block.NZM2[j], rows.NZWeight[j], rows.NZMean[j], rows.NZM2[j])
			}
		}
		for j, s := range block.Std() {
			if !near(s, rows.Std()[j]) {
				t.Fatalf("std %d: %v vs %v", j, s, rows.Std()[j])
			}
		}
	}
	m, ok, err := NewMoments().AddDense(x[:2*nf], nf, ys[:2], nil)
	if !ok || err != nil {
		t.Fatal(ok, err)
	}
	bad := append([]float64(nil), x[:2*nf]...)
	bad[nf+3] = math.Inf(1)
	if got, ok, _ := m.AddDense(bad, nf, ys[:2], nil); ok || got != m || m.Rows != 2 {
		t.Errorf("a non-finite feature: ok %v, rows %d", ok, m.Rows)
	}
	if got, ok, _ := m.AddDense(bad, nf, ys[:2], []float64{1, 0}); !ok || got.Rows != 4 {
		t.Errorf("a non-finite feature in a row of weight 0 is skipped, as Add does: ok %v", ok)
	}
	if _, ok, _ := m.AddDense(x[:2*(nf-1)], nf-1, ys[:2], nil); ok {
		t.Error("another size accepted")
	}
}

// TestAddRowsSameBitsAsAddDense: the same values held as a block, as
// dense rows or as sparse rows (explicit zeros included) give the same
// moments to the last bit, so a fit's statistics do not depend on how a
// partition is stored; a null or another size is refused.
func TestAddRowsSameBitsAsAddDense(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const n, nf = 300, 6
	x := make([]float64, n*nf)
	for i := range x {
		if r.IntN(3) > 0 {
			x[i] = r.NormFloat64()*2 + 5
		}
	}
	ys, ws := make([]float64, n), make([]float64, n)
	dense, sparse := make([]linalg.Vector, n), make([]linalg.Vector, n)
	for i := range n {
		ys[i], ws[i] = float64(r.IntN(2)), float64(r.IntN(3))
		row := x[i*nf : (i+1)*nf]
		dense[i] = linalg.Dense(row)
		var idx []int32
		var vals []float64
		for j, v := range row {
			if v != 0 || j == 0 { // an explicit zero now and then
				idx, vals = append(idx, int32(j)), append(vals, v)
			}
		}
		var err error
		if sparse[i], err = linalg.Sparse(nf, idx, vals); err != nil {
			t.Fatal(err)
		}
	}
	block, ok, err := NewMoments().AddDense(x, nf, ys, ws)
	if !ok || err != nil {
		t.Fatal(ok, err)
	}
	for name, rows := range map[string][]linalg.Vector{"dense": dense, "sparse": sparse} {
		got, ok, err := NewMoments().AddRows(rows, nil, ys, ws)
		if !ok || err != nil {
			t.Fatalf("%s: %v %v", name, ok, err)
		}
		if math.Float64bits(got.WeightSum) != math.Float64bits(block.WeightSum) || math.Float64bits(got.LabelM2) != math.Float64bits(block.LabelM2) {
			t.Fatalf("%s: totals %+v, block %+v", name, got, block)
		}
		for j := range nf {
			for _, p := range [][2]float64{{got.NZMean[j], block.NZMean[j]}, {got.NZM2[j], block.NZM2[j]}, {got.NZWeight[j], block.NZWeight[j]}} {
				if math.Float64bits(p[0]) != math.Float64bits(p[1]) {
					t.Fatalf("%s: feature %d: %v, block %v", name, j, p[0], p[1])
				}
			}
		}
	}
	valid := table.NewBitmap(n)
	valid.SetNull(5)
	if m, ok, _ := NewMoments().AddRows(dense, valid, ys, ws); ok || m.Size != -1 {
		t.Error("a null row is taken")
	}
	if _, ok, _ := NewMoments().AddRows([]linalg.Vector{linalg.Dense(x[:nf]), linalg.Dense(x[:nf-1])}, nil, ys[:2], nil); ok {
		t.Error("rows of two sizes are taken")
	}
}
