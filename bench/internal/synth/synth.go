// Package synth reads the benchmarks' raw datasets: little-endian float64
// rows of a fixed width, the label last (bench/logreg's gen writes them).
package synth

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/table"
)

// Load reads path's rows of cols features and a label.
func Load(path string, cols int) ([][]float64, []float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	n := len(data) / 8 / (cols + 1)
	x := make([][]float64, n)
	y := make([]float64, n)
	flat := make([]float64, n*cols)
	for i := 0; i < n; i++ {
		x[i] = flat[i*cols : (i+1)*cols]
		for j := 0; j <= cols; j++ {
			v := math.Float64frombits(binary.LittleEndian.Uint64(data[(i*(cols+1)+j)*8:]))
			if j < cols {
				x[i][j] = v
			} else {
				y[i] = v
			}
		}
	}
	return x, y, nil
}

// Table returns rows x (dense, stored as blocks) with labels y as a table
// of columns features and label, in partitions of per rows.
func Table(x [][]float64, y []float64, per int) (*table.Table, error) {
	schema, err := table.NewSchema(table.Field{Name: "features", Type: table.Vector}, table.Field{Name: "label", Type: table.Float64})
	if err != nil {
		return nil, err
	}
	var parts []*table.Batch
	for lo := 0; lo < len(x); lo += per {
		hi := min(lo+per, len(x))
		var vecs []linalg.Vector
		if hi > lo {
			d := len(x[lo])
			flat := make([]float64, 0, (hi-lo)*d)
			for _, r := range x[lo:hi] {
				flat = append(flat, r...)
			}
			vecs = table.NewDenseVectorColumn(flat, d).Values
		}
		b, err := table.NewBatch(schema, []table.Column{table.NewVectorColumn(vecs, nil), table.NewFloat64Column(y[lo:hi], nil)})
		if err != nil {
			return nil, err
		}
		parts = append(parts, b)
	}
	return table.New(schema, parts...)
}
