package format

import (
	"context"
	"io"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/format/csv"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

// CSV is comma-separated values (RFC 4180; format/csv), also "tsv".
const CSV Format = "csv"

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
}
