package csv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/internal/lines"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

// Reading in splits
//
// ReadSplits reads CSV files where an engine's workers are, without a
// row passing through the driver, and gives exactly the partitions Read
// gives: a partition is the records that start in one cell of a file's
// grid of ChunkSize bytes (offsets after a byte order mark).
//
// A cell's first record cannot be found from the cell alone: a quoted
// field may span lines, and whether a newline ends a record depends on
// the quotes before it. So the read is speculative (Ge et al.,
// "Speculative Distributed CSV Data Parsing for Big Data Analytics",
// SIGMOD 2019): a first pass scans every cell once per state it could
// start in (outside or inside quotes) and records, for each, the state at
// its end and where records start in it; the driver chains the states
// from each file's first data byte, which fixes every cell's true state
// and so its exact record range and first line number; a second pass
// parses those ranges. The driver reads only each file's header.
//
// Types are inferred per partition and merged with Read's rules; where a
// partition's types differ from the merged ones it is parsed again with
// the merged types declared (Read converts instead; the values are the
// same), and a column that needs widening to string makes the whole read
// run again with it declared a string, as Read does.

func init() {
	engine.RegisterReader(&scanReader{})
	engine.RegisterReader(&parseReader{})
}

// wireOptions are the options a worker needs, as exported fields.
type wireOptions struct {
	NoHeader                 bool
	Delimiter, Quote, Escape byte
	NullValues               []string
	NoInferSchema            bool
	OnMalformed              Policy
	ChunkSize, MaxRecordSize int
}

func toWire(o Options) wireOptions {
	return wireOptions{NoHeader: o.NoHeader, Delimiter: o.Delimiter, Quote: o.Quote, Escape: o.Escape, NullValues: o.NullValues,
		NoInferSchema: o.NoInferSchema, OnMalformed: o.OnMalformed, ChunkSize: o.ChunkSize, MaxRecordSize: o.MaxRecordSize}
}

func (w wireOptions) options() Options {
	return Options{NoHeader: w.NoHeader, Delimiter: w.Delimiter, Quote: w.Quote, Escape: w.Escape, NullValues: w.NullValues,
		NoInferSchema: w.NoInferSchema, OnMalformed: w.OnMalformed, ChunkSize: w.ChunkSize, MaxRecordSize: w.MaxRecordSize, Parallelism: 1}
}

// files are the inputs of a split read, for workers to open.
type files struct {
	Storage storage.Options
	Files   []lines.File
}

// readText returns the text bytes [start, end) of file f.
func (fs *files) readText(ctx context.Context, f int, start, end int64) ([]byte, error) {
	// A store per range: it is cheap beside reading a cell (its S3
	// client is made on first use), and kernels hold no state.
	return lines.ReadText(ctx, storage.New(fs.Storage), fs.Files[f], start, end)
}

// textRange is a byte range of a file's text.
type textRange struct {
	File       int
	Start, End int64
}

// scanReader is the first pass: split i is Ranges[i], and its report the
// range's scanReport.
type scanReader struct {
	In            files
	Quote, Escape byte
	Ranges        []textRange
}

// scanReport is what a range does to the record state from each state
// it may start in, and how many newlines it holds.
type scanReport struct {
	Scans [numStates]rangeScan
	NL    int64
}

func (*scanReader) KernelName() string { return "csv.Scan" }
func (r *scanReader) NumSplits() int   { return len(r.Ranges) }

func (r *scanReader) ReadSplit(ctx context.Context, i int) ([]*table.Batch, []byte, error) {
	rg := r.Ranges[i]
	data, err := r.In.readText(ctx, rg.File, rg.Start, rg.End)
	if err != nil {
		return nil, nil, err
	}
	var rep scanReport
	rep.NL = int64(bytes.Count(data, []byte{'\n'}))
	// atRecord differs from midRecord only in that the range's first byte
	// starts a record.
	mid := scanFrom(data, midRecord, r.Quote, r.Escape)
	rep.Scans[midRecord] = mid
	at := mid
	at.First, at.NLFirst = 0, 0
	if at.Last < 0 {
		at.Last, at.NLLast = 0, 0
	}
	rep.Scans[atRecord] = at
	rep.Scans[inQuote] = scanFrom(data, inQuote, r.Quote, r.Escape)
	if r.Escape != r.Quote {
		rep.Scans[inEscape] = scanFrom(data, inEscape, r.Quote, r.Escape)
	}
	out, err := encodeReport(rep)
	return nil, out, err
}

// parseSplit is an exact record range of a file: the records that start
// in one cell.
type parseSplit struct {
	Range textRange
	Line  int64 // of the first record
	Seq   int   // the chunk's number within its file, as Read numbers them
}

// parseReader is the second pass: split i parses Splits[i] into one
// partition (none if it holds no rows).
type parseReader struct {
	In       files
	Opts     wireOptions
	Names    []string
	Declared []table.Type
	Splits   []parseSplit
}

// parseReport is what parsing one split gave.
type parseReport struct {
	Types   []table.Type
	Rows    int64
	Dropped int64
	Reasons []wireParseError // the first maxDropReasons
	Err     *wireParseError
}

func (*parseReader) KernelName() string { return "csv.ParseSplit" }
func (r *parseReader) NumSplits() int   { return len(r.Splits) }

func (r *parseReader) ReadSplit(ctx context.Context, i int) ([]*table.Batch, []byte, error) {
	sp := r.Splits[i]
	data, err := r.In.readText(ctx, sp.Range.File, sp.Range.Start, sp.Range.End)
	if err != nil {
		return nil, nil, err
	}
	o := r.Opts.options()
	res := newParser(&o, r.Names).parseChunk(chunk{seq: sp.Seq, file: sp.Range.File, name: r.In.Files[sp.Range.File].URI, data: data, line: sp.Line}, r.Declared)
	var rep parseReport
	if res.err != nil {
		var pe *ParseError
		if !errors.As(res.err, &pe) {
			return nil, nil, res.err
		}
		w := toWireError(pe)
		rep.Err = &w
		out, err := encodeReport(rep)
		return nil, out, err
	}
	rep.Types = res.types
	rep.Dropped = int64(len(res.dropped))
	for _, d := range res.dropped {
		if d != nil && len(rep.Reasons) < maxDropReasons {
			rep.Reasons = append(rep.Reasons, toWireError(d))
		}
	}
	var parts []*table.Batch
	if res.batch != nil && res.batch.NumRows() > 0 {
		rep.Rows = int64(res.batch.NumRows())
		parts = []*table.Batch{res.batch}
	}
	out, err := encodeReport(rep)
	return parts, out, err
}

func encodeReport(v any) ([]byte, error) {
	data, err := engine.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode split report: %w", err)
	}
	return data, nil
}

func decodeReport(data []byte, v any) error {
	if err := engine.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode split report: %w", err)
	}
	return nil
}

// wireParseError carries a *ParseError from a worker; its Err comes back
// as the same sentinel, so errors.Is works on the driver.
type wireParseError struct {
	File          string
	Line          int64
	Column        int
	Field, Detail string
	Kind          int // index in sentinels, or −1
	Msg           string
}

var sentinels = []error{ErrUnterminatedQuote, ErrAfterQuote, ErrFieldCount, ErrInvalidUTF8, ErrType, ErrRecordTooLarge, ErrEmpty, ErrNoRows}

func toWireError(pe *ParseError) wireParseError {
	w := wireParseError{File: pe.File, Line: pe.Line, Column: pe.Column, Field: pe.Field, Detail: pe.Detail, Kind: -1, Msg: pe.Err.Error()}
	for k, s := range sentinels {
		if errors.Is(pe.Err, s) {
			w.Kind = k
			break
		}
	}
	return w
}

func (w wireParseError) parseError() *ParseError {
	var err error = errors.New(w.Msg)
	if w.Kind >= 0 && w.Kind < len(sentinels) {
		err = sentinels[w.Kind]
		if w.Msg != err.Error() {
			err = &wrapped{msg: w.Msg, err: err}
		}
	}
	return &ParseError{File: w.File, Line: w.Line, Column: w.Column, Field: w.Field, Detail: w.Detail, Err: err}
}

// wrapped is a sentinel error with the worker's message.
type wrapped struct {
	msg string
	err error
}

func (w *wrapped) Error() string { return w.msg }
func (w *wrapped) Unwrap() error { return w.err }

// fileHead is what the driver reads of a file: its header and where its
// data starts.
type fileHead struct {
	names     []string // nil: no header (an empty file, or blank lines)
	dataStart int64    // text offset of the first data byte
	lines     int64    // newlines before dataStart
}

// ReadSplits reads srcs as Read does, but on e's workers: the driver
// reads each file's first bytes (to check what it is and read its
// header) and the passes' small reports; the partitions stay with the
// engine. Options.Rejects is not supported (the raw records are on the
// workers). Every source must be a stored object (storage.Store.Sources).
func ReadSplits(ctx context.Context, e engine.Engine, st *storage.Store, srcs []storage.Source, opts Options) (engine.Dataset, *Report, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, nil, err
	}
	if o.Rejects != nil {
		return nil, nil, errors.New("csv: a distributed read cannot write rejected records; read on the embedded engine")
	}
	if len(srcs) == 0 {
		return nil, nil, errors.New("csv: no input files")
	}
	fs := files{Storage: st.ForWorkers()}
	var (
		names []string
		heads []fileHead
	)
	for fi, src := range srcs {
		sniffed, err := lines.SniffFiles(ctx, st, []storage.Source{src}, "CSV")
		if err != nil {
			return nil, nil, err
		}
		f := sniffed[0]
		h, err := readHead(ctx, st, f, &o)
		if err != nil {
			return nil, nil, err
		}
		if h.names == nil {
			if fi == 0 {
				return nil, nil, fmt.Errorf("%s: %w", src.Name(), ErrEmpty)
			}
		} else if names == nil {
			names = h.names
		} else if !slices.Equal(h.names, names) {
			return nil, nil, fmt.Errorf("%s: columns %v differ from %s's %v", src.Name(), h.names, srcs[0].Name(), names)
		}
		fs.Files = append(fs.Files, f)
		heads = append(heads, h)
	}
	splits, err := planSplits(ctx, e, fs, heads, &o)
	if err != nil {
		return nil, nil, err
	}
	rep := &Report{Files: len(srcs)}
	forced := map[string]table.Type{}
	for attempt := 0; ; attempt++ {
		declared := make([]table.Type, len(names))
		for j, n := range names {
			if t, ok := o.Schema[n]; ok {
				declared[j] = t
			} else if t, ok := forced[n]; ok {
				declared[j] = t
			}
		}
		pr := &parseReader{In: fs, Opts: toWire(o), Names: names, Declared: declared, Splits: splits}
		results, reports, err := parseSplits(ctx, e, pr)
		if err != nil {
			return nil, nil, err
		}
		types := make([][]table.Type, 0, len(reports))
		for _, r := range reports {
			if r.Rows > 0 {
				types = append(types, r.Types)
			}
		}
		final, widen := mergeTypes(names, types)
		if len(widen) > 0 && attempt == 0 {
			for _, n := range widen {
				forced[n] = table.String
				rep.Widened = append(rep.Widened, n)
			}
			continue
		}
		// Parse again, with the merged types, the partitions that differ.
		var redo []int
		for i, r := range reports {
			if r.Rows > 0 && !slices.Equal(r.Types, final) {
				redo = append(redo, i)
			}
		}
		if len(redo) > 0 {
			again := &parseReader{In: fs, Opts: toWire(o), Names: names, Declared: final}
			for _, i := range redo {
				again.Splits = append(again.Splits, splits[i])
			}
			res2, reps2, err := parseSplits(ctx, e, again)
			if err != nil {
				return nil, nil, err
			}
			for k, i := range redo {
				results[i], reports[i] = res2[k], reps2[k]
			}
		}
		schema, err := schemaOf(names, final)
		if err != nil {
			return nil, nil, err
		}
		var parts []engine.Part
		for i, r := range reports {
			rep.Dropped += r.Dropped
			for _, w := range r.Reasons {
				if len(rep.DropReasons) < maxDropReasons {
					rep.DropReasons = append(rep.DropReasons, w.parseError())
				}
			}
			parts = append(parts, results[i].Parts...)
			rep.Rows += r.Rows
		}
		if rep.Rows == 0 {
			return nil, nil, noRows(srcs[0].Name(), &o, rep.Dropped)
		}
		ds, err := e.FromParts(ctx, schema, parts)
		if err != nil {
			return nil, nil, err
		}
		return ds, rep, nil
	}
}

// parseSplits runs a parse pass and returns its results and reports; a
// malformed record fails it with the earliest one's *ParseError, as Read
// reports it.
func parseSplits(ctx context.Context, e engine.Engine, pr *parseReader) ([]engine.SplitResult, []parseReport, error) {
	results, err := e.ReadSplits(ctx, pr)
	if err != nil {
		return nil, nil, err
	}
	reports := make([]parseReport, len(results))
	for i, r := range results {
		if err := decodeReport(r.Report, &reports[i]); err != nil {
			return nil, nil, err
		}
		if w := reports[i].Err; w != nil {
			return nil, nil, w.parseError()
		}
	}
	return results, reports, nil
}

// readHead reads a file's header record, past any blank lines, as
// Read's cutter does, from a growing prefix of its text.
func readHead(ctx context.Context, st *storage.Store, f lines.File, o *Options) (fileHead, error) {
	var h fileHead
	off, size := int64(0), int64(lines.SniffSize)
	for {
		buf, err := lines.ReadText(ctx, st, f, off, off+size)
		if err != nil {
			return h, err
		}
		eof := off+int64(len(buf)) >= f.TextSize()
		end := lastBoundary(buf, o.Quote, o.Escape)
		if eof {
			end = len(buf)
		}
		if end == 0 {
			if eof {
				return h, nil // empty
			}
			if len(buf) >= o.MaxRecordSize {
				return h, &ParseError{File: f.URI, Line: 1 + h.lines, Err: ErrRecordTooLarge}
			}
			size *= 2
			continue
		}
		names, rest, nl, err := splitHeader(buf[:end], f.URI, o)
		switch {
		case err == errBlank:
			h.lines += int64(nl)
			off += int64(end)
			if eof {
				return h, nil
			}
			continue
		case err != nil:
			var pe *ParseError
			if errors.As(err, &pe) {
				pe.Line += h.lines
			}
			return h, err
		}
		h.names = names
		h.lines += int64(nl)
		h.dataStart = off + int64(end-len(rest))
		return h, nil
	}
}

// planSplits runs the scan pass and chains its states into exact record
// ranges, one per grid cell that holds a record start.
func planSplits(ctx context.Context, e engine.Engine, fs files, heads []fileHead, o *Options) ([]parseSplit, error) {
	cell := int64(o.ChunkSize)
	sr := &scanReader{In: fs, Quote: o.Quote, Escape: o.Escape}
	for fi, h := range heads {
		size := fs.Files[fi].TextSize()
		if h.names == nil || h.dataStart >= size {
			continue
		}
		for k := h.dataStart / cell; k*cell < size; k++ {
			sr.Ranges = append(sr.Ranges, textRange{File: fi, Start: max(k*cell, h.dataStart), End: min((k+1)*cell, size)})
		}
	}
	if len(sr.Ranges) == 0 {
		return nil, nil
	}
	results, err := e.ReadSplits(ctx, sr)
	if err != nil {
		return nil, err
	}
	var (
		splits []parseSplit
		state  uint8
		nl     int64 // newlines before the current range
		// the current split's last record start, and its line
		lastStart, lastLine int64
	)
	// closeSplit ends the current split at end (a text offset).
	closeSplit := func(end int64) error {
		if len(splits) == 0 || splits[len(splits)-1].Range.End >= 0 {
			return nil
		}
		s := &splits[len(splits)-1]
		if end-lastStart >= int64(o.MaxRecordSize) {
			return &ParseError{File: fs.Files[s.Range.File].URI, Line: lastLine, Err: ErrRecordTooLarge}
		}
		s.Range.End = end
		return nil
	}
	textSize := func(f int) int64 { return fs.Files[f].TextSize() }
	seq := 0
	for i, rg := range sr.Ranges {
		if i == 0 || rg.File != sr.Ranges[i-1].File {
			if i > 0 {
				if err := closeSplit(textSize(sr.Ranges[i-1].File)); err != nil {
					return nil, err
				}
			}
			state, nl, seq = atRecord, heads[rg.File].lines, 0
		}
		var rep scanReport
		if err := decodeReport(results[i].Report, &rep); err != nil {
			return nil, err
		}
		sc := rep.Scans[state]
		if sc.First >= 0 {
			start := rg.Start + int64(sc.First)
			if err := closeSplit(start); err != nil {
				return nil, err
			}
			splits = append(splits, parseSplit{Range: textRange{File: rg.File, Start: start, End: -1}, Line: 1 + nl + sc.NLFirst, Seq: seq})
			seq++
			lastStart, lastLine = rg.Start+int64(sc.Last), 1+nl+sc.NLLast
		}
		state = sc.End
		nl += rep.NL
	}
	if err := closeSplit(textSize(sr.Ranges[len(sr.Ranges)-1].File)); err != nil {
		return nil, err
	}
	return splits, nil
}
