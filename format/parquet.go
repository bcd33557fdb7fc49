package format

import (
	"context"
	"io"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/format/parquet"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

// Parquet is Apache Parquet (format/parquet), also "pq".
const Parquet Format = "parquet"

func init() {
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
}
