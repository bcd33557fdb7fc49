package tree

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/internal/linmodel"
	"github.com/spindle-ml/spindle/table"
)

func init() {
	engine.RegisterAggregator[*Sample](sampleKernel{})
	engine.Register(Binner{})
}

// The columns of a binned dataset.
const (
	BinsCol   = "__bins"
	LabelCol  = "__label"
	WeightCol = "__weight"
	ValidCol  = "__validation"
)

// Input names the columns a tree learner reads.
type Input struct {
	FeaturesCol, LabelCol, WeightCol string
	// ValidationCol, if set, is a boolean column: true marks a row of the
	// validation set (GBT's validationIndicatorCol).
	ValidationCol string
	// Classes, when > 0, requires labels to be class indexes 0 … Classes−1
	// (−1: any class index, counted by the sample).
	Classes int
	// Categories are the categorical features (feature → number of
	// categories; CategoricalFeatures reads them from the schema).
	Categories map[int]int
}

// CategoricalFeatures returns the categorical features of the vector
// column features (table.Field.Categories, as VectorIndexer marks them),
// failing — before any pass — when one has more categories than maxBins
// (a category is a bin).
func CategoricalFeatures(stage string, s *table.Schema, features string, maxBins int) (map[int]int, error) {
	i := s.Index(features)
	if i < 0 {
		return nil, nil
	}
	cats, err := table.ParseCategories(s.Fields[i].Categories)
	if err != nil {
		return nil, fmt.Errorf("%s: column %q: %w", stage, features, err)
	}
	worst, arity := -1, 0
	for j, k := range cats {
		if k > maxBins && (k > arity || k == arity && j < worst) {
			worst, arity = j, k
		}
	}
	if worst >= 0 {
		return nil, fmt.Errorf("%s: categorical feature %d of column %q has %d categories, more than maxBins (%d): each category is a bin; raise maxBins (up to %d) or lower VectorIndexer's maxCategories", stage, worst, features, arity, maxBins, MaxBins)
	}
	return cats, nil
}

// SampleSize is the number of rows split thresholds are computed from,
// Spark's: max(maxBins², 10000).
func SampleSize(maxBins int) int { return max(maxBins*maxBins, 10000) }

// Sample is the sampling pass's result: row and weight totals, the label
// range, and the sampled rows (the Size rows of smallest Keys).
type Sample struct {
	NumFeatures int // −1 before any row
	Rows        int64
	WeightSum   float64
	LabelSum    float64 // weighted
	MaxLabel    float64
	Keys        []uint64
	Values      []float64 // len(Keys) rows of NumFeatures, row-major
	Weights     []float64
}

type sampleKernel struct {
	Input
	Size int
	Seed int64
}

func (sampleKernel) KernelName() string { return "tree.Sample" }
func (sampleKernel) Zero() *Sample      { return &Sample{NumFeatures: -1, MaxLabel: math.Inf(-1)} }

// rowKey is the row's sampling key: a hash of the seed and the row's
// position (SplitMix64 finalizer).
func rowKey(seed int64, pos int64) uint64 {
	x := uint64(seed)*0x9e3779b97f4a7c15 ^ uint64(pos)
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// labelOK reports whether y is a valid label for the learner.
func (in Input) labelOK(y float64) bool {
	return in.Classes == 0 || y >= 0 && y == math.Trunc(y) && y <= linmodel.MaxClass && (in.Classes < 0 || int(y) < in.Classes)
}

// checkLabel checks a label for a learner of classes classes.
func (in Input) checkLabel(row engine.Row, y float64) error {
	if !in.labelOK(y) {
		want := "a class index 0, 1, … (use StringIndexer)"
		if in.Classes > 0 {
			want = fmt.Sprintf("a class index 0 … %d", in.Classes-1)
		}
		return fmt.Errorf("%s: label %v in column %q is not %s", row, y, in.LabelCol, want)
	}
	return nil
}

// rows reads and checks a partition's rows: every feature finite (Spark
// refuses NaN too), labels and weights as linmodel checks them, labels
// class indexes for a classifier. It returns the features as a dense
// block when they are one, else nil, with the labels and weights (nil:
// all 1).
func (in Input) rows(info engine.PartitionInfo, b *table.Batch) (c *linmodel.Columns, x []float64, nf int, ys, ws []float64, err error) {
	c, err = linmodel.Read(b, in.FeaturesCol, in.LabelCol, in.WeightCol)
	if err != nil {
		return nil, nil, 0, nil, nil, err
	}
	ys, ws, err = c.Labels(info, in.labelOK, func(i int) (float64, float64, error) {
		_, y, w, err := c.Row(i, info)
		if err == nil {
			err = in.checkLabel(engine.Row{Info: info, Batch: b, I: i}, y)
		}
		return y, w, err
	})
	if err != nil {
		return nil, nil, 0, nil, nil, err
	}
	if blk, dim, ok := table.DenseBlock(c.Features); ok {
		x, nf = blk, dim
	}
	bad := func(i, j int, v float64) error {
		return fmt.Errorf("%s: feature %d is %v; tree learners need finite features (drop or impute the row first)", engine.Row{Info: info, Batch: b, I: i}, j, v)
	}
	if x != nil {
		for k, v := range x {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, nil, 0, nil, nil, bad(k/nf, k%nf, v)
			}
		}
		return c, x, nf, ys, ws, nil
	}
	for i, v := range c.Features.Values {
		for k, a := range v.Values {
			if math.IsNaN(a) || math.IsInf(a, 0) {
				j := k
				if v.Indices != nil {
					j = int(v.Indices[k])
				}
				return nil, nil, 0, nil, nil, bad(i, j, a)
			}
		}
	}
	return c, nil, 0, ys, ws, nil
}

func (k sampleKernel) Fold(_ context.Context, info engine.PartitionInfo, acc *Sample, b *table.Batch) (*Sample, error) {
	c, x, _, ys, ws, err := k.rows(info, b)
	if err != nil {
		return nil, err
	}
	n := b.NumRows()
	if n == 0 {
		return acc, nil
	}
	for i := range n {
		size := c.Features.Values[i].Size
		if acc.NumFeatures < 0 {
			acc.NumFeatures = size
		}
		if size != acc.NumFeatures {
			return nil, fmt.Errorf("%s: features of size %d, earlier rows have %d (vectors of mismatched size)", engine.Row{Info: info, Batch: b, I: i}, size, acc.NumFeatures)
		}
	}
	nf := acc.NumFeatures
	// Validation rows are checked but neither sampled nor counted: the
	// thresholds and totals are the training rows' (as Spark splits its
	// training set only).
	var valid []bool
	if k.ValidationCol != "" {
		vc, err := table.ColumnAs[*table.BoolColumn](b, k.ValidationCol)
		if err != nil {
			return nil, err
		}
		valid = vc.Values
	}
	type cand struct {
		key uint64
		i   int
	}
	cands := make([]cand, 0, n)
	for i := range n {
		if valid != nil && valid[i] {
			continue
		}
		cands = append(cands, cand{rowKey(k.Seed, info.RowOffset+int64(i)), i})
		w := 1.0
		if ws != nil {
			w = ws[i]
		}
		acc.Rows++
		acc.WeightSum += w
		acc.LabelSum += w * ys[i]
		acc.MaxLabel = max(acc.MaxLabel, ys[i])
	}
	slices.SortFunc(cands, func(a, b cand) int { return cmp.Compare(a.key, b.key) })
	cands = cands[:min(len(cands), k.Size)]
	part := &Sample{NumFeatures: nf, Keys: make([]uint64, len(cands)), Values: make([]float64, len(cands)*nf), Weights: make([]float64, len(cands))}
	for r, cd := range cands {
		part.Keys[r] = cd.key
		part.Weights[r] = 1
		if ws != nil {
			part.Weights[r] = ws[cd.i]
		}
		dst := part.Values[r*nf : (r+1)*nf]
		if x != nil {
			copy(dst, x[cd.i*nf:(cd.i+1)*nf])
		} else {
			linmodel.ForEach(c.Features.Values[cd.i], func(j int, v float64) { dst[j] = v })
		}
	}
	if len(acc.Keys) == 0 { // the first rows of this partial: no merge to copy
		part.Rows, part.WeightSum, part.LabelSum, part.MaxLabel = acc.Rows, acc.WeightSum, acc.LabelSum, acc.MaxLabel
		return part, nil
	}
	return k.mergeRows(acc, part), nil
}

// mergeRows keeps the Size rows of smallest keys of a and b in a.
func (k sampleKernel) mergeRows(a, b *Sample) *Sample {
	nf := max(a.NumFeatures, b.NumFeatures)
	out := &Sample{NumFeatures: nf, Rows: a.Rows, WeightSum: a.WeightSum, LabelSum: a.LabelSum, MaxLabel: a.MaxLabel}
	n := min(len(a.Keys)+len(b.Keys), k.Size)
	out.Keys = make([]uint64, 0, n)
	out.Weights = make([]float64, 0, n)
	out.Values = make([]float64, 0, n*max(nf, 0))
	i, j := 0, 0
	for len(out.Keys) < n {
		src, r := a, i
		if i == len(a.Keys) || (j < len(b.Keys) && b.Keys[j] < a.Keys[i]) {
			src, r = b, j
			j++
		} else {
			i++
		}
		out.Keys = append(out.Keys, src.Keys[r])
		out.Weights = append(out.Weights, src.Weights[r])
		out.Values = append(out.Values, src.Values[r*nf:(r+1)*nf]...)
	}
	return out
}

func (k sampleKernel) Merge(a, b *Sample) (*Sample, error) {
	switch {
	case b.NumFeatures < 0:
		return a, nil
	case a.NumFeatures < 0:
		return b, nil
	case a.NumFeatures != b.NumFeatures:
		return nil, fmt.Errorf("features of sizes %d and %d (vectors of mismatched size)", a.NumFeatures, b.NumFeatures)
	}
	out := k.mergeRows(a, b)
	out.Rows += b.Rows
	out.WeightSum += b.WeightSum
	out.LabelSum += b.LabelSum
	out.MaxLabel = max(out.MaxLabel, b.MaxLabel)
	return out, nil
}

// SampleRows runs the sampling pass: it checks every row and returns the
// sample split thresholds are computed from.
func SampleRows(ctx context.Context, e engine.Engine, ds engine.Dataset, in Input, maxBins int, seed int64) (*Sample, error) {
	s, err := engine.Aggregate(ctx, e, ds, sampleKernel{Input: in, Size: SampleSize(maxBins), Seed: seed})
	if err != nil {
		return nil, err
	}
	if s.NumFeatures < 0 || s.Rows == 0 {
		return nil, fmt.Errorf("no training rows")
	}
	if s.NumFeatures == 0 {
		return nil, fmt.Errorf("the features are empty vectors")
	}
	return s, nil
}

// Splits returns each feature's thresholds from the sample (Spark's
// findSplitsForContinuousFeature): with m distinct values, the m−1
// midpoints between consecutive ones when m ≤ maxBins; else walking the
// values in order with a target that grows by W/maxBins (W the sample's
// weight), a threshold goes between a value and the next whenever adding
// the next value's weight would take the running weight further from the
// target than it is. A constant feature has none (it is never split).
//
// The features in categorical (feature → categories) have none: their
// values are their bins.
func (s *Sample) Splits(maxBins int, categorical map[int]int) [][]float64 {
	nf := s.NumFeatures
	rows := len(s.Keys)
	out := make([][]float64, nf)
	// unit: every weight is 1 (unweighted data), so a feature's values
	// sort alone, several times faster than value-weight pairs.
	unit := true
	for _, w := range s.Weights {
		unit = unit && w == 1
	}
	type vw struct{ v, w float64 }
	// Features in parallel, each on its own: the result does not depend
	// on the number of workers.
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), nf) {
		wg.Go(func() {
			var col []vw
			var vs []float64
			for {
				j := int(next.Add(1) - 1)
				if j >= nf {
					return
				}
				if _, ok := categorical[j]; ok {
					continue
				}
				var vals, counts []float64
				add := func(v, w float64) {
					if w == 0 {
						return
					}
					if len(vals) > 0 && vals[len(vals)-1] == v {
						counts[len(counts)-1] += w
						return
					}
					vals = append(vals, v)
					counts = append(counts, w)
				}
				if unit {
					vs = vs[:0]
					for r := range rows {
						vs = append(vs, s.Values[r*nf+j])
					}
					slices.Sort(vs)
					for _, v := range vs {
						add(v, 1)
					}
				} else {
					col = col[:0]
					for r := range rows {
						col = append(col, vw{s.Values[r*nf+j], s.Weights[r]})
					}
					slices.SortFunc(col, func(a, b vw) int { return cmp.Compare(a.v, b.v) })
					for _, p := range col {
						add(p.v, p.w)
					}
				}
				out[j] = thresholds(vals, counts, maxBins-1)
			}
		})
	}
	wg.Wait()
	return out
}

// thresholds is Splits for one feature: vals its distinct values in
// order, counts their weights, at most numSplits thresholds.
func thresholds(vals, counts []float64, numSplits int) []float64 {
	possible := len(vals) - 1
	if possible <= 0 {
		return nil
	}
	mid := func(i int) float64 { return (vals[i-1] + vals[i]) / 2 }
	out := make([]float64, 0, min(possible, numSplits))
	if possible <= numSplits {
		for i := 1; i <= possible; i++ {
			out = append(out, mid(i))
		}
		return out
	}
	var total float64
	for _, c := range counts {
		total += c
	}
	stride := total / float64(numSplits+1)
	cur, target := counts[0], stride
	for i := 1; i < len(vals); i++ {
		prev := cur
		cur += counts[i]
		if math.Abs(prev-target) < math.Abs(cur-target) {
			out = append(out, mid(i))
			target += stride
		}
	}
	return out
}

// Binner maps a partition to its binned form: BinsCol (one byte per
// feature, the index of the value's bin: the number of the feature's
// thresholds below the value), LabelCol, WeightCol (when the input has
// weights) and ValidCol (when it has a validation indicator).
type Binner struct {
	Input
	Splits [][]float64
	// Arity is each feature's number of categories (0: continuous): a
	// categorical value is its own bin and must be a category index.
	Arity []int32
}

// KernelName implements engine.Kernel.
func (Binner) KernelName() string { return "tree.Binner" }

// OutputSchema implements engine.Mapper.
func (m Binner) OutputSchema(in *table.Schema) (*table.Schema, error) {
	fields := []table.Field{{Name: BinsCol, Type: table.Bins}, {Name: LabelCol, Type: table.Float64}}
	if m.WeightCol != "" {
		fields = append(fields, table.Field{Name: WeightCol, Type: table.Float64})
	}
	if m.ValidationCol != "" {
		i := in.Index(m.ValidationCol)
		if i < 0 || in.Fields[i].Type != table.Bool {
			return nil, fmt.Errorf("validation indicator column %q must be a bool column", m.ValidationCol)
		}
		fields = append(fields, table.Field{Name: ValidCol, Type: table.Bool})
	}
	return table.NewSchema(fields...)
}

// bin returns the bin of v among thresholds t: the number of thresholds
// below v (so v ≤ t[b] and v > t[b−1]).
func bin(t []float64, v float64) uint8 {
	// A branch-free lower bound: halve the range, moving its base past
	// thresholds below v. t < v is the sign bit of t − v (both finite,
	// and t − v is +0 when they are equal): an integer, where a float
	// comparison would be a branch the data makes unpredictable.
	n := len(t)
	if n == 0 {
		return 0
	}
	base := 0
	for n > 1 {
		half := n >> 1
		base += half * int(math.Float64bits(t[base+half-1]-v)>>63)
		n -= half
	}
	base += int(math.Float64bits(t[base]-v) >> 63)
	return uint8(base)
}

// MapPartition implements engine.Mapper.
func (m Binner) MapPartition(_ context.Context, info engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	out, err := m.OutputSchema(b.Schema())
	if err != nil {
		return nil, err
	}
	c, x, _, ys, ws, err := m.rows(info, b)
	if err != nil {
		return nil, err
	}
	n, nf := b.NumRows(), len(m.Splits)
	data := make([]uint8, n*nf)
	// binOf bins feature j's value v of row i.
	binOf := func(i, j int, v float64) (uint8, error) {
		if m.Arity == nil || m.Arity[j] == 0 {
			return bin(m.Splits[j], v), nil
		}
		if v < 0 || v != math.Trunc(v) || v >= float64(m.Arity[j]) {
			return 0, fmt.Errorf("%s: categorical feature %d is %v, not a category index 0 … %d (as VectorIndexer makes them)", engine.Row{Info: info, Batch: b, I: i}, j, v, m.Arity[j]-1)
		}
		return uint8(v), nil
	}
	if x != nil && len(x) == n*nf {
		// Feature by feature over chunks of rows: a feature's thresholds
		// stay in L1, the chunk in L2 (row by row, 28 features' thresholds
		// do not fit L1, and binning took 4× as long).
		const chunk = 256
		for lo := 0; lo < n; lo += chunk {
			hi := min(lo+chunk, n)
			for j, t := range m.Splits {
				if m.Arity != nil && m.Arity[j] > 0 {
					for i := lo; i < hi; i++ {
						if data[i*nf+j], err = binOf(i, j, x[i*nf+j]); err != nil {
							return nil, err
						}
					}
					continue
				}
				for i := lo; i < hi; i++ {
					data[i*nf+j] = bin(t, x[i*nf+j])
				}
			}
		}
	} else {
		zero := make([]uint8, nf)
		for j := range zero {
			zero[j], _ = binOf(0, j, 0) // 0 is category 0 of a categorical feature
		}
		for i := range n {
			v := c.Features.Values[i]
			if v.Size != nf {
				return nil, fmt.Errorf("%s: features of size %d, want %d", engine.Row{Info: info, Batch: b, I: i}, v.Size, nf)
			}
			dst := data[i*nf : (i+1)*nf]
			copy(dst, zero)
			var bad error
			linmodel.ForEach(v, func(j int, a float64) {
				if bad == nil {
					dst[j], bad = binOf(i, j, a)
				}
			})
			if bad != nil {
				return nil, bad
			}
		}
	}
	bins, err := table.NewBinsColumn(data, nf, nil)
	if err != nil {
		return nil, err
	}
	cols := []table.Column{bins, table.NewFloat64Column(ys, nil)}
	if m.WeightCol != "" {
		if ws == nil {
			ws = make([]float64, n)
			for i := range ws {
				ws[i] = 1
			}
		}
		cols = append(cols, table.NewFloat64Column(ws, nil))
	}
	if m.ValidationCol != "" {
		vc, err := table.ColumnAs[*table.BoolColumn](b, m.ValidationCol)
		if err != nil {
			return nil, err
		}
		for i := range n {
			if vc.IsNull(i) {
				return nil, fmt.Errorf("%s: null in validation indicator column %q", engine.Row{Info: info, Batch: b, I: i}, m.ValidationCol)
			}
		}
		cols = append(cols, table.NewBoolColumn(vc.Values, nil))
	}
	return table.NewBatch(out, cols)
}

// Binned is a training set after the sampling and binning passes.
type Binned struct {
	// Data is the persisted binned dataset (Binner's columns).
	Data engine.Dataset
	// Splits are each feature's thresholds; NumBins their counts + 1.
	Splits  [][]float64
	NumBins []int32
	// Arity is each feature's number of categories (0: continuous), nil
	// when none is categorical.
	Arity []int32
	// Totals of the sampling pass: rows, weight, weighted label sum, the
	// largest label.
	Rows                 int64
	WeightSum, LabelSum  float64
	MaxLabel             float64
	Weighted, Validation bool
}

// NumFeatures returns the number of features.
func (b *Binned) NumFeatures() int { return len(b.Splits) }

// Prepare runs the sampling pass and persists the binned dataset (the
// binning pass): two passes.
func Prepare(ctx context.Context, e engine.Engine, ds engine.Dataset, in Input, maxBins int, seed int64) (*Binned, error) {
	s, err := SampleRows(ctx, e, ds, in, maxBins, seed)
	if err != nil {
		return nil, err
	}
	splits := s.Splits(maxBins, in.Categories)
	nb := make([]int32, len(splits))
	var arity []int32
	for j, k := range in.Categories {
		if j >= len(splits) {
			return nil, fmt.Errorf("categorical feature %d of %d features", j, len(splits))
		}
		if arity == nil {
			arity = make([]int32, len(splits))
		}
		arity[j] = int32(k)
	}
	for f, t := range splits {
		nb[f] = int32(len(t) + 1)
		if arity != nil && arity[f] > 0 {
			nb[f] = arity[f]
		}
	}
	m, err := e.MapPartitions(ds, Binner{Input: in, Splits: splits, Arity: arity})
	if err != nil {
		return nil, err
	}
	data, err := e.Persist(ctx, m)
	if err != nil {
		return nil, err
	}
	return &Binned{Data: data, Splits: splits, NumBins: nb, Arity: arity, Rows: s.Rows, WeightSum: s.WeightSum, LabelSum: s.LabelSum,
		MaxLabel: s.MaxLabel, Weighted: in.WeightCol != "", Validation: in.ValidationCol != ""}, nil
}
