package csv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"

	"github.com/spindle-ml/spindle/internal/lines"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

// Read parses srcs, in order, into one table; every file must have the
// same columns. Each chunk of input becomes one partition.
//
// When an inferred column turns out to mix types across chunks (an int64
// chunk and a string chunk, say), Read widens the column and reads the
// inputs again; int64 and float64 chunks are reconciled without a second
// pass. The Report says which columns were widened.
func Read(ctx context.Context, srcs []storage.Source, opts Options) (*table.Table, *Report, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, nil, err
	}
	if len(srcs) == 0 {
		return nil, nil, errors.New("csv: no input files")
	}
	forced := map[string]table.Type{}
	var widened []string
	for attempt := 0; ; attempt++ {
		t, rep, widen, err := readOnce(ctx, srcs, &o, forced)
		if err != nil {
			return nil, nil, err
		}
		if len(widen) == 0 || attempt > 0 {
			rep.Widened = widened
			return t, rep, nil
		}
		for _, name := range widen {
			forced[name] = table.String
			widened = append(widened, name)
		}
	}
}

// readOnce reads every source once. It returns the names of columns whose
// chunks disagree in a way that needs a second pass.
func readOnce(ctx context.Context, srcs []storage.Source, o *Options, forced map[string]table.Type) (*table.Table, *Report, []string, error) {
	var (
		names    []string
		declared []table.Type
		results  []chunkResult
	)
	rep := &Report{Files: len(srcs)}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, ctx := errgroup.WithContext(ctx)
	work := make(chan chunk, o.Parallelism)
	// Chunk buffers go back to this pool once parsed (every value is
	// copied out), so a long read does not fault in fresh pages per chunk.
	pool := make(chan []byte, 2*o.Parallelism+2)
	done := make(chan chunkResult, o.Parallelism)
	ready := make(chan struct{}) // closed once the header is known
	// Producer: cut every source into chunks.
	g.Go(func() error {
		defer close(work)
		var headerSet bool
		for fi, src := range srcs {
			_, err := cutSource(ctx, src, fi, o, work, pool, func(h []string) error {
				if headerSet {
					if !slices.Equal(h, names) {
						return fmt.Errorf("%s: columns %v differ from %s's %v", src.Name(), h, srcs[0].Name(), names)
					}
					return nil
				}
				names = h
				declared = make([]table.Type, len(names))
				for j, n := range names {
					if t, ok := o.Schema[n]; ok {
						declared[j] = t
					} else if t, ok := forced[n]; ok {
						declared[j] = t
					}
				}
				headerSet = true
				close(ready)
				return nil
			})
			if err != nil {
				return err
			}
		}
		if !headerSet {
			close(ready)
		}
		return nil
	})
	// Workers: parse chunks.
	var workers errgroup.Group
	for w := 0; w < o.Parallelism; w++ {
		workers.Go(func() error {
			var p *parser
			for c := range work {
				<-ready
				if p == nil {
					p = newParser(o, names)
				}
				r := p.parseChunk(c, declared)
				select {
				case pool <- c.data[:0]:
				default:
				}
				done <- r
			}
			return nil
		})
	}
	g.Go(func() error {
		err := workers.Wait()
		close(done)
		return err
	})
	// Collector.
	g.Go(func() error {
		var first error
		for r := range done {
			if r.err != nil && first == nil {
				first = r.err
				cancel() // stop cutting; keep draining the workers
			}
			results = append(results, r)
		}
		return first
	})
	if err := g.Wait(); err != nil {
		// Several chunks may fail; report the earliest in the input.
		return nil, nil, nil, earliest(results, err)
	}
	if names == nil {
		return nil, nil, nil, fmt.Errorf("%s: %w (no header and no rows)", srcs[0].Name(), ErrEmpty)
	}
	sort.Slice(results, func(i, j int) bool { return results[i].seq < results[j].seq })
	for _, r := range results {
		rep.Dropped += int64(len(r.dropped))
		for _, d := range r.dropped {
			if d != nil && len(rep.DropReasons) < maxDropReasons {
				rep.DropReasons = append(rep.DropReasons, d)
			}
		}
		if o.Rejects != nil {
			for _, raw := range r.rejects {
				if _, err := o.Rejects.Write(raw); err != nil {
					return nil, nil, nil, fmt.Errorf("write rejects: %w", err)
				}
				if len(raw) > 0 && raw[len(raw)-1] != '\n' {
					io.WriteString(o.Rejects, "\n")
				}
			}
		}
	}
	t, widen, err := unify(names, results)
	if err != nil {
		return nil, nil, nil, err
	}
	if widen != nil {
		return nil, nil, widen, nil
	}
	rep.Rows = t.Count()
	if rep.Rows == 0 {
		return nil, nil, nil, noRows(srcs[0].Name(), o, rep.Dropped)
	}
	return t, rep, nil, nil
}

func earliest(results []chunkResult, fallback error) error {
	var best *ParseError
	bestSeq := -1
	for _, r := range results {
		var pe *ParseError
		if r.err != nil && errors.As(r.err, &pe) && (best == nil || r.seq < bestSeq) {
			best, bestSeq = pe, r.seq
		}
	}
	if best == nil {
		return fallback
	}
	return best
}

// unify gives every column one type across chunks: all-null chunks take the
// others' type; int64 chunks join float64 ones by conversion; any other mix
// returns the column names to widen to string and read again.
func unify(names []string, results []chunkResult) (*table.Table, []string, error) {
	types := make([][]table.Type, len(results))
	for i, r := range results {
		types[i] = r.types
	}
	final, widen := mergeTypes(names, types)
	if widen != nil {
		return nil, widen, nil
	}
	schema, err := schemaOf(names, final)
	if err != nil {
		return nil, nil, err
	}
	parts := make([]*table.Batch, 0, len(results))
	for _, r := range results {
		if r.batch.NumRows() == 0 {
			continue
		}
		cols := append([]table.Column(nil), r.batch.Columns()...)
		for j, c := range cols {
			if c.Type() == final[j] {
				continue
			}
			switch {
			case c.Type() == table.Int64 && final[j] == table.Float64:
				ic := c.(*table.Int64Column)
				f := make([]float64, len(ic.Values))
				for i, v := range ic.Values {
					f[i] = float64(v)
				}
				cols[j] = table.NewFloat64Column(f, ic.Valid)
			default: // an all-null chunk column
				nc, err := table.NewColumn(final[j], c.Len())
				if err != nil {
					return nil, nil, err
				}
				for i := 0; i < c.Len(); i++ {
					setNull(nc, i)
				}
				cols[j] = nc
			}
		}
		b, err := r.batch.Derive(schema, cols)
		if err != nil {
			return nil, nil, err
		}
		parts = append(parts, b)
	}
	t, err := table.New(schema, parts...)
	return t, nil, err
}

// noRows is the error of a read that found no rows in the file name
// (the first input) and the others.
func noRows(name string, o *Options, dropped int64) error {
	what := "header only"
	if o.NoHeader {
		what = "only blank lines"
	}
	if dropped > 0 {
		what = fmt.Sprintf("all %d records malformed", dropped)
	}
	return fmt.Errorf("%s: %w (%s)", name, ErrNoRows, what)
}

// schemaOf is the schema of the named columns of the given types.
func schemaOf(names []string, types []table.Type) (*table.Schema, error) {
	fields := make([]table.Field, len(names))
	for j := range names {
		fields[j] = table.Field{Name: names[j], Type: types[j]}
	}
	return table.NewSchema(fields...)
}

// mergeTypes gives every column one type across chunks (types[k] are
// chunk k's, 0 where a column had no value): all-null chunks take the
// others' type, int64 joins float64 as float64, and any other mix makes a
// column one to widen to string and read again.
func mergeTypes(names []string, types [][]table.Type) (final []table.Type, widen []string) {
	final = make([]table.Type, len(names))
	for j, n := range names {
		for _, ts := range types {
			t := ts[j]
			switch {
			case t == 0 || t == final[j]:
			case final[j] == 0:
				final[j] = t
			case (t == table.Int64 && final[j] == table.Float64) || (t == table.Float64 && final[j] == table.Int64):
				final[j] = table.Float64
			default:
				final[j] = table.String
			}
		}
		if final[j] == 0 {
			final[j] = table.String
		}
		for _, ts := range types {
			if t := ts[j]; t != 0 && t != final[j] && final[j] == table.String {
				widen = append(widen, n)
				break
			}
		}
	}
	return final, widen
}

func setNull(c table.Column, i int) {
	c.(interface{ SetNull(int) }).SetNull(i)
}

// cutSource streams one source into chunks that end on record boundaries.
// The first record is the header unless o.NoHeader; onHeader receives the
// column names before any chunk of the source is sent.
func cutSource(ctx context.Context, src storage.Source, fi int, o *Options, work chan<- chunk, pool chan []byte, onHeader func([]string) error) ([]string, error) {
	rc, err := src.Open(ctx)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	name := src.Name()
	r, err := lines.Text(rc, name, "CSV")
	if err != nil {
		return nil, err
	}
	// A buffer holds a cell and the end of the record that crosses its
	// far edge (more grows it when that is longer).
	bufSize := o.ChunkSize + o.ChunkSize/8
	var (
		buf     = make([]byte, 0, bufSize)
		line    = int64(1)
		base    int64 // the offset of buf[0] in the text
		eof     bool
		header  []string
		gotHdr  bool
		seqBase = fi << 32
		seq     = 0
		cell    = int64(o.ChunkSize)
	)
	// more grows buf when it holds no place to cut, unless the record
	// that starts at last (an offset in buf) is already too large.
	more := func(last int) error {
		if len(buf)-last >= o.MaxRecordSize {
			return &ParseError{File: name, Line: line + int64(bytes.Count(buf[:last], []byte{'\n'})), Err: ErrRecordTooLarge}
		}
		nb := make([]byte, len(buf), max(2*cap(buf), bufSize))
		copy(nb, buf)
		buf = nb
		return nil
	}
	for !eof || len(buf) > 0 {
		// Fill the buffer up to its capacity.
		for !eof && len(buf) < cap(buf) {
			n, err := r.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			if err == io.EOF {
				eof = true
			} else if err != nil {
				return nil, fmt.Errorf("read %s: %w", name, err)
			}
		}
		if !gotHdr {
			end := lastBoundary(buf, o.Quote, o.Escape)
			if eof {
				end = len(buf)
			}
			if end == 0 {
				if err := more(0); err != nil {
					return nil, err
				}
				continue
			}
			h, rest, nl, err := splitHeader(buf[:end], name, o)
			used := end
			switch {
			case err == errBlank:
				// Only blank lines so far: the header is further on.
			case err != nil:
				var pe *ParseError
				if errors.As(err, &pe) {
					pe.Line += line - 1 // splitHeader counts from this chunk's start
				}
				return nil, err
			default:
				gotHdr = true
				header = h
				if err := onHeader(header); err != nil {
					return nil, err
				}
				used = end - len(rest)
			}
			line += int64(nl)
			base += int64(used)
			buf = buf[used:]
			continue
		}
		// A chunk is the records that start in one cell of the text's
		// grid of ChunkSize bytes, so that a reader of byte ranges (the
		// distributed read, see split.go) cuts the same partitions.
		end := -1
		if target := int((base/cell+1)*cell - base); target < len(buf) {
			start, last := cellStart(buf, target, o.Quote, o.Escape)
			if start < 0 && !eof {
				if err := more(last); err != nil {
					return nil, err
				}
				continue
			}
			end = start
		} else if !eof {
			if err := more(lastBoundary(buf, o.Quote, o.Escape)); err != nil {
				return nil, err
			}
			continue
		}
		if end < 0 {
			end = len(buf)
		}
		data := buf[:end]
		// Carry the rest into another buffer before the chunk (which owns
		// this one until a worker recycles it) is sent.
		rest := buf[end:]
		nb := getBuffer(pool, max(bufSize, len(rest)+o.ChunkSize/8))[:len(rest)]
		copy(nb, rest)
		if len(data) > 0 {
			c := chunk{seq: seqBase | seq, file: fi, name: name, data: data, line: line}
			seq++
			line += int64(bytes.Count(data, []byte{'\n'}))
			select {
			case work <- c:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		base += int64(end)
		buf = nb
		if eof && len(buf) == 0 {
			break
		}
	}
	if !gotHdr {
		if fi == 0 {
			return nil, fmt.Errorf("%s: %w", name, ErrEmpty)
		}
		return nil, nil // an empty later part file adds no rows
	}
	return header, nil
}

// errBlank says a chunk held only blank lines.
var errBlank = errors.New("only blank lines")

// getBuffer returns a pooled buffer of at least size bytes, or a new one.
func getBuffer(pool chan []byte, size int) []byte {
	select {
	case b := <-pool:
		if cap(b) >= size {
			return b[:0]
		}
	default:
	}
	return make([]byte, 0, size)
}

// splitHeader reads the header record (or, with NoHeader, counts the
// fields of the first record) and returns the column names and the data
// that follows it.
func splitHeader(data []byte, name string, o *Options) ([]string, []byte, int, error) {
	p := newParser(o, nil)
	// Skip leading blank lines, counting them.
	skipped := 0
	for len(data) > 0 && (data[0] == '\n' || (data[0] == '\r' && len(data) > 1 && data[1] == '\n')) {
		if data[0] == '\r' {
			data = data[1:]
		}
		data = data[1:]
		skipped++
	}
	if len(data) == 0 {
		return nil, nil, skipped, errBlank
	}
	spans, end, nl, err := p.parseRecord(data, 0, nil)
	if err != nil {
		return nil, nil, 0, &ParseError{File: name, Line: int64(1 + skipped), Column: errColumn(err, len(spans)), Err: err, Detail: "in the header"}
	}
	names := make([]string, len(spans))
	seen := map[string]int{}
	for j, s := range spans {
		f := p.fieldBytes(data, s)
		if o.NoHeader {
			names[j] = fmt.Sprintf("_c%d", j)
			continue
		}
		if !utf8.Valid(f) {
			return nil, nil, 0, &ParseError{File: name, Line: int64(1 + skipped), Column: j + 1, Err: ErrInvalidUTF8, Detail: "in the header"}
		}
		n := string(bytes.TrimSpace(f))
		if n == "" {
			n = fmt.Sprintf("_c%d", j)
		}
		names[j] = n
		seen[n]++
	}
	// Duplicate names get their position appended, as Spark does; a name
	// that still collides (a header "a,a,a0" makes "a0" twice) gets it
	// again until it is unique.
	for j, n := range names {
		if seen[n] > 1 {
			names[j] = fmt.Sprintf("%s%d", n, j)
		}
	}
	used := make(map[string]bool, len(names))
	for j, n := range names {
		for used[n] {
			n = fmt.Sprintf("%s_%d", n, j)
		}
		names[j], used[n] = n, true
	}
	if o.NoHeader {
		return names, data, skipped, nil
	}
	return names, data[end:], skipped + nl, nil
}
