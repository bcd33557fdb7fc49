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
	ml.Register(ml.Registration{Name: "StandardScaler", New: func() any { return new(StandardScaler) }, Model: &StandardScalerModel{},
		Samples: []ml.Sample{
			{
				Columns: []ml.SampleColumn{{Name: "v", Type: table.Vector}},
				Params:  ml.ParamMap{"inputCol": "v", "outputCol": "out"},
			},
		}})
	ml.Register(ml.Registration{Name: "MinMaxScaler", New: func() any { return new(MinMaxScaler) }, Model: &MinMaxScalerModel{},
		Samples: []ml.Sample{
			{
				Columns: []ml.SampleColumn{{Name: "v", Type: table.Vector}},
				Params:  ml.ParamMap{"inputCol": "v", "outputCol": "out"},
			},
		}})
	ml.Register(ml.Registration{Name: "MaxAbsScaler", New: func() any { return new(MaxAbsScaler) }, Model: &MaxAbsScalerModel{},
		Samples: []ml.Sample{
			{
				Columns: []ml.SampleColumn{{Name: "v", Type: table.Vector}},
				Params:  ml.ParamMap{"inputCol": "v", "outputCol": "out"},
			},
		}})
	ml.Register(ml.Registration{Name: "Normalizer", New: func() any { return new(Normalizer) },
		Samples: []ml.Sample{
			{
				Columns: []ml.SampleColumn{{Name: "v", Type: table.Vector}},
				Params:  ml.ParamMap{"inputCol": "v", "outputCol": "out"},
			},
		}})
}

// Compile-time checks of the stage contract (see ml/stage.go).
var (
	_ ml.Estimator      = (*MaxAbsScaler)(nil)
	_ ml.SchemaChecker  = (*MaxAbsScaler)(nil)
	_ ml.ColumnReader   = (*MaxAbsScaler)(nil)
	_ ml.Model          = (*MaxAbsScalerModel)(nil)
	_ engine.Mapper     = (*MaxAbsScalerModel)(nil)
	_ ml.StateValidator = (*MaxAbsScalerModel)(nil)
	_ ml.Estimator      = (*MinMaxScaler)(nil)
	_ ml.SchemaChecker  = (*MinMaxScaler)(nil)
	_ ml.ColumnReader   = (*MinMaxScaler)(nil)
	_ ml.ParamChecker   = (*MinMaxScaler)(nil)
	_ ml.Model          = (*MinMaxScalerModel)(nil)
	_ engine.Mapper     = (*MinMaxScalerModel)(nil)
	_ ml.StateValidator = (*MinMaxScalerModel)(nil)
	_ ml.Transformer    = (*Normalizer)(nil)
	_ engine.Mapper     = (*Normalizer)(nil)
	_ ml.ColumnReader   = (*Normalizer)(nil)
	_ ml.Estimator      = (*StandardScaler)(nil)
	_ ml.SchemaChecker  = (*StandardScaler)(nil)
	_ ml.ColumnReader   = (*StandardScaler)(nil)
	_ ml.Model          = (*StandardScalerModel)(nil)
	_ engine.Mapper     = (*StandardScalerModel)(nil)
	_ ml.StateValidator = (*StandardScalerModel)(nil)
)

// mapVectors is the common body of the vector → vector transformers:
// check the input, apply fn to every non-null vector, append the output.
func mapVectors(stage, inCol, outCol string, size int, info engine.PartitionInfo, b *table.Batch, fn func(linalg.Vector) linalg.Vector) (*table.Batch, error) {
	out, err := vectorOutputSchema(stage, b.Schema(), inCol, outCol)
	if err != nil {
		return nil, err
	}
	c, err := table.ColumnAs[*table.VectorColumn](b, inCol)
	if err != nil {
		return nil, err
	}
	res := make([]linalg.Vector, len(c.Values))
	for i, v := range c.Values {
		if !c.Valid.Valid(i) {
			continue
		}
		if size >= 0 && v.Size != size {
			return nil, fmt.Errorf("%s: column %q, %s: vector of size %d, the model was fitted on size %d", stage, inCol, engine.RowName(info, b, i), v.Size, size)
		}
		res[i] = fn(v)
	}
	return ml.AppendColumn(out, b, table.NewVectorColumn(res, c.Valid))
}

func vectorOutputSchema(stage string, in *table.Schema, inCol, outCol string) (*table.Schema, error) {
	if _, err := ml.InputColumn(stage, in, inCol, table.Vector); err != nil {
		return nil, err
	}
	return ml.WithOutput(stage, in, outCol, table.Vector)
}

// StandardScaler standardizes features: with WithStd (default) each
// feature is divided by its corrected sample standard deviation (n−1);
// with WithMean it is first centred (output dense). A feature with zero
// deviation scales to 0. Sparse input stays sparse when WithMean is false.
type StandardScaler struct {
	InputCol  string `param:"nonempty"`
	OutputCol string `param:"nonempty"`
	// WithMean centres the data. Default false.
	WithMean bool `param:"default=false"`
	// WithStd scales to unit deviation. If nil, it is true.
	WithStd *bool `param:"default=true"`
}

// InputColumns implements ml.ColumnReader.
func (s *StandardScaler) InputColumns() []string { return []string{s.InputCol} }

// Fit implements ml.Estimator.
func (s *StandardScaler) Fit(ctx context.Context, e engine.Engine, ds engine.Dataset) (ml.Model, error) {
	if err := ml.Validate(s); err != nil {
		return nil, err
	}
	if _, err := vectorOutputSchema("StandardScaler", ds.Schema(), s.InputCol, s.OutputCol); err != nil {
		return nil, err
	}
	sum, err := summarize(ctx, "StandardScaler", e, ds, s.InputCol)
	if err != nil {
		return nil, err
	}
	v := sum.Variance()
	std := make([]float64, len(v))
	for j := range v {
		std[j] = math.Sqrt(v[j])
	}
	return &StandardScalerModel{InputCol: s.InputCol, OutputCol: s.OutputCol, WithMean: s.WithMean,
		WithStd: ml.BoolOr(s.WithStd, true), Mean: sum.Mean, Std: std}, nil
}

// StandardScalerModel applies a fitted StandardScaler.
type StandardScalerModel struct {
	InputCol, OutputCol string `param:"nonempty"`
	WithMean, WithStd   bool   `param:""`
	Mean, Std           []float64
}

// KernelName implements engine.Kernel.
func (*StandardScalerModel) KernelName() string { return "feature.StandardScalerModel" }

// OutputSchema implements engine.Mapper.
func (m *StandardScalerModel) OutputSchema(in *table.Schema) (*table.Schema, error) {
	return vectorOutputSchema("StandardScalerModel", in, m.InputCol, m.OutputCol)
}

// MapPartition implements engine.Mapper.
func (m *StandardScalerModel) MapPartition(_ context.Context, info engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	scale := make([]float64, len(m.Std))
	for j, s := range m.Std {
		if m.WithStd {
			if s != 0 {
				scale[j] = 1 / s
			}
		} else {
			scale[j] = 1
		}
	}
	return mapVectors("StandardScalerModel", m.InputCol, m.OutputCol, len(m.Std), info, b, func(v linalg.Vector) linalg.Vector {
		if m.WithMean {
			d := v.ToDense()
			out := make([]float64, len(d.Values))
			for j, x := range d.Values {
				out[j] = (x - m.Mean[j]) * scale[j]
			}
			return linalg.Dense(out)
		}
		out := v
		out.Values = make([]float64, len(v.Values))
		for k, x := range v.Values {
			j := k
			if v.IsSparse() {
				j = int(v.Indices[k])
			}
			out.Values[k] = x * scale[j]
		}
		return out
	})
}

// MinMaxScaler rescales each feature to [Min, Max] (default [0, 1]):
// (x − Emin) / (Emax − Emin) × (Max − Min) + Min, and a constant feature
// to (Min + Max) / 2 — Spark's formula. Output is dense.
type MinMaxScaler struct {
	InputCol  string `param:"nonempty"`
	OutputCol string `param:"nonempty"`
	// Min is the lower bound of the output. Default 0.
	Min float64 `param:"default=0"`
	// Max is the upper bound, above Min. If nil, it is 1.
	Max *float64 `param:"default=1"`
}

// InputColumns implements ml.ColumnReader.
func (s *MinMaxScaler) InputColumns() []string { return []string{s.InputCol} }

func (s *MinMaxScaler) bounds() (float64, float64) { return s.Min, ml.FloatOr(s.Max, 1) }

// CheckParams implements ml.ParamChecker: Min must be below Max.
func (s *MinMaxScaler) CheckParams() error {
	if lo, hi := s.bounds(); !(lo < hi) {
		return ml.ParamErrorf("min", "must be below max (%v), got %v", hi, lo)
	}
	return nil
}

// Fit implements ml.Estimator.
func (s *MinMaxScaler) Fit(ctx context.Context, e engine.Engine, ds engine.Dataset) (ml.Model, error) {
	if err := ml.Validate(s); err != nil {
		return nil, err
	}
	lo, hi := s.bounds()
	if lo >= hi {
		return nil, fmt.Errorf("MinMaxScaler: min (%v) must be below max (%v)", lo, hi)
	}
	if _, err := vectorOutputSchema("MinMaxScaler", ds.Schema(), s.InputCol, s.OutputCol); err != nil {
		return nil, err
	}
	sum, err := summarize(ctx, "MinMaxScaler", e, ds, s.InputCol)
	if err != nil {
		return nil, err
	}
	return &MinMaxScalerModel{InputCol: s.InputCol, OutputCol: s.OutputCol, Min: lo, Max: hi, OriginalMin: sum.Min, OriginalMax: sum.Max}, nil
}

// MinMaxScalerModel applies a fitted MinMaxScaler.
type MinMaxScalerModel struct {
	InputCol, OutputCol      string  `param:"nonempty"`
	Min, Max                 float64 `param:""`
	OriginalMin, OriginalMax []float64
}

// KernelName implements engine.Kernel.
func (*MinMaxScalerModel) KernelName() string { return "feature.MinMaxScalerModel" }

// OutputSchema implements engine.Mapper.
func (m *MinMaxScalerModel) OutputSchema(in *table.Schema) (*table.Schema, error) {
	return vectorOutputSchema("MinMaxScalerModel", in, m.InputCol, m.OutputCol)
}

// MapPartition implements engine.Mapper.
func (m *MinMaxScalerModel) MapPartition(_ context.Context, info engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	scale := m.Max - m.Min
	return mapVectors("MinMaxScalerModel", m.InputCol, m.OutputCol, len(m.OriginalMin), info, b, func(v linalg.Vector) linalg.Vector {
		d := v.ToDense()
		out := make([]float64, len(d.Values))
		for j, x := range d.Values {
			r := m.OriginalMax[j] - m.OriginalMin[j]
			if r != 0 {
				out[j] = (x-m.OriginalMin[j])/r*scale + m.Min
			} else {
				out[j] = 0.5*scale + m.Min
			}
		}
		return linalg.Dense(out)
	})
}

// MaxAbsScaler divides each feature by its maximum absolute value, into
// [−1, 1]; sparse input stays sparse; an all-zero feature stays 0.
type MaxAbsScaler struct {
	InputCol  string `param:"nonempty"`
	OutputCol string `param:"nonempty"`
}

// InputColumns implements ml.ColumnReader.
func (s *MaxAbsScaler) InputColumns() []string { return []string{s.InputCol} }

// Fit implements ml.Estimator.
func (s *MaxAbsScaler) Fit(ctx context.Context, e engine.Engine, ds engine.Dataset) (ml.Model, error) {
	if err := ml.Validate(s); err != nil {
		return nil, err
	}
	if _, err := vectorOutputSchema("MaxAbsScaler", ds.Schema(), s.InputCol, s.OutputCol); err != nil {
		return nil, err
	}
	sum, err := summarize(ctx, "MaxAbsScaler", e, ds, s.InputCol)
	if err != nil {
		return nil, err
	}
	return &MaxAbsScalerModel{InputCol: s.InputCol, OutputCol: s.OutputCol, MaxAbs: sum.MaxAbs}, nil
}

// MaxAbsScalerModel applies a fitted MaxAbsScaler.
type MaxAbsScalerModel struct {
	InputCol, OutputCol string `param:"nonempty"`
	MaxAbs              []float64
}

// KernelName implements engine.Kernel.
func (*MaxAbsScalerModel) KernelName() string { return "feature.MaxAbsScalerModel" }

// OutputSchema implements engine.Mapper.
func (m *MaxAbsScalerModel) OutputSchema(in *table.Schema) (*table.Schema, error) {
	return vectorOutputSchema("MaxAbsScalerModel", in, m.InputCol, m.OutputCol)
}

// MapPartition implements engine.Mapper.
func (m *MaxAbsScalerModel) MapPartition(_ context.Context, info engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	return mapVectors("MaxAbsScalerModel", m.InputCol, m.OutputCol, len(m.MaxAbs), info, b, func(v linalg.Vector) linalg.Vector {
		out := v
		out.Values = make([]float64, len(v.Values))
		for k, x := range v.Values {
			j := k
			if v.IsSparse() {
				j = int(v.Indices[k])
			}
			if m.MaxAbs[j] != 0 {
				out.Values[k] = x / m.MaxAbs[j]
			}
		}
		return out
	})
}

// Normalizer scales each vector to unit P-norm (default P = 2); a zero
// vector stays zero. Sparse stays sparse.
type Normalizer struct {
	InputCol  string `param:"nonempty"`
	OutputCol string `param:"nonempty"`
	// P is the norm's order, ≥ 1 or +Inf. If 0, it is 2.
	P float64 `param:"default=2,min=1,inf"`
}

// InputColumns implements ml.ColumnReader.
func (n *Normalizer) InputColumns() []string { return []string{n.InputCol} }

// KernelName implements engine.Kernel.
func (*Normalizer) KernelName() string { return "feature.Normalizer" }

func (n *Normalizer) p() float64 {
	if n.P == 0 {
		return 2
	}
	return n.P
}

// OutputSchema implements engine.Mapper.
func (n *Normalizer) OutputSchema(in *table.Schema) (*table.Schema, error) {
	if p := n.p(); p < 1 || math.IsNaN(p) {
		return nil, fmt.Errorf("Normalizer: p must be ≥ 1, got %v", n.P)
	}
	return vectorOutputSchema("Normalizer", in, n.InputCol, n.OutputCol)
}

// MapPartition implements engine.Mapper.
func (n *Normalizer) MapPartition(_ context.Context, info engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	if _, err := n.OutputSchema(b.Schema()); err != nil {
		return nil, err
	}
	p := n.p()
	return mapVectors("Normalizer", n.InputCol, n.OutputCol, -1, info, b, func(v linalg.Vector) linalg.Vector {
		out := v
		out.Values = append([]float64(nil), v.Values...)
		if norm := linalg.Norm(v, p); norm != 0 {
			for k := range out.Values {
				out.Values[k] /= norm
			}
		}
		return out
	})
}
