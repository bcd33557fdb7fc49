package libsvm

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

// Reading in splits: ReadSplits reads LibSVM where an engine's workers
// are, in cells of ChunkSize bytes (the chunks Read cuts, so the
// partitions are Read's). A first pass parses every cell and reports its
// newline count, its largest feature index and its first malformed line
// (numbered from the cell's start); the driver numbers every cell's first
// line and takes numFeatures as the largest index over all cells (unless
// given); a second pass parses every cell again with its true line
// numbers and stages its rows with vectors of that size.

func init() {
	engine.RegisterReader(&scanCells{})
	engine.RegisterReader(&buildCells{})
}

// cells are the cells of a read and how to open them.
type cells struct {
	In          lines.Input
	NumFeatures int
}

// parse parses cell i, its lines numbered from first.
func (c *cells) parse(ctx context.Context, i int, first int64) (*part, error) {
	data, uri, err := c.In.Read(ctx, i)
	if err != nil {
		return nil, err
	}
	p, err := parseChunk(lines.Chunk{Line: first, Data: data}, uri, c.NumFeatures)
	if err != nil {
		return nil, err
	}
	p.nl = int64(bytes.Count(data, []byte{'\n'}))
	return p, nil
}

// wireError carries a *ParseError (or a long line) from a worker.
type wireError struct {
	File  string
	Line  int64 // from the cell's first line (1), or absolute
	Token int
	Msg   string
	// Long, when set, is a line over the limit (the rest is unused).
	Long *lines.LongLineError
}

func toWire(err error) (*wireError, bool) {
	var pe *ParseError
	if errors.As(err, &pe) {
		return &wireError{File: pe.File, Line: pe.Line, Token: pe.Token, Msg: pe.Err.Error()}, true
	}
	var le *lines.LongLineError
	if errors.As(err, &le) {
		return &wireError{Long: le}, true
	}
	return nil, false
}

func (w *wireError) at(first int64) error {
	if w.Long != nil {
		return w.Long.At(first)
	}
	return &ParseError{File: w.File, Line: first + w.Line - 1, Token: w.Token, Err: errors.New(w.Msg)}
}

// report is what a pass reports of a cell.
type report struct {
	NL     int64
	MaxIdx int
	Rows   int64
	Err    *wireError
}

func (r report) encode() ([]byte, error) {
	data, err := engine.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("libsvm: encode a split report: %w", err)
	}
	return data, nil
}

// failed reports err as the cell's malformed line, or returns it.
func failed(err error) ([]*table.Batch, []byte, error) {
	w, ok := toWire(err)
	if !ok {
		return nil, nil, err
	}
	out, err := report{Err: w}.encode()
	return nil, out, err
}

// scanCells is the first pass.
type scanCells struct{ In cells }

func (*scanCells) KernelName() string { return "libsvm.ScanCells" }
func (s *scanCells) NumSplits() int   { return len(s.In.In.Cells) }

func (s *scanCells) ReadSplit(ctx context.Context, i int) ([]*table.Batch, []byte, error) {
	p, err := s.In.parse(ctx, i, 1)
	if err != nil {
		return failed(err)
	}
	out, err := report{NL: p.nl, MaxIdx: p.maxIdx, Rows: int64(len(p.labels))}.encode()
	return nil, out, err
}

// buildCells is the second pass.
type buildCells struct {
	In    cells
	Lines []int64 // each cell's first line
	Size  int     // numFeatures
}

func (*buildCells) KernelName() string { return "libsvm.BuildCells" }
func (b *buildCells) NumSplits() int   { return len(b.In.In.Cells) }

func (b *buildCells) ReadSplit(ctx context.Context, i int) ([]*table.Batch, []byte, error) {
	p, err := b.In.parse(ctx, i, b.Lines[i])
	if err != nil {
		return failed(err)
	}
	rep := report{Rows: int64(len(p.labels))}
	out, err := rep.encode()
	if err != nil || rep.Rows == 0 {
		return nil, out, err
	}
	batch, err := p.batch(b.Size)
	if err != nil {
		return nil, nil, err
	}
	return []*table.Batch{batch}, out, nil
}

// ReadSplits reads srcs as Read does, on e's workers: only reports reach
// this process. Every source must be a stored object. It returns the
// dataset and its row count.
func ReadSplits(ctx context.Context, e engine.Engine, st *storage.Store, srcs []storage.Source, opts Options) (engine.Dataset, int64, error) {
	if opts.NumFeatures < 0 || opts.NumFeatures > maxIndex {
		return nil, 0, fmt.Errorf("libsvm: numFeatures %d out of range", opts.NumFeatures)
	}
	plan, err := lines.Plan(ctx, st, srcs, "LibSVM", opts.ChunkSize)
	if err != nil {
		return nil, 0, err
	}
	in := cells{In: plan, NumFeatures: opts.NumFeatures}
	res, err := e.ReadSplits(ctx, &scanCells{In: in})
	if err != nil {
		return nil, 0, err
	}
	reps := make([]report, len(res))
	nls := make([]int64, len(res))
	for i, r := range res {
		if err := engine.Unmarshal(r.Report, &reps[i]); err != nil {
			return nil, 0, fmt.Errorf("libsvm: decode a split report: %w", err)
		}
		nls[i] = reps[i].NL
	}
	first := lines.FirstLines(in.In.Cells, nls)
	numFeatures := opts.NumFeatures
	var rows int64
	for i, r := range reps {
		if r.Err != nil {
			return nil, 0, r.Err.at(first[i])
		}
		if opts.NumFeatures == 0 {
			numFeatures = max(numFeatures, r.MaxIdx)
		}
		rows += r.Rows
	}
	if rows == 0 {
		name := "input"
		if len(srcs) > 0 {
			name = srcs[0].Name()
		}
		return nil, 0, fmt.Errorf("%s: no data rows", name)
	}
	res, err = e.ReadSplits(ctx, &buildCells{In: in, Lines: first, Size: numFeatures})
	if err != nil {
		return nil, 0, err
	}
	var parts []engine.Part
	for _, r := range res {
		var rep report
		if err := engine.Unmarshal(r.Report, &rep); err != nil {
			return nil, 0, fmt.Errorf("libsvm: decode a split report: %w", err)
		}
		if rep.Err != nil {
			return nil, 0, rep.Err.at(1)
		}
		parts = append(parts, r.Parts...)
	}
	ds, err := e.FromParts(ctx, Schema(), parts)
	return ds, rows, err
}
