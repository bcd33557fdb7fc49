package tree

import (
	"context"
	"fmt"
	"math"
	"strconv"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/table"
)

func init() {
	engine.RegisterAggregator[*Hist](histKernel{})
}

// Kind is the statistic a tree's histograms hold per feature bin.
type Kind uint8

// The statistics, each a fixed number of float64s per bin; the first two
// are always the row count (with bootstrap multiplicity) and the weight.
const (
	// Classes: count, then the weight of each class (gini, entropy).
	Classes Kind = iota + 1
	// Variance: count, weight, Σw·y, Σw·y² (variance; y is the label or a
	// boosting target).
	Variance
	// Newton: count, weight, Σw·g, Σw·h (gradient and hessian of a
	// boosting loss).
	Newton
)

// width is the number of float64s per bin.
func (k Kind) width(classes int) int {
	if k == Classes {
		return 2 + classes
	}
	return 4
}

// Sampling draws a tree's rows: none (every row once), Poisson(Rate)
// counts (a bootstrap, as Spark's forests) or Bernoulli(Rate) (a sample
// without replacement, as Spark's boosting subsamples). A row's draw is a
// function of Seed and its position, so it does not depend on
// partitioning.
type Sampling struct {
	Method uint8 // 0 none, SamplePoisson, SampleBernoulli
	Rate   float64
	Seed   int64
}

// The sampling methods.
const (
	SamplePoisson   = 1
	SampleBernoulli = 2
)

// count returns how many times the row at pos is drawn.
func (s Sampling) count(pos int64) float64 {
	switch s.Method {
	case SamplePoisson:
		u := table.RowUniform(s.Seed, pos)
		p := math.Exp(-s.Rate)
		f := p
		k := 0.0
		for u > f && k < 1000 {
			k++
			p *= s.Rate / k
			f += p
		}
		return k
	case SampleBernoulli:
		if table.RowUniform(s.Seed, pos) < s.Rate {
			return 1
		}
		return 0
	}
	return 1
}

// Walker is a tree being grown, as the level kernel walks it over binned
// rows: a node with Left ≥ 0 sends a row left when its bin of Feature is
// ≤ Bin; a node without children is a leaf or a node open at this level,
// whose histogram goes to Slot (−1: none this pass).
type Walker struct {
	Feature     []int32
	Bin         []uint8
	Left, Right []int32
	Slot        []int32
	// Target is the boosting target this tree fits (the columns TargetCol
	// and HessCol of index Target), −1 for the label.
	Target   int
	Sampling Sampling
}

// slot returns the slot of the node row falls in.
func (w *Walker) slot(row []uint8) int32 {
	n := int32(0)
	for w.Left[n] >= 0 {
		if row[w.Feature[n]] <= w.Bin[n] {
			n = w.Left[n]
		} else {
			n = w.Right[n]
		}
	}
	return w.Slot[n]
}

// Slot is where one node's histogram lies in a pass's partial: at Offset,
// one run of bins per feature of Features (nil: every feature), in order.
type Slot struct {
	Features []int32
	Offset   int
}

// TargetCol and HessCol name boosting target k's columns: the target (a
// pseudo-residual, or a gradient) and the hessian.
func TargetCol(k int) string { return "__target" + strconv.Itoa(k) }

// HessCol names boosting target k's hessian column.
func HessCol(k int) string { return "__hess" + strconv.Itoa(k) }

// Hist is a level pass's partial: every slot's histogram, concatenated.
type Hist struct {
	Sums []float64
}

// histKernel builds the histograms of one tree level's open nodes.
type histKernel struct {
	Kind     Kind
	Classes  int
	Trees    []Walker
	Slots    []Slot
	NumBins  []int32
	Size     int
	Weighted bool
	// Validation skips the rows ValidCol marks.
	Validation bool
}

func (histKernel) KernelName() string { return "tree.Histograms" }
func (histKernel) Zero() *Hist        { return &Hist{} }

func (histKernel) Merge(a, b *Hist) (*Hist, error) {
	switch {
	case b.Sums == nil:
		return a, nil
	case a.Sums == nil:
		return b, nil
	case len(a.Sums) != len(b.Sums):
		return nil, fmt.Errorf("histograms of %d and %d values", len(a.Sums), len(b.Sums))
	}
	for i, v := range b.Sums {
		a.Sums[i] += v
	}
	return a, nil
}

// floats returns the float64 column name of b.
func floats(b *table.Batch, name string) ([]float64, error) {
	c, err := table.ColumnAs[*table.Float64Column](b, name)
	if err != nil {
		return nil, err
	}
	return c.Values, nil
}

func (k histKernel) Fold(ctx context.Context, info engine.PartitionInfo, acc *Hist, b *table.Batch) (*Hist, error) {
	bc, err := table.ColumnAs[*table.BinsColumn](b, BinsCol)
	if err != nil {
		return nil, err
	}
	n, nf := bc.Len(), bc.Width
	if nf != len(k.NumBins) {
		return nil, fmt.Errorf("binned rows of %d features, the trees have %d", nf, len(k.NumBins))
	}
	if n == 0 {
		return acc, nil
	}
	labels, err := floats(b, LabelCol)
	if err != nil {
		return nil, err
	}
	var weights []float64
	if k.Weighted {
		if weights, err = floats(b, WeightCol); err != nil {
			return nil, err
		}
	}
	var valid []bool
	if k.Validation {
		vc, err := table.ColumnAs[*table.BoolColumn](b, ValidCol)
		if err != nil {
			return nil, err
		}
		valid = vc.Values
	}
	if acc.Sums == nil {
		acc.Sums = make([]float64, k.Size)
	}
	S := k.Kind.width(k.Classes)
	// offs[f] is the position of feature f's first bin in an all-feature
	// slot, in bins.
	offs := make([]int32, nf+1)
	for f, nb := range k.NumBins {
		offs[f+1] = offs[f] + nb
	}
	slotOf := make([]int32, n)
	mult := make([]float64, n)
	order := make([]int32, n)
	var targets, hess []float64
	for t := range k.Trees {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		w := &k.Trees[t]
		lo, hi := int32(len(k.Slots)), int32(-1)
		for _, s := range w.Slot {
			if s >= 0 {
				lo, hi = min(lo, s), max(hi, s)
			}
		}
		if hi < 0 {
			continue
		}
		targets, hess = labels, nil
		if w.Target >= 0 {
			if targets, err = floats(b, TargetCol(w.Target)); err != nil {
				return nil, err
			}
			if k.Kind == Newton {
				if hess, err = floats(b, HessCol(w.Target)); err != nil {
					return nil, err
				}
			}
		}
		// Each row's slot and draw count, then the rows bucketed by slot
		// (a counting sort): a node's histogram is built in one run.
		counts := make([]int32, hi-lo+2)
		for i := range n {
			s := int32(-1)
			if valid == nil || !valid[i] {
				s = w.slot(bc.Data[i*nf : (i+1)*nf])
			}
			if s >= 0 {
				mult[i] = w.Sampling.count(info.RowOffset + int64(i))
				if mult[i] == 0 {
					s = -1
				}
			}
			slotOf[i] = s
			if s >= 0 {
				counts[s-lo+1]++
			}
		}
		for s := 1; s < len(counts); s++ {
			counts[s] += counts[s-1]
		}
		starts := append([]int32(nil), counts...)
		for i := range n {
			if s := slotOf[i]; s >= 0 {
				order[counts[s-lo]] = int32(i)
				counts[s-lo]++
			}
		}
		for s := lo; s <= hi; s++ {
			rows := order[starts[s-lo]:starts[s-lo+1]]
			if len(rows) == 0 {
				continue
			}
			sl := &k.Slots[s]
			// fo[fi] is the first bin of the fi-th feature of the slot.
			feats := sl.Features
			fo := offs
			if feats != nil {
				fo = make([]int32, len(feats))
				var o int32
				for fi, f := range feats {
					fo[fi] = o
					o += k.NumBins[f]
				}
			}
			h := acc.Sums[sl.Offset:]
			for _, i := range rows {
				row := bc.Data[int(i)*nf : (int(i)+1)*nf]
				m := mult[i]
				wt := m
				if weights != nil {
					wt *= weights[i]
				}
				switch k.Kind {
				case Classes:
					c := 2 + int(labels[i])
					if feats == nil {
						for f, bn := range row {
							p := int(fo[f]+int32(bn)) * S
							h[p] += m
							h[p+1] += wt
							h[p+c] += wt
						}
					} else {
						for fi, f := range feats {
							p := int(fo[fi]+int32(row[f])) * S
							h[p] += m
							h[p+1] += wt
							h[p+c] += wt
						}
					}
				case Variance:
					y := targets[i]
					a, a2 := wt*y, wt*y*y
					if feats == nil {
						for f, bn := range row {
							p := int(fo[f]+int32(bn)) * 4
							h[p] += m
							h[p+1] += wt
							h[p+2] += a
							h[p+3] += a2
						}
					} else {
						for fi, f := range feats {
							p := int(fo[fi]+int32(row[f])) * 4
							h[p] += m
							h[p+1] += wt
							h[p+2] += a
							h[p+3] += a2
						}
					}
				case Newton:
					g, hh := wt*targets[i], wt*hess[i]
					if feats == nil {
						for f, bn := range row {
							p := int(fo[f]+int32(bn)) * 4
							h[p] += m
							h[p+1] += wt
							h[p+2] += g
							h[p+3] += hh
						}
					} else {
						for fi, f := range feats {
							p := int(fo[fi]+int32(row[f])) * 4
							h[p] += m
							h[p+1] += wt
							h[p+2] += g
							h[p+3] += hh
						}
					}
				}
			}
		}
	}
	return acc, nil
}
