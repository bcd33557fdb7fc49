package beam

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	beamsdk "github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/internal/colfile"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

func init() {
	register.DoFn3x1[context.Context, int, func(int), error](&splitFn{})
}

// part is a partition a split read staged: its file and what the driver
// needs to know of it.
type part struct {
	uri    string
	rows   int64
	schema *table.Schema
}

func (p part) Schema() *table.Schema { return p.schema }
func (p part) NumRows() int64        { return p.rows }

// splitEntry is what a read job records of one split.
type splitEntry struct {
	Report []byte
	Parts  []stagedPart
}

// stagedPart is one partition file a split read wrote.
type stagedPart struct {
	Name   string // under the job's directory
	Rows   int64
	Fields []table.Field
}

func splitPartName(split, k int) string { return fmt.Sprintf("split-%05d-%03d.arrow", split, k) }

// ReadSplits implements engine.Splitter: one job whose workers read the
// splits and stage their partitions next to the job's group files; the
// driver gets the reports and the parts' schemas and row counts. The
// job's directory is named by the reader's fingerprint (which holds the
// inputs' names, sizes and versions), so a rerun reuses a completed read.
func (e *Engine) ReadSplits(ctx context.Context, r engine.SplitReader) ([]engine.SplitResult, error) {
	if err := e.prepare(ctx); err != nil {
		return nil, err
	}
	enc, err := engine.Encode(r)
	if err != nil {
		return nil, err
	}
	n := r.NumSplits()
	out := storage.Join(e.root, digest("read", "", r))
	_, ok, err := e.done(ctx, out)
	if err != nil {
		return nil, err
	}
	if !ok {
		blob, err := e.blob(ctx, enc)
		if err != nil {
			return nil, err
		}
		build, err := e.build()
		if err != nil {
			return nil, err
		}
		fn := &splitFn{Reader: blob, N: n, Out: out, Storage: e.workerStorage, Group: groupSize, Resume: !e.NoReuse, Build: build}
		if err := e.runGroups(ctx, fn, n, out); err != nil {
			return nil, err
		}
	}
	entries, err := readGroupFiles[splitEntry](ctx, e.st, out, n, "splits")
	if err != nil {
		return nil, fmt.Errorf("beam read %s: %w", r.KernelName(), err)
	}
	res := make([]engine.SplitResult, n)
	files := groupNames(n)
	for i, en := range entries {
		res[i].Report = en.Report
		for _, sp := range en.Parts {
			schema, err := table.NewSchema(sp.Fields...)
			if err != nil {
				return nil, fmt.Errorf("beam read %s: split %d: %w", r.KernelName(), i, err)
			}
			res[i].Parts = append(res[i].Parts, part{uri: storage.Join(out, sp.Name), rows: sp.Rows, schema: schema})
			files = append(files, sp.Name)
		}
	}
	if ok {
		return res, nil
	}
	return res, e.finish(ctx, out, manifest{Files: files})
}

// FromParts implements engine.Splitter: the dataset is the parts' staged
// files, in the order given, named by a digest of their names.
func (e *Engine) FromParts(ctx context.Context, schema *table.Schema, parts []engine.Part) (engine.Dataset, error) {
	if err := e.prepare(ctx); err != nil {
		return nil, err
	}
	d := &dataset{schema: schema}
	h := sha256.New()
	for i, p := range parts {
		bp, ok := p.(part)
		if !ok {
			return nil, fmt.Errorf("beam engine: part %T belongs to another engine", p)
		}
		if !bp.schema.Equal(schema) {
			return nil, fmt.Errorf("beam engine: part %d (%s) has schema (%v), want (%v)", i, bp.uri, bp.schema, schema)
		}
		d.files = append(d.files, bp.uri)
		d.rows = append(d.rows, bp.rows)
		fmt.Fprintf(h, "%s\x00", bp.uri)
	}
	d.id = "parts-" + hex.EncodeToString(h.Sum(nil))[:32]
	d.dir = storage.Join(e.root, d.id) // where nothing is written: the files are elsewhere
	return d, nil
}

// runGroups runs one job whose DoFn fn handles groups of n items.
// Items (partitions, splits) go out in groups, one element each,
// reshuffled so that a runner can spread them over its workers; a DoFn
// runs its group's items on all the cores it has (prism gives one bundle
// to a stage, so the cores are where its parallelism comes from).
func (e *Engine) runGroups(ctx context.Context, fn any, n int, out string) error {
	return e.runJob(ctx, []branch{{fn: fn, n: n, out: out}})
}

// branch is one DoFn of a job over n items, in groups (its elements are
// the group indices).
type branch struct {
	fn  any
	n   int
	out string
}

// runJob runs the branches as one Beam job.
func (e *Engine) runJob(ctx context.Context, branches []branch) error {
	p, s := beamsdk.NewPipelineWithRoot()
	items := 0
	for _, b := range branches {
		groups := (b.n + groupSize - 1) / groupSize
		idx := beamsdk.ParDo(s, &emitPartitions{N: groups}, beamsdk.Impulse(s))
		// The DoFn emits its group's index when done, into a stage
		// boundary: a stage without outputs makes prism spin on a closed
		// channel for as long as the bundle runs, taking a core from the
		// DoFn.
		done := beamsdk.ParDo(s, b.fn, beamsdk.Reshuffle(s, idx))
		beamsdk.ParDo0(s, discard, beamsdk.Reshuffle(s, done))
		items += b.n
	}
	e.jobs.Add(1)
	e.log().Debug("beam job", "runner", e.Runner.name(), "out", branches[0].out, "branches", len(branches), "items", items)
	if err := execute(ctx, e.Runner, p); err != nil {
		return fmt.Errorf("beam job on %s: %w", e.Runner.name(), err)
	}
	return nil
}

// splitFn is the DoFn of a read job: it reads the splits of its group
// with the reader it carries and stages their partitions.
type splitFn struct {
	Reader  kernelBlob
	N       int
	Out     string
	Storage storage.Options
	Group   int
	// Resume skips a group an interrupted run of the same read wrote
	// whole (see groupWritten).
	Resume bool
	// Build is the driver's BuildDigest when a Spindle pool runs the job.
	Build string

	st *storage.Store
}

// Setup implements the DoFn lifecycle.
func (f *splitFn) Setup() { f.st = storage.New(f.Storage) }

// ProcessElement reads the splits of group g, in parallel.
func (f *splitFn) ProcessElement(ctx context.Context, g int, done func(int)) error {
	if err := checkBuild(f.Build); err != nil {
		return err
	}
	if f.Resume && groupWritten(ctx, f.st, f.Out, g, func(es []splitEntry) []string {
		var names []string
		for _, e := range es {
			for _, p := range e.Parts {
				names = append(names, p.Name)
			}
		}
		return names
	}) {
		done(g)
		return nil
	}
	k, err := f.Reader.decode(ctx, f.st)
	if err != nil {
		return err
	}
	r, ok := k.(engine.SplitReader)
	if !ok {
		return fmt.Errorf("%s is not a split reader", k.KernelName())
	}
	first, last := g*f.Group, min((g+1)*f.Group, f.N)
	out := make([]splitEntry, last-first)
	err = forEach(ctx, len(out), func(ctx context.Context, i int) error {
		split := first + i
		parts, rep, err := r.ReadSplit(ctx, split)
		if err != nil {
			return err
		}
		out[i].Report = rep
		for k, b := range parts {
			var buf bytes.Buffer
			if err := colfile.Encode(&buf, b); err != nil {
				return err
			}
			name := splitPartName(split, k)
			if err := f.st.WriteScratch(ctx, storage.Join(f.Out, name), buf.Bytes()); err != nil {
				return err
			}
			out[i].Parts = append(out[i].Parts, stagedPart{Name: name, Rows: int64(b.NumRows()), Fields: b.Schema().Fields})
		}
		return nil
	})
	if err != nil {
		return err
	}
	data, err := engine.Marshal(out)
	if err != nil {
		return err
	}
	if err := f.st.WriteScratch(ctx, storage.Join(f.Out, groupName(g)), data); err != nil {
		return err
	}
	done(g)
	return nil
}

// ScratchDir implements engine.Scratcher: a folder of the staging
// location.
func (e *Engine) ScratchDir(ctx context.Context) (string, error) {
	if err := e.prepare(ctx); err != nil {
		return "", err
	}
	return storage.Join(e.root, "scratch"), nil
}
