package parquet

import (
	"context"
	"errors"
	"fmt"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

// Reading in splits: ReadSplits reads Parquet where an engine's workers
// are, one row group per split. The driver reads only the files' footers
// (schema, row groups and their row counts); a worker reads its row group
// into the batches Read makes of it, numbered from the rows before it.

func init() { engine.RegisterReader(&rowGroups{}) }

// rowGroupFile is one input of a split read.
type rowGroupFile struct {
	URI string
	// Location, if set, is where the file is read from (a staged copy);
	// URI then only names it.
	Location string
	Size     int64
	Version  string // part of the reader's fingerprint
}

// at is where f is read from.
func (f rowGroupFile) at() string {
	if f.Location != "" {
		return f.Location
	}
	return f.URI
}

// rowGroup is one split: row group Index of file File.
type rowGroup struct {
	File, Index int
	RowsBefore  int64
}

// rowGroups is the read's kernel.
type rowGroups struct {
	Storage storage.Options
	Files   []rowGroupFile
	Groups  []rowGroup
}

func (*rowGroups) KernelName() string { return "parquet.RowGroups" }
func (r *rowGroups) NumSplits() int   { return len(r.Groups) }

func (r *rowGroups) ReadSplit(ctx context.Context, i int) ([]*table.Batch, []byte, error) {
	g := r.Groups[i]
	f := r.Files[g.File]
	ra, err := storage.New(r.Storage).OpenReaderAt(ctx, f.at())
	if err != nil {
		return nil, nil, err
	}
	defer ra.Close()
	if ra.Size() != f.Size {
		return nil, nil, fmt.Errorf("%s: the file changed during the read (%d bytes, was %d)", f.URI, ra.Size(), f.Size)
	}
	pf, err := openFile(ra, f.URI)
	if err != nil {
		return nil, nil, err
	}
	defer pf.close()
	parts, err := pf.readRowGroup(ctx, g.Index, g.RowsBefore)
	return parts, nil, err
}

// ReadSplits reads srcs as Read does, on e's workers; it returns the
// dataset and its row count. Every source must be a stored object.
func ReadSplits(ctx context.Context, e engine.Engine, st *storage.Store, srcs []storage.Source) (engine.Dataset, int64, error) {
	r := &rowGroups{Storage: st.ForWorkers()}
	var schema *table.Schema
	var rows int64
	for fi, src := range srcs {
		f := rowGroupFile{URI: src.Name()}
		if l := storage.ReadFrom(src); l != f.URI {
			f.Location = l
		}
		if v, ok := src.(interface{ Version() string }); ok {
			f.Version = v.Version()
		}
		ra, err := st.OpenReaderAt(ctx, f.at())
		if err != nil {
			return nil, 0, err
		}
		f.Size = ra.Size()
		pf, err := openFile(ra, f.URI)
		if err != nil {
			ra.Close()
			return nil, 0, err
		}
		if schema == nil {
			schema = pf.schema
		} else if !schema.Equal(pf.schema) {
			pf.close()
			ra.Close()
			return nil, 0, fmt.Errorf("%s: schema (%v) differs from %s's (%v)", f.URI, pf.schema, srcs[0].Name(), schema)
		}
		var before int64
		for rg := 0; rg < pf.pf.NumRowGroups(); rg++ {
			r.Groups = append(r.Groups, rowGroup{File: fi, Index: rg, RowsBefore: before})
			before += pf.pf.MetaData().RowGroup(rg).NumRows()
		}
		rows += before
		r.Files = append(r.Files, f)
		pf.close()
		ra.Close()
	}
	if schema == nil {
		return nil, 0, errors.New("parquet: no input files")
	}
	res, err := e.ReadSplits(ctx, r)
	if err != nil {
		return nil, 0, err
	}
	var parts []engine.Part
	for _, s := range res {
		parts = append(parts, s.Parts...)
	}
	ds, err := e.FromParts(ctx, schema, parts)
	return ds, rows, err
}
