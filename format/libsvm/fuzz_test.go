package libsvm

import (
	"bytes"
	"context"
	"testing"

	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/storage"
)

// FuzzRead: arbitrary input never panics; what parses is valid and
// survives a write/read round trip.
func FuzzRead(f *testing.F) {
	for _, s := range []string{"1 1:0.5 3:2\n", "0\n", "-1 2:1e300 # c\n", "1 0:1\n", "1 2:1 1:1\n", "x\n", "1 2147483647:1\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx := context.Background()
		tb, err := Read(ctx, []storage.Source{storage.BytesSource("fuzz.svm", data)}, Options{ChunkSize: 7})
		if err != nil {
			return
		}
		size := 0
		for _, row := range tb.Rows() {
			v := row[1].(linalg.Vector)
			if err := v.Validate(); err != nil {
				t.Fatalf("invalid vector %v: %v", v, err)
			}
			size = v.Size
		}
		var buf bytes.Buffer
		if err := Write(&buf, tb, "label", "features"); err != nil {
			t.Fatal(err)
		}
		back, err := Read(ctx, []storage.Source{storage.BytesSource("back.svm", buf.Bytes())}, Options{NumFeatures: size})
		if err != nil {
			t.Fatalf("re-read: %v\n%s", err, buf.Bytes())
		}
		if back.Count() != tb.Count() {
			t.Fatalf("round trip lost rows")
		}
	})
}
