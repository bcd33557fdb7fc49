package csv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"
	"unsafe"

	"github.com/spindle-ml/spindle/internal/numtext"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/table"
)

// span is one field of one record inside a chunk.
type span struct {
	start, end int32 // raw bytes, quotes excluded
	quoted     bool
	escaped    bool // holds escape sequences to undo
}

// chunk is a run of whole records from one file.
type chunk struct {
	seq  int
	file int
	name string
	data []byte
	line int64 // line number of data[0]
}

// parser holds the per-worker scratch state.
type parser struct {
	o       *Options
	nulls   [][]byte
	ncols   int
	names   []string
	spans   []span
	lines   []int64 // start line of each record
	raws    [][2]int
	scratch []byte
}

func newParser(o *Options, names []string) *parser {
	p := &parser{o: o, ncols: len(names), names: names}
	for _, n := range o.NullValues {
		p.nulls = append(p.nulls, []byte(n))
	}
	return p
}

// parseRecord parses the record starting at b[pos] and appends its field
// spans. It returns the index just past the record (after its '\n', or
// len(b)), the number of '\n' bytes it covered, and an error for a
// structural fault; on error the returned end still skips the whole record
// (with the same quote rules as lastBoundary) so a Drop policy can go on.
func (p *parser) parseRecord(b []byte, pos int, out []span) ([]span, int, int, error) {
	q, esc, d := p.o.Quote, p.o.Escape, p.o.Delimiter
	i := pos
	nl := 0
	var ferr error
	for {
		// One field.
		if i < len(b) && b[i] == q {
			i++
			s := span{start: int32(i), quoted: true}
			for {
				k := i
				for k < len(b) && b[k] != q && b[k] != esc {
					if b[k] == '\n' {
						nl++
					}
					k++
				}
				if k >= len(b) {
					return out, len(b), nl, ErrUnterminatedQuote
				}
				if b[k] == esc && esc != q {
					s.escaped = true
					if k+1 < len(b) && b[k+1] == '\n' {
						nl++
					}
					i = k + 2
					continue
				}
				// b[k] == q
				if esc == q && k+1 < len(b) && b[k+1] == q {
					s.escaped = true
					i = k + 2
					continue
				}
				s.end = int32(k)
				i = k + 1
				break
			}
			out = append(out, s)
			if i < len(b) && b[i] == '\r' && (i+1 == len(b) || b[i+1] == '\n') {
				i++ // CRLF line ending
			}
			if i < len(b) && b[i] != d && b[i] != '\n' {
				ferr = ErrAfterQuote
				end, n := skipRecord(b, i, q, esc)
				return out, end, nl + n, ferr
			}
		} else {
			s := span{start: int32(i)}
			for i < len(b) && b[i] != d && b[i] != '\n' {
				if b[i] == q && ferr == nil {
					ferr = fmt.Errorf("%w: a quote inside an unquoted field", ErrAfterQuote)
				}
				i++
			}
			s.end = int32(i)
			if s.end > s.start && b[s.end-1] == '\r' && (i == len(b) || b[i] == '\n') {
				s.end--
			}
			out = append(out, s)
			if ferr != nil {
				end, n := skipRecord(b, pos, q, esc)
				return out, end, n, ferr
			}
		}
		if i >= len(b) {
			return out, i, nl, nil
		}
		if b[i] == '\n' {
			return out, i + 1, nl + 1, nil
		}
		i++ // delimiter
	}
}

// errColumn is the 1-based field a structural error of parseRecord
// concerns, given the n spans it appended: the last one for text after a
// quote (or a quote in an unquoted field), the next one for an
// unterminated quote; 0 for errors about the whole record.
func errColumn(err error, n int) int {
	switch {
	case errors.Is(err, ErrAfterQuote):
		return n
	case errors.Is(err, ErrUnterminatedQuote):
		return n + 1
	}
	return 0
}

// skipRecord finds the end of the record that starts (or continues) at
// pos using lastBoundary's quote rules, returning the index past its '\n'
// and the newlines covered.
func skipRecord(b []byte, pos int, q, esc byte) (int, int) {
	inQ := false
	nl := 0
	for i := pos; i < len(b); i++ {
		switch c := b[i]; {
		case inQ && esc != q && c == esc:
			i++
		case c == q:
			inQ = !inQ
		case c == '\n':
			nl++
			if !inQ {
				return i + 1, nl
			}
		}
	}
	return len(b), nl
}

// fieldBytes returns the text of a field, undoing escapes into scratch.
func (p *parser) fieldBytes(data []byte, s span) []byte {
	raw := data[s.start:s.end]
	if !s.escaped {
		return raw
	}
	p.scratch = p.scratch[:0]
	q, esc := p.o.Quote, p.o.Escape
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if (c == esc || (esc == q && c == q)) && i+1 < len(raw) {
			i++
			c = raw[i]
		}
		p.scratch = append(p.scratch, c)
	}
	return p.scratch
}

func (p *parser) isNull(data []byte, s span) bool {
	if s.quoted {
		return false
	}
	f := data[s.start:s.end]
	for _, n := range p.nulls {
		if bytes.Equal(f, n) {
			return true
		}
	}
	return false
}

// chunkResult is one parsed chunk: a partition plus its inferred types.
type chunkResult struct {
	seq     int
	batch   *table.Batch
	types   []table.Type // 0 = no non-null value seen (type unknown)
	dropped []*ParseError
	rejects [][]byte
	err     error
}

// unsafeString views b as a string without copying; b must not change
// afterwards. Used on the hot path for number parsing (the string does not
// escape) and for string arenas (which are never written again).
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// parseChunk turns a chunk into a batch. declared holds the types fixed by
// the schema (0 = infer).
func (p *parser) parseChunk(c chunk, declared []table.Type) chunkResult {
	res := chunkResult{seq: c.seq}
	data := c.data
	p.spans = p.spans[:0]
	p.lines = p.lines[:0]
	p.raws = p.raws[:0]
	line := c.line
	drop := func(pe *ParseError, start, end int) error {
		if p.o.OnMalformed != Drop {
			return pe
		}
		if len(res.dropped) < maxDropReasons {
			res.dropped = append(res.dropped, pe)
		} else {
			res.dropped = append(res.dropped, nil) // counted, not kept
		}
		if p.o.Rejects != nil {
			res.rejects = append(res.rejects, append([]byte(nil), data[start:end]...)) // the chunk buffer is reused
		}
		return nil
	}
	validUTF8 := utf8.Valid(data)
	for pos := 0; pos < len(data); {
		before := len(p.spans)
		spans, end, nl, err := p.parseRecord(data, pos, p.spans)
		p.spans = spans
		recLine := line
		line += int64(nl)
		if end-pos >= p.o.MaxRecordSize {
			// The cutter refuses such a record when it cannot find its
			// end in memory; here, and in a split read, it is refused
			// wherever it ends, so every reader reports the same.
			res.err = &ParseError{File: c.name, Line: recLine, Err: ErrRecordTooLarge}
			return res
		}
		n := len(p.spans) - before
		if err == nil && n == 1 && p.spans[before].end == p.spans[before].start && !p.spans[before].quoted && p.ncols > 1 {
			// A blank line: skipped, as Spark and pandas do.
			p.spans = p.spans[:before]
			pos = end
			continue
		}
		if err == nil && n != p.ncols {
			err = fmt.Errorf("%w: %d fields, the header has %d", ErrFieldCount, n, p.ncols)
		}
		if err == nil && !validUTF8 {
			for k, s := range p.spans[before:] {
				if !utf8.Valid(data[s.start:s.end]) {
					pe := &ParseError{File: c.name, Line: recLine, Column: k + 1, Field: p.names[k], Err: ErrInvalidUTF8}
					if e := drop(pe, pos, end); e != nil {
						res.err = e
						return res
					}
					err = errDropped
					break
				}
			}
		}
		if err != nil {
			p.spans = p.spans[:before]
			if err != errDropped {
				pe := &ParseError{File: c.name, Line: recLine, Column: errColumn(err, n), Err: err}
				if pe.Column > 0 && pe.Column <= len(p.names) {
					pe.Field = p.names[pe.Column-1]
				}
				if e := drop(pe, pos, end); e != nil {
					res.err = e
					return res
				}
			}
			pos = end
			continue
		}
		p.lines = append(p.lines, recLine)
		p.raws = append(p.raws, [2]int{pos, end})
		pos = end
	}
	rows := len(p.lines)
	cols := make([]table.Column, p.ncols)
	res.types = make([]table.Type, p.ncols)
	var bad []bool // rows dropped for a type error
	for j := 0; j < p.ncols; j++ {
		var errs []convErr
		if t := declared[j]; t != 0 {
			cols[j], errs = p.convert(data, j, rows, t, true)
			res.types[j] = t
		} else {
			// Errors here are numbers beyond float64's range in a float
			// column.
			cols[j], res.types[j], errs = p.infer(data, j, rows)
		}
		for _, e := range errs {
			pe := &ParseError{File: c.name, Line: p.lines[e.row], Column: j + 1, Field: p.names[j], Err: ErrType, Detail: e.msg}
			r := p.raws[e.row]
			if err := drop(pe, r[0], r[1]); err != nil {
				res.err = err
				return res
			}
			if bad == nil {
				bad = make([]bool, rows)
			}
			bad[e.row] = true
		}
	}
	if bad != nil {
		keep := make([]int, 0, rows)
		for i, b := range bad {
			if !b {
				keep = append(keep, i)
			}
		}
		for j, col := range cols {
			cols[j] = col.Take(keep)
		}
	}
	fields := make([]table.Field, p.ncols)
	for j := range fields {
		t := res.types[j]
		if t == 0 {
			t = table.String
		}
		fields[j] = table.Field{Name: p.names[j], Type: t}
	}
	schema, err := table.NewSchema(fields...)
	if err != nil {
		res.err = err
		return res
	}
	lines := make([]int64, 0, len(p.lines))
	for i, l := range p.lines {
		if bad == nil || !bad[i] {
			lines = append(lines, l)
		}
	}
	res.batch, res.err = table.NewBatch(schema, cols)
	if res.err == nil {
		res.batch = res.batch.WithOrigin(&table.Origin{File: c.name, Lines: lines})
	}
	return res
}

var errDropped = fmt.Errorf("dropped")

type convErr struct {
	row      int
	msg      string
	outRange bool // a number beyond the type's range, not a syntax error
}

// infer converts column j trying int64, float64, bool, then string, and
// returns the narrowest type that holds every non-null value (0 when all
// are null: the column is then a null string column). A column of numbers
// some of which lie beyond float64's range is float64, and those values
// come back as errors (numtext's contract: never a silent ±Inf).
func (p *parser) infer(data []byte, j, rows int) (table.Column, table.Type, []convErr) {
	if p.o.NoInferSchema {
		col, _ := p.convert(data, j, rows, table.String, false)
		return col, table.String, nil
	}
	allNull := true
	for i := 0; i < rows; i++ {
		if !p.isNull(data, p.spans[i*p.ncols+j]) {
			allNull = false
			break
		}
	}
	if allNull {
		col, _ := p.convert(data, j, rows, table.String, false)
		return col, 0, nil
	}
	for _, t := range []table.Type{table.Int64, table.Float64, table.Bool} {
		col, errs := p.convert(data, j, rows, t, false)
		if len(errs) == 0 {
			return col, t, nil
		}
		if t == table.Float64 && errs[0].outRange {
			col, errs = p.convert(data, j, rows, t, true)
			if !slices.ContainsFunc(errs, func(e convErr) bool { return !e.outRange }) {
				return col, t, errs
			}
		}
	}
	col, _ := p.convert(data, j, rows, table.String, false)
	return col, table.String, nil
}

// convert parses column j of the chunk as type t. With all, it reports
// every value that fails; without, it stops at the first failure.
func (p *parser) convert(data []byte, j, rows int, t table.Type, all bool) (table.Column, []convErr) {
	var errs []convErr
	var valid table.Bitmap
	setNull := func(i int) {
		if valid == nil {
			valid = table.NewBitmap(rows)
		}
		valid.SetNull(i)
	}
	fail := func(i int, f []byte) bool {
		errs = append(errs, convErr{row: i, msg: fmt.Sprintf("%q is not a valid %v", truncate(f), t)})
		setNull(i)
		return !all
	}
	failErr := func(i int, err error) bool {
		errs = append(errs, convErr{row: i, msg: err.Error(), outRange: errors.Is(err, numtext.ErrRange)})
		setNull(i)
		return !all
	}
	span := func(i int) span { return p.spans[i*p.ncols+j] }
	switch t {
	case table.Int64:
		vals := make([]int64, rows)
		for i := range vals {
			s := span(i)
			if p.isNull(data, s) {
				setNull(i)
				continue
			}
			f := p.fieldBytes(data, s)
			v, err := numtext.ParseInt(unsafeString(f))
			if err != nil && failErr(i, err) {
				return nil, errs
			}
			vals[i] = v
		}
		return table.NewInt64Column(vals, valid), errs
	case table.Float64:
		vals := make([]float64, rows)
		for i := range vals {
			s := span(i)
			if p.isNull(data, s) {
				setNull(i)
				continue
			}
			f := p.fieldBytes(data, s)
			v, err := parseFloat(f)
			if err != nil && failErr(i, err) {
				return nil, errs
			}
			vals[i] = v
		}
		return table.NewFloat64Column(vals, valid), errs
	case table.Bool:
		vals := make([]bool, rows)
		for i := range vals {
			s := span(i)
			if p.isNull(data, s) {
				setNull(i)
				continue
			}
			f := p.fieldBytes(data, s)
			switch {
			case bytes.EqualFold(f, []byte("true")):
				vals[i] = true
			case bytes.EqualFold(f, []byte("false")):
			default:
				if fail(i, f) {
					return nil, errs
				}
			}
		}
		return table.NewBoolColumn(vals, valid), errs
	case table.String:
		// One arena per column and chunk: a single allocation holds every
		// string's bytes, instead of one per cell.
		size := 0
		for i := 0; i < rows; i++ {
			s := span(i)
			size += int(s.end - s.start)
		}
		arena := make([]byte, 0, size)
		vals := make([]string, rows)
		for i := range vals {
			s := span(i)
			if p.isNull(data, s) {
				setNull(i)
				continue
			}
			at := len(arena)
			arena = append(arena, p.fieldBytes(data, s)...)
			vals[i] = unsafeString(arena[at:len(arena):len(arena)])
		}
		return table.NewStringColumn(vals, valid), errs
	case table.StringList:
		vals := make([][]string, rows)
		for i := range vals {
			s := span(i)
			if p.isNull(data, s) {
				setNull(i)
				continue
			}
			f := p.fieldBytes(data, s)
			if err := json.Unmarshal(f, &vals[i]); err != nil || vals[i] == nil {
				if fail(i, f) {
					return nil, errs
				}
			}
		}
		return table.NewStringListColumn(vals, valid), errs
	case table.Vector:
		vals := make([]linalg.Vector, rows)
		for i := range vals {
			s := span(i)
			if p.isNull(data, s) {
				setNull(i)
				continue
			}
			f := p.fieldBytes(data, s)
			v, err := linalg.Parse(string(f))
			if err != nil && fail(i, f) {
				return nil, errs
			}
			vals[i] = v
		}
		return table.NewVectorColumn(vals, valid), errs
	}
	panic("csv: unreachable column type") // types come from a validated schema
}

// parseFloat parses a float under numtext's contract (the one every
// reader shares), trying the exact fast path first.
func parseFloat(f []byte) (float64, error) {
	if v, ok := fastFloat(f); ok {
		return v, nil
	}
	return numtext.ParseFloat(unsafeString(f))
}

func truncate(f []byte) string {
	if len(f) > 40 {
		return string(f[:40]) + "…"
	}
	return string(f)
}
