// Package beam is the engine contract on Apache Beam (Go SDK). A dataset
// is a directory of partition files (Arrow IPC, internal/colfile) plus the mappers
// still to apply; every action — Persist, Collect, Aggregate — is one Beam
// job whose elements are groups of partitions (reshuffled, so a runner can
// spread them; each runs its partitions on all cores) and whose DoFn carries
// the encoded kernels as fields (no closure crosses the boundary). An
// aggregation's partials are written next to the data, one file per
// partition, and merged on the driver with engine.MergeTree, the local
// engine's tree, so both engines give identical results.
//
// Jobs run where Engine.Runner says: prism in this process (the default),
// a standalone prism, Flink or Spark job server, or Dataflow. Data is
// staged on a local directory (for workers on this machine) or an s3://
// prefix; the workers read and write it through package storage.
//
// Fault behaviour. Every output a worker writes has a name fixed by the
// partition it comes from, and is written whole (renamed in, or one S3
// PUT), so a bundle the runner retries overwrites its own earlier output
// and nothing is counted twice. Every pass's output directory is named by
// a digest of what it computes — the input data's digest, the mappers' and
// the aggregator's sched.Fingerprint — and is marked complete with a
// _SUCCESS object once the job has succeeded. A rerun with the same
// staging location therefore finds each pass an interrupted run had
// finished and reads its result instead of running it again: the optimizer
// replays those iterations from the recorded gradients, bit for bit, and
// goes on from the first pass that had not completed. The staged passes
// are this engine's checkpoint.
package beam

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"golang.org/x/sync/errgroup"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/engine/sched"
	"github.com/spindle-ml/spindle/internal/colfile"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

func init() {
	register.DoFn2x0[[]byte, func(int)](&emitPartitions{})
	register.Emitter1[int]()
	register.Function1x0(discard)
	register.DoFn3x1[context.Context, int, func(int), error](&partitionFn{})
}

var _ engine.Batcher = (*Engine)(nil)

// Engine runs kernels as Beam jobs. Use it through a pointer; it is safe
// for concurrent use.
type Engine struct {
	// Runner says where the jobs run; the zero value is prism in process.
	Runner Runner
	// Staging is the directory or s3:// prefix datasets and partials are
	// written under (the workers must reach it). If empty, a local
	// temporary directory is made on first use and removed by Close. A
	// rerun with the same Staging reuses every pass already completed
	// there.
	Staging string
	// Storage configures S3 access (endpoint, region) for the driver and
	// the workers alike; credentials come from the AWS SDK's chain.
	Storage storage.Options
	// Cache is the node-local copy workers keep of staged partitions
	// fetched from S3 (off when Cache.MaxBytes is 0).
	Cache Cache
	// NoReuse runs every pass even when its output is already staged
	// (for benchmarks; results are the same either way).
	NoReuse bool
	// Log, if set, gets a debug line per job and per reused pass.
	Log *slog.Logger

	once  sync.Once
	ready error
	root  string
	temp  bool
	st    *storage.Store
	// workerStorage is Storage with Dir set to this process's working
	// directory, for the workers.
	workerStorage storage.Options
	jobs          atomic.Int64
	reused        atomic.Int64
}

var _ engine.Engine = (*Engine)(nil)

type dataset struct {
	schema *table.Schema
	dir    string
	id     string // digest of the data in dir
	rows   []int64
	// files are the partition files, when they are not dir's part-NNNNN
	// (a dataset of parts that split reads staged).
	files   []string
	mappers []engine.Mapper
}

func (d *dataset) Schema() *table.Schema { return d.schema }

// file returns the URI of partition i.
func (d *dataset) file(i int) string {
	if d.files != nil {
		return d.files[i]
	}
	return partFile(d.dir, i)
}

// Name implements engine.Engine: "beam-" and the runner's name.
func (e *Engine) Name() string { return "beam-" + e.Runner.name() }

// Passes implements sched.PassCounter: the jobs run (a pass found done
// in the staging location is not run, and not counted).
func (e *Engine) Passes() int64 { return e.jobs.Load() }

// Stats reports how many jobs this engine ran and how many passes it
// found already done in its staging location.
func (e *Engine) Stats() (jobs, reused int64) { return e.jobs.Load(), e.reused.Load() }

func (e *Engine) log() *slog.Logger {
	if e.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Log
}

// Close removes the staging directory if the engine made it.
func (e *Engine) Close() error {
	if e.temp {
		return os.RemoveAll(e.root)
	}
	return nil
}

// prepare checks the runner and the staging location once.
func (e *Engine) prepare(ctx context.Context) error {
	e.once.Do(func() {
		if e.ready = e.Runner.Validate(); e.ready != nil {
			e.ready = fmt.Errorf("beam: %w", e.ready)
			return
		}
		if e.ready = checkEndpoint(ctx, e.Runner); e.ready != nil {
			return
		}
		e.root = e.Staging
		if e.root == "" {
			dir, err := os.MkdirTemp("", "spindle-beam-")
			if err != nil {
				e.ready = fmt.Errorf("beam staging: %w", err)
				return
			}
			e.root, e.temp = dir, true
		}
		// Fail now, with the location's name, rather than inside a job.
		e.st = storage.New(e.Storage)
		// The workers resolve a relative local path (the staging
		// directory) against this process's directory, not theirs.
		e.workerStorage = e.st.ForWorkers()
		if err := e.st.CheckWritable(ctx, e.root); err != nil {
			e.ready = fmt.Errorf("beam staging location %s is not writable: %w", e.root, err)
			return
		}
	})
	return e.ready
}

func randomID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func partFile(dir string, i int) string { return storage.Join(dir, partName(i)) }

// manifest is the _SUCCESS object of a completed dataset or aggregation.
type manifest struct {
	Rows  []int64  `json:"rows,omitempty"` // rows per partition, for a dataset
	Files []string `json:"files"`          // what the pass wrote, under its directory
}

// partNames names a dataset's n partition files.
func partNames(n int) []string {
	fs := make([]string, n)
	for i := range fs {
		fs[i] = partName(i)
	}
	return fs
}

func partName(i int) string { return fmt.Sprintf("part-%05d.arrow", i) }

// groupNames names the group files of a job over n partitions.
func groupNames(n int) []string {
	fs := make([]string, (n+groupSize-1)/groupSize)
	for g := range fs {
		fs[g] = groupName(g)
	}
	return fs
}

func groupName(g int) string { return fmt.Sprintf("group-%05d.cbor", g) }

// done reads dir's _SUCCESS; ok is false when the pass has not completed,
// or when a file it wrote is missing (workers write without waiting for
// the disk, so a machine crash can lose some): the pass then runs again.
func (e *Engine) done(ctx context.Context, dir string) (m manifest, ok bool, err error) {
	if e.NoReuse {
		return m, false, nil
	}
	data, err := e.st.ReadFile(ctx, storage.Join(dir, "_SUCCESS"))
	if errors.Is(err, storage.ErrNotFound) {
		return m, false, nil
	}
	if err != nil {
		return m, false, err
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, false, fmt.Errorf("%s: %w", storage.Join(dir, "_SUCCESS"), err)
	}
	objs, err := e.st.List(ctx, dir)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return m, false, err
	}
	have := make(map[string]bool, len(objs))
	for _, o := range objs {
		have[o.URI] = o.Size > 0
	}
	for _, f := range m.Files {
		if !have[storage.Join(dir, f)] {
			e.log().Warn("beam pass output incomplete; running it again", "dir", dir, "missing", f)
			return manifest{}, false, nil
		}
	}
	e.reused.Add(1)
	e.log().Debug("beam pass reused", "dir", dir)
	return m, true, nil
}

// finish marks dir's pass complete.
func (e *Engine) finish(ctx context.Context, dir string, m manifest) error {
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := e.st.WriteFile(ctx, storage.Join(dir, "_SUCCESS"), data); err != nil {
		return fmt.Errorf("beam staging: %w", err)
	}
	return nil
}

// forEach runs fn(ctx, i) for i in [0, n) on all cores and returns the
// first error. A panic in fn (a kernel's bug) becomes an error with its
// stack: on goroutines of its own, the SDK harness could not catch it,
// and a worker — the driver itself, under LOOPBACK — would die.
func forEach(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(runtime.GOMAXPROCS(0))
	for i := range n {
		eg.Go(func() (err error) {
			defer func() {
				if p := recover(); p != nil {
					err = fmt.Errorf("panic in item %d: %v\n%s", i, p, debug.Stack())
				}
			}()
			return fn(ectx, i)
		})
	}
	return eg.Wait()
}

// digest names a pass: its input's digest and its kernels' fingerprints. A
// kernel that cannot be fingerprinted gives a random name (the pass is then
// never reused).
func digest(prefix, input string, kernels ...engine.Kernel) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s", prefix, input)
	for _, k := range kernels {
		fp, err := sched.Fingerprint(k)
		if err != nil {
			return prefix + "-r" + randomID()
		}
		fmt.Fprintf(h, "\x00%s", fp)
	}
	return prefix + "-" + hex.EncodeToString(h.Sum(nil))[:32]
}

// FromTable implements engine.Engine: the table's partitions are written
// as files, under a name that is the digest of their bytes. The partitions
// are encoded twice — once to name the dataset, once to write it — so
// that no more than a few encoded partitions are in memory at a time.
func (e *Engine) FromTable(ctx context.Context, t *table.Table) (engine.Dataset, error) {
	if err := e.prepare(ctx); err != nil {
		return nil, err
	}
	parts := t.Partitions()
	sums := make([][]byte, len(parts))
	rows := make([]int64, len(parts))
	for i, b := range parts {
		rows[i] = int64(b.NumRows())
	}
	err := forEach(ctx, len(parts), func(_ context.Context, i int) error {
		h := sha256.New()
		if err := colfile.Encode(h, parts[i]); err != nil {
			return err
		}
		sums[i] = h.Sum(nil)
		return nil
	})
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	for _, s := range sums {
		h.Write(s)
	}
	id := "src-" + hex.EncodeToString(h.Sum(nil))[:32]
	dir := storage.Join(e.root, id)
	d := &dataset{schema: t.Schema(), dir: dir, id: id, rows: rows}
	if _, ok, err := e.done(ctx, dir); err != nil || ok {
		return d, err
	}
	err = forEach(ctx, len(parts), func(ctx context.Context, i int) error {
		var buf bytes.Buffer
		if err := colfile.Encode(&buf, parts[i]); err != nil {
			return err
		}
		if err := e.st.WriteScratch(ctx, partFile(dir, i), buf.Bytes()); err != nil {
			return fmt.Errorf("beam staging: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return d, e.finish(ctx, dir, manifest{Rows: rows, Files: partNames(len(rows))})
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
	return &dataset{schema: out, dir: d.dir, id: d.id, rows: d.rows, files: d.files, mappers: append(append([]engine.Mapper(nil), d.mappers...), m)}, nil
}

func (d *dataset) kernels() []engine.Kernel {
	ks := make([]engine.Kernel, len(d.mappers))
	for i, m := range d.mappers {
		ks[i] = m
	}
	return ks
}

// settle materializes d until no positional mapper follows another mapper
// (a positional mapper needs the exact row offsets of its input).
func (e *Engine) settle(ctx context.Context, d *dataset) (*dataset, error) {
	for i := 1; i < len(d.mappers); i++ {
		if engine.IsPositional(d.mappers[i]) {
			head := &dataset{schema: d.schema, dir: d.dir, id: d.id, rows: d.rows, files: d.files, mappers: d.mappers[:i]}
			p, err := e.persist(ctx, head)
			if err != nil {
				return nil, err
			}
			return e.settle(ctx, &dataset{schema: d.schema, dir: p.dir, id: p.id, rows: p.rows, mappers: d.mappers[i:]})
		}
	}
	return d, nil
}

// build returns what the jobs' DoFns carry as the driver's build: its
// digest when a Spindle pool runs them, else nothing.
func (e *Engine) build() (string, error) {
	if !e.Runner.SpindlePool {
		return "", nil
	}
	return BuildDigest()
}

// StoredRows implements engine.RowCounter: a staged dataset's manifest
// holds its partitions' row counts.
func (e *Engine) StoredRows(ds engine.Dataset) (int64, bool) {
	d, ok := ds.(*dataset)
	if !ok || len(d.mappers) > 0 || d.rows == nil {
		return 0, false
	}
	var n int64
	for _, r := range d.rows {
		n += r
	}
	return n, true
}

// Persist implements engine.Engine: one job writes the mapped partitions.
func (e *Engine) Persist(ctx context.Context, ds engine.Dataset) (engine.Dataset, error) {
	d, err := e.own(ds)
	if err != nil {
		return nil, err
	}
	return e.persist(ctx, d)
}

// persist runs (or finds staged) the job that writes d's partitions: a
// batch of one persist.
func (e *Engine) persist(ctx context.Context, d *dataset) (*dataset, error) {
	res, err := e.AggregateBatch(ctx, []engine.Request{{Dataset: d}})
	if err != nil {
		return nil, err
	}
	return res[0].(*dataset), nil
}

// finishPersist reads the row counts of the job that wrote p (from d)
// and marks p complete.
func (e *Engine) finishPersist(ctx context.Context, d, p *dataset) error {
	entries, err := readGroups(ctx, e.st, p.dir, len(d.rows))
	if err != nil {
		return fmt.Errorf("beam persist: %w", err)
	}
	p.rows = make([]int64, 0, len(entries))
	for _, en := range entries {
		p.rows = append(p.rows, en.Rows)
	}
	// The group files only carried the row counts: the dataset is its
	// partition files.
	return e.finish(ctx, p.dir, manifest{Rows: p.rows, Files: partNames(len(p.rows))})
}

// Collect implements engine.Engine.
func (e *Engine) Collect(ctx context.Context, ds engine.Dataset) (*table.Table, error) {
	p, err := e.Persist(ctx, ds)
	if err != nil {
		return nil, err
	}
	d := p.(*dataset)
	parts := make([]*table.Batch, len(d.rows))
	err = forEach(ctx, len(parts), func(ctx context.Context, i int) (err error) {
		parts[i], err = readBatch(ctx, e.st, Cache{}, d.file(i))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("beam collect: %w", err)
	}
	return table.New(d.schema, parts...)
}

// readBatch reads and decodes one staged partition.
func readBatch(ctx context.Context, st *storage.Store, c Cache, uri string) (*table.Batch, error) {
	data, err := readStaged(ctx, st, c, uri)
	if err != nil {
		return nil, err
	}
	b, err := colfile.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", uri, err)
	}
	return b, nil
}

// AggregateAny implements engine.Engine: one job folds every partition;
// the driver merges the partials in MergeTree's order.
func (e *Engine) AggregateAny(ctx context.Context, ds engine.Dataset, a engine.AnyAggregator) (any, error) {
	res, err := e.AggregateBatch(ctx, []engine.Request{{Dataset: ds, Agg: a}})
	if err != nil {
		return nil, err
	}
	return res[0], nil
}

// AggregateBatch implements engine.Batcher: the aggregations and persists
// not already staged run as one job (a branch per request); each
// aggregation is then merged on the driver as AggregateAny merges it.
func (e *Engine) AggregateBatch(ctx context.Context, reqs []engine.Request) ([]any, error) {
	type item struct {
		d       *dataset
		out     string
		done    bool // staged already, or computed by an earlier branch (dup)
		dup     bool
		persist bool
		stored  *dataset // a persist's result when nothing is to run
	}
	items := make([]item, len(reqs))
	var branches []branch
	running := map[string]bool{} // outputs a branch computes (the same pass twice runs once)
	for k, r := range reqs {
		d, err := e.own(r.Dataset)
		if err != nil {
			return nil, err
		}
		if d, err = e.settle(ctx, d); err != nil {
			return nil, err
		}
		it := item{d: d, persist: r.Agg == nil}
		var agg []byte
		if it.persist {
			if len(d.mappers) == 0 {
				it.stored, it.done = d, true
				items[k] = it
				continue
			}
			id := digest("ds", d.id, d.kernels()...)
			it.out = storage.Join(e.root, id)
			it.stored = &dataset{schema: d.schema, dir: it.out, id: id}
		} else {
			it.out = storage.Join(e.root, digest("agg", d.id, append(d.kernels(), r.Agg)...))
			if agg, err = engine.Encode(r.Agg); err != nil {
				return nil, err
			}
		}
		m, ok, err := e.done(ctx, it.out)
		if err != nil {
			return nil, err
		}
		if ok && it.persist {
			it.stored.rows = m.Rows
		}
		it.dup = !ok && running[it.out]
		it.done = ok || it.dup
		items[k] = it
		if it.done {
			continue
		}
		running[it.out] = true
		fn, err := e.newFn(ctx, d, it.out, agg)
		if err != nil {
			return nil, err
		}
		branches = append(branches, branch{fn: fn, n: len(d.rows), out: it.out})
	}
	if len(branches) > 0 {
		if err := e.runJob(ctx, branches); err != nil {
			return nil, err
		}
	}
	results := make([]any, len(reqs))
	finished := map[string]*dataset{}
	for k, it := range items {
		if it.persist {
			switch {
			case it.dup:
				it.stored = finished[it.out]
			case !it.done:
				if err := e.finishPersist(ctx, it.d, it.stored); err != nil {
					return nil, err
				}
				finished[it.out] = it.stored
			}
			results[k] = it.stored
			continue
		}
		a := reqs[k].Agg
		entries, err := readGroups(ctx, e.st, it.out, len(it.d.rows))
		if err != nil {
			return nil, fmt.Errorf("beam aggregate: %w", err)
		}
		partials := make([]any, len(entries))
		for i, en := range entries {
			if partials[i], err = a.DecodePartial(en.Partial); err != nil {
				return nil, fmt.Errorf("beam aggregate %s: %w", a.KernelName(), err)
			}
		}
		if results[k], err = engine.MergeTree(a, partials); err != nil {
			return nil, err
		}
		if !it.done {
			if err := e.finish(ctx, it.out, manifest{Files: groupNames(len(it.d.rows))}); err != nil {
				return nil, err
			}
		}
	}
	return results, nil
}

// newFn makes the DoFn of a job over d.
func (e *Engine) newFn(ctx context.Context, d *dataset, out string, agg []byte) (*partitionFn, error) {
	build, err := e.build()
	if err != nil {
		return nil, err
	}
	fn := &partitionFn{In: d.dir, Files: d.files, Out: out, Storage: e.workerStorage, Cache: e.Cache, Group: groupSize, Resume: !e.NoReuse, Build: build}
	var off int64
	for _, n := range d.rows {
		fn.Offsets = append(fn.Offsets, off)
		off += n
	}
	for _, m := range d.mappers {
		k, err := engine.Encode(m)
		if err != nil {
			return nil, err
		}
		b, err := e.blob(ctx, k)
		if err != nil {
			return nil, err
		}
		fn.Mappers = append(fn.Mappers, b)
	}
	if agg != nil {
		b, err := e.blob(ctx, agg)
		if err != nil {
			return nil, err
		}
		fn.Agg = &b
	}
	return fn, nil
}

// inlineKernel is the largest encoded kernel a DoFn carries itself;
// larger ones (a Word2Vec model of 50 MB) are staged as files and the DoFn
// carries their name: a runner keeps every job's pipeline — prism in
// memory, for as long as it runs — and sends it to every worker.
const inlineKernel = 256 << 10

// kernelBlob is an encoded kernel, or the staged file holding it.
type kernelBlob struct {
	Data []byte
	URI  string
}

func (e *Engine) blob(ctx context.Context, enc []byte) (kernelBlob, error) {
	if len(enc) <= inlineKernel {
		return kernelBlob{Data: enc}, nil
	}
	sum := sha256.Sum256(enc)
	uri := storage.Join(storage.Join(e.root, "kernels"), hex.EncodeToString(sum[:])+".cbor")
	if _, err := e.st.List(ctx, uri); err == nil {
		return kernelBlob{URI: uri}, nil
	}
	if err := e.st.WriteScratch(ctx, uri, enc); err != nil {
		return kernelBlob{}, fmt.Errorf("beam staging: %w", err)
	}
	return kernelBlob{URI: uri}, nil
}

// decode returns the kernel a blob holds.
func (b kernelBlob) decode(ctx context.Context, st *storage.Store) (engine.Kernel, error) {
	data := b.Data
	if b.URI != "" {
		var err error
		if data, err = st.ReadFile(ctx, b.URI); err != nil {
			return nil, err
		}
	}
	return engine.Decode(data)
}

// discard drops the group indices the jobs' DoFn emits.
func discard(int) {}

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
	// Files, when set, are the input's partition files (else In's
	// part-NNNNN).
	Files   []string
	Offsets []int64
	Mappers []kernelBlob
	Agg     *kernelBlob
	Storage storage.Options
	Cache   Cache
	Group   int
	// Resume skips a group whose output an interrupted run of the same
	// pass already wrote whole.
	Resume bool
	// Build is the driver's BuildDigest when a Spindle pool runs the job.
	Build string

	st *storage.Store
}

// Setup implements the DoFn lifecycle: one store (and S3 client) per DoFn
// instance, not per element.
func (f *partitionFn) Setup() { f.st = storage.New(f.Storage) }

// ProcessElement runs the partitions of group g, in parallel.
func (f *partitionFn) ProcessElement(ctx context.Context, g int, done func(int)) error {
	if err := checkBuild(f.Build); err != nil {
		return err
	}
	if f.Resume {
		var parts []string
		if f.Agg == nil {
			for i := g * f.Group; i < min((g+1)*f.Group, len(f.Offsets)); i++ {
				parts = append(parts, partName(i))
			}
		}
		if groupWritten[groupEntry](ctx, f.st, f.Out, g, func([]groupEntry) []string { return parts }) {
			done(g)
			return nil
		}
	}
	// The kernels are decoded once per element, not once per partition.
	st := f.st
	var mappers []engine.Mapper
	for _, blob := range f.Mappers {
		k, err := blob.decode(ctx, st)
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
		k, err := f.Agg.decode(ctx, st)
		if err != nil {
			return err
		}
		var ok bool
		if agg, ok = k.(engine.AnyAggregator); !ok {
			return fmt.Errorf("%s is not an aggregator", k.KernelName())
		}
	}
	first, last := g*f.Group, min((g+1)*f.Group, len(f.Offsets))
	// One small result per partition (its encoded partial, or its row
	// count after mapping), written together as the group's one file.
	out := make([]groupEntry, last-first)
	err := forEach(ctx, len(out), func(ctx context.Context, i int) (err error) {
		out[i], err = f.partition(ctx, st, first+i, mappers, agg)
		return err
	})
	if err != nil {
		return err
	}
	data, err := engine.Marshal(out)
	if err != nil {
		return err
	}
	if err := st.WriteScratch(ctx, storage.Join(f.Out, groupName(g)), data); err != nil {
		return err
	}
	done(g)
	return nil
}

// groupEntry is what a job records of one partition.
type groupEntry struct {
	Rows    int64  // rows after the mappers
	Partial []byte // the encoded partial, for an aggregation
}

// readGroups reads the group files of a job over n partitions. One file
// per group, not per partition: creating files is what costs on many file
// systems.
func readGroups(ctx context.Context, st *storage.Store, dir string, n int) ([]groupEntry, error) {
	return readGroupFiles[groupEntry](ctx, st, dir, n, "partitions")
}

// groupWritten reports whether group g of the job writing dir was
// written whole by an earlier, interrupted run of the same pass (dir is
// named by what the pass computes): its group file decodes and every file
// it names (files, given its entries) is there. The group file is written
// last, so a group that was cut short is done again.
func groupWritten[E any](ctx context.Context, st *storage.Store, dir string, g int, files func([]E) []string) bool {
	data, err := st.ReadFile(ctx, storage.Join(dir, groupName(g)))
	if err != nil {
		return false
	}
	var es []E
	if engine.Unmarshal(data, &es) != nil {
		return false
	}
	for _, name := range files(es) {
		if objs, err := st.List(ctx, storage.Join(dir, name)); err != nil || len(objs) != 1 || objs[0].Size == 0 {
			return false
		}
	}
	return true
}

// readGroupFiles reads the group files of a job over n items (partitions,
// splits), each a []E of its items in the wire encoding, and returns the entries in
// item order.
func readGroupFiles[E any](ctx context.Context, st *storage.Store, dir string, n int, items string) ([]E, error) {
	names := groupNames(n)
	all := make([][]E, len(names))
	err := forEach(ctx, len(names), func(ctx context.Context, g int) error {
		uri := storage.Join(dir, names[g])
		data, err := st.ReadFile(ctx, uri)
		if err != nil {
			return err
		}
		if err := engine.Unmarshal(data, &all[g]); err != nil {
			return fmt.Errorf("%s: %w", uri, err)
		}
		if want := min(groupSize, n-g*groupSize); len(all[g]) != want {
			return fmt.Errorf("%s: %d %s, want %d", uri, len(all[g]), items, want)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []E
	for _, es := range all {
		out = append(out, es...)
	}
	return out, nil
}

func (f *partitionFn) partition(ctx context.Context, st *storage.Store, part int, mappers []engine.Mapper, agg engine.AnyAggregator) (groupEntry, error) {
	var e groupEntry
	in := partFile(f.In, part)
	if f.Files != nil {
		in = f.Files[part]
	}
	b, err := readBatch(ctx, st, f.Cache, in)
	if err != nil {
		return e, err
	}
	info := engine.PartitionInfo{Index: part, RowOffset: f.Offsets[part]}
	steps := make([]engine.MapStep, len(mappers))
	for i, m := range mappers {
		steps[i] = engine.MapStep{Mapper: m} // declared schemas: from the partition's own
	}
	b, p, err := engine.RunPartition(ctx, info, b, steps, agg)
	if err != nil {
		return e, err
	}
	e.Rows = int64(b.NumRows())
	if agg == nil {
		var buf bytes.Buffer
		if err := colfile.Encode(&buf, b); err != nil {
			return e, err
		}
		return e, st.WriteScratch(ctx, partFile(f.Out, part), buf.Bytes())
	}
	e.Partial, err = agg.EncodePartial(p)
	return e, err
}
