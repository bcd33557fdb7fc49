package jsonl

import (
	"context"
	"testing"

	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/storage"
)

// FuzzRead feeds arbitrary bytes to the reader: it must never panic or
// hang, and chunking must not change the result.
func FuzzRead(f *testing.F) {
	for _, s := range []string{
		"{\"a\":1}\n{\"a\":2.5}\n", "{\"a\":\"x\",\"b\":[\"p\"]}\n", "{\"v\":{\"type\":0,\"size\":3,\"indices\":[1],\"values\":[2]}}\n",
		"{\"a\":1e400}\n", "\xEF\xBB\xBF{\"a\":1}\r{\"a\":2}\r", "{oops}\n", "{\"a\":\"NaN\"}\n",
	} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		ctx := context.Background()
		src := []storage.Source{storage.BytesSource("fuzz.jsonl", data)}
		t1, err1 := Read(ctx, src, Options{ChunkSize: int(chunk%64) + 1})
		t2, err2 := Read(ctx, src, Options{})
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("chunked err %v, whole err %v", err1, err2)
		}
		if err1 == nil && (!t1.Schema().Equal(t2.Schema()) || !tabletest.RowsEqual(t1.Rows(), t2.Rows())) {
			t.Fatalf("chunking changed the table")
		}
	})
}
