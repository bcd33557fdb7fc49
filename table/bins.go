package table

import "fmt"

// BinsColumn holds, per row, Width small unsigned integers of one byte
// each — the bin indexes of a row's features once a tree learner has
// binned them — stored row-major in one array: row i is Data[i·Width :
// (i+1)·Width]. It is the compact form of a feature matrix (one byte per
// value, no per-row header), read in place by histogram kernels.
type BinsColumn struct {
	// Data holds the rows one after another.
	Data []uint8
	// Width is the number of values per row (≥ 1).
	Width int
	// Valid marks the rows that are not null; nil means none is null.
	Valid Bitmap
}

// NewBinsColumn returns a bins column of len(data)/width rows viewing
// data; width must be positive and divide len(data).
func NewBinsColumn(data []uint8, width int, valid Bitmap) (*BinsColumn, error) {
	if width <= 0 || len(data)%width != 0 {
		return nil, fmt.Errorf("bins column: %d bytes do not make rows of width %d", len(data), width)
	}
	return &BinsColumn{Data: data, Width: width, Valid: valid}, nil
}

// Type returns Bins.
func (c *BinsColumn) Type() Type { return Bins }

// Len returns the number of rows.
func (c *BinsColumn) Len() int { return len(c.Data) / c.Width }

// IsNull reports whether row i is null.
func (c *BinsColumn) IsNull(i int) bool { return !c.Valid.Valid(i) }

// NullCount returns the number of null rows.
func (c *BinsColumn) NullCount() int { return c.Valid.nulls(c.Len()) }

// Row returns row i (a view of Data).
func (c *BinsColumn) Row(i int) []uint8 { return c.Data[i*c.Width : (i+1)*c.Width : (i+1)*c.Width] }

// Value returns row i as a []uint8 view, or nil when it is null.
func (c *BinsColumn) Value(i int) any {
	if c.IsNull(i) {
		return nil
	}
	return c.Row(i)
}

// Take returns a new column holding rows idx, in that order.
func (c *BinsColumn) Take(idx []int) Column {
	out := &BinsColumn{Data: make([]uint8, 0, len(idx)*c.Width), Width: c.Width}
	for j, i := range idx {
		out.Data = append(out.Data, c.Row(i)...)
		if !c.Valid.Valid(i) {
			if out.Valid == nil {
				out.Valid = NewBitmap(len(idx))
			}
			out.Valid.SetNull(j)
		}
	}
	return out
}

func concatBins(first *BinsColumn, parts []*Batch, j, total int) Column {
	out := &BinsColumn{Data: make([]uint8, 0, total*first.Width), Width: first.Width}
	off := 0
	for _, p := range parts {
		c := p.cols[j].(*BinsColumn)
		out.Data = append(out.Data, c.Data...)
		for i := range c.Len() {
			if !c.Valid.Valid(i) {
				if out.Valid == nil {
					out.Valid = NewBitmap(total)
				}
				out.Valid.SetNull(off + i)
			}
		}
		off += c.Len()
	}
	return out
}
