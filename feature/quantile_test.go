package feature

import (
	"context"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/table"
)

// TestQuantilesExact compares with sorting, on data that forces several
// refinement passes (a heavy cluster and far outliers).
func TestQuantilesExact(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	n := 300_000
	vals := make([]float64, n)
	for i := range vals {
		switch i % 10 {
		case 0:
			vals[i] = r.NormFloat64() * 1e9
		default:
			vals[i] = 1 + r.Float64()*1e-6
		}
	}
	vals[7] = math.NaN()
	col := table.NewFloat64Column(append([]float64(nil), vals...), nil)
	col.SetNull(8)
	tb := build(t, 7000, []table.Field{{Name: "x", Type: table.Float64}}, col)
	qs := []float64{0, 0.001, 0.25, 0.5, 0.75, 0.999, 1}
	got, count, err := Quantiles(context.Background(), &local.Engine{}, mustDS(t, tb), "x", qs)
	if err != nil {
		t.Fatal(err)
	}
	var clean []float64
	for i, v := range vals {
		if i != 7 && i != 8 {
			clean = append(clean, v)
		}
	}
	sort.Float64s(clean)
	if count != int64(len(clean)) {
		t.Fatalf("count %d, want %d", count, len(clean))
	}
	for k, q := range qs {
		rank := max(int(math.Ceil(q*float64(len(clean)))), 1)
		if want := clean[rank-1]; got[k] != want {
			t.Errorf("q=%v: %v, want %v", q, got[k], want)
		}
	}
}

func TestQuantilesSmall(t *testing.T) {
	tb := build(t, 2, []table.Field{{Name: "x", Type: table.Int64}}, table.NewInt64Column([]int64{4, 1, 3, 2}, nil))
	got, _, err := Quantiles(context.Background(), &local.Engine{}, mustDS(t, tb), "x", []float64{0.5, 0.25, 1})
	if err != nil || got[0] != 2 || got[1] != 1 || got[2] != 4 {
		t.Fatalf("quantiles = %v, %v (Spark's median of 1..4 is 2)", got, err)
	}
}
