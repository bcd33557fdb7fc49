package tuning

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/table"
)

func init() {
	engine.RegisterAggregator[map[int]map[float64]int64](classCounter{})
	engine.Register(&StratifiedFold{})
}

// classCounter counts each label value per partition (by partition index),
// so that a row's rank within its class in dataset order can be known in
// any partition.
type classCounter struct{ LabelCol string }

func (classCounter) KernelName() string { return "tuning.ClassCounts" }
func (classCounter) Zero() map[int]map[float64]int64 {
	return map[int]map[float64]int64{}
}

func (k classCounter) Fold(_ context.Context, info engine.PartitionInfo, acc map[int]map[float64]int64, b *table.Batch) (map[int]map[float64]int64, error) {
	labels, err := labelValues(b, k.LabelCol, info)
	if err != nil {
		return nil, err
	}
	m := acc[info.Index]
	if m == nil {
		m = map[float64]int64{}
		acc[info.Index] = m
	}
	for _, y := range labels {
		m[y]++
	}
	return acc, nil
}

func (classCounter) Merge(a, b map[int]map[float64]int64) (map[int]map[float64]int64, error) {
	for p, m := range b {
		if a[p] == nil {
			a[p] = map[float64]int64{}
		}
		for y, n := range m {
			a[p][y] += n
		}
	}
	return a, nil
}

func labelValues(b *table.Batch, col string, info engine.PartitionInfo) ([]float64, error) {
	c, err := b.ColumnByName(col)
	if err != nil {
		return nil, err
	}
	out := make([]float64, b.NumRows())
	for i := range out {
		if c.IsNull(i) {
			return nil, fmt.Errorf("CrossValidator: %s: null label in %q", engine.RowName(info, b, i), col)
		}
		switch c := c.(type) {
		case *table.Float64Column:
			out[i] = c.Values[i]
		case *table.Int64Column:
			out[i] = float64(c.Values[i])
		default:
			return nil, fmt.Errorf("CrossValidator: label column %q is %v, want a number", col, c.Type())
		}
	}
	return out, nil
}

// StratifiedFold keeps one side of a stratified k-fold split: within each
// class, rows are taken in dataset order in blocks of NumFolds, and each
// block deals its rows to the folds in a random order drawn from Seed,
// the class and the block. Every fold so gets each class's share to within
// one row, and the split does not depend on partitioning. Offsets holds,
// per partition index, the rows of each class in the partitions before it
// (from a classCounter pass over the same dataset).
type StratifiedFold struct {
	NumFolds, Fold int
	Seed           int64
	Train          bool
	LabelCol       string
	Offsets        map[int]map[float64]int64
}

// KernelName implements engine.Kernel.
func (*StratifiedFold) KernelName() string { return "tuning.StratifiedFold" }

// OutputSchema implements engine.Mapper.
func (f *StratifiedFold) OutputSchema(in *table.Schema) (*table.Schema, error) {
	if f.NumFolds < 2 || f.Fold < 0 || f.Fold >= f.NumFolds {
		return nil, fmt.Errorf("stratified fold: fold %d of %d folds", f.Fold, f.NumFolds)
	}
	if in.Index(f.LabelCol) < 0 {
		return nil, fmt.Errorf("CrossValidator: label column %q does not exist (columns: %v)", f.LabelCol, in.Names())
	}
	return in, nil
}

// MapPartition implements engine.Mapper.
func (f *StratifiedFold) MapPartition(_ context.Context, info engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	labels, err := labelValues(b, f.LabelCol, info)
	if err != nil {
		return nil, err
	}
	rank := map[float64]int64{}
	for y, n := range f.Offsets[info.Index] {
		rank[y] = n
	}
	k := int64(f.NumFolds)
	type deal struct {
		blk  int64
		perm []int
	}
	deals := map[float64]*deal{}
	var keep []int
	for i, y := range labels {
		r := rank[y]
		rank[y]++
		// The block's deal: a permutation of the folds seeded by
		// (seed, class, block).
		blk := r / k
		d := deals[y]
		if d == nil || d.blk != blk {
			rng := rand.New(rand.NewPCG(uint64(f.Seed)^math.Float64bits(y), uint64(blk)))
			d = &deal{blk, rng.Perm(f.NumFolds)}
			deals[y] = d
		}
		if (d.perm[r%k] == f.Fold) != f.Train {
			keep = append(keep, i)
		}
	}
	return b.Take(keep), nil
}

// stratifiedOffsets turns per-partition class counts into the ranks each
// partition starts at.
func stratifiedOffsets(counts map[int]map[float64]int64) map[int]map[float64]int64 {
	parts := make([]int, 0, len(counts))
	for p := range counts {
		parts = append(parts, p)
	}
	sort.Ints(parts)
	out := map[int]map[float64]int64{}
	run := map[float64]int64{}
	for _, p := range parts {
		o := map[float64]int64{}
		for y, n := range run {
			o[y] = n
		}
		out[p] = o
		for y, n := range counts[p] {
			run[y] += n
		}
	}
	return out
}
