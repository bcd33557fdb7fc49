package libsvm

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

func read(data string, o Options) (*table.Table, error) {
	return Read(context.Background(), []storage.Source{storage.BytesSource("in.svm", []byte(data))}, o)
}

func TestRead(t *testing.T) {
	tb, err := read("1 1:0.5 3:2 # comment\n\n0\n-1 2:1.25\r\n", Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]any{
		{1.0, tabletest.MustSparse(3, []int32{0, 2}, []float64{0.5, 2})},
		{0.0, tabletest.MustSparse(3, nil, nil)},
		{-1.0, tabletest.MustSparse(3, []int32{1}, []float64{1.25})},
	}
	if !tabletest.RowsEqual(tb.Rows(), want) {
		t.Fatalf("rows = %v", tb.Rows())
	}
	tb, err = read("1 1:1\n", Options{NumFeatures: 10})
	if err != nil || tb.Rows()[0][1].(linalg.Vector).Size != 10 {
		t.Fatalf("numFeatures not applied: %v %v", tb, err)
	}
}

func TestByteOrderMark(t *testing.T) {
	tb, err := read("\xEF\xBB\xBF1 1:2\n0 2:1\n", Options{})
	if err != nil || tb.Count() != 2 {
		t.Fatalf("read = %v, %v", tb, err)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		in   string
		o    Options
		want string
	}{
		{"x 1:2\n", Options{}, "in.svm:1: token 1: label \"x\" is not a number"},
		{"1 1:2\n1 0:3\n", Options{}, "in.svm:2: token 2: index \"0\" is not an integer in [1, 2147483647] (LibSVM indices are 1-based)"},
		{"1 2:1 1:2\n", Options{}, "in.svm:1: token 3: index 1 after 2: indices must be strictly increasing"},
		{"1 2:1 3\n", Options{}, "in.svm:1: token 3: \"3\" is not index:value"},
		{"1 2:abc\n", Options{}, "in.svm:1: token 2: value \"abc\" is not a number"},
		{"1 20:1\n", Options{NumFeatures: 10}, "in.svm:1: token 2: index 20 exceeds numFeatures 10"},
		{"", Options{}, "in.svm: no data rows"},
		{"1 1:1e400\n", Options{}, "in.svm:1: token 2: value \"1e400\" is beyond float64's range (±1.8e308)"},
		{"1e400 1:1\n", Options{}, "in.svm:1: token 1: label \"1e400\" is beyond float64's range (±1.8e308)"},
		{"1 0x10:1\n", Options{}, "in.svm:1: token 2: index \"0x10\" is not an integer in [1, 2147483647] (LibSVM indices are 1-based)"},
		{"1 1:1_0\n", Options{}, "in.svm:1: token 2: value \"1_0\" is not a number"},
		{"\x1f\x8b\x08", Options{}, "in.svm: the file is gzip-compressed, not LibSVM text; decompress it first"},
	}
	for _, tt := range tests {
		_, err := read(tt.in, tt.o)
		if err == nil || err.Error() != tt.want {
			t.Errorf("read(%q) error = %v\nwant %s", tt.in, err, tt.want)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	schema := Schema()
	b, _ := table.NewBatch(schema, []table.Column{
		table.NewFloat64Column([]float64{1, 0, 2.5, -1}, nil),
		table.NewVectorColumn([]linalg.Vector{
			tabletest.MustSparse(6, []int32{0, 5}, []float64{0.25, -3}),
			tabletest.MustSparse(6, nil, nil),
			tabletest.MustSparse(6, []int32{2}, []float64{1e-300}),
			tabletest.MustSparse(6, []int32{1, 2, 3}, []float64{1, 2, 3}),
		}, nil),
	})
	tb, _ := table.New(schema, b)
	var buf bytes.Buffer
	if err := Write(&buf, tb, "label", "features"); err != nil {
		t.Fatal(err)
	}
	got, err := read(buf.String(), Options{NumFeatures: 6})
	if err != nil {
		t.Fatal(err)
	}
	if !tabletest.RowsEqual(got.Rows(), tb.Rows()) {
		t.Fatalf("rows = %v\nwant %v\n%s", got.Rows(), tb.Rows(), buf.String())
	}
	// Dense vectors are written without their zeros.
	b2, _ := table.NewBatch(schema, []table.Column{table.NewFloat64Column([]float64{1}, nil),
		table.NewVectorColumn([]linalg.Vector{linalg.Dense([]float64{0, 2, 0})}, nil)})
	tb2, _ := table.New(schema, b2)
	buf.Reset()
	Write(&buf, tb2, "label", "features")
	if strings.TrimSpace(buf.String()) != "1 2:2" {
		t.Errorf("dense written as %q", buf.String())
	}
}
