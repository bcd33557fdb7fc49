package format

import (
	"context"
	"io"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/format/jsonl"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

// JSONL is JSON Lines, one object a line (format/jsonl), also "json" and
// "ndjson".
const JSONL Format = "jsonl"

func init() {
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
}
