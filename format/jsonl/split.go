package jsonl

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/internal/lines"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

// Reading in splits: ReadSplits reads JSON Lines where an engine's workers
// are, in cells of ChunkSize bytes (the chunks Read cuts, so the
// partitions are Read's). A first pass parses every cell and reports its
// newline count, columns and value kinds, and its first malformed line
// (numbered from the cell's start); the driver numbers every cell's first
// line, orders the columns and infers the schema as Read does; a second
// pass parses every cell again, builds it with that schema and stages it.

func init() {
	engine.RegisterReader(&scanCells{})
	engine.RegisterReader(&buildCells{})
}

// wireError carries a *ParseError (or a long line) from a worker.
type wireError struct {
	File, Field, Msg string
	Line             int64 // from the cell's first line (1), or absolute
	// Long, when set, is a line over the limit (the rest is unused).
	Long *lines.LongLineError
}

func toWire(err error) (*wireError, bool) {
	var pe *ParseError
	if errors.As(err, &pe) {
		return &wireError{File: pe.File, Field: pe.Field, Msg: pe.Err.Error(), Line: pe.Line}, true
	}
	var le *lines.LongLineError
	if errors.As(err, &le) {
		return &wireError{Long: le}, true
	}
	return nil, false
}

// at rebuilds the error, for a cell whose first line is first (1 when the
// line is absolute already).
func (w *wireError) at(first int64) error {
	if w.Long != nil {
		return w.Long.At(first)
	}
	return &ParseError{File: w.File, Line: first + w.Line - 1, Field: w.Field, Err: errors.New(w.Msg)}
}

// scanCells is the first pass.
type scanCells struct{ In lines.Input }

type scanReport struct {
	NL    int64
	Names []string
	Kinds [][]kind // per name
	Err   *wireError
}

func (*scanCells) KernelName() string { return "jsonl.ScanCells" }
func (s *scanCells) NumSplits() int   { return len(s.In.Cells) }

func (s *scanCells) ReadSplit(ctx context.Context, i int) ([]*table.Batch, []byte, error) {
	var rep scanReport
	data, name, err := s.In.Read(ctx, i)
	if err == nil {
		rep.NL = int64(bytes.Count(data, []byte{'\n'}))
		var rc *rawChunk
		if rc, err = parseChunk(lines.Chunk{Line: 1, Data: data}, name); err == nil {
			rep.Names = rc.names
			for _, n := range rc.names {
				var ks []kind
				for k := range rc.kinds[n] {
					ks = append(ks, k)
				}
				rep.Kinds = append(rep.Kinds, ks)
			}
		}
	}
	if err != nil {
		w, ok := toWire(err)
		if !ok {
			return nil, nil, err
		}
		rep.Err = w
	}
	out, err := encode(rep)
	return nil, out, err
}

// buildCells is the second pass.
type buildCells struct {
	In     lines.Input
	Lines  []int64 // each cell's first line
	Fields []table.Field
}

type buildReport struct {
	Rows int64
	Err  *wireError // with an absolute line
}

func (*buildCells) KernelName() string { return "jsonl.BuildCells" }
func (b *buildCells) NumSplits() int   { return len(b.In.Cells) }

func (b *buildCells) ReadSplit(ctx context.Context, i int) ([]*table.Batch, []byte, error) {
	schema, err := table.NewSchema(b.Fields...)
	if err != nil {
		return nil, nil, err
	}
	data, name, err := b.In.Read(ctx, i)
	if err != nil {
		return nil, nil, err
	}
	var rep buildReport
	var parts []*table.Batch
	rc, err := parseChunk(lines.Chunk{Line: b.Lines[i], Data: data}, name)
	if err == nil && rc.rows > 0 {
		var batch *table.Batch
		if batch, err = rc.build(schema); err == nil {
			parts, rep.Rows = []*table.Batch{batch}, int64(batch.NumRows())
		}
	}
	if err != nil {
		w, ok := toWire(err)
		if !ok {
			return nil, nil, err
		}
		rep.Err = w
	}
	out, err := encode(rep)
	return parts, out, err
}

func encode(v any) ([]byte, error) {
	data, err := engine.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("jsonl: encode a split report: %w", err)
	}
	return data, nil
}

func decode(data []byte, v any) error {
	if err := engine.Unmarshal(data, v); err != nil {
		return fmt.Errorf("jsonl: decode a split report: %w", err)
	}
	return nil
}

// ReadSplits reads srcs as Read does, on e's workers: only reports reach
// this process. Every source must be a stored object.
func ReadSplits(ctx context.Context, e engine.Engine, st *storage.Store, srcs []storage.Source, opts Options) (engine.Dataset, int64, error) {
	in, err := lines.Plan(ctx, st, srcs, "JSON Lines", opts.ChunkSize)
	if err != nil {
		return nil, 0, err
	}
	res, err := e.ReadSplits(ctx, &scanCells{In: in})
	if err != nil {
		return nil, 0, err
	}
	reps := make([]scanReport, len(res))
	nls := make([]int64, len(res))
	for i, r := range res {
		if err := decode(r.Report, &reps[i]); err != nil {
			return nil, 0, err
		}
		nls[i] = reps[i].NL
	}
	first := lines.FirstLines(in.Cells, nls)
	var cols columns
	for i, r := range reps {
		if r.Err != nil {
			return nil, 0, r.Err.at(first[i])
		}
		kinds := map[string]map[kind]bool{}
		for j, n := range r.Names {
			kinds[n] = map[kind]bool{}
			for _, k := range r.Kinds[j] {
				kinds[n][k] = true
			}
		}
		cols.add(r.Names, kinds)
	}
	name := "input"
	if len(srcs) > 0 {
		name = srcs[0].Name()
	}
	schema, err := cols.schema(name, opts.Schema)
	if err != nil {
		return nil, 0, err
	}
	res, err = e.ReadSplits(ctx, &buildCells{In: in, Lines: first, Fields: schema.Fields})
	if err != nil {
		return nil, 0, err
	}
	var parts []engine.Part
	var rows int64
	for _, r := range res {
		var rep buildReport
		if err := decode(r.Report, &rep); err != nil {
			return nil, 0, err
		}
		if rep.Err != nil {
			return nil, 0, rep.Err.at(1)
		}
		parts = append(parts, r.Parts...)
		rows += rep.Rows
	}
	ds, err := e.FromParts(ctx, schema, parts)
	return ds, rows, err
}
