package table

import (
	"fmt"
	"math/bits"

	"github.com/spindle-ml/spindle/linalg"
)

// Bitmap marks which rows of a column hold a value: bit i set means row i is
// valid (not null). A nil Bitmap means every row is valid, so columns
// without nulls pay nothing.
type Bitmap []uint64

// NewBitmap returns a bitmap of n rows, all valid.
func NewBitmap(n int) Bitmap {
	b := make(Bitmap, (n+63)/64)
	for i := range b {
		b[i] = ^uint64(0)
	}
	if r := n % 64; r != 0 {
		b[len(b)-1] = (uint64(1) << r) - 1
	}
	return b
}

// Valid reports whether row i holds a value.
func (b Bitmap) Valid(i int) bool { return b == nil || b[i>>6]&(1<<(uint(i)&63)) != 0 }

// SetNull marks row i as null. b must not be nil.
func (b Bitmap) SetNull(i int) { b[i>>6] &^= 1 << (uint(i) & 63) }

// SetValid marks row i as valid. b must not be nil.
func (b Bitmap) SetValid(i int) { b[i>>6] |= 1 << (uint(i) & 63) }

// nulls counts the null rows among the first n.
func (b Bitmap) nulls(n int) int {
	if b == nil {
		return 0
	}
	valid := 0
	for _, w := range b {
		valid += bits.OnesCount64(w)
	}
	return n - valid
}

// Column is one typed column of a Batch. The concrete types are the
// TypedColumn instantiations below (Float64Column, StringColumn …); kernels
// type-assert to them and loop over Values directly.
type Column interface {
	// Type returns the column's type.
	Type() Type
	// Len returns the number of rows.
	Len() int
	// IsNull reports whether row i is null.
	IsNull(i int) bool
	// NullCount returns the number of null rows.
	NullCount() int
	// Take returns a new column holding rows idx, in that order.
	Take(idx []int) Column
	// Value returns row i as a Go value (nil when null); for tests,
	// printing and writers, not for hot loops.
	Value(i int) any
}

// TypedColumn is a column of Go values of type T with a validity bitmap.
// The value stored at a null row is the zero value of T.
type TypedColumn[T any] struct {
	typ Type
	// Values holds one value per row.
	Values []T
	// Valid marks the rows that are not null; nil means none is null.
	Valid Bitmap
}

// The concrete column types.
type (
	StringColumn     = TypedColumn[string]
	Int64Column      = TypedColumn[int64]
	Float64Column    = TypedColumn[float64]
	BoolColumn       = TypedColumn[bool]
	StringListColumn = TypedColumn[[]string]
	VectorColumn     = TypedColumn[linalg.Vector]
)

// NewStringColumn returns a string column; valid may be nil (no nulls).
func NewStringColumn(v []string, valid Bitmap) *StringColumn {
	return &StringColumn{typ: String, Values: v, Valid: valid}
}

// NewInt64Column returns an int64 column; valid may be nil (no nulls).
func NewInt64Column(v []int64, valid Bitmap) *Int64Column {
	return &Int64Column{typ: Int64, Values: v, Valid: valid}
}

// NewFloat64Column returns a float64 column; valid may be nil (no nulls).
func NewFloat64Column(v []float64, valid Bitmap) *Float64Column {
	return &Float64Column{typ: Float64, Values: v, Valid: valid}
}

// NewBoolColumn returns a bool column; valid may be nil (no nulls).
func NewBoolColumn(v []bool, valid Bitmap) *BoolColumn {
	return &BoolColumn{typ: Bool, Values: v, Valid: valid}
}

// NewStringListColumn returns a list<string> column; valid may be nil.
func NewStringListColumn(v [][]string, valid Bitmap) *StringListColumn {
	return &StringListColumn{typ: StringList, Values: v, Valid: valid}
}

// NewVectorColumn returns a vector column; valid may be nil (no nulls).
func NewVectorColumn(v []linalg.Vector, valid Bitmap) *VectorColumn {
	return &VectorColumn{typ: Vector, Values: v, Valid: valid}
}

// NewColumn returns an empty column of type t with room for n rows, all
// valid, and the zero value in every row.
func NewColumn(t Type, n int) (Column, error) {
	switch t {
	case String:
		return NewStringColumn(make([]string, n), nil), nil
	case Int64:
		return NewInt64Column(make([]int64, n), nil), nil
	case Float64:
		return NewFloat64Column(make([]float64, n), nil), nil
	case Bool:
		return NewBoolColumn(make([]bool, n), nil), nil
	case StringList:
		return NewStringListColumn(make([][]string, n), nil), nil
	case Vector:
		return NewVectorColumn(make([]linalg.Vector, n), nil), nil
	case Bins: // rows of one zero byte
		return &BinsColumn{Data: make([]uint8, n), Width: 1}, nil
	}
	return nil, fmt.Errorf("new column: invalid type %v", t)
}

// Type returns the column's type.
func (c *TypedColumn[T]) Type() Type { return c.typ }

// Len returns the number of rows.
func (c *TypedColumn[T]) Len() int { return len(c.Values) }

// IsNull reports whether row i is null.
func (c *TypedColumn[T]) IsNull(i int) bool { return !c.Valid.Valid(i) }

// NullCount returns the number of null rows.
func (c *TypedColumn[T]) NullCount() int { return c.Valid.nulls(len(c.Values)) }

// SetNull marks row i null (allocating the bitmap on first use) and stores
// the zero value there.
func (c *TypedColumn[T]) SetNull(i int) {
	if c.Valid == nil {
		c.Valid = NewBitmap(len(c.Values))
	}
	var zero T
	c.Values[i] = zero
	c.Valid.SetNull(i)
}

// Value returns row i, or nil when it is null.
func (c *TypedColumn[T]) Value(i int) any {
	if c.IsNull(i) {
		return nil
	}
	return c.Values[i]
}

// Take returns a new column holding rows idx, in that order.
func (c *TypedColumn[T]) Take(idx []int) Column {
	out := &TypedColumn[T]{typ: c.typ, Values: make([]T, len(idx))}
	for j, i := range idx {
		out.Values[j] = c.Values[i]
	}
	if c.Valid != nil {
		for j, i := range idx {
			if !c.Valid.Valid(i) {
				if out.Valid == nil {
					out.Valid = NewBitmap(len(idx))
				}
				out.Valid.SetNull(j)
			}
		}
	}
	return out
}
