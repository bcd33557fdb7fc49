package format

import (
	"cmp"
	"context"
	"io"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/format/libsvm"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

// LibSVM is the LibSVM text format, label index:value … (format/libsvm),
// also "svm".
const LibSVM Format = "libsvm"

func init() {
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
