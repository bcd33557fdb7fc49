package table

import (
	"testing"

	"github.com/spindle-ml/spindle/linalg"
)

func TestDenseBlock(t *testing.T) {
	data := []float64{1, 2, 3, 4, 5, 6}
	if got, dim, ok := DenseBlock(NewDenseVectorColumn(data, 2)); !ok || dim != 2 || &got[0] != &data[0] || len(got) != 6 {
		t.Fatalf("contiguous column: %v %d %v", got, dim, ok)
	}
	sparse, _ := linalg.Sparse(2, []int32{1}, []float64{3})
	for name, c := range map[string]*VectorColumn{
		"separate rows":   NewVectorColumn([]linalg.Vector{linalg.Dense([]float64{1, 2}), linalg.Dense([]float64{3, 4})}, nil),
		"capped rows":     NewVectorColumn([]linalg.Vector{linalg.Dense(data[0:2:2]), linalg.Dense(data[2:4:4])}, nil),
		"out of order":    NewVectorColumn([]linalg.Vector{linalg.Dense(data[2:4]), linalg.Dense(data[0:2])}, nil),
		"a sparse row":    NewVectorColumn([]linalg.Vector{linalg.Dense(data[0:2]), sparse}, nil),
		"different sizes": NewVectorColumn([]linalg.Vector{linalg.Dense(data[0:2]), linalg.Dense(data[2:5])}, nil),
		"a null row":      NewVectorColumn([]linalg.Vector{linalg.Dense(data[0:2]), {}}, Bitmap{1}),
		"empty":           NewVectorColumn(nil, nil),
		"taken":           NewDenseVectorColumn(data, 2).Take([]int{0, 2}).(*VectorColumn),
	} {
		if _, _, ok := DenseBlock(c); ok {
			t.Errorf("%s: DenseBlock is ok", name)
		}
	}
}
