package profile_test

import (
	"context"
	"fmt"

	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/profile"
	"github.com/spindle-ml/spindle/table"
)

func ExampleRun() {
	ctx := context.Background()
	schema, _ := table.NewSchema(table.Field{Name: "len", Type: table.Int64}, table.Field{Name: "label", Type: table.String})
	b, _ := table.NewBatch(schema, []table.Column{
		table.NewInt64Column([]int64{10, 20, 30, 40}, nil),
		table.NewStringColumn([]string{"ham", "spam", "ham", "ham"}, nil),
	})
	t, _ := table.New(schema, b)
	e := &local.Engine{}
	ds, err := e.FromTable(ctx, t)
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := profile.Run(ctx, e, ds, profile.Profiler{Label: "label"})
	if err != nil {
		fmt.Println(err)
		return
	}
	c := p.Columns[0]
	fmt.Printf("rows=%d len: distinct=%d mean=%g stddev=%.4f\n", p.Rows, c.Distinct, *c.Mean, *c.StdDev)
	for _, cl := range p.Classes {
		fmt.Printf("%s %d\n", cl.Class, cl.Count)
	}
	// Output:
	// rows=4 len: distinct=4 mean=25 stddev=12.9099
	// ham 3
	// spam 1
}
