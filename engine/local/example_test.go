package local_test

import (
	"context"
	"fmt"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/table"
)

// Example runs registered kernels on the embedded engine: drop rows with
// nulls (a Mapper), keep them in memory, and count them (an Aggregator).
func Example() {
	ctx := context.Background()
	schema, _ := table.NewSchema(table.Field{Name: "x", Type: table.Float64})
	x := table.NewFloat64Column([]float64{1, 2, 3, 4}, nil)
	x.SetNull(2)
	b, _ := table.NewBatch(schema, []table.Column{x})
	t, _ := table.New(schema, b)

	e := &local.Engine{}
	ds, err := e.FromTable(ctx, t)
	if err != nil {
		fmt.Println(err)
		return
	}
	clean, err := e.MapPartitions(ds, engine.DropNulls{})
	if err != nil {
		fmt.Println(err)
		return
	}
	if clean, err = e.Persist(ctx, clean); err != nil {
		fmt.Println(err)
		return
	}
	n, err := engine.Aggregate(ctx, e, clean, engine.Count{})
	fmt.Println(n, err)
	// Output: 3 <nil>
}
