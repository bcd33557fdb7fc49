package table

import "fmt"

// Batch is one partition of a table: a column per schema field, all of the
// same length.
type Batch struct {
	schema *Schema
	cols   []Column
	rows   int
}

// NewBatch checks that cols match schema (count, types, equal lengths) and
// returns the batch.
func NewBatch(schema *Schema, cols []Column) (*Batch, error) {
	if len(cols) != schema.Len() {
		return nil, fmt.Errorf("batch: %d columns for a schema of %d fields", len(cols), schema.Len())
	}
	rows := 0
	for i, c := range cols {
		if c == nil {
			return nil, fmt.Errorf("batch: column %q is nil", schema.Fields[i].Name)
		}
		if c.Type() != schema.Fields[i].Type {
			return nil, fmt.Errorf("batch: column %q is %v, schema says %v", schema.Fields[i].Name, c.Type(), schema.Fields[i].Type)
		}
		if i == 0 {
			rows = c.Len()
		} else if c.Len() != rows {
			return nil, fmt.Errorf("batch: column %q has %d rows, column %q has %d", schema.Fields[i].Name, c.Len(), schema.Fields[0].Name, rows)
		}
	}
	return &Batch{schema: schema, cols: cols, rows: rows}, nil
}

// Schema returns the batch's schema.
func (b *Batch) Schema() *Schema { return b.schema }

// NumRows returns the number of rows.
func (b *Batch) NumRows() int { return b.rows }

// Columns returns the columns in schema order (the slice is the batch's own).
func (b *Batch) Columns() []Column { return b.cols }

// Column returns the i-th column.
func (b *Batch) Column(i int) Column { return b.cols[i] }

// ColumnByName returns the named column, or an error naming the columns that
// exist.
func (b *Batch) ColumnByName(name string) (Column, error) {
	i := b.schema.Index(name)
	if i < 0 {
		return nil, fmt.Errorf("no column %q (columns: %v)", name, b.schema.Names())
	}
	return b.cols[i], nil
}

// Take returns a batch of rows idx, in that order.
func (b *Batch) Take(idx []int) *Batch {
	cols := make([]Column, len(b.cols))
	for i, c := range b.cols {
		cols[i] = c.Take(idx)
	}
	return &Batch{schema: b.schema, cols: cols, rows: len(idx)}
}

// Slice returns rows [lo, hi) as a new batch (copied).
func (b *Batch) Slice(lo, hi int) *Batch {
	idx := make([]int, hi-lo)
	for i := range idx {
		idx[i] = lo + i
	}
	return b.Take(idx)
}

// Row returns row i as Go values (nil for nulls), for tests and printing.
func (b *Batch) Row(i int) []any {
	out := make([]any, len(b.cols))
	for j, c := range b.cols {
		out[j] = c.Value(i)
	}
	return out
}
