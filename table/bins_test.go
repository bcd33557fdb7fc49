package table_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/spindle-ml/spindle/table"
)

// TestBinsColumn: rows, nulls, Take, the wire codec and concatenation of
// a bins column.
func TestBinsColumn(t *testing.T) {
	if _, err := table.NewBinsColumn(make([]uint8, 5), 2, nil); err == nil {
		t.Fatal("5 bytes in rows of 2 accepted")
	}
	c, err := table.NewBinsColumn([]uint8{1, 2, 3, 4, 5, 6}, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Valid = table.NewBitmap(3)
	c.Valid.SetNull(1)
	if c.Len() != 3 || c.NullCount() != 1 || fmt.Sprint(c.Row(2)) != "[5 6]" || c.Value(1) != nil {
		t.Fatalf("len %d nulls %d row 2 %v value 1 %v", c.Len(), c.NullCount(), c.Row(2), c.Value(1))
	}
	tk := c.Take([]int{2, 1, 0}).(*table.BinsColumn)
	if fmt.Sprint(tk.Data) != "[5 6 3 4 1 2]" || !tk.IsNull(1) || tk.IsNull(0) {
		t.Fatalf("take: %v nulls %v", tk.Data, tk.Valid)
	}
	schema, _ := table.NewSchema(table.Field{Name: "b", Type: table.Bins})
	b, err := table.NewBatch(schema, []table.Column{c})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := table.EncodeBatch(&buf, b); err != nil {
		t.Fatal(err)
	}
	got, err := table.DecodeBatch(&buf)
	if err != nil {
		t.Fatal(err)
	}
	gc := got.Columns()[0].(*table.BinsColumn)
	if fmt.Sprint(gc.Data) != fmt.Sprint(c.Data) || gc.Width != 2 || !gc.IsNull(1) {
		t.Fatalf("decoded %v width %d", gc.Data, gc.Width)
	}
	tb, err := table.New(schema, b, b)
	if err != nil {
		t.Fatal(err)
	}
	one, err := tb.Repartition(10)
	if err != nil {
		t.Fatal(err)
	}
	all := one.Partitions()[0].Columns()[0].(*table.BinsColumn)
	if all.Len() != 6 || fmt.Sprint(all.Row(3)) != "[1 2]" || !all.IsNull(4) || all.NullCount() != 2 {
		t.Fatalf("concatenated %v nulls %d", all.Data, all.NullCount())
	}
}

// FuzzParseCategories: any string parses or fails without a panic, and
// what parses formats back to the same categories.
func FuzzParseCategories(f *testing.F) {
	for _, s := range []string{"", "0:2", "3:4,7:2", "1:0", "a:b", "2:3,2:4", "-1:2", "5:300"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := table.ParseCategories(s)
		if err != nil {
			return
		}
		back, err := table.ParseCategories(table.FormatCategories(m))
		if err != nil || fmt.Sprint(back) != fmt.Sprint(m) {
			t.Fatalf("%q → %v → %q → %v, %v", s, m, table.FormatCategories(m), back, err)
		}
	})
}

// TestCategories: the categorical features' field format.
func TestCategories(t *testing.T) {
	m := map[int]int{7: 2, 3: 4}
	if s := table.FormatCategories(m); s != "3:4,7:2" {
		t.Fatalf("format %q", s)
	}
	for _, bad := range []string{"3", "3:x", "-1:2", "3:0", "3:2,3:4"} {
		if _, err := table.ParseCategories(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
