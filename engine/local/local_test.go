package local_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/table"
)

func data(t *testing.T, n, per int) *table.Table {
	t.Helper()
	schema, _ := table.NewSchema(table.Field{Name: "v", Type: table.Float64}, table.Field{Name: "k", Type: table.Int64})
	v := make([]float64, n)
	k := make([]int64, n)
	for i := range v {
		v[i] = float64(i) * 0.5
		k[i] = int64(i % 4)
	}
	vc := table.NewFloat64Column(v, nil)
	vc.SetNull(0)
	b, _ := table.NewBatch(schema, []table.Column{vc, table.NewInt64Column(k, nil)})
	tb, _ := table.New(schema, b)
	tb, _ = tb.Repartition(per)
	return tb
}

// sumV is a test aggregator: the sum of column v.
type sumV struct{}

func (sumV) KernelName() string { return "local_test.sumV" }
func (sumV) Zero() float64      { return 0 }
func (sumV) Fold(_ context.Context, _ engine.PartitionInfo, acc float64, b *table.Batch) (float64, error) {
	for i, x := range b.Column(0).(*table.Float64Column).Values {
		if !b.Column(0).IsNull(i) {
			acc += x
		}
	}
	return acc, nil
}
func (sumV) Merge(a, b float64) (float64, error) { return a + b, nil }

// failing is an aggregator whose fold fails on partition 2.
type failing struct{}

func (failing) KernelName() string { return "local_test.failing" }
func (failing) Zero() int          { return 0 }
func (failing) Fold(_ context.Context, info engine.PartitionInfo, acc int, _ *table.Batch) (int, error) {
	if info.Index == 2 {
		return 0, errors.New("boom")
	}
	return acc, nil
}
func (failing) Merge(a, b int) (int, error) { return a + b, nil }

// unregistered is never registered.
type unregistered struct{ sumV }

func (unregistered) KernelName() string { return "local_test.unregistered" }

func init() {
	engine.RegisterAggregator[float64](sumV{})
	engine.RegisterAggregator[int](failing{})
}

func TestPipeline(t *testing.T) {
	ctx := context.Background()
	e := &local.Engine{Parallelism: 3}
	ds := tabletest.Dataset(t, e, data(t, 1000, 37))
	clean, err := e.MapPartitions(ds, engine.DropNulls{})
	if err != nil {
		t.Fatal(err)
	}
	clean, err = e.Persist(ctx, clean)
	if err != nil {
		t.Fatal(err)
	}
	n, err := engine.Aggregate(ctx, e, clean, engine.Count{})
	if err != nil || n != 999 {
		t.Fatalf("count = %d, %v", n, err)
	}
	s, err := engine.Aggregate(ctx, e, clean, sumV{})
	if err != nil || s != 0.5*999*1000/2 {
		t.Fatalf("sum = %v, %v", s, err)
	}
	// Splitting on the engine equals Table.RandomSplit.
	want, _ := data(t, 1000, 1000).DropNulls()
	wantSplits, _ := want.RandomSplit([]float64{3, 1}, 7)
	for part := 0; part < 2; part++ {
		sp, err := e.MapPartitions(clean, engine.SplitPart{Weights: []float64{3, 1}, Seed: 7, Part: part})
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.Collect(ctx, sp)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Rows(), wantSplits[part].Rows()) {
			t.Fatalf("split part %d differs from Table.RandomSplit", part)
		}
	}
	sel, _ := e.MapPartitions(clean, engine.Select{Columns: []string{"k"}})
	if sel.Schema().String() != "k:int64" {
		t.Fatalf("select schema %v", sel.Schema())
	}
	if _, err := e.MapPartitions(clean, engine.Select{Columns: []string{"zzz"}}); err == nil {
		t.Fatal("select of a missing column accepted")
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	e := &local.Engine{}
	ds := tabletest.Dataset(t, e, data(t, 100, 10))
	if _, err := engine.Aggregate(ctx, e, ds, failing{}); err == nil || !strings.Contains(err.Error(), "local_test.failing on partition 2: boom") {
		t.Fatalf("error = %v", err)
	}
	if _, err := engine.Aggregate(ctx, e, ds, unregistered{}); err == nil || !strings.Contains(err.Error(), "is not registered") {
		t.Fatalf("unregistered kernel: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := engine.Aggregate(cctx, e, ds, sumV{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

// TestDeterministicMerge: the result does not depend on scheduling.
func TestDeterministicMerge(t *testing.T) {
	ctx := context.Background()
	var first float64
	for p := 1; p <= 8; p++ {
		e := &local.Engine{Parallelism: p}
		ds := tabletest.Dataset(t, e, data(t, 10_007, 91))
		s, err := engine.Aggregate(ctx, e, ds, sumV{})
		if err != nil {
			t.Fatal(err)
		}
		if p == 1 {
			first = s
		} else if s != first {
			t.Fatalf("parallelism %d: %v != %v", p, s, first)
		}
	}
}

// TestRelease: a released dataset's partitions are freed by the pass that
// reads them — the train/test split of a positional mapper, stored in one
// pass with the input computed once — with the same rows as without
// Release; a later pass over it fails, and a dataset not released is
// untouched.
func TestRelease(t *testing.T) {
	ctx := context.Background()
	split := func(e *local.Engine, release bool) ([]*table.Table, engine.Dataset) {
		ds := tabletest.Dataset(t, e, data(t, 100, 7))
		lazy, err := e.MapPartitions(ds, engine.Select{Columns: []string{"v", "k"}})
		if err != nil {
			t.Fatal(err)
		}
		var parts []engine.Dataset
		for p := range 2 {
			d, err := e.MapPartitions(lazy, engine.SplitPart{Weights: []float64{0.7, 0.3}, Seed: 3, Part: p})
			if err != nil {
				t.Fatal(err)
			}
			parts = append(parts, d)
		}
		if release {
			e.Release(parts[0])
		}
		before := e.Passes()
		stored, err := engine.PersistAll(ctx, e, parts...)
		if err != nil {
			t.Fatal(err)
		}
		if n := e.Passes() - before; n != 2 { // the Select once, then the split
			t.Errorf("%d passes, want 2", n)
		}
		var out []*table.Table
		for _, d := range stored {
			tb, err := e.Collect(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, tb)
		}
		return out, ds
	}
	e := &local.Engine{}
	want, kept := split(e, false)
	got, released := split(e, true)
	for i := range want {
		if !tabletest.RowsEqual(got[i].Rows(), want[i].Rows()) || len(got[i].Rows()) == 0 {
			t.Errorf("part %d differs after Release", i)
		}
	}
	if _, err := engine.Aggregate(ctx, e, released, sumV{}); err == nil || !strings.Contains(err.Error(), "released") {
		t.Errorf("a pass over a consumed released dataset: %v", err)
	}
	if _, ok := e.StoredRows(released); ok {
		t.Error("StoredRows of a consumed released dataset")
	}
	if _, err := engine.Aggregate(ctx, e, kept, sumV{}); err != nil {
		t.Errorf("a dataset not released: %v", err)
	}
}
