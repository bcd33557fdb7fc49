package table_test

import (
	"fmt"
	"testing"

	"github.com/spindle-ml/spindle/table"
)

// TestSchemaIndexWide: wide schemas look names up through a map, with the
// same answers as the scan narrow ones use.
func TestSchemaIndexWide(t *testing.T) {
	for _, n := range []int{3, 17, 20_000} {
		fields := make([]table.Field, n)
		for i := range fields {
			fields[i] = table.Field{Name: fmt.Sprintf("c%d", i), Type: table.Int64}
		}
		s, err := table.NewSchema(fields...)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range []int{0, n / 2, n - 1} {
			if got := s.Index(fmt.Sprintf("c%d", i)); got != i {
				t.Errorf("%d fields: Index(c%d) = %d", n, i, got)
			}
		}
		if s.Index("nope") != -1 {
			t.Errorf("%d fields: found a missing column", n)
		}
	}
}

// BenchmarkSchemaIndexWide looks up every column of a 20,000-column
// schema (quadratic with a scan; VectorAssembler does this).
func BenchmarkSchemaIndexWide(b *testing.B) {
	fields := make([]table.Field, 20_000)
	names := make([]string, len(fields))
	for i := range fields {
		names[i] = fmt.Sprintf("c%d", i)
		fields[i] = table.Field{Name: names[i], Type: table.Float64}
	}
	s, _ := table.NewSchema(fields...)
	for b.Loop() {
		for _, n := range names {
			s.Index(n)
		}
	}
}

// TestColumnAs: a column of the wrong type is an error naming it, never a
// panic.
func TestColumnAs(t *testing.T) {
	schema, _ := table.NewSchema(table.Field{Name: "s", Type: table.String})
	b, _ := table.NewBatch(schema, []table.Column{table.NewStringColumn([]string{"x"}, nil)})
	if c, err := table.ColumnAs[*table.StringColumn](b, "s"); err != nil || c.Values[0] != "x" {
		t.Fatalf("%v, %v", c, err)
	}
	if _, err := table.ColumnAs[*table.VectorColumn](b, "s"); err == nil || err.Error() != `column "s" is string, want vector` {
		t.Fatalf("wrong type: %v", err)
	}
	if _, err := table.ColumnAs[*table.VectorColumn](b, "nope"); err == nil {
		t.Fatal("missing column accepted")
	}
}
