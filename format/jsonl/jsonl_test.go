package jsonl

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

func read(t *testing.T, data string, o Options) (*table.Table, error) {
	t.Helper()
	return Read(context.Background(), []storage.Source{storage.BytesSource("in.jsonl", []byte(data))}, o)
}

func TestInference(t *testing.T) {
	in := `{"a":1,"b":1.5,"c":true,"d":"x","e":["t1","t2"],"f":{"type":1,"values":[1,2]},"g":1}
{"a":2,"b":2,"c":false,"d":null,"e":[],"f":{"type":0,"size":4,"indices":[3],"values":[9]},"g":"s"}

{"a":null,"h":{"nested":true}}
`
	tb, err := read(t, in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tb.Schema().String(), "a:int64, b:float64, c:bool, d:string, e:list<string>, f:vector, g:string, h:string"; got != want {
		t.Fatalf("schema = %s, want %s", got, want)
	}
	want := [][]any{
		{int64(1), 1.5, true, "x", []string{"t1", "t2"}, linalg.Dense([]float64{1, 2}), "1", nil},
		{int64(2), 2.0, false, nil, []string{}, tabletest.MustSparse(4, []int32{3}, []float64{9}), "s", nil},
		{nil, nil, nil, nil, nil, nil, nil, `{"nested":true}`},
	}
	if got := tb.Rows(); !tabletest.RowsEqual(got, want) {
		t.Fatalf("rows = %v\nwant %v", got, want)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"not JSON", "{\"a\":1}\n{oops}\n", "in.jsonl:2: invalid JSON"},
		{"not an object", "[1,2]\n", "in.jsonl:1: each line must be a JSON object"},
		{"trailing text", "{\"a\":1} 2\n", "in.jsonl:1: text after the JSON object"},
		{"duplicate key", "{\"a\":1,\"a\":2}\n", `in.jsonl:1: field "a": duplicate key`},
		{"empty", "", "in.jsonl: no data rows"},
		{"number beyond float64", "{\"a\":1.5}\n{\"a\":1e400}\n", `in.jsonl:2: field "a": 1e400 is beyond float64's range`},
		{"gzip", "\x1f\x8b\x08", "in.jsonl: the file is gzip-compressed, not JSON Lines text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := read(t, tt.in, Options{})
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("error = %v, want prefix %q", err, tt.want)
			}
		})
	}
	_, err := read(t, "{\"a\":\"x\"}\n", Options{Schema: map[string]table.Type{"a": table.Int64}})
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 1 || pe.Field != "a" {
		t.Fatalf("declared-type error = %v", err)
	}
}

func TestByteOrderMark(t *testing.T) {
	tb, err := read(t, "\xEF\xBB\xBF{\"text\":\"hi\"}\r{\"text\":\"yo\"}\r", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := tb.Schema().Names(); len(got) != 1 || got[0] != "text" || tb.Count() != 2 {
		t.Fatalf("columns %q, %d rows", got, tb.Count())
	}
}

func TestRoundTrip(t *testing.T) {
	tb := tabletest.AllTypes(t)
	var buf bytes.Buffer
	if err := Write(&buf, tb); err != nil {
		t.Fatal(err)
	}
	got, err := read(t, buf.String(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !got.Schema().Equal(tb.Schema()) {
		t.Fatalf("schema = %v, want %v\n%s", got.Schema(), tb.Schema(), buf.String())
	}
	if !tabletest.RowsEqual(got.Rows(), tb.Rows()) {
		t.Fatalf("rows differ:\n got %v\nwant %v", got.Rows(), tb.Rows())
	}
	// Partitioning does not change the result.
	small, err := Read(context.Background(), []storage.Source{storage.BytesSource("x", buf.Bytes())}, Options{ChunkSize: 16})
	if err != nil || !reflect.DeepEqual(small.Schema(), got.Schema()) || !tabletest.RowsEqual(small.Rows(), got.Rows()) {
		t.Fatalf("small chunks: %v", err)
	}
}
