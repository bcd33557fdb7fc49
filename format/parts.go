package format

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

func init() { engine.RegisterAggregator[[]PartFile](&partWriter{}) }

// PartFile is one file of a partitioned write.
type PartFile struct {
	Name      string `json:"name"` // under the output directory
	Rows      int64  `json:"rows"`
	Partition int    `json:"partition"`
}

// PartsManifest is the _SUCCESS object of a partitioned write: the part
// files, in partition order, and the total row count.
type PartsManifest struct {
	Format Format     `json:"format"`
	Rows   int64      `json:"rows"`
	Files  []PartFile `json:"files"`
}

// WriteParts writes ds to the directory dir as one file per non-empty
// partition (part-00000.parquet …), from where the engine keeps the data
// — on a distributed engine, its workers — and never through this
// process; then it writes dir/_SUCCESS listing them, as Spark does. A
// reader that finds no _SUCCESS must take the directory as incomplete.
//
// Each part is written whole under a name fixed by its partition (so a
// retried task replaces its own file); run names the write, so a rerun
// writes again rather than finding an earlier run's pass done. Only
// Parquet, CSV and JSON Lines are written this way.
func WriteParts(ctx context.Context, e engine.Engine, st *storage.Store, ds engine.Dataset, dir string, o Options, run string) (*PartsManifest, error) {
	switch o.Format {
	case Parquet, CSV, JSONL:
	default:
		return nil, fmt.Errorf("write %s: partitioned writes are Parquet, CSV or JSON Lines, not %q", dir, o.Format)
	}
	if err := clearParts(ctx, st, dir); err != nil {
		return nil, err
	}
	w := &partWriter{Dir: dir, Format: o.Format, Storage: st.ForWorkers(), Run: run, Delimiter: o.CSV.Delimiter}
	files, err := engine.Aggregate(ctx, e, ds, engine.Aggregator[[]PartFile](w))
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", dir, err)
	}
	m := &PartsManifest{Format: o.Format, Files: files}
	for _, f := range files {
		m.Rows += f.Rows
	}
	if m.Files == nil {
		m.Files = []PartFile{}
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := st.WriteFile(ctx, storage.Join(dir, "_SUCCESS"), append(data, '\n')); err != nil {
		return nil, fmt.Errorf("write %s: %w", dir, err)
	}
	return m, nil
}

// clearParts makes dir ready for a partitioned write: absent, empty, or
// an earlier partitioned write (its _SUCCESS says so), which is removed so
// that none of its parts outlives it. Anything else there is refused.
func clearParts(ctx context.Context, st *storage.Store, dir string) error {
	objs, err := st.ListAll(ctx, dir)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && len(objs) == 0) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", dir, err)
	}
	if len(objs) == 1 && storage.Same(objs[0].URI, dir) {
		return fmt.Errorf("write %s: it is a file; a partitioned write makes a directory there", dir)
	}
	data, err := st.ReadFile(ctx, storage.Join(dir, "_SUCCESS"))
	var m PartsManifest
	if err != nil || json.Unmarshal(data, &m) != nil || m.Format == "" {
		return fmt.Errorf("write %s: the directory holds %d files that are not an earlier partitioned write (no _SUCCESS manifest); choose another place", dir, len(objs))
	}
	if err := st.RemoveAll(ctx, dir); err != nil {
		return fmt.Errorf("write %s: remove the earlier write: %w", dir, err)
	}
	return nil
}

// partWriter is the kernel of WriteParts: folding a partition writes it.
type partWriter struct {
	Dir       string
	Format    Format
	Storage   storage.Options
	Run       string
	Delimiter byte
}

func (*partWriter) KernelName() string { return "format.WriteParts" }
func (*partWriter) Zero() []PartFile   { return nil }

func (w *partWriter) Fold(ctx context.Context, info engine.PartitionInfo, acc []PartFile, b *table.Batch) ([]PartFile, error) {
	if b.NumRows() == 0 {
		return acc, nil
	}
	ext := map[Format]string{Parquet: "parquet", CSV: "csv", JSONL: "jsonl"}[w.Format]
	name := fmt.Sprintf("part-%05d.%s", info.Index, ext)
	t, err := table.New(b.Schema(), b)
	if err != nil {
		return nil, err
	}
	o := Options{Format: w.Format}
	o.CSV.Delimiter = w.Delimiter
	if err := Write(ctx, storage.New(w.Storage), storage.Join(w.Dir, name), t, o); err != nil {
		return nil, err
	}
	return append(acc, PartFile{Name: name, Rows: int64(b.NumRows()), Partition: info.Index}), nil
}

func (*partWriter) Merge(a, b []PartFile) ([]PartFile, error) {
	out := append(a, b...)
	slices.SortFunc(out, func(x, y PartFile) int { return x.Partition - y.Partition })
	return out, nil
}
