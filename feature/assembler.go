package feature

import (
	"context"
	"fmt"
	"math"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

func init() {
	ml.Register(ml.Registration{Name: "VectorAssembler", New: func() any { return new(VectorAssembler) },
		Samples: []ml.Sample{
			{
				Columns: []ml.SampleColumn{{Name: "x", Type: table.Float64}, {Name: "v", Type: table.Vector}, {Name: "b", Type: table.Bool}, {Name: "n", Type: table.Int64, Kind: "category"}},
				Params:  ml.ParamMap{"inputCols": []any{"x", "v", "b", "n"}, "outputCol": "out"},
			},
			{
				Name:    "nulls",
				Columns: []ml.SampleColumn{{Name: "x", Type: table.Float64, Nulls: true}, {Name: "v", Type: table.Vector}},
				Params:  ml.ParamMap{"inputCols": []any{"x", "v"}, "outputCol": "out", "handleInvalid": "keep"},
			},
		}})
}

// Compile-time checks of the stage contract (see ml/stage.go).
var (
	_ ml.Transformer  = (*VectorAssembler)(nil)
	_ engine.Mapper   = (*VectorAssembler)(nil)
	_ ml.ColumnReader = (*VectorAssembler)(nil)
)

// VectorAssembler concatenates numeric, boolean and vector columns into
// one vector column (Spark's VectorAssembler). The result is stored sparse
// or dense, whichever is smaller, as Spark's compressed does.
//
// HandleInvalid decides rows with a null or NaN: error (default) fails
// naming the row and column, skip drops the row, keep writes NaN (for a
// null vector, Size NaNs, where Size is that column's vector size, taken
// from its first non-null row in the partition — as Spark, which needs the
// size from metadata).
type VectorAssembler struct {
	InputCols     []string `param:"nonempty"`
	OutputCol     string   `param:"nonempty"`
	HandleInvalid string   `param:"default=error,oneOf=error|skip|keep"`
}

// InputColumns implements ml.ColumnReader.
func (a *VectorAssembler) InputColumns() []string { return a.InputCols }

// KernelName implements engine.Kernel.
func (*VectorAssembler) KernelName() string { return "feature.VectorAssembler" }

// OutputSchema implements engine.Mapper.
func (a *VectorAssembler) OutputSchema(in *table.Schema) (*table.Schema, error) {
	if len(a.InputCols) == 0 {
		return nil, fmt.Errorf("VectorAssembler: inputCols not set")
	}
	if _, err := checkHandleInvalid("VectorAssembler", a.HandleInvalid); err != nil {
		return nil, err
	}
	for _, c := range a.InputCols {
		if _, err := ml.InputColumn("VectorAssembler", in, c, table.Float64, table.Int64, table.Bool, table.Vector); err != nil {
			return nil, err
		}
	}
	return ml.WithOutput("VectorAssembler", in, a.OutputCol, table.Vector)
}

// MapPartition implements engine.Mapper.
func (a *VectorAssembler) MapPartition(_ context.Context, info engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	out, err := a.OutputSchema(b.Schema())
	if err != nil {
		return nil, err
	}
	h, _ := checkHandleInvalid("", a.HandleInvalid)
	cols := make([]table.Column, len(a.InputCols))
	sizes := make([]int, len(a.InputCols))
	for k, name := range a.InputCols {
		cols[k], _ = b.ColumnByName(name)
		sizes[k] = 1
		if vc, ok := cols[k].(*table.VectorColumn); ok {
			sizes[k] = -1
			for i, v := range vc.Values {
				if vc.Valid.Valid(i) {
					if sizes[k] >= 0 && v.Size != sizes[k] {
						return nil, fmt.Errorf("VectorAssembler: column %q, %s: vector of size %d, earlier rows have %d (vectors of mismatched size)", name, engine.RowName(info, b, i), v.Size, sizes[k])
					}
					sizes[k] = v.Size
				}
			}
		}
	}
	total := 0
	for _, s := range sizes {
		total += max(s, 0)
	}
	n := b.NumRows()
	vecs := make([]linalg.Vector, n)
	keep := make([]int, 0, n)
	var idx []int32
	var vals []float64
	var slab denseSlab
rows:
	for r := 0; r < n; r++ {
		idx, vals = idx[:0], vals[:0]
		off := 0
		for k, c := range cols {
			bad := ""
			if c.IsNull(r) {
				bad = "null"
			}
			switch c := c.(type) {
			case *table.Float64Column:
				if bad == "" && math.IsNaN(c.Values[r]) {
					bad = "NaN"
				}
				if bad == "" && c.Values[r] != 0 {
					idx, vals = append(idx, int32(off)), append(vals, c.Values[r])
				}
			case *table.Int64Column:
				if bad == "" && c.Values[r] != 0 {
					idx, vals = append(idx, int32(off)), append(vals, float64(c.Values[r]))
				}
			case *table.BoolColumn:
				if bad == "" && c.Values[r] {
					idx, vals = append(idx, int32(off)), append(vals, 1)
				}
			case *table.VectorColumn:
				if bad == "" {
					v := c.Values[r]
					for p, x := range v.Values {
						if math.IsNaN(x) {
							bad = "NaN"
						}
						if x != 0 {
							j := p
							if v.IsSparse() {
								j = int(v.Indices[p])
							}
							idx, vals = append(idx, int32(off+j)), append(vals, x)
						}
					}
				}
			}
			if bad != "" {
				switch h {
				case HandleError:
					return nil, fmt.Errorf("VectorAssembler: column %q, %s: %s value (set handleInvalid to skip or keep)", a.InputCols[k], engine.RowName(info, b, r), bad)
				case HandleSkip:
					continue rows
				case HandleKeep:
					if sizes[k] < 0 {
						return nil, fmt.Errorf("VectorAssembler: column %q has no non-null vector in this partition to size its NaN fill", a.InputCols[k])
					}
					// Drop what this column added, then write NaNs.
					for len(idx) > 0 && int(idx[len(idx)-1]) >= off {
						idx, vals = idx[:len(idx)-1], vals[:len(vals)-1]
					}
					for j := 0; j < sizes[k]; j++ {
						idx, vals = append(idx, int32(off+j)), append(vals, math.NaN())
					}
				}
			}
			off += max(sizes[k], 0)
		}
		if v, dense := compressed(total, idx, vals); dense {
			// Dense rows share one allocation, row after row, so a
			// column of dense rows is one block (table.DenseBlock).
			if slab.data == nil {
				slab.data = make([]float64, (n-r)*total)
			}
			vecs[r] = linalg.Dense(slab.data[slab.used : slab.used+total])
			slab.used += total
			compressedInto(vecs[r].Values, idx, vals)
		} else {
			vecs[r] = v
		}
		keep = append(keep, r)
	}
	nb, err := ml.AppendColumn(out, b, table.NewVectorColumn(vecs, nil))
	if err != nil || len(keep) == n {
		return nb, err
	}
	return nb.Take(keep), nil
}

// compressed returns the sparse vector (size, idx, vals) in Spark's
// compressed form when it is sparse (1.5 × (nnz + 1) < size), its slices
// copied; otherwise it reports dense, and compressedInto writes it.
func compressed(size int, idx []int32, vals []float64) (linalg.Vector, bool) {
	if 1.5*float64(len(idx)+1) < float64(size) {
		return linalg.Vector{Size: size, Indices: append([]int32{}, idx...), Values: append([]float64{}, vals...)}, false
	}
	return linalg.Vector{}, true
}

// compressedInto writes the entries (idx, vals) into the zeroed dense d.
func compressedInto(d []float64, idx []int32, vals []float64) {
	for k, j := range idx {
		d[j] = vals[k]
	}
}

// denseSlab hands out a partition's dense rows from one allocation.
type denseSlab struct {
	data []float64
	used int
}
