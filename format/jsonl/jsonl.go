// Package jsonl reads and writes JSON Lines: one JSON object per line,
// each key a column.
//
//	{"text": "hello", "label": "ham", "score": 0.5}
//	{"text": "win!", "label": "spam", "tokens": ["win"]}
//
// Column types are inferred over the whole input: integers → int64, other
// numbers → float64, true/false → bool, strings → string, arrays of
// strings → list<string>, and Spark ML's JSON vector objects
// ({"type":1,"values":[…]} dense, {"type":0,"size":n,"indices":[…],
// "values":[…]} sparse) → vector. Integers and floats together make
// float64; other mixes, and nested values of other shapes, make a string
// column holding each value's JSON text. A missing key or null is null.
// "NaN", "Infinity" and "-Infinity" strings count as floats, since JSON
// has no literal for them and that is how Spark writes them.
//
// Lines are parsed in parallel chunks. Blank lines are skipped.
package jsonl

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/spindle-ml/spindle/internal/lines"
	"github.com/spindle-ml/spindle/internal/numtext"
	"github.com/spindle-ml/spindle/jsonnum"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

// Options configure reading.
type Options struct {
	// Schema declares the types of some columns; the rest are inferred.
	Schema map[string]table.Type
	// ChunkSize is the target bytes per chunk (and partition); default
	// 4 MiB.
	ChunkSize int
}

// ParseError is a malformed line.
type ParseError struct {
	File  string
	Line  int64
	Field string
	Err   error
}

func (e *ParseError) Error() string {
	s := fmt.Sprintf("%s:%d", e.File, e.Line)
	if e.Field != "" {
		s += fmt.Sprintf(": field %q", e.Field)
	}
	return s + ": " + e.Err.Error()
}

func (e *ParseError) Unwrap() error { return e.Err }

type kind uint8

const (
	kNull kind = iota
	kBool
	kInt
	kFloat
	kSpecial // "NaN", "Infinity", "-Infinity"
	kString
	kList
	kVector
	kOther
)

// rawChunk is one parsed chunk: per column (by name), each row's raw value.
type rawChunk struct {
	rows  int
	lines []int64
	names []string
	cols  map[string][]json.RawMessage
	kinds map[string]map[kind]bool
	file  string
}

// Read parses srcs into one table.
func Read(ctx context.Context, srcs []storage.Source, opts Options) (*table.Table, error) {
	var chunks []*rawChunk
	for _, src := range srcs {
		rc, err := src.Open(ctx)
		if err != nil {
			return nil, err
		}
		r, err := lines.Text(rc, src.Name(), "JSON Lines")
		if err != nil {
			rc.Close()
			return nil, err
		}
		cs, err := lines.Parse(ctx, r, src.Name(), lines.Options{ChunkSize: opts.ChunkSize}, func(c lines.Chunk) (*rawChunk, error) {
			return parseChunk(c, src.Name())
		})
		rc.Close()
		if err != nil {
			return nil, err
		}
		chunks = append(chunks, cs...)
	}
	var cols columns
	for _, c := range chunks {
		cols.add(c.names, c.kinds)
	}
	schema, err := cols.schema(srcs[0].Name(), opts.Schema)
	if err != nil {
		return nil, err
	}
	parts := make([]*table.Batch, 0, len(chunks))
	for _, c := range chunks {
		if c.rows == 0 {
			continue
		}
		b, err := c.build(schema)
		if err != nil {
			return nil, err
		}
		parts = append(parts, b)
	}
	return table.New(schema, parts...)
}

// columns gathers the columns of chunks, in order: names by first
// appearance, kinds over all chunks.
type columns struct {
	names []string
	kinds map[string]map[kind]bool
}

func (cs *columns) add(names []string, kinds map[string]map[kind]bool) {
	if cs.kinds == nil {
		cs.kinds = map[string]map[kind]bool{}
	}
	for _, n := range names {
		if cs.kinds[n] == nil {
			cs.names = append(cs.names, n)
			cs.kinds[n] = map[kind]bool{}
		}
		for k := range kinds[n] {
			cs.kinds[n][k] = true
		}
	}
}

// schema is the table's schema: declared types where given, else each
// column's kinds unified. name (the first input) is for the error when
// there are no rows.
func (cs *columns) schema(name string, declared map[string]table.Type) (*table.Schema, error) {
	if len(cs.names) == 0 {
		return nil, fmt.Errorf("%s: no data rows", name)
	}
	fields := make([]table.Field, len(cs.names))
	for j, n := range cs.names {
		t, ok := declared[n]
		if !ok {
			t = unify(cs.kinds[n])
		}
		fields[j] = table.Field{Name: n, Type: t}
	}
	return table.NewSchema(fields...)
}

func unify(ks map[kind]bool) table.Type {
	delete(ks, kNull)
	if len(ks) == 1 {
		for k := range ks {
			switch k {
			case kBool:
				return table.Bool
			case kInt:
				return table.Int64
			case kFloat:
				return table.Float64
			case kList:
				return table.StringList
			case kVector:
				return table.Vector
			}
		}
		return table.String
	}
	numeric := len(ks) > 0
	for k := range ks {
		if k != kInt && k != kFloat && k != kSpecial {
			numeric = false
		}
	}
	if numeric {
		return table.Float64
	}
	return table.String
}

func parseChunk(c lines.Chunk, file string) (*rawChunk, error) {
	rc := &rawChunk{cols: map[string][]json.RawMessage{}, kinds: map[string]map[kind]bool{}, file: file}
	err := lines.Each(c, func(l []byte, n int64) error {
		l = bytes.TrimSpace(l)
		if len(l) == 0 {
			return nil
		}
		dec := json.NewDecoder(bytes.NewReader(l))
		dec.UseNumber()
		tok, err := dec.Token()
		if err != nil {
			return &ParseError{File: file, Line: n, Err: fmt.Errorf("invalid JSON: %w", err)}
		}
		if d, ok := tok.(json.Delim); !ok || d != '{' {
			return &ParseError{File: file, Line: n, Err: errors.New("each line must be a JSON object")}
		}
		row := rc.rows
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return &ParseError{File: file, Line: n, Err: fmt.Errorf("invalid JSON: %w", err)}
			}
			key := kt.(string)
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return &ParseError{File: file, Line: n, Field: key, Err: fmt.Errorf("invalid JSON: %w", err)}
			}
			col, ok := rc.cols[key]
			if !ok {
				rc.names = append(rc.names, key)
				rc.kinds[key] = map[kind]bool{}
				col = make([]json.RawMessage, row, row+1)
			} else if len(col) > row {
				return &ParseError{File: file, Line: n, Field: key, Err: errors.New("duplicate key")}
			}
			for len(col) < row {
				col = append(col, nil)
			}
			rc.cols[key] = append(col, raw)
			rc.kinds[key][classify(raw)] = true
		}
		if _, err := dec.Token(); err != nil {
			return &ParseError{File: file, Line: n, Err: fmt.Errorf("invalid JSON: %w", err)}
		}
		if dec.More() {
			return &ParseError{File: file, Line: n, Err: errors.New("text after the JSON object")}
		}
		rc.rows++
		rc.lines = append(rc.lines, n)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for k, col := range rc.cols {
		for len(col) < rc.rows {
			col = append(col, nil)
		}
		rc.cols[k] = col
	}
	return rc, nil
}

func classify(raw json.RawMessage) kind {
	switch raw[0] {
	case 'n':
		return kNull
	case 't', 'f':
		return kBool
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil && (s == "NaN" || s == "Infinity" || s == "-Infinity") {
			return kSpecial
		}
		return kString
	case '[':
		var l []string
		if json.Unmarshal(raw, &l) == nil {
			return kList
		}
		return kOther
	case '{':
		if _, err := decodeVector(raw); err == nil {
			return kVector
		}
		return kOther
	}
	if bytes.ContainsAny(raw, ".eE") {
		return kFloat
	}
	if _, err := strconv.ParseInt(string(raw), 10, 64); err != nil {
		return kFloat // an integer too large for int64
	}
	return kInt
}

// sparkVector is Spark ML's JSON form of a vector; its values may be
// "NaN", "Infinity" or "-Infinity", as the scalars' (package jsonnum).
type sparkVector struct {
	Type    *int            `json:"type"`
	Size    *int            `json:"size"`
	Indices []int32         `json:"indices"`
	Values  []jsonnum.Float `json:"values"`
}

func decodeVector(raw json.RawMessage) (linalg.Vector, error) {
	var sv sparkVector
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sv); err != nil {
		return linalg.Vector{}, err
	}
	switch {
	case sv.Type == nil:
		return linalg.Vector{}, errors.New("vector object without \"type\"")
	case *sv.Type == 1:
		return linalg.Dense(floats(sv.Values)), nil
	case *sv.Type == 0 && sv.Size != nil:
		return linalg.Sparse(*sv.Size, sv.Indices, floats(sv.Values))
	}
	return linalg.Vector{}, errors.New("vector object must be {\"type\":1,\"values\":[…]} or {\"type\":0,\"size\":n,\"indices\":[…],\"values\":[…]}")
}

// floats converts a vector's values, never to nil.
func floats(v []jsonnum.Float) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func (rc *rawChunk) build(schema *table.Schema) (*table.Batch, error) {
	cols := make([]table.Column, schema.Len())
	for j, f := range schema.Fields {
		c, err := table.NewColumn(f.Type, rc.rows)
		if err != nil {
			return nil, err
		}
		raws := rc.cols[f.Name]
		for i := 0; i < rc.rows; i++ {
			var raw json.RawMessage
			if raws != nil {
				raw = raws[i]
			}
			if raw == nil || raw[0] == 'n' {
				c.(interface{ SetNull(int) }).SetNull(i)
				continue
			}
			if err := set(c, i, raw); err != nil {
				return nil, &ParseError{File: rc.file, Line: rc.lines[i], Field: f.Name, Err: valueErr(raw, f.Type, err)}
			}
		}
		cols[j] = c
	}
	b, err := table.NewBatch(schema, cols)
	if err != nil {
		return nil, err
	}
	return b.WithOrigin(&table.Origin{File: rc.file, Lines: rc.lines}), nil
}

// valueErr describes a JSON value that does not fit its column's type,
// showing the value as written; it wraps err.
func valueErr(raw json.RawMessage, t table.Type, err error) error {
	if ne, ok := errors.AsType[*numtext.Error](err); ok {
		return &valueError{truncate(raw) + " " + ne.Phrase(), err}
	}
	return fmt.Errorf("%s is not a valid %v: %w", truncate(raw), t, err)
}

// valueError is a message that says all its cause would, wrapping it for
// errors.Is (numtext.ErrRange).
type valueError struct {
	msg string
	err error
}

func (e *valueError) Error() string { return e.msg }
func (e *valueError) Unwrap() error { return e.err }

func set(c table.Column, i int, raw json.RawMessage) error {
	switch c := c.(type) {
	case *table.StringColumn:
		if raw[0] == '"' {
			return json.Unmarshal(raw, &c.Values[i])
		}
		c.Values[i] = string(raw)
	case *table.Int64Column:
		v, err := numtext.ParseInt(string(raw))
		c.Values[i] = v
		return err
	case *table.Float64Column:
		if raw[0] == '"' {
			var s string
			json.Unmarshal(raw, &s)
			switch s {
			case "NaN":
				c.Values[i] = math.NaN()
			case "Infinity":
				c.Values[i] = math.Inf(1)
			case "-Infinity":
				c.Values[i] = math.Inf(-1)
			default:
				return errors.New("not a number")
			}
			return nil
		}
		v, err := numtext.ParseFloat(string(raw))
		c.Values[i] = v
		return err
	case *table.BoolColumn:
		return json.Unmarshal(raw, &c.Values[i])
	case *table.StringListColumn:
		if err := json.Unmarshal(raw, &c.Values[i]); err != nil {
			return err
		}
		if c.Values[i] == nil {
			c.Values[i] = []string{}
		}
	case *table.VectorColumn:
		v, err := decodeVector(raw)
		c.Values[i] = v
		return err
	}
	return nil
}

func truncate(raw []byte) string {
	if len(raw) > 40 {
		return string(raw[:40]) + "…"
	}
	return string(raw)
}

// Write writes t as JSON Lines: one object per row, keys in schema order,
// null values omitted (as Spark does); NaN and ±Inf as the strings "NaN",
// "Infinity", "-Infinity"; vectors in Spark ML's JSON form.
func Write(w io.Writer, t *table.Table) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	names := make([][]byte, t.Schema().Len())
	for j, f := range t.Schema().Fields {
		names[j], _ = json.Marshal(f.Name)
	}
	var buf []byte
	for _, b := range t.Partitions() {
		for i := 0; i < b.NumRows(); i++ {
			buf = append(buf[:0], '{')
			first := true
			for j, c := range b.Columns() {
				if c.IsNull(i) {
					continue
				}
				if !first {
					buf = append(buf, ',')
				}
				first = false
				buf = append(buf, names[j]...)
				buf = append(buf, ':')
				var err error
				buf, err = appendValue(buf, c, i)
				if err != nil {
					return fmt.Errorf("jsonl: column %q: %w", t.Schema().Fields[j].Name, err)
				}
			}
			buf = append(buf, '}', '\n')
			if _, err := bw.Write(buf); err != nil {
				return fmt.Errorf("jsonl: write: %w", err)
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("jsonl: write: %w", err)
	}
	return nil
}

// appendVectorValue writes one vector value: a number as Spark writes
// it, a non-finite value as a scalar's.
func appendVectorValue(buf []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return appendFloat(buf, v)
	}
	return strconv.AppendFloat(buf, v, 'g', -1, 64)
}

func appendFloat(buf []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		return append(buf, `"NaN"`...)
	case math.IsInf(v, 1):
		return append(buf, `"Infinity"`...)
	case math.IsInf(v, -1):
		return append(buf, `"-Infinity"`...)
	}
	s := strconv.AppendFloat(buf, v, 'g', -1, 64)
	if !bytes.ContainsAny(s[len(buf):], ".eE") {
		s = append(s, ".0"...) // keep the column a float column on read
	}
	return s
}

func appendValue(buf []byte, c table.Column, i int) ([]byte, error) {
	switch c := c.(type) {
	case *table.StringColumn:
		js, err := json.Marshal(c.Values[i])
		return append(buf, js...), err
	case *table.Int64Column:
		return strconv.AppendInt(buf, c.Values[i], 10), nil
	case *table.Float64Column:
		return appendFloat(buf, c.Values[i]), nil
	case *table.BoolColumn:
		return strconv.AppendBool(buf, c.Values[i]), nil
	case *table.StringListColumn:
		js, err := json.Marshal(c.Values[i])
		if c.Values[i] == nil {
			js = []byte("[]")
		}
		return append(buf, js...), err
	case *table.VectorColumn:
		v := c.Values[i]
		if !v.IsSparse() {
			buf = append(buf, `{"type":1,"values":[`...)
		} else {
			buf = fmt.Appendf(buf, `{"type":0,"size":%d,"indices":[`, v.Size)
			for k, ix := range v.Indices {
				if k > 0 {
					buf = append(buf, ',')
				}
				buf = strconv.AppendInt(buf, int64(ix), 10)
			}
			buf = append(buf, `],"values":[`...)
		}
		for k, x := range v.Values {
			if k > 0 {
				buf = append(buf, ',')
			}
			// Non-finite values as the scalars' ("NaN", "Infinity"):
			// a value Spindle computed is always writable.
			buf = appendVectorValue(buf, x)
		}
		return append(buf, "]}"...), nil
	}
	return buf, fmt.Errorf("unsupported column %T", c)
}

// DecodeValue sets row i of column c to the JSON value raw (not null) as
// Read would, with Read's error for a value that does not fit the column:
// how a scoring request's values become a batch.
func DecodeValue(c table.Column, i int, raw json.RawMessage) error {
	if err := set(c, i, raw); err != nil {
		return valueErr(raw, c.Type(), err)
	}
	return nil
}

// AppendValue appends row i of column c (not null) to buf as Write writes
// it, so that a served prediction is byte for byte what 'spindle predict'
// writes to JSON Lines.
func AppendValue(buf []byte, c table.Column, i int) ([]byte, error) {
	return appendValue(buf, c, i)
}
