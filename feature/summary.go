package feature

import (
	"context"
	"fmt"
	"math"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/internal/linmodel"
	"github.com/spindle-ml/spindle/table"
)

func init() {
	engine.RegisterAggregator[*VectorSummary](Summarizer{})
}

// Summarizer computes per-feature statistics of a vector column in one
// pass (Spark's MultivariateOnlineSummarizer): count, mean, M2 (sum of
// squared deviations), min, max, max |x| and non-zero counts. Null rows are
// skipped; a NaN value is an error, since every scaler would spread it.
type Summarizer struct {
	InputCol string
}

// VectorSummary is the Summarizer's partial and final result.
type VectorSummary struct {
	N                          int64
	Mean, M2, Min, Max, MaxAbs []float64
	NNZ                        []int64
}

// KernelName implements engine.Kernel.
func (Summarizer) KernelName() string { return "feature.Summarizer" }

// Zero implements engine.Aggregator.
func (Summarizer) Zero() *VectorSummary { return &VectorSummary{} }

func (s *VectorSummary) init(n int) {
	s.Mean, s.M2 = make([]float64, n), make([]float64, n)
	s.Min, s.Max, s.MaxAbs = make([]float64, n), make([]float64, n), make([]float64, n)
	s.NNZ = make([]int64, n)
	for j := range s.Min {
		s.Min[j], s.Max[j] = math.Inf(1), math.Inf(-1)
	}
}

// Size is the vector size summarized (0 before any row).
func (s *VectorSummary) Size() int { return len(s.Mean) }

// Variance returns the unbiased (n−1) variance of each feature.
func (s *VectorSummary) Variance() []float64 {
	v := make([]float64, len(s.M2))
	if s.N > 1 {
		for j, m2 := range s.M2 {
			v[j] = math.Max(m2/float64(s.N-1), 0)
		}
	}
	return v
}

// Fold implements engine.Aggregator. Within a partition it takes two
// passes (mean, then squared deviations), which is exact and stable; the
// partials then merge with Chan et al.'s update.
func (sm Summarizer) Fold(_ context.Context, info engine.PartitionInfo, acc *VectorSummary, b *table.Batch) (*VectorSummary, error) {
	col, err := b.ColumnByName(sm.InputCol)
	if err != nil {
		return nil, err
	}
	c, ok := col.(*table.VectorColumn)
	if !ok {
		return nil, fmt.Errorf("input column %q is %v, want vector", sm.InputCol, col.Type())
	}
	part := &VectorSummary{}
	var sums []float64
	for i, v := range c.Values {
		if !c.Valid.Valid(i) {
			continue
		}
		if part.Mean == nil {
			if err := linmodel.CheckFeatures("vector statistics", v.Size, 7); err != nil {
				return nil, err
			}
			part.init(v.Size)
			sums = make([]float64, v.Size)
		}
		if v.Size != part.Size() {
			return nil, fmt.Errorf("column %q, %s: vector of size %d, earlier rows have %d (vectors of mismatched size)", sm.InputCol, engine.RowName(info, b, i), v.Size, part.Size())
		}
		part.N++
		for k, x := range v.Values {
			j := k
			if v.IsSparse() {
				j = int(v.Indices[k])
			}
			if math.IsNaN(x) {
				return nil, fmt.Errorf("column %q, %s: NaN at index %d", sm.InputCol, engine.RowName(info, b, i), j)
			}
			sums[j] += x
			if x != 0 {
				part.NNZ[j]++
			}
			part.Min[j] = math.Min(part.Min[j], x)
			part.Max[j] = math.Max(part.Max[j], x)
			part.MaxAbs[j] = math.Max(part.MaxAbs[j], math.Abs(x))
		}
	}
	if part.N == 0 {
		return sm.Merge(acc, part)
	}
	n := float64(part.N)
	for j, s := range sums {
		part.Mean[j] = s / n
		if part.NNZ[j] < part.N { // implicit zeros of sparse rows
			part.Min[j] = math.Min(part.Min[j], 0)
			part.Max[j] = math.Max(part.Max[j], 0)
		}
	}
	seen := make([]int64, part.Size())
	for i, v := range c.Values {
		if !c.Valid.Valid(i) {
			continue
		}
		for k, x := range v.Values {
			j := k
			if v.IsSparse() {
				j = int(v.Indices[k])
			}
			d := x - part.Mean[j]
			part.M2[j] += d * d
			seen[j]++
		}
	}
	for j, m := range part.Mean {
		part.M2[j] += float64(part.N-seen[j]) * m * m // the implicit zeros
	}
	return sm.Merge(acc, part)
}

// Merge implements engine.Aggregator.
func (Summarizer) Merge(a, b *VectorSummary) (*VectorSummary, error) {
	if b.N == 0 {
		return a, nil
	}
	if a.N == 0 {
		return b, nil
	}
	if a.Size() != b.Size() {
		return nil, fmt.Errorf("vectors of mismatched size: %d and %d", a.Size(), b.Size())
	}
	na, nb := float64(a.N), float64(b.N)
	n := na + nb
	for j := range a.Mean {
		d := b.Mean[j] - a.Mean[j]
		a.Mean[j] += d * nb / n
		a.M2[j] += b.M2[j] + d*d*na*nb/n
		a.Min[j] = math.Min(a.Min[j], b.Min[j])
		a.Max[j] = math.Max(a.Max[j], b.Max[j])
		a.MaxAbs[j] = math.Max(a.MaxAbs[j], b.MaxAbs[j])
		a.NNZ[j] += b.NNZ[j]
	}
	a.N += b.N
	return a, nil
}

// summarize runs the Summarizer over ds and fails on an empty input.
func summarize(ctx context.Context, stage string, e engine.Engine, ds engine.Dataset, col string) (*VectorSummary, error) {
	s, err := engine.Aggregate(ctx, e, ds, Summarizer{InputCol: col})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", stage, err)
	}
	if s.N == 0 {
		return nil, fmt.Errorf("%s: no non-null rows in column %q to fit on", stage, col)
	}
	return s, nil
}
