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
	var parts []*table.Batch
	schema, err := table.NewSchema(table.Field{Name: "x", Type: table.Float64})
	if err != nil {
		t.Fatal(err)
	}
	var rows int64
	for range 40 { // 40 partitions: three groups of 16
		n := 1 + r.IntN(30)
		vals := make([]float64, n)
		b, err := table.NewBatch(schema, []table.Column{table.NewFloat64Column(vals, nil)})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, b)
		rows += int64(n)
	}
	tb, err := table.New(schema, parts...)
	if err != nil {
		t.Fatal(err)
	}
	e := &Engine{Staging: t.TempDir()}
	ds, err := e.FromTable(ctx, tb)
	if err != nil {
		t.Fatal(err)
	}
	d := ds.(*dataset)
	agg, err := engine.Encode(engine.Erase[int64](engine.Count{}))
	if err != nil {
		t.Fatal(err)
	}
	out := storage.Join(e.root, "agg-retried")
	fn, err := e.newFn(d, out, agg)
	if err != nil {
		t.Fatal(err)
	}
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
