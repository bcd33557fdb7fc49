package beam

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

// TestRetriedBundleCountsOnce: a runner retrying a bundle — after it
// failed half-way or after it succeeded — runs the DoFn on the same
// elements again; every partition's output has a fixed name and is
// replaced whole, so the aggregate counts each row once.
func TestRetriedBundleCountsOnce(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	var sizes []int
	var rows int64
	for range 40 { // 40 partitions: three groups of 16
		sizes = append(sizes, 1+r.IntN(30))
		rows += int64(sizes[len(sizes)-1])
	}
	e := &Engine{Staging: t.TempDir()}
	ds, err := e.FromTable(ctx, zeros(t, sizes...))
	if err != nil {
		t.Fatal(err)
	}
	d := ds.(*dataset)
	agg, err := engine.Encode(engine.Erase[int64](engine.Count{}))
	if err != nil {
		t.Fatal(err)
	}
	out := storage.Join(e.root, "agg-retried")
	fn, err := e.newFn(ctx, d, out, agg)
	if err != nil {
		t.Fatal(err)
	}
	fn.Setup()
	// Group 1 runs twice, group 0 three times; group 2 once.
	for _, g := range []int{0, 1, 0, 2, 1, 0} {
		if err := fn.ProcessElement(ctx, g, func(int) {}); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := readGroups(ctx, storage.New(e.Storage), out, len(d.rows))
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, en := range entries {
		p, err := engine.Erase[int64](engine.Count{}).DecodePartial(en.Partial)
		if err != nil {
			t.Fatal(err)
		}
		total += p.(int64)
	}
	if total != rows {
		t.Fatalf("counted %d rows, the data has %d", total, rows)
	}
}

// bigCount counts rows and carries a large field, like a model.
type bigCount struct {
	engine.Count
	Weights []float64
}

func (bigCount) KernelName() string { return "beam_test.bigCount" }

func init() { engine.RegisterAggregator[int64](bigCount{}) }

// TestLargeKernelStaged: a kernel larger than inlineKernel travels as a
// staged file the DoFn names, not in the pipeline; the result is the same.
func TestLargeKernelStaged(t *testing.T) {
	ctx := context.Background()
	e := &Engine{Staging: t.TempDir()}
	ds, err := e.FromTable(ctx, zeros(t, 123, 123, 123))
	if err != nil {
		t.Fatal(err)
	}
	k := bigCount{Weights: make([]float64, 100_000)}
	for i := range k.Weights {
		k.Weights[i] = float64(i) + 0.123
	}
	enc, err := engine.Encode(k)
	if err != nil {
		t.Fatal(err)
	}
	fn, err := e.newFn(ctx, ds.(*dataset), "unused", enc)
	if err != nil {
		t.Fatal(err)
	}
	if fn.Agg.URI == "" || fn.Agg.Data != nil {
		t.Fatalf("a %d-byte kernel was not staged", len(enc))
	}
	n, err := engine.Aggregate(ctx, e, ds, engine.Aggregator[int64](k))
	if err != nil {
		t.Fatal(err)
	}
	if n != 369 {
		t.Fatalf("count %d, want 369", n)
	}
}

// zeros is a table of one float column x, all zero, in partitions of the
// given sizes.
func zeros(t *testing.T, sizes ...int) *table.Table {
	t.Helper()
	schema, err := table.NewSchema(table.Field{Name: "x", Type: table.Float64})
	if err != nil {
		t.Fatal(err)
	}
	parts := make([]*table.Batch, len(sizes))
	for i, n := range sizes {
		if parts[i], err = table.NewBatch(schema, []table.Column{table.NewFloat64Column(make([]float64, n), nil)}); err != nil {
			t.Fatal(err)
		}
	}
	tb, err := table.New(schema, parts...)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}
