package feature

import (
	"context"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/internal/numtext"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

// Column functions: what Spark does with SQL functions in
// df.withColumn(...), as pipeline stages. Each writes OutputCol, or
// replaces InputCol when OutputCol is empty.

func init() {
	ml.Register(ml.Registration{Name: "RegexReplace", New: func() any { return new(RegexReplace) },
		Samples: []ml.Sample{
			{
				Columns: []ml.SampleColumn{{Name: "s", Type: table.String}},
				Params:  ml.ParamMap{"inputCol": "s", "outputCol": "out", "pattern": "[0-9]+", "replacement": "#"},
				Values:  map[string][]any{"pattern": {`\s+`, `(\w+)@(\w+)`, `^`}, "replacement": {"", "$1", "<$0>"}},
			},
		}})
	ml.Register(ml.Registration{Name: "StringFunction", New: func() any { return new(StringFunction) },
		Samples: []ml.Sample{
			{
				Columns: []ml.SampleColumn{{Name: "s", Type: table.String}},
				Params:  ml.ParamMap{"inputCol": "s", "outputCol": "out", "function": "lower"},
			},
		}})
	ml.Register(ml.Registration{Name: "Cast", New: func() any { return new(Cast) },
		Samples: []ml.Sample{
			{
				Columns: []ml.SampleColumn{{Name: "x", Type: table.Float64, Kind: "category"}},
				Params:  ml.ParamMap{"inputCol": "x", "outputCol": "out", "to": "string"},
				Values:  map[string][]any{"to": {"int64", "float64", "bool", "string"}},
			},
			{
				Name:    "string",
				Columns: []ml.SampleColumn{{Name: "s", Type: table.String, Kind: "category"}},
				Params:  ml.ParamMap{"inputCol": "s", "outputCol": "out", "to": "string"},
			},
		}})
	ml.Register(ml.Registration{Name: "FillNull", New: func() any { return new(FillNull) },
		Samples: []ml.Sample{
			{
				Columns: []ml.SampleColumn{{Name: "x", Type: table.Float64, Nulls: true}, {Name: "s", Type: table.String, Kind: "category", Nulls: true}, {Name: "b", Type: table.Bool, Nulls: true}},
				Params:  ml.ParamMap{"values": map[string]any{"x": "0", "s": "missing", "b": "true"}},
				Values:  map[string][]any{"values": {map[string]any{"x": "-1.5"}, map[string]any{}}},
			},
		}})
	ml.Register(ml.Registration{Name: "DropNullRows", New: func() any { return new(DropNullRows) },
		Samples: []ml.Sample{
			{
				Columns: []ml.SampleColumn{{Name: "x", Type: table.Float64, Nulls: true}, {Name: "s", Type: table.String, Kind: "category", Nulls: true}},
				Params:  ml.ParamMap{},
				Values:  map[string][]any{"columns": {[]any{"x"}, []any{}}},
			},
		}})
	ml.Register(ml.Registration{Name: "Filter", New: func() any { return new(Filter) },
		Samples: []ml.Sample{
			{
				Columns: []ml.SampleColumn{{Name: "x", Type: table.Float64, Nulls: true}},
				Params:  ml.ParamMap{"column": "x", "op": ">", "value": "0"},
				Values:  map[string][]any{"value": {"-1.5", "1e300"}},
			},
			{
				Name:    "string",
				Columns: []ml.SampleColumn{{Name: "s", Type: table.String, Kind: "category", Nulls: true}},
				Params:  ml.ParamMap{"column": "s", "op": "==", "value": "red"},
			},
		}})
}

// Compile-time checks of the stage contract (see ml/stage.go).
var (
	_ ml.Transformer  = (*Cast)(nil)
	_ engine.Mapper   = (*Cast)(nil)
	_ ml.ColumnReader = (*Cast)(nil)
	_ ml.Transformer  = (*DropNullRows)(nil)
	_ engine.Mapper   = (*DropNullRows)(nil)
	_ ml.ColumnReader = (*DropNullRows)(nil)
	_ ml.Transformer  = (*FillNull)(nil)
	_ engine.Mapper   = (*FillNull)(nil)
	_ ml.ColumnReader = (*FillNull)(nil)
	_ ml.Transformer  = (*Filter)(nil)
	_ engine.Mapper   = (*Filter)(nil)
	_ ml.ColumnReader = (*Filter)(nil)
	_ ml.Transformer  = (*RegexReplace)(nil)
	_ engine.Mapper   = (*RegexReplace)(nil)
	_ ml.ColumnReader = (*RegexReplace)(nil)
	_ ml.ParamChecker = (*RegexReplace)(nil)
	_ ml.Transformer  = (*StringFunction)(nil)
	_ engine.Mapper   = (*StringFunction)(nil)
	_ ml.ColumnReader = (*StringFunction)(nil)
	_ ml.ParamChecker = (*StringFunction)(nil)
)

// outputSchema returns in with column name set to type t: replaced in
// place if it exists, else appended; and the position.
func outputSchema(in *table.Schema, name string, t table.Type) (*table.Schema, int, error) {
	fields := append([]table.Field(nil), in.Fields...)
	at := in.Index(name)
	if at < 0 {
		fields = append(fields, table.Field{Name: name, Type: t})
		at = len(fields) - 1
	} else {
		fields[at].Type = t
	}
	s, err := table.NewSchema(fields...)
	return s, at, err
}

func setColumn(out *table.Schema, b *table.Batch, at int, c table.Column) (*table.Batch, error) {
	cols := append([]table.Column(nil), b.Columns()...)
	if at == len(cols) {
		cols = append(cols, c)
	} else {
		cols[at] = c
	}
	return b.Derive(out, cols)
}

func outName(in, out string) string {
	if out == "" {
		return in
	}
	return out
}

// RegexReplace replaces every match of Pattern (RE2 syntax) in a string
// column with Replacement, in which $1 or ${name} refer to groups — Spark's
// regexp_replace. Nulls stay null.
type RegexReplace struct {
	InputCol    string `param:"nonempty"`
	OutputCol   string `param:"nonempty"`
	Pattern     string `param:"nonempty"`
	Replacement string `param:"default="`
}

// InputColumns implements ml.ColumnReader.
func (r *RegexReplace) InputColumns() []string { return []string{r.InputCol} }

// CheckParams implements ml.ParamChecker: the pattern must compile.
func (r *RegexReplace) CheckParams() error { return checkPattern(r.Pattern) }

// KernelName implements engine.Kernel.
func (*RegexReplace) KernelName() string { return "feature.RegexReplace" }

// OutputSchema implements engine.Mapper.
func (r *RegexReplace) OutputSchema(in *table.Schema) (*table.Schema, error) {
	if _, err := regexp.Compile(r.Pattern); err != nil {
		return nil, fmt.Errorf("RegexReplace: pattern %q: %w", r.Pattern, err)
	}
	if _, err := ml.InputColumn("RegexReplace", in, r.InputCol, table.String); err != nil {
		return nil, err
	}
	s, _, err := outputSchema(in, outName(r.InputCol, r.OutputCol), table.String)
	return s, err
}

// MapPartition implements engine.Mapper.
func (r *RegexReplace) MapPartition(_ context.Context, _ engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	if _, err := r.OutputSchema(b.Schema()); err != nil {
		return nil, err
	}
	re := regexp.MustCompile(r.Pattern)
	out, at, err := outputSchema(b.Schema(), outName(r.InputCol, r.OutputCol), table.String)
	if err != nil {
		return nil, err
	}
	c, err := table.ColumnAs[*table.StringColumn](b, r.InputCol)
	if err != nil {
		return nil, err
	}
	vals := make([]string, len(c.Values))
	literal := !strings.Contains(r.Replacement, "$")
	// Fast paths for the common cleanup patterns (see classrun.go).
	var fast interface{ replace(s, repl string) string }
	if literal {
		if c := newClassRun(r.Pattern); c != nil {
			fast = c
		} else if p := newSpanRun(r.Pattern); p != nil {
			fast = p
		}
	}
	for i, s := range c.Values {
		if !c.Valid.Valid(i) {
			continue
		}
		if fast != nil {
			vals[i] = fast.replace(s, r.Replacement)
		} else if literal {
			vals[i] = re.ReplaceAllLiteralString(s, r.Replacement)
		} else {
			vals[i] = re.ReplaceAllString(s, r.Replacement)
		}
	}
	return setColumn(out, b, at, table.NewStringColumn(vals, c.Valid))
}

// StringFunction applies a string function to a string column: "lower",
// "upper", "trim", "ltrim" or "rtrim" (Spark's functions of those names;
// trims remove spaces only, as Spark's do). Nulls stay null.
type StringFunction struct {
	InputCol  string `param:"nonempty"`
	OutputCol string `param:"nonempty"`
	Function  string `param:"oneOf=lower|upper|trim|ltrim|rtrim"`
}

// InputColumns implements ml.ColumnReader.
func (f *StringFunction) InputColumns() []string { return []string{f.InputCol} }

// CheckParams implements ml.ParamChecker: Function must be known.
func (f *StringFunction) CheckParams() error {
	if _, err := f.fn(); err != nil {
		return ml.ParamErrorf("function", "%q is not one of lower, upper, trim, ltrim, rtrim", f.Function)
	}
	return nil
}

// KernelName implements engine.Kernel.
func (*StringFunction) KernelName() string { return "feature.StringFunction" }

func (f *StringFunction) fn() (func(string) string, error) {
	switch strings.ToLower(f.Function) {
	case "lower":
		return toLower, nil
	case "upper":
		return strings.ToUpper, nil
	case "trim":
		return func(s string) string { return strings.Trim(s, " ") }, nil
	case "ltrim":
		return func(s string) string { return strings.TrimLeft(s, " ") }, nil
	case "rtrim":
		return func(s string) string { return strings.TrimRight(s, " ") }, nil
	}
	return nil, fmt.Errorf("StringFunction: unknown function %q (allowed: lower, upper, trim, ltrim, rtrim)", f.Function)
}

// OutputSchema implements engine.Mapper.
func (f *StringFunction) OutputSchema(in *table.Schema) (*table.Schema, error) {
	if _, err := f.fn(); err != nil {
		return nil, err
	}
	if _, err := ml.InputColumn("StringFunction", in, f.InputCol, table.String); err != nil {
		return nil, err
	}
	s, _, err := outputSchema(in, outName(f.InputCol, f.OutputCol), table.String)
	return s, err
}

// MapPartition implements engine.Mapper.
func (f *StringFunction) MapPartition(_ context.Context, _ engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	fn, err := f.fn()
	if err != nil {
		return nil, err
	}
	out, at, err := outputSchema(b.Schema(), outName(f.InputCol, f.OutputCol), table.String)
	if err != nil {
		return nil, err
	}
	col, err := b.ColumnByName(f.InputCol)
	if err != nil {
		return nil, err
	}
	c, ok := col.(*table.StringColumn)
	if !ok {
		return nil, fmt.Errorf("%s: input column %q is %v, want string", f.Function, f.InputCol, col.Type())
	}
	vals := make([]string, len(c.Values))
	for i, s := range c.Values {
		if c.Valid.Valid(i) {
			vals[i] = fn(s)
		}
	}
	return setColumn(out, b, at, table.NewStringColumn(vals, c.Valid))
}

// Cast converts a column to another scalar type (string, int64, float64,
// bool) with Spark's non-ANSI cast rules: a value that does not convert
// becomes null; float to int truncates toward zero; NaN and ±Inf become
// null as int64. Text is read as a number the way the readers read it
// (decimal, NaN/Inf/Infinity; no hex, and a value beyond float64's range
// is null rather than ±Inf). In a spec, To is a type name:
//
//	{type: Cast, inputCol: age, outputCol: ageNum, to: float64}
type Cast struct {
	InputCol  string     `param:"nonempty"`
	OutputCol string     `param:"nonempty"`
	To        table.Type `param:""`
}

// InputColumns implements ml.ColumnReader.
func (c *Cast) InputColumns() []string { return []string{c.InputCol} }

// KernelName implements engine.Kernel.
func (*Cast) KernelName() string { return "feature.Cast" }

// OutputSchema implements engine.Mapper.
func (c *Cast) OutputSchema(in *table.Schema) (*table.Schema, error) {
	switch c.To {
	case table.String, table.Int64, table.Float64, table.Bool:
	default:
		return nil, fmt.Errorf("cast: cannot cast to %v (allowed: string, int64, float64, bool)", c.To)
	}
	if _, err := ml.InputColumn("cast", in, c.InputCol, table.String, table.Int64, table.Float64, table.Bool); err != nil {
		return nil, err
	}
	s, _, err := outputSchema(in, outName(c.InputCol, c.OutputCol), c.To)
	return s, err
}

// MapPartition implements engine.Mapper.
func (c *Cast) MapPartition(_ context.Context, _ engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	out, at, err := outputSchema(b.Schema(), outName(c.InputCol, c.OutputCol), c.To)
	if err != nil {
		return nil, err
	}
	in, err := b.ColumnByName(c.InputCol)
	if err != nil {
		return nil, err
	}
	n := in.Len()
	res, err := table.NewColumn(c.To, n)
	if err != nil {
		return nil, err
	}
	for i := 0; i < n; i++ {
		if in.IsNull(i) || !castValue(in, i, res) {
			setNull(res, i)
		}
	}
	return setColumn(out, b, at, res)
}

// castValue converts row i of in into row i of out; false means null.
func castValue(in table.Column, i int, out table.Column) bool {
	var s string
	var f float64
	var isNum bool
	switch c := in.(type) {
	case *table.StringColumn:
		s = strings.TrimSpace(c.Values[i])
	case *table.Int64Column:
		s, f, isNum = strconv.FormatInt(c.Values[i], 10), float64(c.Values[i]), true
	case *table.Float64Column:
		s, f, isNum = strconv.FormatFloat(c.Values[i], 'g', -1, 64), c.Values[i], true
	case *table.BoolColumn:
		s = strconv.FormatBool(c.Values[i])
		if c.Values[i] {
			f = 1
		}
		isNum = true
	}
	switch o := out.(type) {
	case *table.StringColumn:
		o.Values[i] = s
	case *table.Float64Column:
		if isNum {
			o.Values[i] = f
			return true
		}
		v, err := numtext.ParseFloat(s)
		o.Values[i] = v
		return err == nil
	case *table.Int64Column:
		if ic, ok := in.(*table.Int64Column); ok {
			o.Values[i] = ic.Values[i]
			return true
		}
		if !isNum {
			if v, err := strconv.ParseInt(s, 10, 64); err == nil {
				o.Values[i] = v
				return true
			}
			v, err := numtext.ParseFloat(s)
			if err != nil {
				return false
			}
			f = v
		}
		if math.IsNaN(f) || math.IsInf(f, 0) || f >= 9.223372036854775807e18 || f < -9.223372036854775808e18 {
			return false
		}
		o.Values[i] = int64(f)
	case *table.BoolColumn:
		if isNum {
			o.Values[i] = f != 0
			return true
		}
		switch strings.ToLower(s) {
		case "true", "t", "yes", "y", "1":
			o.Values[i] = true
		case "false", "f", "no", "n", "0":
		default:
			return false
		}
	}
	return true
}

func setNull(c table.Column, i int) { c.(interface{ SetNull(int) }).SetNull(i) }

// FillNull replaces nulls, per column, with a value given as text and read
// as the column's type (Spark's na.fill with a dict). In a spec, Values
// is a mapping; numbers and booleans there stand for their text:
//
//	{type: FillNull, values: {age: 0, city: unknown}}
type FillNull struct {
	Values map[string]string `param:""`
}

// InputColumns implements ml.ColumnReader.
func (f *FillNull) InputColumns() []string { return slices.Sorted(maps.Keys(f.Values)) }

// KernelName implements engine.Kernel.
func (*FillNull) KernelName() string { return "feature.FillNull" }

// OutputSchema implements engine.Mapper.
func (f *FillNull) OutputSchema(in *table.Schema) (*table.Schema, error) {
	for name, v := range f.Values {
		i, err := ml.InputColumn("fillna", in, name, table.String, table.Int64, table.Float64, table.Bool)
		if err != nil {
			return nil, err
		}
		if _, err := f.fillColumn(in.Fields[i].Type, v); err != nil {
			return nil, fmt.Errorf("fillna: column %q: %w", name, err)
		}
	}
	return in, nil
}

// fillColumn parses v as a one-row column of type t.
func (f *FillNull) fillColumn(t table.Type, v string) (table.Column, error) {
	src := table.NewStringColumn([]string{v}, nil)
	dst, _ := table.NewColumn(t, 1)
	if !castValue(src, 0, dst) {
		return nil, fmt.Errorf("value %q is not a valid %v", v, t)
	}
	return dst, nil
}

// MapPartition implements engine.Mapper.
func (f *FillNull) MapPartition(_ context.Context, _ engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	if _, err := f.OutputSchema(b.Schema()); err != nil {
		return nil, err
	}
	cols := append([]table.Column(nil), b.Columns()...)
	for name, v := range f.Values {
		j := b.Schema().Index(name)
		if cols[j].NullCount() == 0 {
			continue
		}
		fill, _ := f.fillColumn(cols[j].Type(), v)
		cols[j] = fillNulls(cols[j], fill)
	}
	return b.Derive(b.Schema(), cols)
}

func fillNulls(c table.Column, fill table.Column) table.Column {
	switch c := c.(type) {
	case *table.StringColumn:
		return fillTyped(c, fill.(*table.StringColumn).Values[0], table.NewStringColumn)
	case *table.Int64Column:
		return fillTyped(c, fill.(*table.Int64Column).Values[0], table.NewInt64Column)
	case *table.Float64Column:
		return fillTyped(c, fill.(*table.Float64Column).Values[0], table.NewFloat64Column)
	case *table.BoolColumn:
		return fillTyped(c, fill.(*table.BoolColumn).Values[0], table.NewBoolColumn)
	}
	return c
}

func fillTyped[T any, C any](c *table.TypedColumn[T], v T, mk func([]T, table.Bitmap) C) C {
	vals := append([]T(nil), c.Values...)
	for i := range vals {
		if !c.Valid.Valid(i) {
			vals[i] = v
		}
	}
	return mk(vals, nil)
}

// DropNullRows removes rows with a null in any of Columns, or in any
// column when Columns is empty (Spark's na.drop(how="any", subset)).
type DropNullRows struct {
	Columns []string `param:""`
}

// InputColumns implements ml.ColumnReader.
func (d *DropNullRows) InputColumns() []string { return d.Columns }

// KernelName implements engine.Kernel.
func (*DropNullRows) KernelName() string { return "feature.DropNullRows" }

// OutputSchema implements engine.Mapper.
func (d *DropNullRows) OutputSchema(in *table.Schema) (*table.Schema, error) {
	return engine.DropNulls{Columns: d.Columns}.OutputSchema(in)
}

// MapPartition implements engine.Mapper.
func (d *DropNullRows) MapPartition(ctx context.Context, info engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	return engine.DropNulls{Columns: d.Columns}.MapPartition(ctx, info, b)
}

// Filter keeps the rows where Column Op Value holds. Op is one of ==, !=,
// <, <=, >, >= (Value read as the column's type; strings compare
// bytewise), or "is null" / "is not null" (Value unused). Rows where the
// column is null fail every comparison, as in SQL.
type Filter struct {
	Column string `param:"nonempty"`
	Op     string `param:"oneOf===|!=|<|<=|>|>=|is null|is not null"`
	Value  string `param:""`
}

// InputColumns implements ml.ColumnReader.
func (f *Filter) InputColumns() []string { return []string{f.Column} }

// KernelName implements engine.Kernel.
func (*Filter) KernelName() string { return "feature.Filter" }

// OutputSchema implements engine.Mapper.
func (f *Filter) OutputSchema(in *table.Schema) (*table.Schema, error) {
	i, err := ml.InputColumn("filter", in, f.Column, table.String, table.Int64, table.Float64, table.Bool)
	if err != nil {
		return nil, err
	}
	switch f.Op {
	case "is null", "is not null":
		return in, nil
	case "==", "!=", "<", "<=", ">", ">=":
	default:
		return nil, fmt.Errorf("filter: unknown operator %q (allowed: ==, !=, <, <=, >, >=, is null, is not null)", f.Op)
	}
	if _, err := (&FillNull{}).fillColumn(in.Fields[i].Type, f.Value); err != nil {
		return nil, fmt.Errorf("filter: column %q: %w", f.Column, err)
	}
	return in, nil
}

// MapPartition implements engine.Mapper.
func (f *Filter) MapPartition(_ context.Context, _ engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	if _, err := f.OutputSchema(b.Schema()); err != nil {
		return nil, err
	}
	col, _ := b.ColumnByName(f.Column)
	keep := make([]int, 0, b.NumRows())
	var cmp func(i int) int
	if f.Op != "is null" && f.Op != "is not null" {
		v, _ := (&FillNull{}).fillColumn(col.Type(), f.Value)
		switch c := col.(type) {
		case *table.StringColumn:
			x := v.(*table.StringColumn).Values[0]
			cmp = func(i int) int { return strings.Compare(c.Values[i], x) }
		case *table.Int64Column:
			x := v.(*table.Int64Column).Values[0]
			cmp = func(i int) int { return compare(c.Values[i], x) }
		case *table.Float64Column:
			x := v.(*table.Float64Column).Values[0]
			cmp = func(i int) int { return compare(c.Values[i], x) }
		case *table.BoolColumn:
			x := b2i(v.(*table.BoolColumn).Values[0])
			cmp = func(i int) int { return compare(b2i(c.Values[i]), x) }
		}
	}
	for i := 0; i < b.NumRows(); i++ {
		null := col.IsNull(i)
		var ok bool
		switch f.Op {
		case "is null":
			ok = null
		case "is not null":
			ok = !null
		default:
			if null {
				continue
			}
			r := cmp(i)
			switch f.Op {
			case "==":
				ok = r == 0
			case "!=":
				ok = r != 0
			case "<":
				ok = r < 0
			case "<=":
				ok = r <= 0
			case ">":
				ok = r > 0
			case ">=":
				ok = r >= 0
			}
		}
		if ok {
			keep = append(keep, i)
		}
	}
	return b.Take(keep), nil
}

func compare[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
