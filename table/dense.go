package table

import "github.com/spindle-ml/spindle/linalg"

// DenseBlock returns the rows of c as one row-major block of dim columns:
// row i is data[i·dim : (i+1)·dim]. ok is true when every row is a
// non-null dense vector of the same size dim > 0 and the rows lie one
// after another in one array — as NewDenseVectorColumn, VectorAssembler
// and the columnar readers store a dense column — so the block is read in
// place; it is false otherwise (nothing is copied).
func DenseBlock(c *VectorColumn) (data []float64, dim int, ok bool) {
	n := len(c.Values)
	if n == 0 || c.NullCount() > 0 {
		return nil, 0, false
	}
	first := c.Values[0]
	dim = len(first.Values)
	if dim == 0 || first.IsSparse() || cap(first.Values) < n*dim {
		return nil, 0, false
	}
	data = first.Values[:n*dim]
	for i, v := range c.Values {
		if v.IsSparse() || len(v.Values) != dim || &v.Values[0] != &data[i*dim] {
			return nil, 0, false
		}
	}
	return data, dim, true
}

// NewDenseVectorColumn returns a column of len(data)/dim dense vectors of
// size dim that are views of data, row-major (row i is data[i·dim :
// (i+1)·dim]): one allocation for the values, which DenseBlock gives back.
// A row's Values must not be appended to (it would write into the next
// row).
func NewDenseVectorColumn(data []float64, dim int) *VectorColumn {
	if dim <= 0 {
		return NewVectorColumn(nil, nil)
	}
	n := len(data) / dim
	v := make([]linalg.Vector, n)
	for i := range v {
		v[i] = linalg.Dense(data[i*dim : (i+1)*dim])
	}
	return NewVectorColumn(v, nil)
}
