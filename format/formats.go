package format

import (
	"cmp"
	"context"
	"io"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/format/csv"
	"github.com/spindle-ml/spindle/format/jsonl"
	"github.com/spindle-ml/spindle/format/libsvm"
	"github.com/spindle-ml/spindle/format/parquet"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

// The built-in formats, each a subpackage; a new format adds its
// subpackage, a Register call and its Options field.
func init() {
	Register(Info{
		Name: CSV, Aliases: []string{"tsv"},
		ReadSplits: func(ctx context.Context, e engine.Engine, st *storage.Store, srcs []storage.Source, o Options, rep *Report) (engine.Dataset, error) {
			ds, r, err := csv.ReadSplits(ctx, e, st, srcs, o.CSV)
			if err == nil {
				rep.CSV, rep.Rows = r, r.Rows
			}
			return ds, err
		},
		Read: func(ctx context.Context, srcs []storage.Source, o Options, rep *Report) (t *table.Table, err error) {
			t, rep.CSV, err = csv.Read(ctx, srcs, o.CSV)
			return t, err
		},
		Write: func(w io.Writer, t *table.Table, o Options) error { return csv.Write(w, t, o.CSV) },
	})
	Register(Info{
		Name: JSONL, Aliases: []string{"json", "ndjson"},
		ReadSplits: func(ctx context.Context, e engine.Engine, st *storage.Store, srcs []storage.Source, o Options, rep *Report) (ds engine.Dataset, err error) {
			ds, rep.Rows, err = jsonl.ReadSplits(ctx, e, st, srcs, o.JSONL)
			return ds, err
		},
		Read: func(ctx context.Context, srcs []storage.Source, o Options, _ *Report) (*table.Table, error) {
			return jsonl.Read(ctx, srcs, o.JSONL)
		},
		Write: func(w io.Writer, t *table.Table, _ Options) error { return jsonl.Write(w, t) },
	})
	Register(Info{
		Name: Parquet, Aliases: []string{"pq"},
		ReadSplits: func(ctx context.Context, e engine.Engine, st *storage.Store, srcs []storage.Source, _ Options, rep *Report) (ds engine.Dataset, err error) {
			ds, rep.Rows, err = parquet.ReadSplits(ctx, e, st, srcs)
			return ds, err
		},
		Read: func(ctx context.Context, srcs []storage.Source, _ Options, _ *Report) (*table.Table, error) {
			return parquet.Read(ctx, srcs)
		},
		Write: func(w io.Writer, t *table.Table, _ Options) error { return parquet.Write(w, t) },
	})
	Register(Info{
		Name: LibSVM, Aliases: []string{"svm"},
		ReadSplits: func(ctx context.Context, e engine.Engine, st *storage.Store, srcs []storage.Source, o Options, rep *Report) (ds engine.Dataset, err error) {
			ds, rep.Rows, err = libsvm.ReadSplits(ctx, e, st, srcs, o.LibSVM)
			return ds, err
		},
		Read: func(ctx context.Context, srcs []storage.Source, o Options, _ *Report) (*table.Table, error) {
			return libsvm.Read(ctx, srcs, o.LibSVM)
		},
		Write: func(w io.Writer, t *table.Table, o Options) error {
			return libsvm.Write(w, t, cmp.Or(o.LabelCol, "label"), cmp.Or(o.FeaturesCol, "features"))
		},
	})
}
