package feature

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

func init() {
	engine.RegisterAggregator[*DistinctValues](distinctKernel{})
	ml.Register(ml.Registration{Name: "VectorIndexer", New: func() any { return new(VectorIndexer) }, Model: &VectorIndexerModel{},
		Samples: []ml.Sample{
			{
				Columns: []ml.SampleColumn{{Name: "v", Type: table.Vector, Kind: "mixed"}},
				Params:  ml.ParamMap{"inputCol": "v", "outputCol": "out"},
			},
		}})
}

// Compile-time checks of the stage contract (see ml/stage.go).
var (
	_ ml.Estimator      = (*VectorIndexer)(nil)
	_ ml.SchemaChecker  = (*VectorIndexer)(nil)
	_ ml.ColumnReader   = (*VectorIndexer)(nil)
	_ ml.Model          = (*VectorIndexerModel)(nil)
	_ engine.Mapper     = (*VectorIndexerModel)(nil)
	_ ml.StateValidator = (*VectorIndexerModel)(nil)
)

// VectorIndexer is Spark ML's VectorIndexer: it finds the categorical
// features of a vector column — those with at most maxCategories distinct
// values (default 20) — and its model replaces their values by category
// indexes 0 … k−1: the distinct values in increasing order, except that
// 0.0, when present, is index 0 (so sparse vectors stay sparse). Other
// features pass through. The output column's schema marks the
// categorical features and their number of categories
// (table.Field.Categories), which tree learners split by category sets.
//
// handleInvalid, for a value the fit did not see in a categorical
// feature: "error" (default), "skip" (drop the row) or "keep" (index k).
type VectorIndexer struct {
	InputCol, OutputCol string `param:"nonempty"`
	// MaxCategories bounds a categorical feature's distinct values (≥ 2;
	// 0 means Spark's 20).
	MaxCategories int `param:"default=20,min=2"`
	// HandleInvalid is "error" (default), "skip" or "keep".
	HandleInvalid string `param:"default=error,oneOf=error|skip|keep"`
}

// InputColumns implements ml.ColumnReader.
func (v *VectorIndexer) InputColumns() []string { return []string{v.InputCol} }

// OutputSchema implements ml.SchemaChecker (the categorical features are
// known after the fit).
func (v *VectorIndexer) OutputSchema(in *table.Schema) (*table.Schema, error) {
	return vectorOutputSchema("VectorIndexer", in, v.InputCol, v.OutputCol)
}

// DistinctValues are each feature's distinct values seen so far, sorted,
// or nil once a feature has more than the limit (Over).
type DistinctValues struct {
	Size   int // −1 before any row
	Values [][]float64
	Over   []bool
}

type distinctKernel struct {
	InputCol string
	Limit    int
}

func (distinctKernel) KernelName() string    { return "feature.DistinctValues" }
func (distinctKernel) Zero() *DistinctValues { return &DistinctValues{Size: -1} }
func (k distinctKernel) add(acc *DistinctValues, j int, x float64) {
	if acc.Over[j] {
		return
	}
	vals := acc.Values[j]
	i, found := slices.BinarySearch(vals, x)
	if found {
		return
	}
	if len(vals) == k.Limit {
		acc.Values[j], acc.Over[j] = nil, true
		return
	}
	acc.Values[j] = slices.Insert(vals, i, x)
}

func (k distinctKernel) Fold(_ context.Context, info engine.PartitionInfo, acc *DistinctValues, b *table.Batch) (*DistinctValues, error) {
	c, err := table.ColumnAs[*table.VectorColumn](b, k.InputCol)
	if err != nil {
		return nil, err
	}
	for i, v := range c.Values {
		row := engine.Row{Info: info, Batch: b, I: i}
		if c.IsNull(i) {
			return nil, fmt.Errorf("VectorIndexer: %s: null vector in column %q", row, k.InputCol)
		}
		if acc.Size < 0 {
			acc.Size = v.Size
			acc.Values, acc.Over = make([][]float64, v.Size), make([]bool, v.Size)
		}
		if v.Size != acc.Size {
			return nil, fmt.Errorf("VectorIndexer: %s: vector of size %d, earlier rows have %d", row, v.Size, acc.Size)
		}
		nz := 0
		for p, x := range v.Values {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				j := p
				if v.IsSparse() {
					j = int(v.Indices[p])
				}
				return nil, fmt.Errorf("VectorIndexer: %s: feature %d is %v", row, j, x)
			}
			if v.IsSparse() {
				k.add(acc, int(v.Indices[p]), x)
				nz++
			} else {
				k.add(acc, p, x)
			}
		}
		if v.IsSparse() && nz < v.Size {
			// The zeros a sparse vector leaves out are values too.
			seen := make(map[int32]bool, len(v.Indices))
			for _, j := range v.Indices {
				seen[j] = true
			}
			for j := range v.Size {
				if !seen[int32(j)] {
					k.add(acc, j, 0)
				}
			}
		}
	}
	return acc, nil
}

func (k distinctKernel) Merge(a, b *DistinctValues) (*DistinctValues, error) {
	switch {
	case b.Size < 0:
		return a, nil
	case a.Size < 0:
		return b, nil
	case a.Size != b.Size:
		return nil, fmt.Errorf("VectorIndexer: vectors of sizes %d and %d", a.Size, b.Size)
	}
	for j := range b.Values {
		if b.Over[j] {
			a.Values[j], a.Over[j] = nil, true
			continue
		}
		for _, x := range b.Values[j] {
			k.add(a, j, x)
		}
	}
	return a, nil
}

// Fit implements ml.Estimator: one pass.
func (v *VectorIndexer) Fit(ctx context.Context, e engine.Engine, ds engine.Dataset) (ml.Model, error) {
	if err := ml.Validate(v); err != nil {
		return nil, err
	}
	if _, err := v.OutputSchema(ds.Schema()); err != nil {
		return nil, err
	}
	limit := v.MaxCategories
	if limit == 0 {
		limit = 20
	}
	d, err := engine.Aggregate(ctx, e, ds, distinctKernel{InputCol: v.InputCol, Limit: limit})
	if err != nil {
		return nil, err
	}
	if d.Size < 0 {
		return nil, fmt.Errorf("VectorIndexer: no rows")
	}
	m := &VectorIndexerModel{InputCol: v.InputCol, OutputCol: v.OutputCol, NumFeatures: d.Size, HandleInvalid: v.HandleInvalid,
		CategoryMaps: map[int][]float64{}}
	for j, vals := range d.Values {
		if d.Over[j] || len(vals) == 0 {
			continue
		}
		// 0.0 first, then the others in increasing order.
		if i, ok := slices.BinarySearch(vals, 0); ok {
			vals = append([]float64{0}, slices.Delete(slices.Clone(vals), i, i+1)...)
		}
		m.CategoryMaps[j] = vals
	}
	return m, nil
}

// VectorIndexerModel is a fitted VectorIndexer: CategoryMaps[j] lists the
// values of categorical feature j in the order of their indexes.
type VectorIndexerModel struct {
	InputCol, OutputCol string `param:"nonempty"`
	NumFeatures         int
	HandleInvalid       string `param:"oneOf=error|skip|keep"`
	CategoryMaps        map[int][]float64
}

// KernelName implements engine.Kernel.
func (*VectorIndexerModel) KernelName() string { return "feature.VectorIndexerModel" }

// arity is each categorical feature's number of categories (one more
// with handleInvalid "keep": the unseen values' index).
func (m *VectorIndexerModel) arity() map[int]int {
	out := make(map[int]int, len(m.CategoryMaps))
	for j, vals := range m.CategoryMaps {
		out[j] = len(vals)
		if m.HandleInvalid == "keep" {
			out[j]++
		}
	}
	return out
}

// OutputSchema implements engine.Mapper: the output column marks the
// categorical features.
func (m *VectorIndexerModel) OutputSchema(in *table.Schema) (*table.Schema, error) {
	s, err := vectorOutputSchema("VectorIndexerModel", in, m.InputCol, m.OutputCol)
	if err != nil {
		return nil, err
	}
	s.Fields[len(s.Fields)-1].Categories = table.FormatCategories(m.arity())
	return table.NewSchema(s.Fields...)
}

// index returns value x's category index in feature j, or −1 when the
// fit did not see it.
func (m *VectorIndexerModel) index(j int, x float64) float64 {
	vals := m.CategoryMaps[j]
	if len(vals) > 0 && vals[0] == 0 && x == 0 {
		return 0
	}
	rest := vals
	off := 0
	if len(vals) > 0 && vals[0] == 0 {
		rest, off = vals[1:], 1
	}
	if i, ok := slices.BinarySearch(rest, x); ok {
		return float64(i + off)
	}
	return -1
}

// MapPartition implements engine.Mapper.
func (m *VectorIndexerModel) MapPartition(_ context.Context, info engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	out, err := m.OutputSchema(b.Schema())
	if err != nil {
		return nil, err
	}
	c, err := table.ColumnAs[*table.VectorColumn](b, m.InputCol)
	if err != nil {
		return nil, err
	}
	res := make([]linalg.Vector, len(c.Values))
	var keep []int
	for i, v := range c.Values {
		if c.IsNull(i) {
			keep = append(keep, i)
			continue
		}
		if v.Size != m.NumFeatures {
			return nil, fmt.Errorf("VectorIndexerModel: column %q, %s: vector of size %d, the model was fitted on size %d", m.InputCol, engine.RowName(info, b, i), v.Size, m.NumFeatures)
		}
		o := v
		o.Values = slices.Clone(v.Values)
		skip := false
		for p, x := range v.Values {
			j := p
			if v.IsSparse() {
				j = int(v.Indices[p])
			}
			if _, cat := m.CategoryMaps[j]; !cat {
				continue
			}
			idx := m.index(j, x)
			if idx < 0 {
				switch m.HandleInvalid {
				case "skip":
					skip = true
				case "keep":
					idx = float64(len(m.CategoryMaps[j]))
				default:
					return nil, fmt.Errorf("VectorIndexerModel: column %q, %s: feature %d is %v, a value the fit did not see (handleInvalid: skip or keep)", m.InputCol, engine.RowName(info, b, i), j, x)
				}
			}
			o.Values[p] = idx
		}
		if skip {
			continue
		}
		res[i] = o
		keep = append(keep, i)
	}
	col := table.NewVectorColumn(res, c.Valid)
	if len(keep) < len(res) {
		b = b.Take(keep)
		col = col.Take(keep).(*table.VectorColumn)
	}
	return ml.AppendColumn(out, b, col)
}

// Validate implements ml.StateValidator.
func (m *VectorIndexerModel) Validate() error {
	for j, vals := range m.CategoryMaps {
		if j < 0 || j >= m.NumFeatures || len(vals) == 0 || len(vals) > 1<<16 {
			return fmt.Errorf("VectorIndexerModel: feature %d of %d with %d categories", j, m.NumFeatures, len(vals))
		}
		rest := vals
		if vals[0] == 0 {
			rest = vals[1:]
		}
		if !slices.IsSorted(rest) {
			return fmt.Errorf("VectorIndexerModel: feature %d's categories are not in order", j)
		}
	}
	return nil
}
