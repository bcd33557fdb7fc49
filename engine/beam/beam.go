// Package beam is the engine contract on Apache Beam (Go SDK). A dataset
// is a directory of partition files (table.EncodeBatch) plus the mappers
// still to apply; every action — Persist, Collect, Aggregate — is one Beam
// job whose elements are groups of partitions (reshuffled, so a runner can
// spread them; each runs its partitions on all cores) and whose DoFn carries the
// encoded kernels as fields (no closure crosses the boundary). An
// aggregation's partials are written next to the data and merged on the
// driver with engine.MergeTree, the local engine's tree, so both engines
// give identical results.
//
// This first version runs jobs on prism in process; data is staged on a
// local directory or an s3:// prefix (the workers read and write it through
// package storage). Job servers and external workers are to follow (the
// Beam issue).
package beam

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"

	beamsdk "github.com/apache/beam/sdks/v2/go/pkg/beam"
	beamlog "github.com/apache/beam/sdks/v2/go/pkg/beam/log"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"
	"golang.org/x/sync/errgroup"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

func init() {
	register.DoFn2x0[[]byte, func(int)](&emitPartitions{})
	register.Emitter1[int]()
	register.DoFn2x1[context.Context, int, error](&partitionFn{})
}

var initOnce sync.Once

// Engine runs kernels as Beam jobs on prism, in process.
type Engine struct {
	// Staging is the directory or s3:// prefix datasets and partials are
	// written under; if empty, a local temporary directory is made on
	// first use.
	Staging string
	// Storage configures S3 access (endpoint, region) for the driver and
	// the workers alike; credentials come from the AWS SDK's chain.
	Storage storage.Options
}

type dataset struct {
	schema  *table.Schema
	dir     string
	rows    []int64
	mappers []engine.Mapper
}

func (d *dataset) Schema() *table.Schema { return d.schema }

// Name implements engine.Engine.
func (e *Engine) Name() string { return "beam-prism" }

// staging returns a new, unique directory under Staging.
func (e *Engine) staging() (string, error) {
	if e.Staging == "" {
		dir, err := os.MkdirTemp("", "spindle-beam-")
		if err != nil {
			return "", fmt.Errorf("beam staging: %w", err)
		}
		e.Staging = dir
	}
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return storage.Join(e.Staging, "ds-"+hex.EncodeToString(b)), nil
}

func partFile(dir string, i int) string { return storage.Join(dir, fmt.Sprintf("part-%05d.batch", i)) }

// FromTable implements engine.Engine: the table's partitions are written
// as files.
func (e *Engine) FromTable(ctx context.Context, t *table.Table) (engine.Dataset, error) {
	dir, err := e.staging()
	if err != nil {
		return nil, err
	}
	st := storage.New(e.Storage)
	d := &dataset{schema: t.Schema(), dir: dir}
	for i, b := range t.Partitions() {
		var buf bytes.Buffer
		if err := table.EncodeBatch(&buf, b); err != nil {
			return nil, err
		}
		if err := st.WriteFile(ctx, partFile(dir, i), buf.Bytes()); err != nil {
			return nil, fmt.Errorf("beam staging: %w", err)
		}
		d.rows = append(d.rows, int64(b.NumRows()))
	}
	return d, nil
}

// readFile reads a whole staged file.
func readFile(ctx context.Context, st *storage.Store, uri string) ([]byte, error) {
	r, err := st.Open(ctx, uri)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", uri, err)
	}
	return data, nil
}

func (e *Engine) own(ds engine.Dataset) (*dataset, error) {
	d, ok := ds.(*dataset)
	if !ok {
		return nil, fmt.Errorf("beam engine: dataset %T belongs to another engine", ds)
	}
	return d, nil
}

// MapPartitions implements engine.Engine (lazily).
func (e *Engine) MapPartitions(ds engine.Dataset, m engine.Mapper) (engine.Dataset, error) {
	d, err := e.own(ds)
	if err != nil {
		return nil, err
	}
	out, err := m.OutputSchema(d.schema)
	if err != nil {
		return nil, err
	}
	return &dataset{schema: out, dir: d.dir, rows: d.rows, mappers: append(append([]engine.Mapper(nil), d.mappers...), m)}, nil
}

// settle materializes d until no positional mapper follows another mapper
// (a positional mapper needs the exact row offsets of its input).
func (e *Engine) settle(ctx context.Context, d *dataset) (*dataset, error) {
	for i := 1; i < len(d.mappers); i++ {
		if engine.IsPositional(d.mappers[i]) {
			head := &dataset{schema: d.schema, dir: d.dir, rows: d.rows, mappers: d.mappers[:i]}
			p, err := e.persist(ctx, head)
			if err != nil {
				return nil, err
			}
			return e.settle(ctx, &dataset{schema: d.schema, dir: p.dir, rows: p.rows, mappers: d.mappers[i:]})
		}
	}
	return d, nil
}

// Persist implements engine.Engine: one job writes the mapped partitions.
func (e *Engine) Persist(ctx context.Context, ds engine.Dataset) (engine.Dataset, error) {
	d, err := e.own(ds)
	if err != nil {
		return nil, err
	}
	if d, err = e.settle(ctx, d); err != nil {
		return nil, err
	}
	if len(d.mappers) == 0 {
		return d, nil
	}
	return e.persist(ctx, d)
}

func (e *Engine) persist(ctx context.Context, d *dataset) (*dataset, error) {
	out, err := e.staging()
	if err != nil {
		return nil, err
	}
	if err := e.run(ctx, d, out, nil); err != nil {
		return nil, err
	}
	p := &dataset{schema: d.schema, dir: out}
	st := storage.New(e.Storage)
	for i := range d.rows {
		n, err := readFile(ctx, st, partFile(out, i)+".rows")
		if err != nil {
			return nil, fmt.Errorf("beam persist: %w", err)
		}
		var rows int64
		if _, err := fmt.Sscan(string(n), &rows); err != nil {
			return nil, fmt.Errorf("beam persist: %w", err)
		}
		p.rows = append(p.rows, rows)
	}
	return p, nil
}

// Collect implements engine.Engine.
func (e *Engine) Collect(ctx context.Context, ds engine.Dataset) (*table.Table, error) {
	p, err := e.Persist(ctx, ds)
	if err != nil {
		return nil, err
	}
	d := p.(*dataset)
	st := storage.New(e.Storage)
	var parts []*table.Batch
	for i := range d.rows {
		data, err := readFile(ctx, st, partFile(d.dir, i))
		if err != nil {
			return nil, fmt.Errorf("beam collect: %w", err)
		}
		b, err := table.DecodeBatch(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("beam collect %s: %w", partFile(d.dir, i), err)
		}
		parts = append(parts, b)
	}
	return table.New(d.schema, parts...)
}

// AggregateAny implements engine.Engine: one job folds every partition;
// the driver merges the partials in MergeTree's order.
func (e *Engine) AggregateAny(ctx context.Context, ds engine.Dataset, a engine.AnyAggregator) (any, error) {
	d, err := e.own(ds)
	if err != nil {
		return nil, err
	}
	if d, err = e.settle(ctx, d); err != nil {
		return nil, err
	}
	out, err := e.staging()
	if err != nil {
		return nil, err
	}
	agg, err := engine.Encode(a)
	if err != nil {
		return nil, err
	}
	if err := e.run(ctx, d, out, agg); err != nil {
		return nil, err
	}
	partials := make([]any, len(d.rows))
	st := storage.New(e.Storage)
	for i := range partials {
		data, err := readFile(ctx, st, partFile(out, i)+".partial")
		if err != nil {
			return nil, fmt.Errorf("beam aggregate: %w", err)
		}
		if partials[i], err = a.DecodePartial(data); err != nil {
			return nil, fmt.Errorf("beam aggregate %s: %w", a.KernelName(), err)
		}
	}
	return engine.MergeTree(a, partials)
}

// run executes one job over d's partitions: apply the mappers, then fold
// with agg (writing partials) or, without agg, write the mapped batches.
func (e *Engine) run(ctx context.Context, d *dataset, out string, agg []byte) error {
	fn := &partitionFn{In: d.dir, Out: out, Agg: agg, Storage: e.Storage}
	var off int64
	for _, n := range d.rows {
		fn.Offsets = append(fn.Offsets, off)
		off += n
	}
	for _, m := range d.mappers {
		k, err := engine.Encode(m)
		if err != nil {
			return err
		}
		fn.Mappers = append(fn.Mappers, k)
	}
	// The SDK's process-wide set-up; in a worker binary, main must call
	// beam.Init itself, first thing (it then runs as the worker).
	initOnce.Do(func() {
		// The SDK and prism log each job's every step at INFO through the
		// default logger; keep only warnings and errors.
		beamlog.LogLevel = "warn"
		beamsdk.Init()
	})
	// Partitions go out in groups, one element each, reshuffled so that a
	// runner can spread them over its workers; a DoFn runs its group's
	// partitions on all the cores it has (prism gives one bundle to a
	// stage, so the cores are where its parallelism comes from).
	groups := (len(d.rows) + groupSize - 1) / groupSize
	fn.Group = groupSize
	p, s := beamsdk.NewPipelineWithRoot()
	idx := beamsdk.ParDo(s, &emitPartitions{N: groups}, beamsdk.Impulse(s))
	beamsdk.ParDo0(s, fn, beamsdk.Reshuffle(s, idx))
	if _, err := prism.Execute(ctx, p); err != nil {
		return fmt.Errorf("beam job: %w", err)
	}
	return nil
}

// groupSize is how many partitions one element of a job covers.
const groupSize = 16

// emitPartitions emits the group indices 0 … N−1.
type emitPartitions struct{ N int }

func (e *emitPartitions) ProcessElement(_ []byte, emit func(int)) {
	for i := 0; i < e.N; i++ {
		emit(i)
	}
}

// partitionFn is the DoFn of every job: its fields are the encoded
// kernels and the directories, so it runs the same in any worker.
type partitionFn struct {
	In, Out string
	Offsets []int64
	Mappers [][]byte
	Agg     []byte
	Storage storage.Options
	Group   int
}

// ProcessElement runs the partitions of group g, in parallel.
func (f *partitionFn) ProcessElement(ctx context.Context, g int) error {
	// The kernels are decoded once per element, not once per partition.
	var mappers []engine.Mapper
	for _, enc := range f.Mappers {
		k, err := engine.Decode(enc)
		if err != nil {
			return err
		}
		m, ok := k.(engine.Mapper)
		if !ok {
			return fmt.Errorf("%s is not a mapper", k.KernelName())
		}
		mappers = append(mappers, m)
	}
	var agg engine.AnyAggregator
	if f.Agg != nil {
		k, err := engine.Decode(f.Agg)
		if err != nil {
			return err
		}
		var ok bool
		if agg, ok = k.(engine.AnyAggregator); !ok {
			return fmt.Errorf("%s is not an aggregator", k.KernelName())
		}
	}
	st := storage.New(f.Storage)
	eg, ctx := errgroup.WithContext(ctx)
	eg.SetLimit(runtime.GOMAXPROCS(0))
	for part := g * f.Group; part < min((g+1)*f.Group, len(f.Offsets)); part++ {
		eg.Go(func() error { return f.partition(ctx, st, part, mappers, agg) })
	}
	return eg.Wait()
}

func (f *partitionFn) partition(ctx context.Context, st *storage.Store, part int, mappers []engine.Mapper, agg engine.AnyAggregator) error {
	data, err := readFile(ctx, st, partFile(f.In, part))
	if err != nil {
		return err
	}
	b, err := table.DecodeBatch(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("%s: %w", partFile(f.In, part), err)
	}
	info := engine.PartitionInfo{Index: part, RowOffset: f.Offsets[part]}
	for _, m := range mappers {
		if b, err = m.MapPartition(ctx, info, b); err != nil {
			return fmt.Errorf("%s on partition %d: %w", m.KernelName(), part, err)
		}
	}
	if agg == nil {
		var buf bytes.Buffer
		if err := table.EncodeBatch(&buf, b); err != nil {
			return err
		}
		if err := st.WriteFile(ctx, partFile(f.Out, part), buf.Bytes()); err != nil {
			return err
		}
		return st.WriteFile(ctx, partFile(f.Out, part)+".rows", []byte(fmt.Sprint(b.NumRows())))
	}
	p, err := agg.FoldAny(ctx, info, agg.ZeroAny(), b)
	if err != nil {
		return fmt.Errorf("%s on partition %d: %w", agg.KernelName(), part, err)
	}
	enc, err := agg.EncodePartial(p)
	if err != nil {
		return err
	}
	return st.WriteFile(ctx, partFile(f.Out, part)+".partial", enc)
}
