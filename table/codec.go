package table

import (
	"encoding/gob"
	"fmt"
	"io"

	"github.com/spindle-ml/spindle/linalg"
)

// The batch wire format: a gob stream of one wireBatch. It is what carries a
// partition to a worker in another process; it is not a storage format
// (tables at rest are Parquet).
type wireBatch struct {
	Version int
	Fields  []Field
	Rows    int
	Columns []wireColumn
	// Origin, when the batch has one (a worker's row errors name the
	// file and line too).
	OriginFile  string
	OriginLines []int64
	OriginUnit  string
}

type wireColumn struct {
	Valid   []uint64
	Str     []string
	I64     []int64
	F64     []float64
	Bools   []bool
	Lists   [][]string
	Vectors []linalg.Vector
	Bins    []byte
	Width   int
}

const wireVersion = 1

// EncodeBatch writes b to w in Spindle's batch wire format.
func EncodeBatch(w io.Writer, b *Batch) error {
	wb := wireBatch{Version: wireVersion, Fields: b.schema.Fields, Rows: b.rows, Columns: make([]wireColumn, len(b.cols))}
	if o := b.origin; o != nil {
		wb.OriginFile, wb.OriginLines, wb.OriginUnit = o.File, o.Lines, o.Unit
	}
	for i, c := range b.cols {
		wc := &wb.Columns[i]
		switch c := c.(type) {
		case *StringColumn:
			wc.Str, wc.Valid = c.Values, c.Valid
		case *Int64Column:
			wc.I64, wc.Valid = c.Values, c.Valid
		case *Float64Column:
			wc.F64, wc.Valid = c.Values, c.Valid
		case *BoolColumn:
			wc.Bools, wc.Valid = c.Values, c.Valid
		case *StringListColumn:
			wc.Lists, wc.Valid = c.Values, c.Valid
		case *VectorColumn:
			wc.Vectors, wc.Valid = c.Values, c.Valid
		case *BinsColumn:
			wc.Bins, wc.Width, wc.Valid = c.Data, c.Width, c.Valid
		default:
			return fmt.Errorf("encode batch: column %q has unsupported type %T", b.schema.Fields[i].Name, c)
		}
	}
	if err := gob.NewEncoder(w).Encode(&wb); err != nil {
		return fmt.Errorf("encode batch: %w", err)
	}
	return nil
}

// DecodeBatch reads a batch written by EncodeBatch and validates it.
func DecodeBatch(r io.Reader) (*Batch, error) {
	var wb wireBatch
	if err := gob.NewDecoder(r).Decode(&wb); err != nil {
		return nil, fmt.Errorf("decode batch: %w", err)
	}
	if wb.Version != wireVersion {
		return nil, fmt.Errorf("decode batch: wire version %d, this build reads %d", wb.Version, wireVersion)
	}
	schema, err := NewSchema(wb.Fields...)
	if err != nil {
		return nil, fmt.Errorf("decode batch: %w", err)
	}
	if len(wb.Columns) != len(wb.Fields) {
		return nil, fmt.Errorf("decode batch: %d columns for %d fields", len(wb.Columns), len(wb.Fields))
	}
	cols := make([]Column, len(wb.Fields))
	for i, f := range wb.Fields {
		wc := wb.Columns[i]
		if wc.Valid != nil && len(wc.Valid) != (wb.Rows+63)/64 {
			return nil, fmt.Errorf("decode batch: column %q has a validity bitmap of %d words for %d rows", f.Name, len(wc.Valid), wb.Rows)
		}
		var n int
		switch f.Type {
		case String:
			cols[i], n = NewStringColumn(nonNil(wc.Str), wc.Valid), len(wc.Str)
		case Int64:
			cols[i], n = NewInt64Column(nonNil(wc.I64), wc.Valid), len(wc.I64)
		case Float64:
			cols[i], n = NewFloat64Column(nonNil(wc.F64), wc.Valid), len(wc.F64)
		case Bool:
			cols[i], n = NewBoolColumn(nonNil(wc.Bools), wc.Valid), len(wc.Bools)
		case StringList:
			for k, l := range wc.Lists {
				if l == nil && k < wb.Rows && Bitmap(wc.Valid).Valid(k) {
					wc.Lists[k] = []string{} // gob sends an empty list as nil
				}
			}
			cols[i], n = NewStringListColumn(nonNil(wc.Lists), wc.Valid), len(wc.Lists)
		case Vector:
			for k, v := range wc.Vectors {
				if v.Indices == nil && v.Size != len(v.Values) && len(v.Values) == 0 {
					// gob sends an empty non-nil slice as nil: an empty
					// sparse vector of size > 0 comes back here.
					wc.Vectors[k].Indices = []int32{}
				}
				if err := wc.Vectors[k].Validate(); err != nil {
					return nil, fmt.Errorf("decode batch: column %q row %d: %w", f.Name, k, err)
				}
			}
			cols[i], n = NewVectorColumn(nonNil(wc.Vectors), wc.Valid), len(wc.Vectors)
		case Bins:
			c, err := NewBinsColumn(nonNil(wc.Bins), wc.Width, wc.Valid)
			if err != nil {
				return nil, fmt.Errorf("decode batch: column %q: %w", f.Name, err)
			}
			cols[i], n = c, c.Len()
		default:
			return nil, fmt.Errorf("decode batch: column %q has unknown type %v", f.Name, f.Type)
		}
		if n != wb.Rows {
			return nil, fmt.Errorf("decode batch: column %q has %d rows, want %d", f.Name, n, wb.Rows)
		}
	}
	b, err := NewBatch(schema, cols)
	if err != nil || wb.OriginLines == nil {
		return b, err
	}
	return b.WithOrigin(&Origin{File: wb.OriginFile, Lines: wb.OriginLines, Unit: wb.OriginUnit}), nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
