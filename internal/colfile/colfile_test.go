package colfile

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/table"
)

func roundTrip(t *testing.T, b *table.Batch) *table.Batch {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, b); err != nil {
		t.Fatal(err)
	}
	if !Sniff(buf.Bytes()) {
		t.Fatal("not an Arrow IPC file")
	}
	got, err := Decode(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestRoundTrip: every column type, nulls, empty lists and vectors, and
// row origins come back as they went.
func TestRoundTrip(t *testing.T) {
	all := tabletest.AllTypes(t).Partitions()[0]
	withOrigin := all.WithOrigin(&table.Origin{File: "s3://b/in.csv", Lines: []int64{2, 3, 5, 8, 13}})
	empty, err := table.NewBatch(all.Schema(), func() []table.Column {
		var cs []table.Column
		for _, f := range all.Schema().Fields {
			c, _ := table.NewColumn(f.Type, 0)
			cs = append(cs, c)
		}
		return cs
	}())
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string]*table.Batch{"all types": all, "origin": withOrigin, "no rows": empty} {
		t.Run(name, func(t *testing.T) {
			got := roundTrip(t, b)
			if !got.Schema().Equal(b.Schema()) || got.NumRows() != b.NumRows() {
				t.Fatalf("schema %v (%d rows), want %v (%d)", got.Schema(), got.NumRows(), b.Schema(), b.NumRows())
			}
			for i := range b.NumRows() {
				if !tabletest.RowsEqual([][]any{got.Row(i)}, [][]any{b.Row(i)}) {
					t.Fatalf("row %d: %v, want %v", i, got.Row(i), b.Row(i))
				}
				for j, c := range b.Columns() {
					if c.IsNull(i) != got.Columns()[j].IsNull(i) {
						t.Fatalf("row %d column %d: null %v, want %v", i, j, got.Columns()[j].IsNull(i), c.IsNull(i))
					}
				}
				if b.Origin() != nil && got.RowName(i, 0) != b.RowName(i, 0) {
					t.Fatalf("row %d is %s, want %s", i, got.RowName(i, 0), b.RowName(i, 0))
				}
			}
			// A sparse vector stays sparse, a dense one dense.
			if vc, ok := got.Columns()[len(got.Columns())-1].(*table.VectorColumn); ok && b.NumRows() > 2 {
				if vc.Values[0].Indices != nil || vc.Values[2].Indices == nil {
					t.Fatalf("vectors %+v", vc.Values)
				}
			}
		})
	}
}

// TestDenseBlockRoundTrip: a column of dense rows decodes as one block
// (table.DenseBlock reads it in place), with the same values.
func TestDenseBlockRoundTrip(t *testing.T) {
	data := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9}
	schema, _ := table.NewSchema(table.Field{Name: "v", Type: table.Vector})
	b, err := table.NewBatch(schema, []table.Column{table.NewDenseVectorColumn(data, 3)})
	if err != nil {
		t.Fatal(err)
	}
	got := roundTrip(t, b)
	x, dim, ok := table.DenseBlock(got.Columns()[0].(*table.VectorColumn))
	if !ok || dim != 3 || fmt.Sprint(x) != fmt.Sprint(data) {
		t.Fatalf("DenseBlock of the decoded column: %v %d %v", x, dim, ok)
	}
}

// TestDecodeRefusesDamage: a truncated or altered file is an error, never
// a panic.
func TestDecodeRefusesDamage(t *testing.T) {
	var buf bytes.Buffer
	if err := Encode(&buf, tabletest.AllTypes(t).Partitions()[0]); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	for _, n := range []int{0, 6, len(data) / 2, len(data) - 1} {
		if _, err := Decode(append([]byte(nil), data[:n]...)); err == nil {
			t.Errorf("%d of %d bytes decoded", n, len(data))
		}
	}
	flipped := append([]byte(nil), data...)
	flipped[len(flipped)/2] ^= 0x10
	if _, err := Decode(flipped); err == nil || !strings.Contains(err.Error(), "CRC-32C") {
		t.Errorf("a flipped bit: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	var buf bytes.Buffer
	if err := Encode(&buf, tabletest.AllTypes(f).Partitions()[0]); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Decode(data)
		if err != nil {
			return
		}
		for i := range b.NumRows() {
			_ = fmt.Sprint(b.Row(i))
		}
	})
}

// TestBinsRoundTrip: a bins column comes back with its width, bytes and
// nulls.
func TestBinsRoundTrip(t *testing.T) {
	c, err := table.NewBinsColumn([]uint8{0, 1, 2, 3, 4, 5, 250, 251, 252}, 3, table.NewBitmap(3))
	if err != nil {
		t.Fatal(err)
	}
	c.Valid.SetNull(1)
	schema, _ := table.NewSchema(table.Field{Name: "b", Type: table.Bins})
	b, err := table.NewBatch(schema, []table.Column{c})
	if err != nil {
		t.Fatal(err)
	}
	got := roundTrip(t, b)
	gc, ok := got.Columns()[0].(*table.BinsColumn)
	if !ok || !got.Schema().Equal(schema) || gc.Width != 3 || fmt.Sprint(gc.Row(2)) != "[250 251 252]" || !gc.IsNull(1) || gc.IsNull(0) {
		t.Fatalf("decoded %+v", got.Columns()[0])
	}
}
