// Package profile computes a dataset's profile — rows, per-column nulls,
// distinct counts and numeric summaries, label class counts — in one pass
// through the engine contract, so it runs the same on every engine.
//
// Numeric summaries follow Spark's DataFrame.describe: mean, and the
// sample standard deviation (divisor n−1); they are merged across
// partitions with Chan et al.'s parallel update. NaN values are counted
// apart and left out of min/max/mean/stddev, as pandas does.
//
// Distinct counts are exact while a column has at most DistinctBound
// distinct values; past that they come from a HyperLogLog sketch (about
// 0.8% standard error) and are marked approximate.
package profile

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/jsonnum"
	"github.com/spindle-ml/spindle/table"
)

func init() {
	engine.RegisterAggregator[*Partial](Profiler{})
}

// Profiler is the profile kernel: an engine.Aggregator over every column.
type Profiler struct {
	// Label names the column whose class counts are wanted; empty for
	// none.
	Label string
	// DistinctBound is how many distinct values a column may have before
	// its distinct count becomes approximate. If 0, it is 10,000.
	DistinctBound int
}

var _ engine.Aggregator[*Partial] = Profiler{}

// Partial is the profile of some partitions.
type Partial struct {
	Rows    int64
	Columns []ColumnPartial
	Labels  map[string]int64
}

// ColumnPartial holds one column's running statistics.
type ColumnPartial struct {
	Nulls int64
	// Exact holds the 64-bit hashes of the distinct values seen, sorted
	// and without repeats, while there are at most DistinctBound of them
	// (8 bytes a value: a wide table's profile stays small; two of 10,000
	// values collide with probability about 3e-12); nil once Overflow.
	// Sketch holds them from then on.
	Exact    []uint64
	Overflow bool
	Sketch   Sketch
	// Numeric columns: count, mean and sum of squared deviations of the
	// finite values (Welford), min and max, and the NaN and ±Inf counts.
	N, Mean, M2, Min, Max float64
	NaNs, PosInf, NegInf  int64
}

// KernelName implements engine.Kernel.
func (Profiler) KernelName() string { return "profile.Profiler" }

func (p Profiler) bound() int {
	if p.DistinctBound > 0 {
		return p.DistinctBound
	}
	return 10_000
}

// Zero implements engine.Aggregator.
func (Profiler) Zero() *Partial { return &Partial{} }

// Fold implements engine.Aggregator.
func (p Profiler) Fold(_ context.Context, _ engine.PartitionInfo, acc *Partial, b *table.Batch) (*Partial, error) {
	if acc.Columns == nil {
		acc.Columns = make([]ColumnPartial, b.Schema().Len())
		for j := range acc.Columns {
			acc.Columns[j] = ColumnPartial{Min: math.Inf(1), Max: math.Inf(-1)}
		}
	}
	if len(acc.Columns) != b.Schema().Len() {
		return nil, fmt.Errorf("profile: partition has %d columns, expected %d", b.Schema().Len(), len(acc.Columns))
	}
	acc.Rows += int64(b.NumRows())
	var key []byte
	for j, col := range b.Columns() {
		cp := &acc.Columns[j]
		cp.Nulls += int64(col.NullCount())
		for i := 0; i < col.Len(); i++ {
			if col.IsNull(i) {
				continue
			}
			key = appendKey(key[:0], col, i)
			p.addDistinct(cp, key)
			switch c := col.(type) {
			case *table.Float64Column:
				cp.addNumber(c.Values[i])
			case *table.Int64Column:
				cp.addNumber(float64(c.Values[i]))
			}
		}
		p.compact(cp)
	}
	if p.Label != "" {
		lc, err := b.ColumnByName(p.Label)
		if err != nil {
			return nil, fmt.Errorf("profile: label: %w", err)
		}
		if acc.Labels == nil {
			acc.Labels = map[string]int64{}
		}
		for i := 0; i < lc.Len(); i++ {
			acc.Labels[LabelString(lc, i)]++
		}
	}
	return acc, nil
}

// LabelString renders row i of a label column as the class name the
// profile reports ("(null)" for a null).
func LabelString(c table.Column, i int) string {
	if c.IsNull(i) {
		return "(null)"
	}
	switch c := c.(type) {
	case *table.StringColumn:
		return c.Values[i]
	case *table.Float64Column:
		return strconv.FormatFloat(c.Values[i], 'g', -1, 64)
	}
	return fmt.Sprint(c.Value(i))
}

// appendKey appends a byte key that identifies row i's value within its
// column (for distinct counting).
func appendKey(b []byte, c table.Column, i int) []byte {
	switch c := c.(type) {
	case *table.StringColumn:
		return append(b, c.Values[i]...)
	case *table.Int64Column:
		return binary.LittleEndian.AppendUint64(b, uint64(c.Values[i]))
	case *table.Float64Column:
		v := c.Values[i]
		if v == 0 {
			v = 0 // -0 and +0 are one value
		}
		return binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	case *table.BoolColumn:
		if c.Values[i] {
			return append(b, 1)
		}
		return append(b, 0)
	case *table.StringListColumn:
		for _, s := range c.Values[i] {
			b = append(b, s...)
			b = append(b, 0)
		}
		return b
	case *table.VectorColumn:
		return append(b, c.Values[i].String()...)
	}
	return b
}

// addDistinct records a value. The sketch (16 KiB) exists only once a
// column has overflowed its exact set: a wide table of low-cardinality
// columns costs its distinct values, not 16 KiB a column a partition.
func (p Profiler) addDistinct(cp *ColumnPartial, key []byte) {
	h := hash64(key)
	if cp.Overflow {
		cp.Sketch.Add(h)
		return
	}
	cp.Exact = append(cp.Exact, h)
	if len(cp.Exact) > 2*p.bound() {
		p.compact(cp)
	}
}

// compact sorts and dedupes the exact set, moving it into the sketch when
// it holds more than the bound.
func (p Profiler) compact(cp *ColumnPartial) {
	if cp.Overflow {
		return
	}
	slices.Sort(cp.Exact)
	cp.Exact = slices.Compact(cp.Exact)
	if len(cp.Exact) > p.bound() {
		for _, h := range cp.Exact {
			cp.Sketch.Add(h)
		}
		cp.Exact, cp.Overflow = nil, true
	}
}

func (cp *ColumnPartial) addNumber(v float64) {
	if math.IsNaN(v) {
		cp.NaNs++
		return
	}
	if math.IsInf(v, 0) {
		// Kept out of the moments (Welford's update turns ∞ − ∞ into
		// NaN); Finish makes the mean ±Inf and the deviation NaN.
		if v > 0 {
			cp.PosInf++
		} else {
			cp.NegInf++
		}
		cp.Min = math.Min(cp.Min, v)
		cp.Max = math.Max(cp.Max, v)
		return
	}
	cp.N++
	d := v - cp.Mean
	cp.Mean += d / cp.N
	cp.M2 += d * (v - cp.Mean)
	cp.Min = math.Min(cp.Min, v)
	cp.Max = math.Max(cp.Max, v)
}

// Merge implements engine.Aggregator.
func (p Profiler) Merge(a, b *Partial) (*Partial, error) {
	if a.Columns == nil {
		a.Columns = b.Columns
		b.Columns = nil
	} else if b.Columns != nil {
		if len(a.Columns) != len(b.Columns) {
			return nil, fmt.Errorf("profile: merging partials of %d and %d columns", len(a.Columns), len(b.Columns))
		}
		for j := range a.Columns {
			p.mergeColumn(&a.Columns[j], &b.Columns[j])
		}
	}
	a.Rows += b.Rows
	for k, v := range b.Labels {
		if a.Labels == nil {
			a.Labels = map[string]int64{}
		}
		a.Labels[k] += v
	}
	return a, nil
}

func (p Profiler) mergeColumn(x, y *ColumnPartial) {
	x.Nulls += y.Nulls
	x.NaNs += y.NaNs
	x.PosInf += y.PosInf
	x.NegInf += y.NegInf
	x.Exact = append(x.Exact, y.Exact...)
	if y.Overflow && !x.Overflow {
		x.Overflow = true
		for _, h := range x.Exact {
			x.Sketch.Add(h)
		}
		x.Exact = nil
	}
	if x.Overflow {
		x.Sketch.Merge(y.Sketch)
		for _, h := range x.Exact {
			x.Sketch.Add(h)
		}
		x.Exact = nil
	} else {
		p.compact(x)
	}
	if y.N > 0 {
		n := x.N + y.N
		d := y.Mean - x.Mean
		x.Mean += d * y.N / n
		x.M2 += y.M2 + d*d*x.N*y.N/n
		x.N = n
	}
	if y.N > 0 || y.PosInf > 0 || y.NegInf > 0 {
		x.Min = math.Min(x.Min, y.Min)
		x.Max = math.Max(x.Max, y.Max)
	}
}

// Profile is the finished report.
type Profile struct {
	Rows    int64           `json:"rows"`
	Columns []ColumnProfile `json:"columns"`
	// Label and Classes are set when a label column was named; Classes
	// are sorted by count, largest first, then by name.
	Label   string       `json:"label,omitempty"`
	Classes []ClassCount `json:"classes,omitempty"`
}

// ColumnProfile is one column's line of the report.
type ColumnProfile struct {
	Name        string  `json:"name"`
	Type        string  `json:"type"`
	Nulls       int64   `json:"nulls"`
	NullPercent float64 `json:"null_percent"`
	Distinct    int64   `json:"distinct"`
	Approximate bool    `json:"distinct_approximate"`
	// Min, Max, Mean and StdDev are set for numeric columns; in JSON a
	// non-finite value is "NaN", "Infinity" or "-Infinity" (package
	// jsonnum).
	Min    *jsonnum.Float `json:"min,omitempty"`
	Max    *jsonnum.Float `json:"max,omitempty"`
	Mean   *jsonnum.Float `json:"mean,omitempty"`
	StdDev *jsonnum.Float `json:"stddev,omitempty"`
	NaNs   int64          `json:"nans,omitempty"`
}

// ClassCount is one label value and its row count.
type ClassCount struct {
	Class   string  `json:"class"`
	Count   int64   `json:"count"`
	Percent float64 `json:"percent"`
}

// Run profiles ds on engine e.
func Run(ctx context.Context, e engine.Engine, ds engine.Dataset, k Profiler) (*Profile, error) {
	if k.Label != "" && ds.Schema().Index(k.Label) < 0 {
		return nil, fmt.Errorf("label column %q does not exist (columns: %s)", k.Label, strings.Join(ds.Schema().Names(), ", "))
	}
	part, err := engine.Aggregate(ctx, e, ds, k)
	if err != nil {
		return nil, err
	}
	return Finish(ds.Schema(), part, k.Label), nil
}

// Finish turns a merged partial into the report.
func Finish(schema *table.Schema, p *Partial, label string) *Profile {
	out := &Profile{Rows: p.Rows, Label: label}
	for j, f := range schema.Fields {
		cp := ColumnPartial{}
		if j < len(p.Columns) {
			cp = p.Columns[j]
		}
		c := ColumnProfile{Name: f.Name, Type: f.Type.String(), Nulls: cp.Nulls, NaNs: cp.NaNs}
		if p.Rows > 0 {
			c.NullPercent = 100 * float64(cp.Nulls) / float64(p.Rows)
		}
		if cp.Overflow {
			c.Distinct, c.Approximate = cp.Sketch.Estimate(), true
		} else {
			c.Distinct = int64(len(cp.Exact))
		}
		if inf := cp.PosInf + cp.NegInf; f.Type.IsNumeric() && (cp.N > 0 || inf > 0) {
			mn, mx, mean := jsonnum.Float(cp.Min), jsonnum.Float(cp.Max), jsonnum.Float(cp.Mean)
			switch {
			case cp.PosInf > 0 && cp.NegInf > 0:
				mean = jsonnum.Float(math.NaN())
			case cp.PosInf > 0:
				mean = jsonnum.Float(math.Inf(1))
			case cp.NegInf > 0:
				mean = jsonnum.Float(math.Inf(-1))
			}
			c.Min, c.Max, c.Mean = &mn, &mx, &mean
			if n := cp.N + float64(inf); n > 1 {
				sd := jsonnum.Float(math.Sqrt(cp.M2 / (cp.N - 1)))
				if inf > 0 {
					sd = jsonnum.Float(math.NaN())
				}
				c.StdDev = &sd
			}
		}
		out.Columns = append(out.Columns, c)
	}
	if label != "" {
		for k, v := range p.Labels {
			out.Classes = append(out.Classes, ClassCount{Class: k, Count: v, Percent: 100 * float64(v) / float64(max(p.Rows, 1))})
		}
		sort.Slice(out.Classes, func(i, j int) bool {
			a, b := out.Classes[i], out.Classes[j]
			if a.Count != b.Count {
				return a.Count > b.Count
			}
			return a.Class < b.Class
		})
	}
	return out
}
