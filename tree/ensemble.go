package tree

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/spindle-ml/spindle/linalg"
)

// Ensemble is a fitted tree model's state: one tree (a decision tree),
// a forest, or boosted trees.
type Ensemble struct {
	NumFeatures int
	// NumClasses is the number of classes of a classifier, 0 for a
	// regressor.
	NumClasses int
	Trees      []Tree
	// Boosted ensembles add TreeWeights[t]·(leaf value of tree t) to
	// margin t mod len(Base), starting from Base.
	Boosted     bool
	TreeWeights []float64
	Base        []float64
}

// Validate checks the ensemble's trees and arrays.
func (m *Ensemble) Validate() error {
	if m.NumFeatures < 1 || m.NumClasses < 0 || m.NumClasses == 1 || len(m.Trees) == 0 {
		return fmt.Errorf("%d features, %d classes, %d trees", m.NumFeatures, m.NumClasses, len(m.Trees))
	}
	classes := m.NumClasses
	if m.Boosted {
		classes = 0
		if len(m.TreeWeights) != len(m.Trees) || len(m.Base) == 0 || len(m.Trees)%len(m.Base) != 0 {
			return fmt.Errorf("%d trees, %d tree weights, %d margins", len(m.Trees), len(m.TreeWeights), len(m.Base))
		}
		for _, v := range append(append([]float64(nil), m.TreeWeights...), m.Base...) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("tree weight or base margin %v", v)
			}
		}
	}
	for t := range m.Trees {
		if err := m.Trees[t].Validate(m.NumFeatures, classes); err != nil {
			return fmt.Errorf("tree %d: %w", t, err)
		}
	}
	return nil
}

// NumTrees returns the number of trees.
func (m *Ensemble) NumTrees() int { return len(m.Trees) }

// TotalNumNodes returns the number of nodes of all trees.
func (m *Ensemble) TotalNumNodes() int {
	n := 0
	for t := range m.Trees {
		n += len(m.Trees[t].Nodes)
	}
	return n
}

// FeatureImportances returns Spark's feature importances: each split
// adds gain × the node's weight to its feature; a forest's or a single
// tree's importances are normalized per tree before they are summed,
// boosted trees' are not; the sum is normalized to 1.
func (m *Ensemble) FeatureImportances() []float64 {
	out := make([]float64, m.NumFeatures)
	for t := range m.Trees {
		m.Trees[t].Importances(out, !m.Boosted)
	}
	return Normalize(out)
}

// ClassRaw sets raw to a decision tree's or forest's raw prediction of x:
// the leaf's class weights for a single tree (Spark's rawPrediction of a
// DecisionTreeClassificationModel), the sum of the trees' leaf class
// distributions for a forest.
func (m *Ensemble) ClassRaw(x linalg.Vector, raw []float64) {
	clear(raw)
	if len(m.Trees) == 1 {
		copy(raw, m.Trees[0].Leaf(x).ClassWeights)
		return
	}
	for t := range m.Trees {
		cw := m.Trees[t].Leaf(x).ClassWeights
		var s float64
		for _, v := range cw {
			s += v
		}
		if s > 0 {
			for c, v := range cw {
				raw[c] += v / s
			}
		}
	}
}

// Mean returns a regression tree's or forest's prediction: the mean of
// the trees' leaf values.
func (m *Ensemble) Mean(x linalg.Vector) float64 {
	var s float64
	for t := range m.Trees {
		s += m.Trees[t].Leaf(x).Value
	}
	return s / float64(len(m.Trees))
}

// Margins sets out (of len(Base)) to a boosted ensemble's margins of x.
func (m *Ensemble) Margins(x linalg.Vector, out []float64) {
	copy(out, m.Base)
	k := len(m.Base)
	for t := range m.Trees {
		out[t%k] += m.TreeWeights[t] * m.Trees[t].Leaf(x).Value
	}
}

// TopFeatures is how many features Summary lists.
const TopFeatures = 10

// Summary implements ml.Summarizer: the number of trees and nodes, the
// deepest tree's depth, and the TopFeatures most important features
// (FeatureImportances) as [index, importance] pairs, most important
// first.
func (m *Ensemble) Summary() map[string]any {
	depth := 0
	for t := range m.Trees {
		depth = max(depth, m.Trees[t].Depth())
	}
	imp := m.FeatureImportances()
	idx := make([]int, len(imp))
	for j := range idx {
		idx[j] = j
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(imp[b], imp[a]) })
	var top [][2]float64
	for _, j := range idx[:min(TopFeatures, len(idx))] {
		if imp[j] > 0 {
			top = append(top, [2]float64{float64(j), imp[j]})
		}
	}
	return map[string]any{"numTrees": len(m.Trees), "totalNumNodes": m.TotalNumNodes(), "depth": depth, "topFeatures": top}
}
