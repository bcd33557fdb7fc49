package profile_test

import (
	"context"
	"encoding/json"
	"math"
	"reflect"
	"testing"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/jsonnum"
	"github.com/spindle-ml/spindle/profile"
	"github.com/spindle-ml/spindle/table"
)

func sample(t *testing.T, rows, parts int) *table.Table {
	t.Helper()
	schema, _ := table.NewSchema(
		table.Field{Name: "x", Type: table.Float64},
		table.Field{Name: "n", Type: table.Int64},
		table.Field{Name: "label", Type: table.String},
	)
	x := make([]float64, rows)
	n := make([]int64, rows)
	l := make([]string, rows)
	for i := range x {
		x[i] = math.Sin(float64(i)) * 10
		n[i] = int64(i % 7)
		l[i] = []string{"ham", "spam", "ham"}[i%3]
	}
	xc := table.NewFloat64Column(x, nil)
	xc.SetNull(3)
	b, err := table.NewBatch(schema, []table.Column{xc, table.NewInt64Column(n, nil), table.NewStringColumn(l, nil)})
	if err != nil {
		t.Fatal(err)
	}
	tb, _ := table.New(schema, b)
	tb, err = tb.Repartition((rows + parts - 1) / parts)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

func TestProfileValues(t *testing.T) {
	ctx := context.Background()
	e := &local.Engine{}
	tb := sample(t, 1000, 7)
	ds := tabletest.Dataset(t, e, tb)
	p, err := profile.Run(ctx, e, ds, profile.Profiler{Label: "label"})
	if err != nil {
		t.Fatal(err)
	}
	// Reference values computed directly.
	var sum, sq float64
	var cnt float64
	mn, mx := math.Inf(1), math.Inf(-1)
	for i := 0; i < 1000; i++ {
		if i == 3 {
			continue
		}
		v := math.Sin(float64(i)) * 10
		sum += v
		cnt++
		mn, mx = math.Min(mn, v), math.Max(mx, v)
	}
	mean := sum / cnt
	for i := 0; i < 1000; i++ {
		if i != 3 {
			d := math.Sin(float64(i))*10 - mean
			sq += d * d
		}
	}
	sd := math.Sqrt(sq / (cnt - 1))
	x := p.Columns[0]
	if p.Rows != 1000 || x.Nulls != 1 || x.NullPercent != 0.1 || float64(*x.Min) != mn || float64(*x.Max) != mx ||
		math.Abs(float64(*x.Mean)-mean) > 1e-12 || math.Abs(float64(*x.StdDev)-sd) > 1e-12 || x.Distinct != 999 || x.Approximate {
		t.Fatalf("x profile = %+v (mean %v sd %v)", x, mean, sd)
	}
	if n := p.Columns[1]; n.Distinct != 7 || *n.Min != 0 || *n.Max != 6 {
		t.Fatalf("n profile = %+v", n)
	}
	want := []profile.ClassCount{{Class: "ham", Count: 667, Percent: 66.7}, {Class: "spam", Count: 333, Percent: 33.3}}
	if !reflect.DeepEqual(p.Classes, want) {
		t.Fatalf("classes = %+v", p.Classes)
	}
}

func TestDistinctBecomesApproximate(t *testing.T) {
	ctx := context.Background()
	e := &local.Engine{}
	tb := sample(t, 50_000, 5)
	ds := tabletest.Dataset(t, e, tb)
	p, err := profile.Run(ctx, e, ds, profile.Profiler{DistinctBound: 1000})
	if err != nil {
		t.Fatal(err)
	}
	x := p.Columns[0]
	if !x.Approximate || math.Abs(float64(x.Distinct)-49_999)/49_999 > 0.03 {
		t.Fatalf("x distinct = %d approximate=%v, want ≈49999 within 3%%", x.Distinct, x.Approximate)
	}
	if n := p.Columns[1]; n.Approximate || n.Distinct != 7 {
		t.Fatalf("n distinct = %+v", n)
	}
}

func TestUnknownLabel(t *testing.T) {
	ctx := context.Background()
	e := &local.Engine{}
	ds := tabletest.Dataset(t, e, sample(t, 10, 1))
	if _, err := profile.Run(ctx, e, ds, profile.Profiler{Label: "nope"}); err == nil {
		t.Fatal("no error for a missing label column")
	}
}

// TestKernelsTravel proves the engine contract's portability for the
// profiler: each partition's kernel is encoded and decoded (as a worker in
// another process receives it), its partial encoded and decoded on the way
// back, and the merged result equals the in-process one. (The Beam
// engine's tests run kernels in other processes for real.)
func TestKernelsTravel(t *testing.T) {
	ctx := context.Background()
	tb := sample(t, 5000, 6)
	k := profile.Profiler{Label: "label", DistinctBound: 100}
	blob, err := engine.Encode(k)
	if err != nil {
		t.Fatal(err)
	}
	offs := tb.RowOffsets()
	var partials []any
	var agg engine.AnyAggregator
	for i, b := range tb.Partitions() {
		kk, err := engine.Decode(blob)
		if err != nil {
			t.Fatal(err)
		}
		agg = kk.(engine.AnyAggregator)
		_, p, err := engine.RunPartition(ctx, engine.PartitionInfo{Index: i, RowOffset: offs[i]}, b, nil, agg)
		if err != nil {
			t.Fatal(err)
		}
		wire, err := agg.EncodePartial(p)
		if err != nil {
			t.Fatal(err)
		}
		if p, err = agg.DecodePartial(wire); err != nil {
			t.Fatal(err)
		}
		partials = append(partials, p)
	}
	merged, err := engine.MergeTree(agg, partials)
	if err != nil {
		t.Fatal(err)
	}
	remote := profile.Finish(tb.Schema(), merged.(*profile.Partial), k.Label)
	e := &local.Engine{}
	ds, err := e.FromTable(ctx, tb)
	if err != nil {
		t.Fatal(err)
	}
	inProcess, err := profile.Run(ctx, e, ds, k)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(remote, inProcess) {
		t.Fatalf("travelled profile differs:\n%+v\n%+v", remote, inProcess)
	}
}

// TestInfinities: a column holding ±Inf has a defined mean (±Inf, or NaN
// when both signs occur), a NaN deviation, and a JSON encoding.
func TestInfinities(t *testing.T) {
	tests := []struct {
		vals           []float64
		min, max, mean float64
	}{
		{[]float64{1, math.Inf(1), 3}, 1, math.Inf(1), math.Inf(1)},
		{[]float64{math.Inf(-1), 2}, math.Inf(-1), 2, math.Inf(-1)},
		{[]float64{math.Inf(-1), math.Inf(1)}, math.Inf(-1), math.Inf(1), math.NaN()},
	}
	for _, tt := range tests {
		schema, _ := table.NewSchema(table.Field{Name: "x", Type: table.Float64})
		var parts []*table.Batch
		for _, v := range tt.vals { // one row a partition: the merge path too
			b, _ := table.NewBatch(schema, []table.Column{table.NewFloat64Column([]float64{v}, nil)})
			parts = append(parts, b)
		}
		tb, _ := table.New(schema, parts...)
		e := &local.Engine{}
		ds, err := e.FromTable(context.Background(), tb)
		if err != nil {
			t.Fatal(err)
		}
		p, err := profile.Run(context.Background(), e, ds, profile.Profiler{})
		if err != nil {
			t.Fatal(err)
		}
		c := p.Columns[0]
		same := func(a jsonnum.Float, b float64) bool {
			return float64(a) == b || math.IsNaN(float64(a)) && math.IsNaN(b)
		}
		if !same(*c.Min, tt.min) || !same(*c.Max, tt.max) || !same(*c.Mean, tt.mean) || !math.IsNaN(float64(*c.StdDev)) {
			t.Errorf("%v: min %v max %v mean %v sd %v", tt.vals, *c.Min, *c.Max, *c.Mean, *c.StdDev)
		}
		if _, err := json.Marshal(p); err != nil {
			t.Errorf("%v: JSON: %v", tt.vals, err)
		}
	}
}
