package feature

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

// TestVectorIndexer: features with at most maxCategories distinct values
// become category indexes (0.0 first, then increasing; sparse zeros
// count), the others pass through, the output column marks them, and an
// unseen value is an error, a dropped row or index k by handleInvalid.
func TestVectorIndexer(t *testing.T) {
	ctx := context.Background()
	e := &local.Engine{}
	vecs := []linalg.Vector{
		linalg.Dense([]float64{5, 0.1, -1}),
		linalg.Dense([]float64{0, 0.2, 3}),
		tabletest.MustSparse(3, []int32{1}, []float64{0.3}),
		linalg.Dense([]float64{5, 0.4, 3}),
	}
	tb := tabletest.LabeledVectors(t, vecs, []float64{0, 1, 0, 1})
	ds := tabletest.Dataset(t, e, tb)
	m, err := (&VectorIndexer{InputCol: "features", OutputCol: "idx", MaxCategories: 3}).Fit(ctx, e, ds)
	if err != nil {
		t.Fatal(err)
	}
	vm := m.(*VectorIndexerModel)
	if fmt.Sprint(vm.CategoryMaps) != "map[0:[0 5] 2:[0 -1 3]]" {
		t.Fatalf("category maps %v", vm.CategoryMaps)
	}
	out, err := ml.Transform(ctx, e, ds, vm)
	if err != nil {
		t.Fatal(err)
	}
	if f := out.Schema().Fields[out.Schema().Index("idx")]; f.Categories != "0:2,2:3" {
		t.Fatalf("categories %q", f.Categories)
	}
	got, err := e.Collect(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, r := range got.Rows() {
		rows = append(rows, r[2].(linalg.Vector).ToDense().String())
	}
	if want := "[1.0,0.1,1.0] [0.0,0.2,2.0] [0.0,0.3,0.0] [1.0,0.4,2.0]"; strings.Join(rows, " ") != want {
		t.Fatalf("indexed %v, want %s", rows, want)
	}
	unseen := tabletest.Dataset(t, e, tabletest.LabeledVectors(t, []linalg.Vector{linalg.Dense([]float64{7, 0, 3}), linalg.Dense([]float64{5, 0, 3})}, []float64{0, 1}))
	for _, c := range []struct{ handle, want string }{{"", "feature 0 is 7"}, {"skip", "1 rows: [1.0,0.0,2.0]"}, {"keep", "2 rows: [2.0,0.0,2.0] [1.0,0.0,2.0]"}} {
		vm.HandleInvalid = c.handle
		o, err := ml.Transform(ctx, e, unseen, vm)
		var g *table.Table
		if err == nil {
			g, err = e.Collect(ctx, o)
		}
		if c.handle == "" {
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("handleInvalid error: %v", err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		var vs []string
		for _, r := range g.Rows() {
			vs = append(vs, r[2].(linalg.Vector).ToDense().String())
		}
		if s := fmt.Sprintf("%d rows: %s", len(vs), strings.Join(vs, " ")); s != c.want {
			t.Fatalf("handleInvalid %s: %s, want %s", c.handle, s, c.want)
		}
	}
}
