package csv

import (
	"context"
	"errors"
	"testing"

	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/storage"
)

// FuzzRead feeds arbitrary bytes to the reader: it must never panic or
// hang, and small chunks must give the same table (or the same kind of
// error) as one large chunk, since chunk boundaries must not change the
// meaning of the input.
func FuzzRead(f *testing.F) {
	for _, s := range []string{
		"a,b\n1,2\n", "a,b\n\"x\ny\",2\n", "a\n\"unterminated\n", "a,b\n1,2,3\n", "a\n\xff\n",
		"a,b\r\n1,\"q\"\"q\"\r\n", "\n\na\n1\n", "a\n\"x\"y\n", "a;b\n'1';2\n",
	} {
		f.Add([]byte(s), uint8(5), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8, noHeader bool) {
		ctx := context.Background()
		src := []storage.Source{storage.BytesSource("fuzz.csv", data)}
		small := Options{NoHeader: noHeader, ChunkSize: int(chunk%64) + 1, MaxRecordSize: 1 << 20}
		big := Options{NoHeader: noHeader, MaxRecordSize: 1 << 20}
		t1, _, err1 := Read(ctx, src, small)
		t2, _, err2 := Read(ctx, src, big)
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("chunked err %v, whole err %v", err1, err2)
		}
		if err1 != nil {
			var p1, p2 *ParseError
			if errors.As(err1, &p1) != errors.As(err2, &p2) {
				t.Fatalf("error kinds differ: %v vs %v", err1, err2)
			}
			return
		}
		if !t1.Schema().Equal(t2.Schema()) {
			t.Fatalf("schemas differ: %v vs %v", t1.Schema(), t2.Schema())
		}
		if !tabletest.RowsEqual(t1.Rows(), t2.Rows()) {
			t.Fatalf("rows differ")
		}
	})
}
