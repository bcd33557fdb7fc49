package sched_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/engine/sched"
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
	errs := sched.Lockstep(ctx, e, 4, func(ctx context.Context, i int, me engine.Engine) error {
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

// TestLockstepAcrossDatasets: members over different datasets (stored
// data and a view of it) share each round's pass too, nested Locksteps
// send their rounds up as one, and a Counter puts each pass under the
// earliest phase of the requests it served.
func TestLockstepAcrossDatasets(t *testing.T) {
	ctx := context.Background()
	x := make([][]float64, 90)
	for i := range x {
		x[i] = []float64{float64(i)}
	}
	tb := tabletest.Labeled(t, x, make([]float64, 90), 7, false)
	e := &local.Engine{}
	c := sched.NewCounter(e)
	c.Order = []string{"tune", "fit"}
	ds, _ := c.FromTable(ctx, tb)
	view, _ := c.MapPartitions(ds, engine.SplitPart{Weights: []float64{0.5, 0.5}, Seed: 1, Part: 0})
	got := make([][]float64, 6)
	errs := sched.Lockstep(ctx, c, 2, func(ctx context.Context, outer int, e1 engine.Engine) error {
		phase := []string{"fit", "tune"}[outer]
		errs := sched.Lockstep(sched.WithPhase(ctx, phase), e1, 3, func(ctx context.Context, inner int, e2 engine.Engine) error {
			d := []engine.Dataset{ds, view, ds}[inner] // members 0 and 2 share a pass's Multi
			for r := range 2 + outer {                 // the last round has one outer member's requests only

				res, err := engine.Aggregate(ctx, e2, d, scaledSum{K: float64(10*outer + inner + r)})
				if err != nil {
					return err
				}
				got[3*outer+inner] = append(got[3*outer+inner], res...)
			}
			return nil
		})
		return errors.Join(errs...)
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	for k := range 6 {
		outer, inner := k/3, k%3
		var want []float64
		for r := range 2 + outer {
			le := &local.Engine{}
			d, _ := le.FromTable(ctx, tb)
			if inner == 1 {
				d, _ = le.MapPartitions(d, engine.SplitPart{Weights: []float64{0.5, 0.5}, Seed: 1, Part: 0})
			}
			res, err := engine.Aggregate(ctx, le, d, scaledSum{K: float64(10*outer + inner + r)})
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, res...)
		}
		if fmt.Sprint(got[k]) != fmt.Sprint(want) {
			t.Fatalf("member %d: %v, want %v", k, got[k], want)
		}
	}
	// Three rounds, each one pass over both datasets; all counted under
	// "tune", ranked before "fit".
	if counts, _ := c.Counts(); fmt.Sprint(counts) != "map[tune:3]" || e.Passes() != 3 {
		t.Fatalf("passes %d, counted %v; want 3 under tune", e.Passes(), counts)
	}
}
