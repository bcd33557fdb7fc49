package engine_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/table"
)

func init() { engine.RegisterAggregator[[]float64](scaledSum{}) }

// scaledSum sums K × x over the rows, per partition index too, so that a
// wrong partition or a wrong merge shows.
type scaledSum struct {
	K    float64
	Fail bool
}

func (scaledSum) KernelName() string { return "engine_test.scaledSum" }
func (scaledSum) Zero() []float64    { return []float64{0, 0} }
func (s scaledSum) Merge(a, b []float64) ([]float64, error) {
	return []float64{a[0] + b[0], a[1] + b[1]}, nil
}

func (s scaledSum) Fold(_ context.Context, info engine.PartitionInfo, acc []float64, b *table.Batch) ([]float64, error) {
	if s.Fail {
		return nil, errors.New("scaledSum failed")
	}
	for i := range b.NumRows() {
		acc[0] += s.K * float64(i+1)
	}
	acc[1] += float64(info.Index)
	return acc, nil
}

// TestLockstep: members asking for aggregations over the same dataset
// share passes — one per round, identical requests once — and each gets
// what it gets alone; a failing request fails its member only.
func TestLockstep(t *testing.T) {
	ctx := context.Background()
	x := make([][]float64, 100)
	y := make([]float64, 100)
	for i := range x {
		x[i] = []float64{float64(i)}
	}
	tb := tabletest.Labeled(t, x, y, 7, false)
	alone := &local.Engine{}
	ads, _ := alone.FromTable(ctx, tb)
	want := func(k float64) []float64 {
		r, err := engine.Aggregate(ctx, alone, ads, scaledSum{K: k})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	e := &local.Engine{}
	ds, _ := e.FromTable(ctx, tb)
	// Member i runs i+2 rounds; its request in round r has K = r (the
	// same for every member, so computed once) and then K = 10·i + r.
	got := make([][][]float64, 4)
	errs := engine.Lockstep(ctx, e, 4, func(ctx context.Context, i int, me engine.Engine) error {
		for r := range i + 2 {
			a, err := engine.Aggregate(ctx, me, ds, scaledSum{K: float64(r)})
			if err != nil {
				return err
			}
			a[0]++ // a member may change what it got: the others have their own copy
			b, err := engine.Aggregate(ctx, me, ds, scaledSum{K: float64(10*i + r), Fail: i == 3 && r == 1})
			if err != nil {
				return err
			}
			got[i] = append(got[i], a, b)
		}
		return nil
	})
	for i, err := range errs {
		if (err != nil) != (i == 3) {
			t.Fatalf("member %d: %v", i, err)
		}
	}
	for i := range 3 {
		for r := range i + 2 {
			a, b := got[i][2*r], got[i][2*r+1]
			wa, wb := want(float64(r)), want(float64(10*i+r))
			wa[0]++
			if fmt.Sprint(a, b) != fmt.Sprint(wa, wb) {
				t.Fatalf("member %d round %d: %v %v, want %v %v", i, r, a, b, wa, wb)
			}
		}
	}
	// Rounds: the members' requests alternate shared (K = r) and own, 2
	// passes per round while anyone runs (4 rounds once member 3 has
	// failed in its second); the failing pass ran again one aggregation at
	// a time (4 more).
	if p := e.Passes(); p != 12 {
		t.Fatalf("%d passes, want 12", p)
	}
}
