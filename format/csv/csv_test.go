package csv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

func read(t *testing.T, data string, o Options) (*table.Table, *Report, error) {
	t.Helper()
	return Read(context.Background(), []storage.Source{storage.BytesSource("in.csv", []byte(data))}, o)
}

func TestReadTypesAndQuoting(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		opts   Options
		schema string
		rows   [][]any
	}{
		{
			name:   "inference",
			in:     "i,f,b,s\n1,1.5,true,x\n2,-3,FALSE,y\n",
			schema: "i:int64, f:float64, b:bool, s:string",
			rows:   [][]any{{int64(1), 1.5, true, "x"}, {int64(2), -3.0, false, "y"}},
		},
		{
			name:   "quoted delimiter, doubled quote and newline",
			in:     "id,text\n1,\"a, b\"\n2,\"say \"\"hi\"\"\nbye\"\r\n3,plain\n",
			schema: "id:int64, text:string",
			rows:   [][]any{{int64(1), "a, b"}, {int64(2), "say \"hi\"\nbye"}, {int64(3), "plain"}},
		},
		{
			name:   "nulls: empty unquoted is null, quoted empty is empty",
			in:     "a,b\n,\"\"\n1,x\n",
			schema: "a:int64, b:string",
			rows:   [][]any{{nil, ""}, {int64(1), "x"}},
		},
		{
			name:   "custom null tokens",
			in:     "a,b\nNA,1\n2,null\n",
			opts:   Options{NullValues: []string{"NA", "null", ""}},
			schema: "a:int64, b:int64",
			rows:   [][]any{{nil, int64(1)}, {int64(2), nil}},
		},
		{
			name:   "no header, tab delimiter, backslash escape",
			in:     "1\t'it\\'s'\n2\tok\n",
			opts:   Options{NoHeader: true, Delimiter: '\t', Quote: '\'', Escape: '\\'},
			schema: "_c0:int64, _c1:string",
			rows:   [][]any{{int64(1), "it's"}, {int64(2), "ok"}},
		},
		{
			name:   "schema override",
			in:     "zip,v\n01234,\"[1.0,2.5]\"\n99,\"(3,[1],[4.0])\"\n",
			opts:   Options{Schema: map[string]table.Type{"zip": table.String, "v": table.Vector}},
			schema: "zip:string, v:vector",
			rows:   [][]any{{"01234", linalg.Dense([]float64{1, 2.5})}, {"99", mustSparse(3, []int32{1}, []float64{4})}},
		},
		{
			name:   "int and float mix becomes float",
			in:     "x\n1\n2.5\n",
			schema: "x:float64",
			rows:   [][]any{{1.0}, {2.5}},
		},
		{
			name:   "blank lines are skipped, last line without newline",
			in:     "a,b\n1,2\n\n3,4",
			schema: "a:int64, b:int64",
			rows:   [][]any{{int64(1), int64(2)}, {int64(3), int64(4)}},
		},
		{
			name:   "duplicate and empty header names",
			in:     "a,a,\n1,2,3\n",
			schema: "a0:int64, a1:int64, _c2:int64",
			rows:   [][]any{{int64(1), int64(2), int64(3)}},
		},
		{
			name:   "a renamed duplicate meets a name",
			in:     "0,1,00,0\n1,2,3,4\n",
			schema: "00:int64, 1:int64, 00_2:int64, 03:int64",
			rows:   [][]any{{int64(1), int64(2), int64(3), int64(4)}},
		},
		{
			name:   "no inference",
			in:     "a\n1\n",
			opts:   Options{NoInferSchema: true},
			schema: "a:string",
			rows:   [][]any{{"1"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb, _, err := read(t, tt.in, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := tb.Schema().String(); got != tt.schema {
				t.Errorf("schema = %s, want %s", got, tt.schema)
			}
			if got := tb.Rows(); !reflect.DeepEqual(got, tt.rows) {
				t.Errorf("rows = %#v\nwant %#v", got, tt.rows)
			}
		})
	}
}

func mustSparse(n int, idx []int32, vals []float64) linalg.Vector {
	v, err := linalg.Sparse(n, idx, vals)
	if err != nil {
		panic(err)
	}
	return v
}

// TestChunkBoundaries parses the same multi-line data with chunk sizes
// from tiny to large: quoted fields spanning lines must never be cut, and
// the result must not depend on the chunking.
func TestChunkBoundaries(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,text,x\n")
	r := rand.New(rand.NewPCG(1, 2))
	var want [][]any
	for i := 0; i < 500; i++ {
		text := fmt.Sprintf("line one %d\nline \"two\", with comma\n\nend", i)
		if i%3 == 0 {
			text = fmt.Sprintf("plain%d", i)
		}
		x := r.Float64()
		fmt.Fprintf(&b, "%d,\"%s\",%v\n", i, strings.ReplaceAll(text, "\"", "\"\""), x)
		want = append(want, []any{int64(i), text, x})
	}
	for _, size := range []int{7, 64, 1000, 1 << 20} {
		tb, _, err := read(t, b.String(), Options{ChunkSize: size})
		if err != nil {
			t.Fatalf("chunk %d: %v", size, err)
		}
		if got := tb.Rows(); !reflect.DeepEqual(got, want) {
			t.Fatalf("chunk size %d: rows differ", size)
		}
	}
}

func TestMalformed(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		opts   Options
		is     error
		line   int64
		column int
		msg    string
	}{
		{name: "unterminated quote at EOF", in: "a,b\n1,2\n3,\"open\nstill open\n", is: ErrUnterminatedQuote, line: 3, column: 2, msg: `in.csv:3: column 2 ("b"): quoted field is not terminated`},
		{name: "ragged row", in: "a,b\n1,2\n3,4,5\n", is: ErrFieldCount, line: 3, msg: "in.csv:3: wrong number of fields: 3 fields, the header has 2"},
		{name: "short row", in: "a,b\n1\n", is: ErrFieldCount, line: 2},
		{name: "invalid UTF-8", in: "a,b\n1,ok\n2,caf\xe9\n", is: ErrInvalidUTF8, line: 3, column: 2, msg: `in.csv:3: column 2 ("b"): invalid UTF-8`},
		{name: "text after closing quote", in: "a,b\n1,\"x\"y\n", is: ErrAfterQuote, line: 2, column: 2, msg: `in.csv:2: column 2 ("b"): unexpected text after a closing quote`},
		{name: "bare quote in an unquoted field", in: "a,b,c\n1,2,3\n4,5 \"inch,6\n", is: ErrAfterQuote, line: 3, column: 2, msg: `in.csv:3: column 2 ("b"): unexpected text after a closing quote (a quote inside a quoted field must be doubled): a quote inside an unquoted field`},
		{name: "bare quote in the header", in: "a,b\"c\n1,2\n", is: ErrAfterQuote, line: 1, column: 2},
		{name: "number beyond float64 in a declared column", in: "a,b\n1,2\n1e400,3\n", opts: Options{Schema: map[string]table.Type{"a": table.Float64}}, is: ErrType, line: 3, column: 1, msg: `in.csv:3: column 1 ("a"): value does not parse as the column's type: "1e400" is beyond float64's range`},
		{name: "number beyond float64 in an inferred column", in: "a,b\n1.5,2\n-1e400,3\n", is: ErrType, line: 3, column: 1, msg: `in.csv:3: column 1 ("a"): value does not parse as the column's type: "-1e400" is beyond float64's range`},
		{name: "gzip file", in: "\x1f\x8b\x08\x00\x00", msg: "in.csv: the file is gzip-compressed, not CSV text; decompress it first"},
		{name: "non-numeric value in a numeric column", in: "a,b\n1,2\nx,3\n", opts: Options{Schema: map[string]table.Type{"a": table.Int64}}, is: ErrType, line: 3, column: 1, msg: `in.csv:3: column 1 ("a"): value does not parse as the column's type: "x" is not an integer`},
		{name: "integer out of int64's range", in: "a,b\n1,2\n9223372036854775808,3\n", opts: Options{Schema: map[string]table.Type{"a": table.Int64}}, is: ErrType, line: 3, column: 1, msg: `in.csv:3: column 1 ("a"): value does not parse as the column's type: "9223372036854775808" is beyond int64's range`},
		{name: "empty file", in: "", is: ErrEmpty, msg: "in.csv: empty file"},
		{name: "header only", in: "a,b\n", is: ErrNoRows, msg: "in.csv: no data rows (header only)"},
		{name: "record too large", in: "a\n\"" + strings.Repeat("x", 5000), opts: Options{ChunkSize: 64, MaxRecordSize: 1024}, is: ErrRecordTooLarge, line: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, size := range []int{0, 5} {
				o := tt.opts
				if size > 0 && o.ChunkSize == 0 {
					o.ChunkSize = size
				}
				_, _, err := read(t, tt.in, o)
				if err == nil || tt.is != nil && !errors.Is(err, tt.is) {
					t.Fatalf("chunk %d: error = %v, want %v", size, err, tt.is)
				}
				var pe *ParseError
				if tt.line > 0 {
					if !errors.As(err, &pe) || pe.Line != tt.line || pe.Column != tt.column {
						t.Fatalf("chunk %d: error = %#v, want line %d column %d", size, err, tt.line, tt.column)
					}
				}
				if tt.msg != "" && !strings.HasPrefix(err.Error(), tt.msg) {
					t.Errorf("message = %q, want prefix %q", err, tt.msg)
				}
			}
		})
	}
}

// TestTextStart reads files as Excel and old Macs write them: a UTF-8
// byte order mark, lines ending in a lone CR.
func TestTextStart(t *testing.T) {
	for _, in := range []string{
		"\xEF\xBB\xBFtext,n\nhello,1\n\"a\nb\",2\n",
		"text,n\rhello,1\r\"a\rb\",2\r",
		"\xEF\xBB\xBFtext,n\r\nhello,1\r\n\"a\nb\",2\r\n",
	} {
		for _, size := range []int{0, 7} {
			tb, _, err := read(t, in, Options{ChunkSize: size})
			if err != nil {
				t.Fatalf("%q: %v", in, err)
			}
			if got := tb.Schema().Names(); !reflect.DeepEqual(got, []string{"text", "n"}) {
				t.Errorf("%q: columns %q", in, got)
			}
			if got := tb.Rows(); !reflect.DeepEqual(got, [][]any{{"hello", int64(1)}, {"a\nb", int64(2)}}) {
				t.Errorf("%q: rows %q", in, got)
			}
		}
	}
}

// TestInferredOutOfRangeDropped: under Drop, a number beyond float64 in an
// inferred column drops its row and the column stays float64.
func TestInferredOutOfRangeDropped(t *testing.T) {
	tb, rep, err := read(t, "a,b\n1.5,x\n1e999,y\n2,z\n", Options{OnMalformed: Drop})
	if err != nil {
		t.Fatal(err)
	}
	if got := tb.Schema().String(); got != "a:float64, b:string" {
		t.Errorf("schema %s", got)
	}
	if tb.Count() != 2 || rep.Dropped != 1 || rep.DropReasons[0].Line != 3 {
		t.Errorf("rows %d, dropped %d (%v)", tb.Count(), rep.Dropped, rep.DropReasons)
	}
}

func TestDropPolicy(t *testing.T) {
	in := "a,b\n1,2\n3,4,5\n6,\"x\"y\n7,8\nz,9\n"
	var rejects bytes.Buffer
	tb, rep, err := read(t, in, Options{OnMalformed: Drop, Rejects: &rejects, Schema: map[string]table.Type{"a": table.Int64}})
	if err != nil {
		t.Fatal(err)
	}
	if got := tb.Rows(); !reflect.DeepEqual(got, [][]any{{int64(1), int64(2)}, {int64(7), int64(8)}}) {
		t.Errorf("rows = %v", got)
	}
	if rep.Dropped != 3 || len(rep.DropReasons) != 3 {
		t.Errorf("dropped = %d (%v), want 3", rep.Dropped, rep.DropReasons)
	}
	if rejects.String() != "3,4,5\n6,\"x\"y\nz,9\n" {
		t.Errorf("rejects = %q", rejects.String())
	}
	if rep.DropReasons[2].Line != 6 {
		t.Errorf("third drop at line %d, want 6", rep.DropReasons[2].Line)
	}
}

func TestWidenToStringRereads(t *testing.T) {
	in := "a,b\n1,1\n2,2\n3,3\nx,4\n"
	tb, rep, err := read(t, in, Options{ChunkSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	if tb.Schema().String() != "a:string, b:int64" || !reflect.DeepEqual(rep.Widened, []string{"a"}) {
		t.Fatalf("schema %v, widened %v", tb.Schema(), rep.Widened)
	}
	if got := tb.Rows()[0][0]; got != "1" {
		t.Errorf("first a = %#v, want the original text \"1\"", got)
	}
}

func TestMultipleFilesMustAgree(t *testing.T) {
	srcs := []storage.Source{
		storage.BytesSource("p0.csv", []byte("a,b\n1,2\n")),
		storage.BytesSource("p1.csv", []byte("a,b\n3,4\n")),
	}
	tb, rep, err := Read(context.Background(), srcs, Options{})
	if err != nil || tb.Count() != 2 || rep.Files != 2 {
		t.Fatalf("count %v files %v err %v", tb.Count(), rep.Files, err)
	}
	srcs[1] = storage.BytesSource("p1.csv", []byte("a,c\n3,4\n"))
	if _, _, err := Read(context.Background(), srcs, Options{}); err == nil || !strings.Contains(err.Error(), "p1.csv: columns [a c] differ") {
		t.Fatalf("error = %v", err)
	}
}

func TestRoundTrip(t *testing.T) {
	tb := tabletest.AllTypes(t)
	var buf bytes.Buffer
	if err := Write(&buf, tb, Options{}); err != nil {
		t.Fatal(err)
	}
	schema := map[string]table.Type{}
	for _, f := range tb.Schema().Fields {
		schema[f.Name] = f.Type
	}
	got, _, err := read(t, buf.String(), Options{Schema: schema})
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if !got.Schema().Equal(tb.Schema()) {
		t.Fatalf("schema %v, want %v", got.Schema(), tb.Schema())
	}
	if !tabletest.RowsEqual(got.Rows(), tb.Rows()) {
		t.Fatalf("rows differ:\n got %v\nwant %v\n%s", got.Rows(), tb.Rows(), buf.String())
	}
}
