package feature

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/table"
)

func init() {
	engine.RegisterAggregator[*RangeCounts](rangeCountKernel{})
}

// Exact quantiles through the engine, without pulling the column into one
// process: each pass counts the values of a numeric column that fall in
// a few value ranges, split into bins; the bins holding the wanted ranks
// become the next pass's ranges, until a range holds few enough values to
// collect outright. Ranks follow Spark's approxQuantile when its error is
// zero: the q-quantile of n values is the ⌈q·n⌉-th smallest (the smallest
// for q = 0). NaN and null values are skipped.
//
// Spark answers approximately (relativeError, default 0.001); exact
// answers are within any such error, so Spindle's stages accept the
// parameter and do better. A pass costs one read of the column; typical
// data needs 2 to 4 passes.

const (
	quantileBins    = 1 << 12
	quantileCollect = 1 << 16 // a range with at most this many values is collected
)

// binStep is one narrowing: the values whose bin in [Lo, Hi] is Bin.
type binStep struct {
	Lo, Hi float64
	Bin    int
}

// valueRange selects the values that took every step of Path (so a value
// belongs to exactly the bins it was counted in, whatever the rounding),
// and bins them over [Lo, Hi] or, with Collect, returns them.
type valueRange struct {
	Path    []binStep
	Lo, Hi  float64
	Collect bool
}

func binOf(lo, hi, x float64) int {
	if hi <= lo {
		return 0
	}
	b := int(float64(quantileBins) * (x - lo) / (hi - lo))
	return min(max(b, 0), quantileBins-1)
}

func (rg valueRange) member(x float64) bool {
	for _, s := range rg.Path {
		if binOf(s.Lo, s.Hi, x) != s.Bin {
			return false
		}
	}
	return true
}

// RangeCounts is the partial of one pass: per range, bin counts or the
// values themselves; plus the total count, min and max.
type RangeCounts struct {
	N        int64
	Min, Max float64
	Bins     [][]int64
	Values   [][]float64
}

type rangeCountKernel struct {
	Col    string
	Ranges []valueRange
	// Missing is a value to skip besides NaN (NaN: none).
	Missing float64
}

func (rangeCountKernel) KernelName() string { return "feature.RangeCounts" }

func (k rangeCountKernel) Zero() *RangeCounts {
	r := &RangeCounts{Min: math.Inf(1), Max: math.Inf(-1), Bins: make([][]int64, len(k.Ranges)), Values: make([][]float64, len(k.Ranges))}
	for i, rg := range k.Ranges {
		if !rg.Collect {
			r.Bins[i] = make([]int64, quantileBins)
		}
	}
	return r
}

func (k rangeCountKernel) Fold(_ context.Context, _ engine.PartitionInfo, acc *RangeCounts, b *table.Batch) (*RangeCounts, error) {
	col, err := b.ColumnByName(k.Col)
	if err != nil {
		return nil, err
	}
	each := func(x float64) {
		if isMissing(x, k.Missing) {
			return
		}
		acc.N++
		acc.Min, acc.Max = math.Min(acc.Min, x), math.Max(acc.Max, x)
		for i, rg := range k.Ranges {
			if !rg.member(x) {
				continue
			}
			if rg.Collect {
				acc.Values[i] = append(acc.Values[i], x)
			} else {
				acc.Bins[i][binOf(rg.Lo, rg.Hi, x)]++
			}
		}
	}
	switch c := col.(type) {
	case *table.Float64Column:
		for i, x := range c.Values {
			if c.Valid.Valid(i) {
				each(x)
			}
		}
	case *table.Int64Column:
		for i, x := range c.Values {
			if c.Valid.Valid(i) {
				each(float64(x))
			}
		}
	default:
		return nil, fmt.Errorf("column %q is %v, want a numeric column", k.Col, col.Type())
	}
	return acc, nil
}

func (rangeCountKernel) Merge(a, b *RangeCounts) (*RangeCounts, error) {
	a.N += b.N
	a.Min, a.Max = math.Min(a.Min, b.Min), math.Max(a.Max, b.Max)
	for i := range a.Bins {
		for j, n := range b.Bins[i] {
			a.Bins[i][j] += n
		}
		a.Values[i] = append(a.Values[i], b.Values[i]...)
	}
	return a, nil
}

// Quantiles returns the exact qs-quantiles (each in [0, 1]) of the
// non-null, non-NaN values of a numeric column, and their count. With no
// such values it returns an error.
func Quantiles(ctx context.Context, e engine.Engine, ds engine.Dataset, col string, qs []float64) ([]float64, int64, error) {
	return quantiles(ctx, e, ds, col, qs, math.NaN())
}

// quantiles is Quantiles skipping values equal to missing too.
func quantiles(ctx context.Context, e engine.Engine, ds engine.Dataset, col string, qs []float64, missing float64) ([]float64, int64, error) {
	for _, q := range qs {
		if q < 0 || q > 1 || math.IsNaN(q) {
			return nil, 0, fmt.Errorf("quantile %v is outside [0, 1]", q)
		}
	}
	first, err := engine.Aggregate(ctx, e, ds, rangeCountKernel{Col: col, Missing: missing})
	if err != nil {
		return nil, 0, err
	}
	n := first.N
	if n == 0 {
		return nil, 0, fmt.Errorf("column %q has no non-null, non-NaN values", col)
	}
	// target[i] is the 1-based rank wanted; each search narrows a range
	// [lo, hi] knowing how many values lie below lo.
	type search struct {
		rank  int64
		rg    valueRange
		below int64
		done  bool
		value float64
	}
	ss := make([]search, len(qs))
	for i, q := range qs {
		r := int64(math.Ceil(q * float64(n)))
		r = min(max(r, 1), n)
		ss[i] = search{rank: r, rg: valueRange{Lo: first.Min, Hi: first.Max, Collect: n <= quantileCollect}}
		if first.Min == first.Max {
			ss[i].done, ss[i].value = true, first.Min
		}
	}
	for pass := 0; pass < 64; pass++ {
		var ranges []valueRange
		var owners []int
		for i := range ss {
			if !ss[i].done {
				ranges = append(ranges, ss[i].rg)
				owners = append(owners, i)
			}
		}
		if len(ranges) == 0 {
			break
		}
		res, err := engine.Aggregate(ctx, e, ds, rangeCountKernel{Col: col, Ranges: ranges, Missing: missing})
		if err != nil {
			return nil, 0, err
		}
		for k, i := range owners {
			s := &ss[i]
			if s.rg.Collect {
				vals := res.Values[k]
				sort.Float64s(vals)
				idx := s.rank - s.below - 1
				if idx < 0 || idx >= int64(len(vals)) {
					return nil, 0, fmt.Errorf("quantile search lost rank %d (the data changed between passes?)", s.rank)
				}
				s.done, s.value = true, vals[idx]
				continue
			}
			bins := res.Bins[k]
			cum := s.below
			for j, c := range bins {
				if cum+c < s.rank {
					cum += c
					continue
				}
				w := (s.rg.Hi - s.rg.Lo) / quantileBins
				lo, hi := s.rg.Lo+float64(j)*w, s.rg.Lo+float64(j+1)*w
				path := append(append([]binStep(nil), s.rg.Path...), binStep{Lo: s.rg.Lo, Hi: s.rg.Hi, Bin: j})
				switch {
				case c <= quantileCollect:
					s.rg = valueRange{Path: path, Collect: true}
				case !(lo < hi) || lo == s.rg.Lo && hi == s.rg.Hi:
					// Floating-point width is exhausted: the bin's many
					// values are equal to within one ulp.
					s.done, s.value = true, lo
				default:
					s.rg = valueRange{Path: path, Lo: lo, Hi: hi}
				}
				s.below = cum
				break
			}
		}
	}
	out := make([]float64, len(ss))
	for i, s := range ss {
		if !s.done {
			return nil, 0, fmt.Errorf("quantile search did not converge for column %q", col)
		}
		out[i] = s.value
	}
	return out, n, nil
}
