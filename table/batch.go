package table

import (
	"fmt"
	"strconv"
)

// Batch is one partition of a table: a column per schema field, all of the
// same length, and optionally where its rows came from.
type Batch struct {
	schema *Schema
	cols   []Column
	rows   int
	origin *Origin
}

// Origin places a batch's rows in the file they were read from, so that
// an error about a row, however many stages later, names the file and
// line a user can open. Readers attach it (WithOrigin); batches derived
// from a batch keep it (Take, Slice, Derive).
type Origin struct {
	// File is the source's name (path or URI).
	File string
	// Lines holds each row's 1-based line (text formats) or row number
	// (Parquet) in File.
	Lines []int64
	// Unit names what Lines count: "" for lines (file:line), "row" for
	// rows (file: row N).
	Unit string
}

func (o *Origin) take(idx []int) *Origin {
	if o == nil {
		return nil
	}
	lines := make([]int64, len(idx))
	for k, i := range idx {
		lines[k] = o.Lines[i]
	}
	return &Origin{File: o.File, Lines: lines, Unit: o.Unit}
}

// WithOrigin returns b with its rows' origin set; an origin that does not
// have one line per row is ignored.
func (b *Batch) WithOrigin(o *Origin) *Batch {
	nb := *b
	nb.origin = nil
	if o != nil && len(o.Lines) == b.rows {
		nb.origin = o
	}
	return &nb
}

// Origin returns where the batch's rows came from, or nil.
func (b *Batch) Origin() *Origin { return b.origin }

// Derive returns a batch of the same rows with other columns (a stage's
// output), keeping b's origin; like NewBatch it checks the columns.
func (b *Batch) Derive(schema *Schema, cols []Column) (*Batch, error) {
	nb, err := NewBatch(schema, cols)
	if err != nil {
		return nil, err
	}
	if nb.rows == b.rows {
		nb.origin = b.origin
	}
	return nb, nil
}

// RowName names row i for messages: "data.csv:123" (or "data.parquet: row
// 7") when the batch knows its origin, else "row N" with N = fallback (the
// row's 1-based position in its dataset).
func (b *Batch) RowName(i int, fallback int64) string {
	if o := b.origin; o != nil && i >= 0 && i < len(o.Lines) {
		if o.Unit == "row" {
			return o.File + ": row " + strconv.FormatInt(o.Lines[i], 10)
		}
		return o.File + ":" + strconv.FormatInt(o.Lines[i], 10)
	}
	return "row " + strconv.FormatInt(fallback, 10)
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

// ColumnAs returns the named column of b as its concrete type C (say
// *table.StringListColumn), or an error naming the column, its type and
// the type wanted — never a panic on a wrong type.
func ColumnAs[C Column](b *Batch, name string) (C, error) {
	var zero C
	col, err := b.ColumnByName(name)
	if err != nil {
		return zero, err
	}
	c, ok := col.(C)
	if !ok {
		return zero, fmt.Errorf("column %q is %v, want %v", name, col.Type(), typeOf[C]())
	}
	return c, nil
}

// typeOf names the column type C holds.
func typeOf[C Column]() Type {
	var c C
	switch any(c).(type) {
	case *StringColumn:
		return String
	case *Int64Column:
		return Int64
	case *Float64Column:
		return Float64
	case *BoolColumn:
		return Bool
	case *StringListColumn:
		return StringList
	case *VectorColumn:
		return Vector
	case *BinsColumn:
		return Bins
	}
	return 0
}

// Take returns a batch of rows idx, in that order.
func (b *Batch) Take(idx []int) *Batch {
	cols := make([]Column, len(b.cols))
	for i, c := range b.cols {
		cols[i] = c.Take(idx)
	}
	return &Batch{schema: b.schema, cols: cols, rows: len(idx), origin: b.origin.take(idx)}
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
