package serve

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spindle-ml/spindle/format/jsonl"
	"github.com/spindle-ml/spindle/internal/numtext"
	"github.com/spindle-ml/spindle/table"
)

// requestError is a client's mistake: answered 400 with its message.
type requestError struct{ msg string }

func (e *requestError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &requestError{fmt.Sprintf(format, args...)}
}

// newColumns makes one empty column per field of in, n rows each.
func newColumns(in *table.Schema, n int) ([]table.Column, error) {
	cols := make([]table.Column, in.Len())
	for j, f := range in.Fields {
		c, err := table.NewColumn(f.Type, n)
		if err != nil {
			return nil, err
		}
		cols[j] = c
	}
	return cols, nil
}

// requestBatch makes the batch of a request's rows, each named "request:
// row N" (N from 1) in the model's error messages.
func requestBatch(in *table.Schema, cols []table.Column, lines []int64) (*table.Batch, error) {
	b, err := table.NewBatch(in, cols)
	if err != nil {
		return nil, err
	}
	return b.WithOrigin(&table.Origin{File: "request", Lines: lines, Unit: "row"}), nil
}

// decodeJSON reads a JSON body, one row as an object or several as an
// array of objects, into a batch of the model's input columns. Keys the
// model does not read are ignored; a missing key is an error, a null a
// null value.
func decodeJSON(body []byte, in *table.Schema, maxRows int) (*table.Batch, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, badRequest("body: empty; send a JSON object (one row) or an array of objects (rows)")
	}
	var rows []map[string]json.RawMessage
	switch body[0] {
	case '{':
		var row map[string]json.RawMessage
		if err := json.Unmarshal(body, &row); err != nil {
			return nil, jsonError("body", body, err)
		}
		rows = []map[string]json.RawMessage{row}
	case '[':
		// One pass for a good body; a bad one is parsed again, row by
		// row, to say which row is at fault.
		if err := json.Unmarshal(body, &rows); err != nil {
			return nil, arrayError(body, err)
		}
		if len(rows) == 0 {
			return nil, badRequest("body: an empty array; send at least one row")
		}
		if len(rows) > maxRows {
			return nil, badRequest("body: %d rows is more than the %d a request may hold", len(rows), maxRows)
		}
		for i, row := range rows {
			if row == nil {
				return nil, badRequest("row %d: want a JSON object of column values, got null", i+1)
			}
		}
	default:
		if !json.Valid(body) {
			return nil, jsonError("body", body, json.Unmarshal(body, new(any)))
		}
		return nil, badRequest("body: want a JSON object (one row) or an array of objects (rows), got %s", kindOf(body))
	}
	cols, err := newColumns(in, len(rows))
	if err != nil {
		return nil, err
	}
	lines := make([]int64, len(rows))
	for i, row := range rows {
		lines[i] = int64(i + 1)
		for j, f := range in.Fields {
			raw, ok := row[f.Name]
			if !ok {
				return nil, badRequest("row %d: missing column %q (%v); the model reads %s", i+1, f.Name, f.Type, describeSchema(in))
			}
			if err := setJSON(cols[j], i, raw); err != nil {
				return nil, badRequest("row %d: column %q: %v", i+1, f.Name, err)
			}
		}
	}
	return requestBatch(in, cols, lines)
}

// arrayError describes why body, a JSON array, is not an array of rows.
func arrayError(body []byte, err error) error {
	var raws []json.RawMessage
	if err := json.Unmarshal(body, &raws); err != nil {
		return jsonError("body", body, err)
	}
	for i, raw := range raws {
		if raw[0] != '{' {
			return badRequest("row %d: want a JSON object of column values, got %s", i+1, kindOf(raw))
		}
		var row map[string]json.RawMessage
		if err := json.Unmarshal(raw, &row); err != nil {
			return jsonError(fmt.Sprintf("row %d", i+1), raw, err)
		}
	}
	return jsonError("body", body, err)
}

// setJSON sets row i of c from a request's JSON value. It is stricter
// than reading a JSON Lines file: a string column takes only strings.
func setJSON(c table.Column, i int, raw json.RawMessage) error {
	if len(raw) == 0 || raw[0] == 'n' {
		c.(interface{ SetNull(int) }).SetNull(i)
		return nil
	}
	switch c.Type() {
	case table.String:
		if raw[0] != '"' {
			return fmt.Errorf("want a string, got %s", kindOf(raw))
		}
		c.(*table.StringColumn).Values[i] = unquote(raw)
		return nil
	case table.Int64, table.Float64:
		if raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') && !(c.Type() == table.Float64 && raw[0] == '"') {
			return fmt.Errorf("want a number, got %s", kindOf(raw))
		}
	case table.Bool:
		if raw[0] != 't' && raw[0] != 'f' {
			return fmt.Errorf("want true or false, got %s", kindOf(raw))
		}
	case table.StringList:
		if raw[0] != '[' {
			return fmt.Errorf("want an array of strings, got %s", kindOf(raw))
		}
	case table.Vector:
		if raw[0] != '{' {
			return fmt.Errorf(`want a vector, {"type":1,"values":[…]} or {"type":0,"size":n,"indices":[…],"values":[…]}, got %s`, kindOf(raw))
		}
	}
	return jsonl.DecodeValue(c, i, raw)
}

// kindOf names a JSON value's kind for messages.
func kindOf(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// jsonError describes a JSON syntax or shape error in what (the body or a
// row) with the byte offset where it is.
func jsonError(what string, body []byte, err error) error {
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return badRequest("%s: not valid JSON at byte %d: %v", what, se.Offset, se)
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		if te.Field != "" {
			return badRequest("%s: column %q: want a JSON value of its column, got %s", what, te.Field, te.Value)
		}
		return badRequest("%s: want a JSON object of column values, got %s", what, te.Value)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return badRequest("%s: not valid JSON: it ends early (%d bytes)", what, len(body))
	}
	return badRequest("%s: not valid JSON: %v", what, err)
}

// describeSchema lists a model's input columns, e.g. `text (string), n
// (float64)`.
func describeSchema(in *table.Schema) string {
	parts := make([]string, in.Len())
	for j, f := range in.Fields {
		parts[j] = fmt.Sprintf("%s (%v)", f.Name, f.Type)
	}
	return strings.Join(parts, ", ")
}

// decodeCSV reads a CSV body (RFC 4180; a header line naming the columns,
// then a row per record, quoted fields may span lines) into a batch of the
// model's input columns. An empty numeric or boolean field is null.
func decodeCSV(body []byte, in *table.Schema, maxRows int) (*table.Batch, error) {
	r := csv.NewReader(bytes.NewReader(body))
	r.ReuseRecord = false
	header, err := r.Read()
	if err == io.EOF {
		return nil, badRequest("body: empty; send a header line and at least one row")
	}
	if err != nil {
		return nil, csvError(err)
	}
	pos := make([]int, in.Len())
	for j, f := range in.Fields {
		switch f.Type {
		case table.StringList, table.Vector:
			return nil, badRequest("column %q is a %v, which CSV cannot carry; send JSON", f.Name, f.Type)
		}
		pos[j] = -1
		for k, h := range header {
			if h == f.Name {
				pos[j] = k
				break
			}
		}
		if pos[j] < 0 {
			return nil, badRequest("header: missing column %q (%v); the model reads %s", f.Name, f.Type, describeSchema(in))
		}
	}
	var recs [][]string
	var lines []int64
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		if len(recs) == maxRows {
			return nil, badRequest("body: more than the %d rows a request may hold", maxRows)
		}
		line, _ := r.FieldPos(0)
		recs = append(recs, rec)
		lines = append(lines, int64(line))
	}
	if len(recs) == 0 {
		return nil, badRequest("body: a header line and no rows; send at least one row")
	}
	cols, err := newColumns(in, len(recs))
	if err != nil {
		return nil, err
	}
	for i, rec := range recs {
		for j, f := range in.Fields {
			if err := setText(cols[j], i, rec[pos[j]]); err != nil {
				return nil, badRequest("line %d: column %q: %v", lines[i], f.Name, err)
			}
		}
	}
	return requestBatch(in, cols, lines)
}

// setText sets row i of c from a CSV field.
func setText(c table.Column, i int, s string) error {
	switch c := c.(type) {
	case *table.StringColumn:
		c.Values[i] = s
		return nil
	}
	if s == "" {
		c.(interface{ SetNull(int) }).SetNull(i)
		return nil
	}
	var err error
	switch c := c.(type) {
	case *table.Float64Column:
		c.Values[i], err = numtext.ParseFloat(s)
	case *table.Int64Column:
		c.Values[i], err = numtext.ParseInt(s)
	case *table.BoolColumn:
		c.Values[i], err = strconv.ParseBool(s)
	default:
		return fmt.Errorf("%v values cannot be sent as CSV", c.Type())
	}
	if err != nil {
		return fmt.Errorf("%q is not a valid %v", truncate(s), c.Type())
	}
	return nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

func csvError(err error) error {
	if pe, ok := errors.AsType[*csv.ParseError](err); ok {
		return badRequest("line %d, field %d: not valid CSV: %v", pe.Line, pe.Column, pe.Err)
	}
	return badRequest("body: not valid CSV: %v", err)
}
