package feature

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

func init() {
	engine.RegisterAggregator[*ValueCounts](valueCountKernel{})
	ml.Register(ml.Registration{Name: "StringIndexer", New: func() any { return new(StringIndexer) }, Model: &StringIndexerModel{},
		Samples: []ml.Sample{
			{
				Columns: []ml.SampleColumn{{Name: "s", Type: table.String, Kind: "category"}},
				Params:  ml.ParamMap{"inputCol": "s", "outputCol": "out"},
			},
			{
				Name:    "columns",
				Columns: []ml.SampleColumn{{Name: "s", Type: table.String, Kind: "category", Nulls: true}, {Name: "x", Type: table.Float64, Kind: "category"}},
				Params:  ml.ParamMap{"inputCols": []any{"s", "x"}, "outputCols": []any{"si", "xi"}, "handleInvalid": "keep"},
			},
		}})
	ml.Register(ml.Registration{Name: "IndexToString", New: func() any { return new(IndexToString) },
		Samples: []ml.Sample{
			{
				Columns: []ml.SampleColumn{{Name: "x", Type: table.Float64, Kind: "category"}},
				Params:  ml.ParamMap{"inputCol": "x", "outputCol": "out", "labels": []any{"a", "b", "c"}},
				Values:  map[string][]any{"labels": {[]any{"z", "y", "x", "w"}}},
			},
		}})
}

// Compile-time checks of the stage contract (see ml/stage.go).
var (
	_ ml.Transformer    = (*IndexToString)(nil)
	_ engine.Mapper     = (*IndexToString)(nil)
	_ ml.ColumnReader   = (*IndexToString)(nil)
	_ ml.Estimator      = (*StringIndexer)(nil)
	_ ml.SchemaChecker  = (*StringIndexer)(nil)
	_ ml.ColumnReader   = (*StringIndexer)(nil)
	_ ml.Model          = (*StringIndexerModel)(nil)
	_ engine.Mapper     = (*StringIndexerModel)(nil)
	_ ml.StateValidator = (*StringIndexerModel)(nil)
)

// The handleInvalid choices.
const (
	// HandleError fails on a null or unseen value (the default).
	HandleError = "error"
	// HandleSkip drops the row.
	HandleSkip = "skip"
	// HandleKeep maps it to an extra index, numLabels.
	HandleKeep = "keep"
)

func checkHandleInvalid(stage, h string) (string, error) {
	switch h {
	case "":
		return HandleError, nil
	case HandleError, HandleSkip, HandleKeep:
		return h, nil
	}
	return "", fmt.Errorf("%s: handleInvalid %q is not one of error, skip, keep", stage, h)
}

// The stringOrderType choices of StringIndexer.
const (
	FrequencyDesc = "frequencyDesc"
	FrequencyAsc  = "frequencyAsc"
	AlphabetDesc  = "alphabetDesc"
	AlphabetAsc   = "alphabetAsc"
)

// StringIndexer maps the values of one or more columns to indices 0, 1, …
// (Spark's StringIndexer). Labels are ordered by StringOrderType:
// frequencyDesc (default; the most frequent value gets 0, ties broken by
// ascending value, as Spark 3 does), frequencyAsc (ties ascending too),
// alphabetDesc or alphabetAsc. Input columns may be string, int64, float64
// or bool; non-strings index by their text. Outputs are float64, as in
// Spark. Nulls are not labels: handleInvalid decides them at transform.
type StringIndexer struct {
	// InputCol and OutputCol name one column; InputCols and OutputCols
	// several (set one form or the other).
	InputCol, OutputCol   string   `param:"nonempty"`
	InputCols, OutputCols []string `param:"nonempty"`
	// StringOrderType orders the labels. If empty, it is frequencyDesc.
	StringOrderType string `param:"default=frequencyDesc,oneOf=frequencyDesc|frequencyAsc|alphabetDesc|alphabetAsc"`
	// HandleInvalid is error (default), skip or keep.
	HandleInvalid string `param:"default=error,oneOf=error|skip|keep"`
}

// InputColumns implements ml.ColumnReader.
func (s *StringIndexer) InputColumns() []string { return oneOrMany(s.InputCol, s.InputCols) }

func (s *StringIndexer) cols() ([]string, []string, error) {
	switch {
	case s.InputCol != "" && len(s.InputCols) > 0:
		return nil, nil, fmt.Errorf("StringIndexer: set inputCol or inputCols, not both")
	case s.InputCol != "":
		return []string{s.InputCol}, []string{s.OutputCol}, nil
	case len(s.InputCols) != len(s.OutputCols):
		return nil, nil, fmt.Errorf("StringIndexer: %d inputCols but %d outputCols", len(s.InputCols), len(s.OutputCols))
	case len(s.InputCols) == 0:
		return nil, nil, fmt.Errorf("StringIndexer: input column not set")
	}
	return s.InputCols, s.OutputCols, nil
}

// ValueCounts counts the non-null values of some columns.
type ValueCounts struct {
	Counts []map[string]int64
}

type valueCountKernel struct{ Columns []string }

func (valueCountKernel) KernelName() string { return "feature.ValueCounts" }
func (valueCountKernel) Zero() *ValueCounts { return &ValueCounts{} }

func (k valueCountKernel) Fold(_ context.Context, _ engine.PartitionInfo, acc *ValueCounts, b *table.Batch) (*ValueCounts, error) {
	if acc.Counts == nil {
		acc.Counts = make([]map[string]int64, len(k.Columns))
		for i := range acc.Counts {
			acc.Counts[i] = map[string]int64{}
		}
	}
	for i, name := range k.Columns {
		col, err := b.ColumnByName(name)
		if err != nil {
			return nil, err
		}
		m := acc.Counts[i]
		if c, ok := col.(*table.StringColumn); ok {
			for r, v := range c.Values {
				if c.Valid.Valid(r) {
					m[v]++
				}
			}
			continue
		}
		for r := 0; r < col.Len(); r++ {
			if !col.IsNull(r) {
				m[valueText(col, r)]++
			}
		}
	}
	return acc, nil
}

func (valueCountKernel) Merge(a, b *ValueCounts) (*ValueCounts, error) {
	if a.Counts == nil {
		return b, nil
	}
	for i, m := range b.Counts {
		if a.Counts[i] == nil {
			a.Counts[i] = map[string]int64{}
		}
		for v, n := range m {
			a.Counts[i][v] += n
		}
	}
	return a, nil
}

// valueText is the label text of a scalar value (Spark casts to string).
func valueText(c table.Column, i int) string {
	switch c := c.(type) {
	case *table.StringColumn:
		return c.Values[i]
	case *table.Int64Column:
		return strconv.FormatInt(c.Values[i], 10)
	case *table.Float64Column:
		s := strconv.FormatFloat(c.Values[i], 'g', -1, 64)
		if _, err := strconv.Atoi(s); err == nil {
			s += ".0" // Spark writes 1.0, not 1
		}
		return s
	case *table.BoolColumn:
		return strconv.FormatBool(c.Values[i])
	}
	return fmt.Sprint(c.Value(i))
}

// Fit implements ml.Estimator.
func (s *StringIndexer) Fit(ctx context.Context, e engine.Engine, ds engine.Dataset) (ml.Model, error) {
	if err := ml.Validate(s); err != nil {
		return nil, err
	}
	in, out, err := s.cols()
	if err != nil {
		return nil, err
	}
	order := s.StringOrderType
	if order == "" {
		order = FrequencyDesc
	}
	switch order {
	case FrequencyDesc, FrequencyAsc, AlphabetDesc, AlphabetAsc:
	default:
		return nil, fmt.Errorf("StringIndexer: stringOrderType %q is not one of frequencyDesc, frequencyAsc, alphabetDesc, alphabetAsc", order)
	}
	h, err := checkHandleInvalid("StringIndexer", s.HandleInvalid)
	if err != nil {
		return nil, err
	}
	m := &StringIndexerModel{InputCols: in, OutputCols: out, HandleInvalid: h}
	if _, err := m.OutputSchema(ds.Schema()); err != nil {
		return nil, err
	}
	vc, err := engine.Aggregate(ctx, e, ds, valueCountKernel{Columns: in})
	if err != nil {
		return nil, fmt.Errorf("StringIndexer: %w", err)
	}
	for i, counts := range vc.Counts {
		if len(counts) == 0 {
			return nil, fmt.Errorf("StringIndexer: column %q has no non-null values to index", in[i])
		}
		labels := make([]string, 0, len(counts))
		for v := range counts {
			labels = append(labels, v)
		}
		sort.Slice(labels, func(a, b int) bool {
			x, y := labels[a], labels[b]
			switch order {
			case FrequencyDesc:
				if counts[x] != counts[y] {
					return counts[x] > counts[y]
				}
			case FrequencyAsc:
				if counts[x] != counts[y] {
					return counts[x] < counts[y]
				}
			case AlphabetDesc:
				return x > y
			}
			return x < y
		})
		m.Labels = append(m.Labels, labels)
	}
	return m, nil
}

// StringIndexerModel maps values to their fitted label indices.
type StringIndexerModel struct {
	InputCols, OutputCols []string `param:""`
	// Labels holds, per input column, the labels in index order.
	Labels        [][]string
	HandleInvalid string `param:"oneOf=error|skip|keep"`

	once  sync.Once
	index []map[string]int
}

// KernelName implements engine.Kernel.
func (*StringIndexerModel) KernelName() string { return "feature.StringIndexerModel" }

// OutputSchema implements engine.Mapper.
func (m *StringIndexerModel) OutputSchema(in *table.Schema) (*table.Schema, error) {
	if len(m.InputCols) != len(m.OutputCols) {
		return nil, fmt.Errorf("StringIndexerModel: %d inputCols but %d outputCols", len(m.InputCols), len(m.OutputCols))
	}
	if _, err := checkHandleInvalid("StringIndexerModel", m.HandleInvalid); err != nil {
		return nil, err
	}
	s := in
	for i, c := range m.InputCols {
		if _, err := ml.InputColumn("StringIndexer", in, c, table.String, table.Int64, table.Float64, table.Bool); err != nil {
			return nil, err
		}
		var err error
		if s, err = ml.WithOutput("StringIndexer", s, m.OutputCols[i], table.Float64); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// MapPartition implements engine.Mapper.
func (m *StringIndexerModel) MapPartition(_ context.Context, info engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	out, err := m.OutputSchema(b.Schema())
	if err != nil {
		return nil, err
	}
	m.once.Do(func() {
		m.index = make([]map[string]int, len(m.Labels))
		for i, ls := range m.Labels {
			m.index[i] = make(map[string]int, len(ls))
			for j, l := range ls {
				m.index[i][l] = j
			}
		}
	})
	h, _ := checkHandleInvalid("", m.HandleInvalid)
	n := b.NumRows()
	skip := make([]bool, n)
	cols := append([]table.Column(nil), b.Columns()...)
	for i, name := range m.InputCols {
		col, _ := b.ColumnByName(name)
		vals := make([]float64, n)
		for r := 0; r < n; r++ {
			var idx int
			ok := !col.IsNull(r)
			if ok {
				idx, ok = m.index[i][valueText(col, r)]
			}
			if !ok {
				switch h {
				case HandleError:
					what := "unseen label " + strconv.Quote(valueText(col, r))
					if col.IsNull(r) {
						what = "null value"
					}
					return nil, fmt.Errorf("StringIndexer: column %q, %s: %s (set handleInvalid to skip or keep)", name, engine.RowName(info, b, r), what)
				case HandleSkip:
					skip[r] = true
				case HandleKeep:
					idx = len(m.Labels[i])
				}
			}
			vals[r] = float64(idx)
		}
		cols = append(cols, table.NewFloat64Column(vals, nil))
	}
	nb, err := b.Derive(out, cols)
	if err != nil || h != HandleSkip {
		return nb, err
	}
	keep := make([]int, 0, n)
	for r, s := range skip {
		if !s {
			keep = append(keep, r)
		}
	}
	return nb.Take(keep), nil
}

// IndexToString maps indices back to labels (Spark's IndexToString); an
// index outside the labels is an error.
type IndexToString struct {
	InputCol  string   `param:"nonempty"`
	OutputCol string   `param:"nonempty"`
	Labels    []string `param:""`
}

// InputColumns implements ml.ColumnReader.
func (t *IndexToString) InputColumns() []string { return []string{t.InputCol} }

// KernelName implements engine.Kernel.
func (*IndexToString) KernelName() string { return "feature.IndexToString" }

// OutputSchema implements engine.Mapper.
func (t *IndexToString) OutputSchema(in *table.Schema) (*table.Schema, error) {
	if len(t.Labels) == 0 {
		return nil, fmt.Errorf("IndexToString: labels not set")
	}
	if _, err := ml.InputColumn("IndexToString", in, t.InputCol, table.Float64, table.Int64); err != nil {
		return nil, err
	}
	return ml.WithOutput("IndexToString", in, t.OutputCol, table.String)
}

// MapPartition implements engine.Mapper.
func (t *IndexToString) MapPartition(_ context.Context, info engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	out, err := t.OutputSchema(b.Schema())
	if err != nil {
		return nil, err
	}
	col, _ := b.ColumnByName(t.InputCol)
	vals := make([]string, col.Len())
	var valid table.Bitmap
	for r := range vals {
		if col.IsNull(r) {
			if valid == nil {
				valid = table.NewBitmap(len(vals))
			}
			valid.SetNull(r)
			continue
		}
		var f float64
		switch c := col.(type) {
		case *table.Float64Column:
			f = c.Values[r]
		case *table.Int64Column:
			f = float64(c.Values[r])
		}
		i := int(f)
		if float64(i) != f || i < 0 || i >= len(t.Labels) {
			return nil, fmt.Errorf("IndexToString: column %q, %s: index %v is not one of 0…%d", t.InputCol, engine.RowName(info, b, r), f, len(t.Labels)-1)
		}
		vals[r] = t.Labels[i]
	}
	return ml.AppendColumn(out, b, table.NewStringColumn(vals, valid))
}
