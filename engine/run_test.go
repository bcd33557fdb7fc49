package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/engine/sched"
	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/table"
)

// liar declares one output schema and produces another.
type liar struct{}

func (liar) KernelName() string { return "engine_test.liar" }
func (liar) OutputSchema(in *table.Schema) (*table.Schema, error) {
	return table.NewSchema(append(append([]table.Field(nil), in.Fields...), table.Field{Name: "extra", Type: table.Float64})...)
}
func (liar) MapPartition(_ context.Context, _ engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	return b, nil
}

// TestRunPartitionChecksSchemas: a mapper whose output differs from what
// it declared is refused, whether the engine passes the declared schema
// (embedded) or the runner asks the mapper (Beam's workers).
func TestRunPartitionChecksSchemas(t *testing.T) {
	schema, _ := table.NewSchema(table.Field{Name: "x", Type: table.Int64})
	b, err := table.NewBatch(schema, []table.Column{table.NewInt64Column([]int64{1, 2}, nil)})
	if err != nil {
		t.Fatal(err)
	}
	declared, _ := liar{}.OutputSchema(schema)
	for _, st := range []engine.MapStep{{Mapper: liar{}, Schema: declared}, {Mapper: liar{}}} {
		_, _, err := engine.RunPartition(context.Background(), engine.PartitionInfo{Index: 3}, b, []engine.MapStep{st}, nil)
		if err == nil || !strings.Contains(err.Error(), "engine_test.liar on partition 3: produced schema (x:int64), declared (x:int64, extra:float64)") {
			t.Errorf("declared %v: %v", st.Schema, err)
		}
	}
	// A fold runs after the chain; its errors name it and the partition.
	_, p, err := engine.RunPartition(context.Background(), engine.PartitionInfo{}, b, nil, engine.Erase[int64](engine.Count{}))
	if err != nil || p.(int64) != 2 {
		t.Errorf("count: %v, %v", p, err)
	}
}

// TestCounter: passes are attributed to the phase that ran them: the
// engine's own count where it keeps one (a collect of data already in
// memory is no pass), else one per action.
func TestCounter(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		e    engine.Engine
		want string
	}{
		{"engine counts", &local.Engine{}, "map[stats:3 write:1] [stats write]"},
		{"counted by actions", struct{ engine.Engine }{&local.Engine{}}, "map[stats:3 write:2] [stats write]"},
	} {
		c := sched.NewCounter(tc.e)
		ds, err := c.FromTable(ctx, tabletest.AllTypes(t))
		if err != nil {
			t.Fatal(err)
		}
		c.SetPhase("stats")
		for range 3 {
			if _, err := engine.Aggregate(ctx, c, ds, engine.Count{}); err != nil {
				t.Fatal(err)
			}
		}
		c.SetPhase("write")
		if _, err := c.Collect(ctx, ds); err != nil { // in memory already
			t.Fatal(err)
		}
		mapped, err := c.MapPartitions(ds, engine.Select{Columns: []string{"s"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Collect(ctx, mapped); err != nil {
			t.Fatal(err)
		}
		counts, order := c.Counts()
		if got := fmt.Sprint(counts, " ", order); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}
