package tree_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/spindle-ml/spindle/internal/approx"

	"github.com/spindle-ml/spindle/classification"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/regression"
	"github.com/spindle-ml/spindle/tree"
)

type goldenNode struct {
	Feature   *int        `json:"feature"`
	Threshold float64     `json:"threshold"`
	Impurity  float64     `json:"impurity"`
	N         int         `json:"n"`
	Value     []float64   `json:"value"`
	Left      *goldenNode `json:"left"`
	Right     *goldenNode `json:"right"`
}

type goldenExact struct {
	Datasets map[string]struct {
		X [][]float64 `json:"X"`
		Y []float64   `json:"y"`
	} `json:"datasets"`
	Cases []struct {
		Dataset, Impurity string
		Depth             int
		Tree              *goldenNode
		Importances       []float64
	} `json:"cases"`
}

// TestExactTrees: with maxBins covering every distinct value, Spindle's
// trees are scikit-learn's exact ones (testdata/exact.py): at every node
// the same rows, the same impurity and value, and a split that sends the
// same rows left (scikit-learn's threshold is a midpoint of float32
// values, and it may pick another feature that splits the rows the same
// way on a tie; Spark and Spindle pick the lowest).
func TestExactTrees(t *testing.T) {
	data, err := os.ReadFile("testdata/exact.json")
	if err != nil {
		t.Fatal(err)
	}
	var g goldenExact
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	e := &local.Engine{}
	approx.Cases(t, "testdata/exact.json", len(g.Cases))
	for _, c := range g.Cases {
		t.Run(fmt.Sprintf("%s/%s/depth=%d", c.Dataset, c.Impurity, c.Depth), func(t *testing.T) {
			d := g.Datasets[c.Dataset]
			ds := tabletest.Dataset(t, e, tabletest.Labeled(t, d.X, d.Y, 37, false))
			p := tree.Params{MaxBins: 256, MaxDepth: &c.Depth}
			var ens *tree.Ensemble
			if c.Impurity == "variance" {
				m, err := (&regression.DecisionTreeRegressor{Params: p}).Fit(ctx, e, ds)
				if err != nil {
					t.Fatal(err)
				}
				ens = &m.(*regression.DecisionTreeRegressionModel).Ensemble
			} else {
				m, err := (&classification.DecisionTreeClassifier{Params: p, Impurity: c.Impurity}).Fit(ctx, e, ds)
				if err != nil {
					t.Fatal(err)
				}
				ens = &m.(*classification.DecisionTreeClassificationModel).Ensemble
			}
			tr := &ens.Trees[0]
			rows := make([]int, len(d.X))
			for i := range rows {
				rows[i] = i
			}
			cmp := &comparison{impurity: c.Impurity, y: d.Y}
			nodes := compareNode(t, cmp, "root", tr, 0, c.Tree, d.X, rows, c.Impurity == "variance")
			if nodes != len(tr.Nodes) {
				t.Errorf("compared %d nodes, the tree has %d", nodes, len(tr.Nodes))
			}
			t.Logf("%d nodes, %d ties (%d nodes under them not compared)", len(tr.Nodes), cmp.ties, cmp.skipped)
			// Without ties the trees are the same, and so are the
			// feature importances (the shallow cases have none).
			if c.Depth < 5 && cmp.ties > 0 {
				t.Errorf("%d ties in a case chosen to have none", cmp.ties)
			}
			if cmp.ties == 0 {
				approx.Floats(t, "feature importances (scikit-learn's)", ens.FeatureImportances(), c.Importances, 1e-9)
			}
			if cmp.skipped > len(tr.Nodes)/2 {
				t.Errorf("only %d of %d nodes compared", len(tr.Nodes)-cmp.skipped, len(tr.Nodes))
			}
		})
	}
}

// compareNode compares node i of tr with g over the rows that reach it,
// returning the number of nodes compared.
// comparison holds what compareNode needs besides the node.
type comparison struct {
	impurity string
	y        []float64
	ties     int
	skipped  int // nodes under ties
}

func compareNode(t *testing.T, c *comparison, path string, tr *tree.Tree, i int32, g *goldenNode, x [][]float64, rows []int, regress bool) int {
	t.Helper()
	n := &tr.Nodes[i]
	if int(n.Count) != g.N || len(rows) != g.N {
		t.Fatalf("%s: %v rows (%d reach it), scikit-learn %d", path, n.Count, len(rows), g.N)
	}
	approx.Float(t, path+": impurity (scikit-learn's)", n.Impurity, g.Impurity, 1e-9)
	if regress {
		approx.Float(t, path+": value (scikit-learn's)", n.Value, g.Value[0], 1e-9)
	} else if fmt.Sprint(n.ClassWeights) != fmt.Sprint(g.Value) {
		t.Errorf("%s: class weights %v, scikit-learn %v", path, n.ClassWeights, g.Value)
	}
	if (g.Feature == nil) != n.IsLeaf() {
		t.Fatalf("%s: leaf %v, scikit-learn leaf %v (split %+v gain %v)", path, n.IsLeaf(), g.Feature == nil, n.Feature, n.Gain)
	}
	if n.IsLeaf() {
		return 1
	}
	if n.Feature != *g.Feature {
		c.ties++ // another feature splitting the rows the same way
	}
	var left, right []int
	for _, r := range rows {
		ours := x[r][n.Feature] <= n.Threshold
		theirs := float64(float32(x[r][*g.Feature])) <= g.Threshold
		if ours != theirs {
			// A tie: scikit-learn draws the order it tries features in,
			// Spark and Spindle take the lowest feature. Both splits must
			// have the same gain; the subtrees then differ.
			og := gainOf(c.impurity, x, c.y, rows, n.Feature, n.Threshold, false)
			sg := gainOf(c.impurity, x, c.y, rows, *g.Feature, g.Threshold, true)
			if math.Abs(og-sg) <= 1e-12*math.Max(1, math.Abs(sg)) && math.Abs(og-n.Gain) <= 1e-9*math.Max(1, og) {
				c.ties++
				c.skipped += len(subtree(tr, i))
				return len(subtree(tr, i))
			}
			t.Fatalf("%s: row %d goes %v by feature %d ≤ %v, %v by scikit-learn's feature %d ≤ %v", path, r, ours, n.Feature, n.Threshold, theirs, *g.Feature, g.Threshold)
		}
		if ours {
			left = append(left, r)
		} else {
			right = append(right, r)
		}
	}
	return 1 + compareNode(t, c, path+"L", tr, n.Left, g.Left, x, left, regress) +
		compareNode(t, c, path+"R", tr, n.Right, g.Right, x, right, regress)
}

// subtree returns the nodes under node i, itself included.
func subtree(tr *tree.Tree, i int32) []int32 {
	out := []int32{i}
	if n := &tr.Nodes[i]; !n.IsLeaf() {
		out = append(out, subtree(tr, n.Left)...)
		out = append(out, subtree(tr, n.Right)...)
	}
	return out
}

// gainOf computes a split's gain over rows from scratch: the impurity of
// the rows less the children's, weighted by their shares (x as float32
// for scikit-learn's thresholds).
func gainOf(impurity string, x [][]float64, y []float64, rows []int, f int, thr float64, f32 bool) float64 {
	imp := func(rs []int) float64 {
		n := float64(len(rs))
		if impurity == "variance" {
			var s, s2 float64
			for _, r := range rs {
				s += y[r]
				s2 += y[r] * y[r]
			}
			return s2/n - (s/n)*(s/n)
		}
		cnt := map[float64]float64{}
		for _, r := range rs {
			cnt[y[r]]++
		}
		var v float64
		for _, k := range cnt {
			p := k / n
			if impurity == "entropy" {
				v -= p * math.Log2(p)
			} else {
				v += p * p
			}
		}
		if impurity == "entropy" {
			return v
		}
		return 1 - v
	}
	var l, r []int
	for _, i := range rows {
		v := x[i][f]
		if f32 {
			v = float64(float32(v))
		}
		if v <= thr {
			l = append(l, i)
		} else {
			r = append(r, i)
		}
	}
	n := float64(len(rows))
	return imp(rows) - float64(len(l))/n*imp(l) - float64(len(r))/n*imp(r)
}
