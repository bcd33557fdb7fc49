package feature

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/internal/memlimit"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

func init() {
	ml.Register(ml.Registration{Name: "Imputer", New: func() any { return new(Imputer) }, Model: &ImputerModel{},
		Samples: []ml.Sample{
			{
				Columns: []ml.SampleColumn{{Name: "x", Type: table.Float64, Nulls: true}, {Name: "y", Type: table.Float64, Kind: "category", Nulls: true}},
				Params:  ml.ParamMap{"inputCols": []any{"x", "y"}, "outputCols": []any{"xi", "yi"}},
			},
			{
				Name:    "one column",
				Columns: []ml.SampleColumn{{Name: "x", Type: table.Float64, Nulls: true}},
				Params:  ml.ParamMap{"inputCol": "x", "outputCol": "xi"},
			},
		}})
	ml.Register(ml.Registration{Name: "Bucketizer", New: func() any { return new(Bucketizer) },
		Samples: []ml.Sample{
			{
				Columns: []ml.SampleColumn{{Name: "x", Type: table.Float64}},
				Params:  ml.ParamMap{"inputCol": "x", "outputCol": "out", "splits": []any{math.Inf(-1), -1.0, 0.0, 1.0, math.Inf(1)}},
				Values:  map[string][]any{"splits": {[]any{-10.0, 0.0, 10.0}, []any{math.Inf(-1), 0.5, math.Inf(1)}}},
			},
			{
				Name:    "nulls",
				Columns: []ml.SampleColumn{{Name: "x", Type: table.Float64, Nulls: true}},
				Params:  ml.ParamMap{"inputCol": "x", "outputCol": "out", "splits": []any{math.Inf(-1), 0.0, math.Inf(1)}, "handleInvalid": "keep"},
			},
		}})
	ml.Register(ml.Registration{Name: "QuantileDiscretizer", New: func() any { return new(QuantileDiscretizer) },
		Samples: []ml.Sample{
			{
				Columns: []ml.SampleColumn{{Name: "x", Type: table.Float64}},
				Params:  ml.ParamMap{"inputCol": "x", "outputCol": "out"},
			},
		}})
	ml.Register(ml.Registration{Name: "OneHotEncoder", New: func() any { return new(OneHotEncoder) }, Model: &OneHotEncoderModel{},
		Samples: []ml.Sample{
			{
				Columns: []ml.SampleColumn{{Name: "x", Type: table.Float64, Kind: "category"}},
				Params:  ml.ParamMap{"inputCols": []any{"x"}, "outputCols": []any{"xv"}},
			},
			{
				Name:    "two columns",
				Columns: []ml.SampleColumn{{Name: "x", Type: table.Float64, Kind: "category"}, {Name: "y", Type: table.Int64, Kind: "category"}},
				Params:  ml.ParamMap{"inputCols": []any{"x", "y"}, "outputCols": []any{"xv", "yv"}},
			},
		}})
	engine.RegisterAggregator[*ColumnMoments](momentsKernel{})
}

// Compile-time checks of the stage contract (see ml/stage.go).
var (
	_ ml.Transformer    = (*Bucketizer)(nil)
	_ engine.Mapper     = (*Bucketizer)(nil)
	_ ml.ColumnReader   = (*Bucketizer)(nil)
	_ ml.ParamChecker   = (*Bucketizer)(nil)
	_ ml.StateValidator = (*Bucketizer)(nil)
	_ ml.Estimator      = (*Imputer)(nil)
	_ ml.SchemaChecker  = (*Imputer)(nil)
	_ ml.ColumnReader   = (*Imputer)(nil)
	_ ml.Model          = (*ImputerModel)(nil)
	_ engine.Mapper     = (*ImputerModel)(nil)
	_ ml.StateValidator = (*ImputerModel)(nil)
	_ ml.Estimator      = (*OneHotEncoder)(nil)
	_ ml.SchemaChecker  = (*OneHotEncoder)(nil)
	_ ml.ColumnReader   = (*OneHotEncoder)(nil)
	_ ml.Model          = (*OneHotEncoderModel)(nil)
	_ engine.Mapper     = (*OneHotEncoderModel)(nil)
	_ ml.StateValidator = (*OneHotEncoderModel)(nil)
	_ ml.Estimator      = (*QuantileDiscretizer)(nil)
	_ ml.ColumnReader   = (*QuantileDiscretizer)(nil)
)

// numericInputs checks that cols exist and are int64 or float64.
func numericInputs(stage string, s *table.Schema, in, out []string) error {
	if len(in) == 0 {
		return fmt.Errorf("%s: input columns not set", stage)
	}
	if len(in) != len(out) {
		return fmt.Errorf("%s: %d input columns but %d output columns", stage, len(in), len(out))
	}
	for _, c := range in {
		if _, err := ml.InputColumn(stage, s, c, table.Float64, table.Int64); err != nil {
			return err
		}
	}
	return nil
}

func numAt(c table.Column, i int) float64 {
	switch c := c.(type) {
	case *table.Float64Column:
		return c.Values[i]
	case *table.Int64Column:
		return float64(c.Values[i])
	}
	return math.NaN()
}

// oneOrMany is a stage's input columns given as inputCol or inputCols.
func oneOrMany(in string, ins []string) []string {
	if in != "" {
		return []string{in}
	}
	return ins
}

func singleOrMany(in, out string, ins, outs []string) ([]string, []string) {
	if in != "" {
		return []string{in}, []string{out}
	}
	return ins, outs
}

// Imputer replaces missing values — nulls, and values equal to
// MissingValue (default NaN) — in numeric columns with the column's mean,
// median or mode (Spark's Imputer). The median is the exact ⌈n/2⌉-th
// smallest value (Spark's approxQuantile at zero error); the mode is the
// most frequent value, the smallest on ties. Outputs keep the input type
// (an int64 column gets the surrogate truncated, as Spark casts back).
type Imputer struct {
	InputCol, OutputCol   string   `param:"nonempty"`
	InputCols, OutputCols []string `param:"nonempty"`
	// Strategy is mean (default), median or mode.
	Strategy string `param:"default=mean,oneOf=mean|median|mode"`
	// MissingValue marks missing entries besides null. If nil, it is NaN.
	MissingValue *float64 `param:"default=NaN,nan,inf"`
	// RelativeError, in [0, 1], is accepted for Spark compatibility;
	// medians are exact.
	RelativeError *float64 `param:"default=0.001,min=0,max=1"`
}

// InputColumns implements ml.ColumnReader.
func (im *Imputer) InputColumns() []string { return oneOrMany(im.InputCol, im.InputCols) }

// ColumnMoments is the partial for mean and mode: per column, count, sum
// and value counts (for mode; capped, see momentsKernel).
type ColumnMoments struct {
	N      []int64
	Sum    []float64
	Counts []map[float64]int64
}

type momentsKernel struct {
	Cols    []string
	Missing float64
	Mode    bool
}

func (momentsKernel) KernelName() string { return "feature.ColumnMoments" }

func (k momentsKernel) Zero() *ColumnMoments {
	m := &ColumnMoments{N: make([]int64, len(k.Cols)), Sum: make([]float64, len(k.Cols)), Counts: make([]map[float64]int64, len(k.Cols))}
	for i := range m.Counts {
		m.Counts[i] = map[float64]int64{}
	}
	return m
}

func isMissing(x, missing float64) bool {
	return math.IsNaN(x) || (!math.IsNaN(missing) && x == missing)
}

func (k momentsKernel) Fold(_ context.Context, _ engine.PartitionInfo, acc *ColumnMoments, b *table.Batch) (*ColumnMoments, error) {
	for j, name := range k.Cols {
		c, err := b.ColumnByName(name)
		if err != nil {
			return nil, err
		}
		for i := 0; i < c.Len(); i++ {
			if c.IsNull(i) {
				continue
			}
			x := numAt(c, i)
			if isMissing(x, k.Missing) {
				continue
			}
			acc.N[j]++
			acc.Sum[j] += x
			if k.Mode {
				acc.Counts[j][x]++
			}
		}
	}
	return acc, nil
}

func (momentsKernel) Merge(a, b *ColumnMoments) (*ColumnMoments, error) {
	for j := range a.N {
		a.N[j] += b.N[j]
		a.Sum[j] += b.Sum[j]
		if a.Counts[j] == nil {
			a.Counts[j] = map[float64]int64{}
		}
		for v, n := range b.Counts[j] {
			a.Counts[j][v] += n
		}
	}
	return a, nil
}

// Fit implements ml.Estimator.
func (im *Imputer) Fit(ctx context.Context, e engine.Engine, ds engine.Dataset) (ml.Model, error) {
	if err := ml.Validate(im); err != nil {
		return nil, err
	}
	in, out := singleOrMany(im.InputCol, im.OutputCol, im.InputCols, im.OutputCols)
	if err := numericInputs("Imputer", ds.Schema(), in, out); err != nil {
		return nil, err
	}
	missing := math.NaN()
	if im.MissingValue != nil {
		missing = *im.MissingValue
	}
	strategy := im.Strategy
	if strategy == "" {
		strategy = "mean"
	}
	surrogates := make([]float64, len(in))
	switch strategy {
	case "mean", "mode":
		m, err := engine.Aggregate(ctx, e, ds, momentsKernel{Cols: in, Missing: missing, Mode: strategy == "mode"})
		if err != nil {
			return nil, fmt.Errorf("Imputer: %w", err)
		}
		for j := range in {
			if m.N[j] == 0 {
				return nil, fmt.Errorf("Imputer: column %q has only missing values; there is nothing to impute from", in[j])
			}
			if strategy == "mean" {
				surrogates[j] = m.Sum[j] / float64(m.N[j])
				continue
			}
			best, bestN := math.Inf(1), int64(-1)
			for v, n := range m.Counts[j] {
				if n > bestN || (n == bestN && v < best) {
					best, bestN = v, n
				}
			}
			surrogates[j] = best
		}
	case "median":
		for j, c := range in {
			q, _, err := quantiles(ctx, e, ds, c, []float64{0.5}, missing)
			if err != nil {
				return nil, fmt.Errorf("Imputer: %w", err)
			}
			surrogates[j] = q[0]
		}
	default:
		return nil, fmt.Errorf("Imputer: strategy %q is not one of mean, median, mode", strategy)
	}
	return &ImputerModel{InputCols: in, OutputCols: out, Surrogates: surrogates, MissingValue: missing}, nil
}

// ImputerModel fills missing values with fitted surrogates.
type ImputerModel struct {
	InputCols, OutputCols []string `param:""`
	Surrogates            []float64
	MissingValue          float64 `param:"nan,inf"`
}

// KernelName implements engine.Kernel.
func (*ImputerModel) KernelName() string { return "feature.ImputerModel" }

// OutputSchema implements engine.Mapper.
func (m *ImputerModel) OutputSchema(in *table.Schema) (*table.Schema, error) {
	if err := numericInputs("Imputer", in, m.InputCols, m.OutputCols); err != nil {
		return nil, err
	}
	s := in
	for j, c := range m.OutputCols {
		t := in.Fields[in.Index(m.InputCols[j])].Type
		var err error
		if s, _, err = outputSchema(s, c, t); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// MapPartition implements engine.Mapper.
func (m *ImputerModel) MapPartition(_ context.Context, _ engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	out := b
	for j, name := range m.InputCols {
		c, err := b.ColumnByName(name)
		if err != nil {
			return nil, err
		}
		sur := m.Surrogates[j]
		var res table.Column
		switch c := c.(type) {
		case *table.Float64Column:
			v := make([]float64, len(c.Values))
			for i, x := range c.Values {
				if !c.Valid.Valid(i) || isMissing(x, m.MissingValue) {
					x = sur
				}
				v[i] = x
			}
			res = table.NewFloat64Column(v, nil)
		case *table.Int64Column:
			v := make([]int64, len(c.Values))
			for i, x := range c.Values {
				if !c.Valid.Valid(i) || isMissing(float64(x), m.MissingValue) {
					x = int64(sur)
				}
				v[i] = x
			}
			res = table.NewInt64Column(v, nil)
		}
		s, at, err := outputSchema(out.Schema(), m.OutputCols[j], res.Type())
		if err != nil {
			return nil, err
		}
		if out, err = setColumn(s, out, at, res); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Bucketizer maps a numeric column to bucket indices given Splits: n+1
// strictly increasing values (at least 3) make n buckets [s_i, s_i+1), the
// last closed at its top; use ±Inf to cover everything. Output is float64.
// HandleInvalid decides values outside the splits and NaN: error (default),
// skip (drop the row) or keep (NaN goes to an extra bucket n; outside values
// are still an error, as in Spark).
type Bucketizer struct {
	InputCol      string    `param:"nonempty"`
	OutputCol     string    `param:"nonempty"`
	Splits        []float64 `param:"inf"`
	HandleInvalid string    `param:"default=error,oneOf=error|skip|keep"`
}

// InputColumns implements ml.ColumnReader.
func (bz *Bucketizer) InputColumns() []string { return []string{bz.InputCol} }

// CheckParams implements ml.ParamChecker: at least 3 strictly increasing
// splits.
func (bz *Bucketizer) CheckParams() error {
	if len(bz.Splits) < 3 {
		return ml.ParamErrorf("splits", "need at least 3 values, got %d", len(bz.Splits))
	}
	for i := 1; i < len(bz.Splits); i++ {
		if !(bz.Splits[i] > bz.Splits[i-1]) {
			return ml.ParamErrorf("splits", "must be strictly increasing, got %v", bz.Splits)
		}
	}
	return nil
}

// KernelName implements engine.Kernel.
func (*Bucketizer) KernelName() string { return "feature.Bucketizer" }

// OutputSchema implements engine.Mapper.
func (bz *Bucketizer) OutputSchema(in *table.Schema) (*table.Schema, error) {
	if len(bz.Splits) < 3 {
		return nil, fmt.Errorf("Bucketizer: need at least 3 splits, got %d", len(bz.Splits))
	}
	for i := 1; i < len(bz.Splits); i++ {
		if !(bz.Splits[i] > bz.Splits[i-1]) {
			return nil, fmt.Errorf("Bucketizer: splits must be strictly increasing, got %v", bz.Splits)
		}
	}
	if _, err := checkHandleInvalid("Bucketizer", bz.HandleInvalid); err != nil {
		return nil, err
	}
	if _, err := ml.InputColumn("Bucketizer", in, bz.InputCol, table.Float64, table.Int64); err != nil {
		return nil, err
	}
	return ml.WithOutput("Bucketizer", in, bz.OutputCol, table.Float64)
}

// MapPartition implements engine.Mapper.
func (bz *Bucketizer) MapPartition(_ context.Context, info engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	out, err := bz.OutputSchema(b.Schema())
	if err != nil {
		return nil, err
	}
	h, _ := checkHandleInvalid("", bz.HandleInvalid)
	c, _ := b.ColumnByName(bz.InputCol)
	n := b.NumRows()
	vals := make([]float64, n)
	var valid table.Bitmap
	keep := make([]int, 0, n)
	s := bz.Splits
	for i := 0; i < n; i++ {
		if c.IsNull(i) {
			if valid == nil {
				valid = table.NewBitmap(n)
			}
			valid.SetNull(i)
			keep = append(keep, i)
			continue
		}
		x := numAt(c, i)
		switch {
		case math.IsNaN(x):
			switch h {
			case HandleSkip:
				continue
			case HandleKeep:
				vals[i] = float64(len(s) - 1)
				keep = append(keep, i)
				continue
			}
			return nil, fmt.Errorf("Bucketizer: column %q, %s: NaN (set handleInvalid to skip or keep)", bz.InputCol, engine.RowName(info, b, i))
		case x < s[0] || x > s[len(s)-1]:
			if h == HandleSkip {
				continue
			}
			return nil, fmt.Errorf("Bucketizer: column %q, %s: %v is outside the splits [%v, %v]", bz.InputCol, engine.RowName(info, b, i), x, s[0], s[len(s)-1])
		}
		k := sort.SearchFloat64s(s, x) // first split ≥ x
		if k == len(s) || s[k] != x {
			k--
		}
		vals[i] = float64(min(k, len(s)-2))
		keep = append(keep, i)
	}
	nb, err := ml.AppendColumn(out, b, table.NewFloat64Column(vals, valid))
	if err != nil || len(keep) == n {
		return nb, err
	}
	return nb.Take(keep), nil
}

// QuantileDiscretizer fits a Bucketizer whose splits are the exact
// quantiles at 1/NumBuckets, 2/NumBuckets, … of a numeric column, between
// −Inf and +Inf (Spark's QuantileDiscretizer). Repeated quantiles are
// merged, so heavy ties can give fewer buckets, as in Spark.
type QuantileDiscretizer struct {
	InputCol  string `param:"nonempty"`
	OutputCol string `param:"nonempty"`
	// NumBuckets is the number of buckets, ≥ 2. If 0, it is 2.
	NumBuckets int `param:"default=2,min=2"`
	// RelativeError, in [0, 1], is accepted for Spark compatibility; the
	// quantiles are exact (error 0), which satisfies any requested error.
	RelativeError *float64 `param:"default=0.001,min=0,max=1"`
	// HandleInvalid is passed to the Bucketizer (error, skip or keep).
	HandleInvalid string `param:"default=error,oneOf=error|skip|keep"`
}

// InputColumns implements ml.ColumnReader.
func (q *QuantileDiscretizer) InputColumns() []string { return []string{q.InputCol} }

// Fit implements ml.Estimator.
func (q *QuantileDiscretizer) Fit(ctx context.Context, e engine.Engine, ds engine.Dataset) (ml.Model, error) {
	if err := ml.Validate(q); err != nil {
		return nil, err
	}
	nb := q.NumBuckets
	if nb == 0 {
		nb = 2
	}
	if nb < 2 {
		return nil, fmt.Errorf("QuantileDiscretizer: numBuckets must be ≥ 2, got %d", q.NumBuckets)
	}
	if err := ml.Validate(q); err != nil {
		return nil, err
	}
	if _, err := (&Bucketizer{InputCol: q.InputCol, OutputCol: q.OutputCol, Splits: []float64{0, 1, 2}, HandleInvalid: q.HandleInvalid}).OutputSchema(ds.Schema()); err != nil {
		return nil, err
	}
	// Each quantile refines through a histogram of quantileBins counts,
	// in every worker's partial.
	if err := memlimit.Check(fmt.Sprintf("QuantileDiscretizer: %d buckets", nb), memlimit.Floats(int64(nb), quantileBins+8, memlimit.Workers()), "use fewer buckets"); err != nil {
		return nil, err
	}
	probs := make([]float64, nb-1)
	for i := range probs {
		probs[i] = float64(i+1) / float64(nb)
	}
	qs, _, err := Quantiles(ctx, e, ds, q.InputCol, probs)
	if err != nil {
		return nil, fmt.Errorf("QuantileDiscretizer: %w", err)
	}
	splits := []float64{math.Inf(-1)}
	for _, v := range qs {
		if v > splits[len(splits)-1] && !math.IsInf(v, 0) {
			splits = append(splits, v)
		}
	}
	splits = append(splits, math.Inf(1))
	if len(splits) < 3 {
		// Every value is the same: Spark would fail; one split at the
		// value keeps a valid two-bucket model.
		splits = []float64{math.Inf(-1), qs[0], math.Inf(1)}
	}
	return &Bucketizer{InputCol: q.InputCol, OutputCol: q.OutputCol, Splits: splits, HandleInvalid: q.HandleInvalid}, nil
}

// OneHotEncoder maps category indices (non-negative integers in int64 or
// float64 columns) to one-hot sparse vectors (Spark's OneHotEncoder). The
// number of categories of a column is its largest index + 1. With
// DropLast (default) the last category is all zeros. With HandleInvalid
// keep, an extra last category takes unseen indices (and, with DropLast,
// is the dropped one); error (default) fails on them.
type OneHotEncoder struct {
	InputCol, OutputCol   string   `param:"nonempty"`
	InputCols, OutputCols []string `param:"nonempty"`
	// DropLast drops the last category. If nil, it is true.
	DropLast *bool `param:"default=true"`
	// HandleInvalid is error (default) or keep.
	HandleInvalid string `param:"default=error,oneOf=error|keep"`
}

// InputColumns implements ml.ColumnReader.
func (o *OneHotEncoder) InputColumns() []string { return oneOrMany(o.InputCol, o.InputCols) }

// Fit implements ml.Estimator.
func (o *OneHotEncoder) Fit(ctx context.Context, e engine.Engine, ds engine.Dataset) (ml.Model, error) {
	if err := ml.Validate(o); err != nil {
		return nil, err
	}
	in, out := singleOrMany(o.InputCol, o.OutputCol, o.InputCols, o.OutputCols)
	h, err := checkHandleInvalid("OneHotEncoder", o.HandleInvalid)
	if err != nil {
		return nil, err
	}
	if h == HandleSkip {
		return nil, fmt.Errorf("OneHotEncoder: handleInvalid skip is not supported (Spark supports error and keep)")
	}
	m := &OneHotEncoderModel{InputCols: in, OutputCols: out, DropLast: ml.BoolOr(o.DropLast, true), HandleInvalid: h}
	if _, err := m.OutputSchema(ds.Schema()); err != nil {
		return nil, err
	}
	mom, err := engine.Aggregate(ctx, e, ds, maxKernel{Cols: in})
	if err != nil {
		return nil, fmt.Errorf("OneHotEncoder: %w", err)
	}
	for j, mx := range mom.Max {
		if mom.Bad[j] != "" {
			return nil, fmt.Errorf("OneHotEncoder: column %q: %s", in[j], mom.Bad[j])
		}
		// Vector indices are int32, as in Spark.
		if mx >= math.MaxInt32 {
			return nil, fmt.Errorf("OneHotEncoder: column %q: largest category index %v is more than a vector can hold (%d); is it a category column?", in[j], mx, math.MaxInt32-1)
		}
		m.CategorySizes = append(m.CategorySizes, int(mx)+1)
	}
	return m, nil
}

func init() { engine.RegisterAggregator[*MaxIndex](maxKernel{}) }

// MaxIndex is the largest category index per column, and the first
// invalid value seen.
type MaxIndex struct {
	Max []float64
	Bad []string
}

type maxKernel struct{ Cols []string }

func (maxKernel) KernelName() string { return "feature.MaxIndex" }
func (k maxKernel) Zero() *MaxIndex {
	return &MaxIndex{Max: make([]float64, len(k.Cols)), Bad: make([]string, len(k.Cols))}
}
func (k maxKernel) Fold(_ context.Context, info engine.PartitionInfo, acc *MaxIndex, b *table.Batch) (*MaxIndex, error) {
	for j, name := range k.Cols {
		c, err := b.ColumnByName(name)
		if err != nil {
			return nil, err
		}
		for i := 0; i < c.Len(); i++ {
			if c.IsNull(i) {
				continue
			}
			x := numAt(c, i)
			if x < 0 || x != math.Trunc(x) || math.IsInf(x, 0) || math.IsNaN(x) {
				if acc.Bad[j] == "" {
					acc.Bad[j] = fmt.Sprintf("%s: %v is not a category index (a non-negative integer)", engine.RowName(info, b, i), x)
				}
				continue
			}
			acc.Max[j] = math.Max(acc.Max[j], x)
		}
	}
	return acc, nil
}
func (maxKernel) Merge(a, b *MaxIndex) (*MaxIndex, error) {
	for j := range a.Max {
		a.Max[j] = math.Max(a.Max[j], b.Max[j])
		if a.Bad[j] == "" {
			a.Bad[j] = b.Bad[j]
		}
	}
	return a, nil
}

// OneHotEncoderModel encodes with fitted category counts.
type OneHotEncoderModel struct {
	InputCols, OutputCols []string `param:""`
	CategorySizes         []int
	DropLast              bool   `param:""`
	HandleInvalid         string `param:"oneOf=error|keep"`
}

// KernelName implements engine.Kernel.
func (*OneHotEncoderModel) KernelName() string { return "feature.OneHotEncoderModel" }

// OutputSchema implements engine.Mapper.
func (m *OneHotEncoderModel) OutputSchema(in *table.Schema) (*table.Schema, error) {
	if err := numericInputs("OneHotEncoder", in, m.InputCols, m.OutputCols); err != nil {
		return nil, err
	}
	s := in
	for _, c := range m.OutputCols {
		var err error
		if s, err = ml.WithOutput("OneHotEncoder", s, c, table.Vector); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// MapPartition implements engine.Mapper.
func (m *OneHotEncoderModel) MapPartition(_ context.Context, info engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	out, err := m.OutputSchema(b.Schema())
	if err != nil {
		return nil, err
	}
	keep := m.HandleInvalid == HandleKeep
	cols := append([]table.Column(nil), b.Columns()...)
	for j, name := range m.InputCols {
		c, _ := b.ColumnByName(name)
		cats := m.CategorySizes[j]
		size := cats
		if keep {
			size++
		}
		if m.DropLast {
			size--
		}
		vecs := make([]linalg.Vector, c.Len())
		var valid table.Bitmap
		for i := range vecs {
			if c.IsNull(i) {
				if valid == nil {
					valid = table.NewBitmap(len(vecs))
				}
				valid.SetNull(i)
				continue
			}
			x := numAt(c, i)
			idx := int(x)
			if x < 0 || x != math.Trunc(x) || idx >= cats {
				if !keep {
					return nil, fmt.Errorf("OneHotEncoder: column %q, %s: %v is not a category index in [0, %d) (set handleInvalid to keep)", name, engine.RowName(info, b, i), x, cats)
				}
				idx = cats
			}
			if idx < size {
				vecs[i] = linalg.Vector{Size: size, Indices: []int32{int32(idx)}, Values: []float64{1}}
			} else {
				vecs[i] = linalg.Vector{Size: size, Indices: []int32{}, Values: []float64{}}
			}
		}
		cols = append(cols, table.NewVectorColumn(vecs, valid))
	}
	return b.Derive(out, cols)
}
