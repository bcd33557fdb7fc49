// Package tree grows decision trees by histograms on the engine contract:
// the shared machinery of Spindle's DecisionTree, RandomForest and
// gradient-boosted tree stages (packages classification and regression).
//
// Training runs in three steps, each a few engine passes:
//
//  1. One sampling pass (Sample): every row is checked (finite features,
//     valid labels and weights) and a deterministic sample of at most
//     max(maxBins², 10000) rows — the rows with the smallest hash of
//     (seed, row position), so the sample does not depend on partitioning
//     — gives each feature's split thresholds as Spark computes them
//     (Splits): the midpoints between consecutive distinct values when
//     there are at most maxBins of them, else maxBins−1 midpoints at equal
//     weighted-count strides.
//  2. One binning pass (Binner): every feature value becomes the one-byte
//     index of its bin (a table.BinsColumn), persisted with the label and
//     weight: the training set then takes one byte per feature value.
//  3. One aggregation pass per tree level (histKernel): each open node of
//     the level — of every tree grown together: a forest's trees, a
//     boosting round's class trees — gets a histogram of statistics per
//     feature bin (class weights, or weighted sums of the target and its
//     square, or gradient and hessian sums). Of two siblings only the
//     smaller is built; the other is its parent's histogram less the
//     sibling's (the subtraction trick). The driver scans the histograms
//     for each node's best split (Grow).
//
// Sums run in each partition's row order and partials merge in the
// engine's fixed tree, so a fit is bit-identical on every engine for the
// same partitioning. Random choices (bootstrap counts, subsampling,
// feature subsets) are functions of the seed and a row's position or a
// node's index, so they do not depend on partitioning; floating-point
// sums of different partitionings may differ in their last bits.
package tree

import (
	"fmt"
	"math"
	"slices"

	"github.com/spindle-ml/spindle/linalg"
)

// MaxBins is the most bins a feature may have: a bin index takes one byte.
const MaxBins = 256

// Node is one node of a tree. Nodes are stored in one slice, the root
// first; a leaf has Feature −1.
type Node struct {
	// Feature and Threshold are the split: a row goes left when its
	// feature value is ≤ Threshold. Bin is the same split over binned
	// values (left when the bin index is ≤ Bin).
	Feature   int
	Threshold float64
	Bin       uint8
	// Categorical marks a split of a categorical feature: a row goes left
	// when its value is one of LeftCategories (Spark's CategoricalSplit;
	// any other value, unseen ones included, goes right). Threshold and
	// Bin are then unused.
	Categorical    bool
	LeftCategories []int
	// Left and Right index the children in the tree's Nodes (−1 for a
	// leaf).
	Left, Right int32
	// Gain is the split's impurity decrease (Spark's gain); Impurity the
	// node's impurity (gini, entropy, variance; for Newton nodes −½G²/(H+λ)).
	Gain, Impurity float64
	// Count is the node's training rows (with bootstrap multiplicity),
	// Weight their weight sum.
	Count, Weight float64
	// Value is the node's prediction: the weighted mean target of a
	// regression node, the Newton step −G/(H+λ) of a boosting node, the
	// majority class of a classification node.
	Value float64
	// ClassWeights are a classification node's weight per class.
	ClassWeights []float64
}

// IsLeaf reports whether n has no children.
func (n *Node) IsLeaf() bool { return n.Left < 0 }

// Tree is one decision tree.
type Tree struct {
	Nodes []Node
}

// GoesLeft reports whether a row with value v of the node's feature goes
// to its left child.
func (n *Node) GoesLeft(v float64) bool {
	if !n.Categorical {
		return v <= n.Threshold
	}
	c := int(v)
	return float64(c) == v && slices.Contains(n.LeftCategories, c)
}

// Leaf returns the leaf x falls in.
func (t *Tree) Leaf(x linalg.Vector) *Node {
	n := &t.Nodes[0]
	for !n.IsLeaf() {
		if n.GoesLeft(x.At(n.Feature)) {
			n = &t.Nodes[n.Left]
		} else {
			n = &t.Nodes[n.Right]
		}
	}
	return n
}

// Depth returns the tree's depth (0 for a single leaf).
func (t *Tree) Depth() int {
	var depth func(i int32) int
	depth = func(i int32) int {
		n := &t.Nodes[i]
		if n.IsLeaf() {
			return 0
		}
		return 1 + max(depth(n.Left), depth(n.Right))
	}
	return depth(0)
}

// Validate checks the tree's structure: children inside the slice, each
// node reached once from the root (no cycles), features below
// numFeatures, numClasses weights per classification node (0: none), and
// finite values.
func (t *Tree) Validate(numFeatures, numClasses int) error {
	if len(t.Nodes) == 0 {
		return fmt.Errorf("tree has no nodes")
	}
	seen := make([]bool, len(t.Nodes))
	stack := []int32{0}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[i] {
			return fmt.Errorf("node %d is reached twice", i)
		}
		seen[i] = true
		n := &t.Nodes[i]
		if numClasses > 0 && len(n.ClassWeights) != numClasses {
			return fmt.Errorf("node %d has %d class weights, want %d", i, len(n.ClassWeights), numClasses)
		}
		if math.IsNaN(n.Value) || math.IsInf(n.Value, 0) {
			return fmt.Errorf("node %d has value %v", i, n.Value)
		}
		if n.IsLeaf() {
			if n.Right >= 0 || n.Feature != -1 {
				return fmt.Errorf("leaf %d has a right child or a feature", i)
			}
			continue
		}
		if n.Feature < 0 || n.Feature >= numFeatures {
			return fmt.Errorf("node %d splits feature %d of %d", i, n.Feature, numFeatures)
		}
		if math.IsNaN(n.Threshold) {
			return fmt.Errorf("node %d has threshold NaN", i)
		}
		if n.Categorical {
			if len(n.LeftCategories) == 0 {
				return fmt.Errorf("node %d splits categorical feature %d with no category going left", i, n.Feature)
			}
			for _, c := range n.LeftCategories {
				if c < 0 || c >= MaxBins {
					return fmt.Errorf("node %d sends category %d left, outside [0, %d)", i, c, MaxBins)
				}
			}
		}
		for _, c := range []int32{n.Left, n.Right} {
			if c <= 0 || int(c) >= len(t.Nodes) {
				return fmt.Errorf("node %d has child %d of %d nodes", i, c, len(t.Nodes))
			}
			stack = append(stack, c)
		}
	}
	for i, s := range seen {
		if !s {
			return fmt.Errorf("node %d is not reached from the root", i)
		}
	}
	return nil
}

// Importances adds tree t's feature importances to out, Spark's
// definition: each split adds its gain times its node's weight to its
// feature; with normalize, the tree's importances are scaled to sum to 1
// first (Spark does for forests and single trees, not for boosting).
func (t *Tree) Importances(out []float64, normalize bool) {
	imp := make([]float64, len(out))
	var total float64
	for i := range t.Nodes {
		n := &t.Nodes[i]
		if !n.IsLeaf() {
			v := n.Gain * n.Weight
			imp[n.Feature] += v
			total += v
		}
	}
	for j, v := range imp {
		if normalize && total > 0 {
			v /= total
		}
		out[j] += v
	}
}

// Normalize scales v to sum to 1 (unchanged when its sum is 0).
func Normalize(v []float64) []float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	if s > 0 {
		for j := range v {
			v[j] /= s
		}
	}
	return v
}
