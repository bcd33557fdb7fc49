package table

import (
	"fmt"
)

// Table is a schema and an ordered list of partitions. Row order is the
// partitions' order, then the order inside each; it is what RandomSplit and
// Sample key their random draws on.
type Table struct {
	schema *Schema
	parts  []*Batch
}

// New returns a table; every partition must have exactly schema's fields.
func New(schema *Schema, parts ...*Batch) (*Table, error) {
	for i, p := range parts {
		if !p.Schema().Equal(schema) {
			return nil, fmt.Errorf("table: partition %d has schema (%v), want (%v)", i, p.Schema(), schema)
		}
	}
	return &Table{schema: schema, parts: parts}, nil
}

// Schema returns the table's schema.
func (t *Table) Schema() *Schema { return t.schema }

// Partitions returns the partitions (the slice is the table's own).
func (t *Table) Partitions() []*Batch { return t.parts }

// NumPartitions returns the number of partitions.
func (t *Table) NumPartitions() int { return len(t.parts) }

// Count returns the number of rows.
func (t *Table) Count() int64 {
	var n int64
	for _, p := range t.parts {
		n += int64(p.NumRows())
	}
	return n
}

// Rows returns every row as Go values; for tests and small tables only.
func (t *Table) Rows() [][]any {
	var out [][]any
	for _, p := range t.parts {
		for i := 0; i < p.NumRows(); i++ {
			out = append(out, p.Row(i))
		}
	}
	return out
}

// Repartition returns the same rows, in the same order, cut into partitions
// of at most rowsPerPartition rows.
func (t *Table) Repartition(rowsPerPartition int) (*Table, error) {
	if rowsPerPartition <= 0 {
		return nil, fmt.Errorf("repartition: rows per partition must be positive, got %d", rowsPerPartition)
	}
	all := t.Concat()
	var parts []*Batch
	for lo := 0; lo < all.NumRows(); lo += rowsPerPartition {
		parts = append(parts, all.Slice(lo, min(lo+rowsPerPartition, all.NumRows())))
	}
	return &Table{schema: t.schema, parts: parts}, nil
}

// Concat returns all rows as a single batch.
func (t *Table) Concat() *Batch {
	total := int(t.Count())
	cols := make([]Column, t.schema.Len())
	for j, f := range t.schema.Fields {
		c, _ := NewColumn(f.Type, 0) // the type comes from a validated schema
		cols[j] = c
	}
	for j := range cols {
		cols[j] = concatColumn(cols[j], t.parts, j, total)
	}
	return &Batch{schema: t.schema, cols: cols, rows: total, origin: concatOrigin(t.parts, total)}
}

// concatOrigin joins the parts' origins when they all come from one file.
func concatOrigin(parts []*Batch, total int) *Origin {
	if len(parts) == 0 || parts[0].origin == nil {
		return nil
	}
	o := &Origin{File: parts[0].origin.File, Unit: parts[0].origin.Unit, Lines: make([]int64, 0, total)}
	for _, p := range parts {
		if p.origin == nil || p.origin.File != o.File || p.origin.Unit != o.Unit {
			return nil
		}
		o.Lines = append(o.Lines, p.origin.Lines...)
	}
	return o
}

func concatColumn(empty Column, parts []*Batch, j, total int) Column {
	switch c := empty.(type) {
	case *StringColumn:
		return concatTyped(c, parts, j, total)
	case *Int64Column:
		return concatTyped(c, parts, j, total)
	case *Float64Column:
		return concatTyped(c, parts, j, total)
	case *BoolColumn:
		return concatTyped(c, parts, j, total)
	case *StringListColumn:
		return concatTyped(c, parts, j, total)
	case *VectorColumn:
		return concatTyped(c, parts, j, total)
	case *BinsColumn:
		if len(parts) == 0 {
			return c
		}
		return concatBins(parts[0].cols[j].(*BinsColumn), parts, j, total)
	}
	return empty
}

func concatTyped[T any](out *TypedColumn[T], parts []*Batch, j, total int) Column {
	out.Values = make([]T, 0, total)
	off := 0
	for _, p := range parts {
		c := p.cols[j].(*TypedColumn[T])
		out.Values = append(out.Values, c.Values...)
		if c.Valid != nil {
			for i := range c.Values {
				if !c.Valid.Valid(i) {
					if out.Valid == nil {
						out.Valid = NewBitmap(total)
					}
					out.Valid.SetNull(off + i)
				}
			}
		}
		off += len(c.Values)
	}
	return out
}
