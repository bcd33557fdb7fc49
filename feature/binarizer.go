package feature

import (
	"context"
	"fmt"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

func init() {
	ml.Register(ml.Registration{Name: "Binarizer", New: func() any { return new(Binarizer) },
		Samples: []ml.Sample{
			{
				Columns: []ml.SampleColumn{{Name: "x", Type: table.Float64}},
				Params:  ml.ParamMap{"inputCol": "x", "outputCol": "out"},
			},
			{
				Name:    "vector",
				Columns: []ml.SampleColumn{{Name: "v", Type: table.Vector}},
				Params:  ml.ParamMap{"inputCol": "v", "outputCol": "out"},
			},
		}})
}

var (
	_ engine.Mapper   = (*Binarizer)(nil)
	_ ml.Transformer  = (*Binarizer)(nil)
	_ ml.ColumnReader = (*Binarizer)(nil)
)

// Binarizer thresholds a numeric column, or every entry of a vector
// column, to 0 or 1 — Spark's Binarizer: 1.0 where x > Threshold, else 0.0
// (NaN gives 0). A number column becomes float64; a vector stays dense or
// sparse as it was, and a sparse one keeps only its entries above the
// threshold, which needs Threshold ≥ 0 (its implicit zeros would all be
// 1 otherwise; Spark refuses it too). Nulls stay null.
type Binarizer struct {
	InputCol  string `param:"nonempty"`
	OutputCol string `param:"nonempty"`
	// Threshold is the value to exceed. Default 0.
	Threshold float64 `param:"default=0"`
}

// InputColumns implements ml.ColumnReader.
func (z *Binarizer) InputColumns() []string { return []string{z.InputCol} }

// KernelName implements engine.Kernel.
func (*Binarizer) KernelName() string { return "feature.Binarizer" }

// OutputSchema implements engine.Mapper: float64 for a number column, a
// vector for a vector column.
func (z *Binarizer) OutputSchema(in *table.Schema) (*table.Schema, error) {
	i, err := ml.InputColumn("Binarizer", in, z.InputCol, table.Float64, table.Int64, table.Vector)
	if err != nil {
		return nil, err
	}
	out := table.Float64
	if in.Fields[i].Type == table.Vector {
		out = table.Vector
	}
	return ml.WithOutput("Binarizer", in, z.OutputCol, out)
}

// MapPartition implements engine.Mapper.
func (z *Binarizer) MapPartition(_ context.Context, info engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	out, err := z.OutputSchema(b.Schema())
	if err != nil {
		return nil, err
	}
	col, err := b.ColumnByName(z.InputCol)
	if err != nil {
		return nil, err
	}
	bin := func(x float64) float64 {
		if x > z.Threshold {
			return 1
		}
		return 0
	}
	switch c := col.(type) {
	case *table.VectorColumn:
		vecs := make([]linalg.Vector, len(c.Values))
		for i, v := range c.Values {
			if !c.Valid.Valid(i) {
				continue
			}
			if !v.IsSparse() {
				d := make([]float64, len(v.Values))
				for j, x := range v.Values {
					d[j] = bin(x)
				}
				vecs[i] = linalg.Dense(d)
				continue
			}
			if z.Threshold < 0 {
				return nil, fmt.Errorf("Binarizer: column %q, %s: a sparse vector with a negative threshold (%v) would turn its zeros into ones", z.InputCol, engine.RowName(info, b, i), z.Threshold)
			}
			idx, vals := []int32{}, []float64{}
			for k, x := range v.Values {
				if bin(x) == 1 {
					idx, vals = append(idx, v.Indices[k]), append(vals, 1)
				}
			}
			vecs[i] = linalg.Vector{Size: v.Size, Indices: idx, Values: vals}
		}
		return ml.AppendColumn(out, b, table.NewVectorColumn(vecs, c.Valid))
	case *table.Float64Column:
		vals := make([]float64, len(c.Values))
		for i, x := range c.Values {
			vals[i] = bin(x)
		}
		return ml.AppendColumn(out, b, table.NewFloat64Column(vals, c.Valid))
	case *table.Int64Column:
		vals := make([]float64, len(c.Values))
		for i, x := range c.Values {
			vals[i] = bin(float64(x))
		}
		return ml.AppendColumn(out, b, table.NewFloat64Column(vals, c.Valid))
	}
	return nil, fmt.Errorf("Binarizer: column %q is %v", z.InputCol, col.Type())
}
