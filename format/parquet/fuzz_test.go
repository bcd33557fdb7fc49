package parquet

import (
	"bytes"
	"context"
	"testing"

	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/storage"
)

// FuzzRead feeds damaged Parquet files to the reader: it must return a
// table or an error, never panic or hang.
func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	if err := Write(&buf, tabletest.AllTypes(f)); err != nil {
		f.Fatal(err)
	}
	good := buf.Bytes()
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte("PAR1PAR1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = Read(context.Background(), []storage.Source{storage.BytesSource("fuzz.parquet", data)})
	})
}
