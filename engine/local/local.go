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
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/table"
)

func init() {
	engine.RegisterEngine(engine.EngineInfo{
		Names: []string{"local"}, Kind: "the embedded engine", Default: true,
		Open: func(context.Context, string, []engine.SettingValue, engine.Env) (engine.Engine, error) {
			return &Engine{}, nil
		},
	})
}

// Engine is the embedded engine. Its zero value is ready to use.
type Engine struct {
	// Parallelism is how many partitions are processed at once.
	// If Parallelism is 0, it defaults to runtime.GOMAXPROCS(0).
	Parallelism int

	passes atomic.Int64
}

// Passes implements sched.PassCounter: every aggregation, every chain of
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
	// released: the next pass over parts frees them as it goes (Release);
	// freed: a pass did, and the dataset is gone.
	released, freed atomic.Bool
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
		if d.freed.Load() {
			return nil, errReleased
		}
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
// each aggregation's partials merged in its own fixed tree. What must be
// computed first (the input of a positional mapper) is computed for all
// requests in one pass before, each such input once. A partition of an
// input this pass computed, or of a released dataset (Release), is
// dropped as soon as every request has read it.
func (e *Engine) AggregateBatch(ctx context.Context, reqs []engine.Request) ([]any, error) {
	type source struct {
		d       *dataset       // the stored dataset, or the computed one's definition
		parts   []*table.Batch // its partitions
		free    bool           // drop each partition once read
		pending []atomic.Int32 // reads left per partition
	}
	type job struct {
		schema *table.Schema
		src    *source
		offs   []int64
		steps  []engine.MapStep
		tm     *engine.TreeMerger // nil for a persist
		out    []*table.Batch     // a persist's partitions
	}
	// Each request's fused segment: a stored or to-be-computed base and
	// the mappers over it.
	bases := make([]*dataset, len(reqs))
	stepsOf := make([][]engine.MapStep, len(reqs))
	var toCompute []engine.Request
	computed := map[*dataset]int{}
	for k, r := range reqs {
		d, err := e.own(r.Dataset)
		if err != nil {
			return nil, err
		}
		bases[k], stepsOf[k] = segment(d)
		if b := bases[k]; b.parent != nil {
			if _, ok := computed[b]; !ok {
				computed[b] = len(toCompute)
				toCompute = append(toCompute, engine.Request{Dataset: b})
			}
		} else if b.freed.Load() {
			return nil, errReleased
		}
	}
	sources := map[*dataset]*source{}
	if len(toCompute) > 0 {
		res, err := e.AggregateBatch(ctx, toCompute)
		if err != nil {
			return nil, err
		}
		for b, i := range computed {
			sources[b] = &source{d: b, parts: res[i].(*dataset).parts, free: true}
		}
	}
	jobs := make([]job, len(reqs))
	type task struct{ job, part int }
	var tasks []task
	pass := false
	for k, r := range reqs {
		b := bases[k]
		src := sources[b]
		if src == nil {
			src = &source{d: b, parts: b.parts, free: b.released.Load()}
			sources[b] = src
		}
		j := job{schema: r.Dataset.Schema(), src: src, offs: offsets(src.parts), steps: stepsOf[k]}
		switch {
		case r.Agg != nil:
			j.tm = engine.NewTreeMerger(r.Agg, len(src.parts))
		case len(j.steps) == 0: // stored already: returned as it is, so kept
			src.free = false
			j.out = src.parts
			jobs[k] = j
			continue
		default:
			j.out = make([]*table.Batch, len(src.parts))
		}
		jobs[k] = j
		pass = true
		if src.pending == nil {
			src.pending = make([]atomic.Int32, len(src.parts))
		}
		for i := range src.parts {
			src.pending[i].Add(1)
			tasks = append(tasks, task{k, i})
		}
	}
	if pass {
		e.passes.Add(1)
	}
	// Partition by partition, every request's task in turn: the requests
	// reading one input partition run together, so it is freed early.
	slices.SortStableFunc(tasks, func(a, b task) int { return cmp.Compare(a.part, b.part) })
	// Partials are merged as they come, in MergeTree's fixed tree, so a
	// large partial (a Word2Vec model copy, a gradient) is not kept once
	// per partition.
	err := e.forEach(ctx, len(tasks), func(ctx context.Context, t int) error {
		j, i := &jobs[tasks[t].job], tasks[t].part
		a := reqs[tasks[t].job].Agg
		b, p, err := engine.RunPartition(ctx, engine.PartitionInfo{Index: i, RowOffset: j.offs[i]}, j.src.parts[i], j.steps, a)
		if err != nil {
			return err
		}
		if j.src.free && j.src.pending[i].Add(-1) == 0 {
			j.src.parts[i] = nil // every request has read it
		}
		if j.tm == nil {
			j.out[i] = b
			return nil
		}
		return j.tm.Add(i, p)
	})
	for _, src := range sources {
		if src.free && src.d.parent == nil && src.pending != nil {
			src.d.freed.Store(true)
		}
	}
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

// segment returns d's stored (or to be computed) base and the mappers
// still to apply to it, run fused, partition by partition (their
// intermediate columns are garbage as soon as a partition is done). A
// positional mapper starts the segment: what lies before it is computed
// first (AggregateBatch does, for all its requests in one pass), so that
// its row offsets are exact.
func segment(d *dataset) (*dataset, []engine.MapStep) {
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
	steps := make([]engine.MapStep, len(chain))
	for k, st := range chain {
		steps[len(chain)-1-k] = engine.MapStep{Mapper: st.mapper, Schema: st.schema}
	}
	return base, steps
}

// errReleased is the error of a pass over a released dataset that a pass
// has consumed.
var errReleased = errors.New("local engine: the dataset was released (engine.Release) and a pass has consumed it")

// Release implements engine.Releaser: the stored dataset under ds is
// freed, partition by partition, by the next pass that reads it.
func (e *Engine) Release(ds engine.Dataset) {
	d, err := e.own(ds)
	if err != nil {
		return
	}
	for d.parent != nil {
		d = d.parent
	}
	d.released.Store(true)
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
	if !ok || d.parent != nil || d.freed.Load() {
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
