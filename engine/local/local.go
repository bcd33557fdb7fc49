// Package local is Spindle's embedded engine: datasets are partitions in
// memory and kernels run directly on goroutines, one partition per task,
// with as many tasks at once as GOMAXPROCS (or Engine.Parallelism).
//
// Map stages are lazy: an action (Persist, Collect, Aggregate) runs the
// chain of mappers fused, partition by partition, in parallel over
// partitions (a mapper that needs exact row offsets, engine.Positional,
// waits for its whole input). Persist keeps the result in memory, which is
// what iterative algorithms want.
package local

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/table"
)

// Engine is the embedded engine. Its zero value is ready to use.
type Engine struct {
	// Parallelism is how many partitions are processed at once.
	// If Parallelism is 0, it defaults to runtime.GOMAXPROCS(0).
	Parallelism int

	passes atomic.Int64
}

// Passes implements engine.PassCounter: every aggregation, every chain of
// mappers computed and every split read is a pass.
func (e *Engine) Passes() int64 { return e.passes.Load() }

var (
	_ engine.Engine  = (*Engine)(nil)
	_ engine.Batcher = (*Engine)(nil)
)

// dataset is either materialized (parts set) or a mapper over a parent.
type dataset struct {
	schema *table.Schema
	parts  []*table.Batch
	parent *dataset
	mapper engine.Mapper
}

func (d *dataset) Schema() *table.Schema { return d.schema }

// Name returns "local".
func (e *Engine) Name() string { return "local" }

func (e *Engine) workers() int {
	if e.Parallelism > 0 {
		return e.Parallelism
	}
	return runtime.GOMAXPROCS(0)
}

// FromTable wraps t's partitions (no copy).
func (e *Engine) FromTable(_ context.Context, t *table.Table) (engine.Dataset, error) {
	return &dataset{schema: t.Schema(), parts: t.Partitions()}, nil
}

func (e *Engine) own(ds engine.Dataset) (*dataset, error) {
	d, ok := ds.(*dataset)
	if !ok {
		return nil, fmt.Errorf("local engine: dataset %T belongs to another engine", ds)
	}
	return d, nil
}

// MapPartitions returns the lazy dataset m(ds).
func (e *Engine) MapPartitions(ds engine.Dataset, m engine.Mapper) (engine.Dataset, error) {
	d, err := e.own(ds)
	if err != nil {
		return nil, err
	}
	if _, err := engine.Encode(m); err != nil {
		return nil, fmt.Errorf("map partitions: %w", err)
	}
	schema, err := m.OutputSchema(d.schema)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", m.KernelName(), err)
	}
	return &dataset{schema: schema, parent: d, mapper: m}, nil
}

// Persist computes ds and returns it materialized in memory.
func (e *Engine) Persist(ctx context.Context, ds engine.Dataset) (engine.Dataset, error) {
	d, err := e.own(ds)
	if err != nil {
		return nil, err
	}
	parts, err := e.compute(ctx, d)
	if err != nil {
		return nil, err
	}
	return &dataset{schema: d.schema, parts: parts}, nil
}

// Collect computes ds and returns it as a table.
func (e *Engine) Collect(ctx context.Context, ds engine.Dataset) (*table.Table, error) {
	d, err := e.own(ds)
	if err != nil {
		return nil, err
	}
	parts, err := e.compute(ctx, d)
	if err != nil {
		return nil, err
	}
	return table.New(d.schema, parts...)
}

// compute materializes d (a persist of one dataset; see AggregateBatch).
func (e *Engine) compute(ctx context.Context, d *dataset) ([]*table.Batch, error) {
	if d.parent == nil {
		return d.parts, nil
	}
	res, err := e.AggregateBatch(ctx, []engine.Request{{Dataset: d}})
	if err != nil {
		return nil, err
	}
	return res[0].(*dataset).parts, nil
}

// AggregateAny folds each partition in parallel, then merges the partials
// pairwise in partition order (a fixed tree), so the result does not depend
// on scheduling. A chain of mappers over stored partitions is applied on
// the fly, fused with the fold (the aggregator then sees the row offsets
// of the chain's input, as on Beam); a chain with a positional mapper
// after its first is computed up to it first.
func (e *Engine) AggregateAny(ctx context.Context, ds engine.Dataset, a engine.AnyAggregator) (any, error) {
	res, err := e.AggregateBatch(ctx, []engine.Request{{Dataset: ds, Agg: a}})
	if err != nil {
		return nil, err
	}
	return res[0], nil
}

// AggregateBatch implements engine.Batcher: the partitions of every
// request are folded (or, for a persist, computed) in one parallel sweep,
// each aggregation's partials merged in its own fixed tree.
func (e *Engine) AggregateBatch(ctx context.Context, reqs []engine.Request) ([]any, error) {
	type job struct {
		schema *table.Schema
		parts  []*table.Batch
		offs   []int64
		steps  []engine.MapStep
		tm     *engine.TreeMerger // nil for a persist
		out    []*table.Batch     // a persist's partitions
	}
	jobs := make([]job, len(reqs))
	type task struct{ job, part int }
	var tasks []task
	pass := false
	for k, r := range reqs {
		d, err := e.own(r.Dataset)
		if err != nil {
			return nil, err
		}
		base, steps, err := e.segment(ctx, d)
		if err != nil {
			return nil, err
		}
		j := job{schema: d.schema, parts: base, offs: offsets(base), steps: steps}
		switch {
		case r.Agg != nil:
			j.tm = engine.NewTreeMerger(r.Agg, len(base))
		case len(steps) == 0: // stored already
			j.out = base
			jobs[k] = j
			continue
		default:
			j.out = make([]*table.Batch, len(base))
		}
		jobs[k] = j
		pass = true
		for i := range base {
			tasks = append(tasks, task{k, i})
		}
	}
	if pass {
		e.passes.Add(1)
	}
	// Partials are merged as they come, in MergeTree's fixed tree, so a
	// large partial (a Word2Vec model copy, a gradient) is not kept once
	// per partition.
	err := e.forEach(ctx, len(tasks), func(ctx context.Context, t int) error {
		j, i := &jobs[tasks[t].job], tasks[t].part
		a := reqs[tasks[t].job].Agg
		b, p, err := engine.RunPartition(ctx, engine.PartitionInfo{Index: i, RowOffset: j.offs[i]}, j.parts[i], j.steps, a)
		if err != nil {
			return err
		}
		if j.tm == nil {
			j.out[i] = b
			return nil
		}
		return j.tm.Add(i, p)
	})
	if err != nil {
		return nil, err
	}
	out := make([]any, len(reqs))
	for k, j := range jobs {
		if j.tm == nil {
			out[k] = &dataset{schema: j.schema, parts: j.out}
			continue
		}
		if out[k], err = j.tm.Result(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// segment returns d as stored partitions and the mappers still to apply
// to them, run fused, partition by partition (their intermediate columns
// are garbage as soon as a partition is done). A positional mapper
// starts the segment: what lies before it is computed first (a pass of
// its own), so that its row offsets are exact.
func (e *Engine) segment(ctx context.Context, d *dataset) ([]*table.Batch, []engine.MapStep, error) {
	var chain []*dataset // d and its fusable ancestors, last first
	base := d
	for base.parent != nil {
		chain = append(chain, base)
		positional := engine.IsPositional(base.mapper)
		base = base.parent
		if positional {
			break
		}
	}
	parts, err := e.compute(ctx, base)
	if err != nil {
		return nil, nil, err
	}
	steps := make([]engine.MapStep, len(chain))
	for k, st := range chain {
		steps[len(chain)-1-k] = engine.MapStep{Mapper: st.mapper, Schema: st.schema}
	}
	return parts, steps, nil
}

func (e *Engine) forEach(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(e.workers())
	for i := 0; i < n; i++ {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			return fn(ctx, i)
		})
	}
	return g.Wait()
}

func offsets(parts []*table.Batch) []int64 {
	off := make([]int64, len(parts))
	var n int64
	for i, p := range parts {
		off[i] = n
		n += int64(p.NumRows())
	}
	return off
}

// StoredRows implements engine.RowCounter.
func (e *Engine) StoredRows(ds engine.Dataset) (int64, bool) {
	d, ok := ds.(*dataset)
	if !ok || d.parent != nil {
		return 0, false
	}
	var n int64
	for _, p := range d.parts {
		n += int64(p.NumRows())
	}
	return n, true
}

// Resident implements engine.Resident: the embedded engine's data is in
// this process.
func (e *Engine) Resident() bool { return true }

// part is a partition a split read made, kept in memory.
type part struct{ b *table.Batch }

func (p part) Schema() *table.Schema { return p.b.Schema() }
func (p part) NumRows() int64        { return int64(p.b.NumRows()) }

// ReadSplits implements engine.Splitter: the splits are read on all
// cores, and their partitions kept in memory.
func (e *Engine) ReadSplits(ctx context.Context, r engine.SplitReader) ([]engine.SplitResult, error) {
	if _, err := engine.Encode(r); err != nil {
		return nil, fmt.Errorf("read splits: %w", err)
	}
	e.passes.Add(1)
	out := make([]engine.SplitResult, r.NumSplits())
	err := e.forEach(ctx, len(out), func(ctx context.Context, i int) error {
		parts, rep, err := r.ReadSplit(ctx, i)
		if err != nil {
			return err
		}
		out[i].Report = rep
		for _, b := range parts {
			out[i].Parts = append(out[i].Parts, part{b})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// FromParts implements engine.Splitter.
func (e *Engine) FromParts(_ context.Context, schema *table.Schema, parts []engine.Part) (engine.Dataset, error) {
	bs := make([]*table.Batch, len(parts))
	for i, p := range parts {
		lp, ok := p.(part)
		if !ok {
			return nil, fmt.Errorf("local engine: part %T belongs to another engine", p)
		}
		if !lp.b.Schema().Equal(schema) {
			return nil, fmt.Errorf("local engine: part %d has schema (%v), want (%v)", i, lp.b.Schema(), schema)
		}
		bs[i] = lp.b
	}
	return &dataset{schema: schema, parts: bs}, nil
}
