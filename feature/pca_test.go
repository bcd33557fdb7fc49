package feature

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/internal/approx"
	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

// TestPCAGolden compares with numpy's SVD of the centred rows
// (testdata/golden/pca.py): explained variance to 1e-12, components up to
// sign to 1e-9, stored as one dense block, as sparse rows and in small
// partitions; and the projection is pcᵀ·x.
func TestPCAGolden(t *testing.T) {
	data, err := os.ReadFile("testdata/golden/pca.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		X                 [][]float64
		K                 int
		ExplainedVariance []float64
		Components        [][]float64
	}
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	approx.Cases(t, "pca golden file", len(g.Components))
	for _, c := range []struct {
		name   string
		per    int
		sparse bool
		shift  float64
	}{{"block", 300, false, 0}, {"sparse", 64, true, 0}, {"partitions of 7", 7, false, 0}, {"1e6 from the origin", 64, false, 1e6}} {
		t.Run(c.name, func(t *testing.T) {
			e := &local.Engine{}
			x := g.X
			if c.shift != 0 {
				// The covariance does not move with the data (to the
				// shift's rounding of the values, 1e-10).
				x = make([][]float64, len(g.X))
				for i, r := range g.X {
					x[i] = make([]float64, len(r))
					for j, v := range r {
						x[i][j] = v + c.shift
					}
				}
			}
			tb := tabletest.Labeled(t, x, make([]float64, len(x)), c.per, c.sparse)
			ds := tabletest.Dataset(t, e, tb)
			m, err := (&PCA{InputCol: "features", OutputCol: "pca", K: g.K}).Fit(context.Background(), e, ds)
			if err != nil {
				t.Fatal(err)
			}
			pm := m.(*PCAModel)
			tol := 1e-12
			if c.shift != 0 {
				tol = 1e-8
			}
			approx.Floats(t, "explained variance", pm.ExplainedVariance, g.ExplainedVariance, tol)
			for k, want := range g.Components {
				got := make([]float64, len(want))
				for j := range got {
					got[j] = pm.PC[j*g.K+k]
				}
				if linalg.Dot(linalg.Dense(got), want) < 0 {
					for j := range got {
						got[j] = -got[j]
					}
				}
				approx.Floats(t, "component", got, want, 1e-9)
			}
			out, err := ml.Transform(context.Background(), e, ds, m)
			if err != nil {
				t.Fatal(err)
			}
			res, err := e.Collect(context.Background(), out)
			if err != nil {
				t.Fatal(err)
			}
			row := res.Rows()[5]
			y := row[res.Schema().Index("pca")].(linalg.Vector)
			for k := range g.K {
				var want float64
				for j, v := range x[5] {
					want += pm.PC[j*g.K+k] * v
				}
				if math.Abs(y.Values[k]-want) > 1e-9*math.Abs(want) {
					t.Fatalf("row 5 projection %d: %v, want %v", k, y.Values[k], want)
				}
			}
		})
	}
}

// TestPCABadInput: k above the features, k unset, non-finite values.
func TestPCABadInput(t *testing.T) {
	e := &local.Engine{}
	ds := func(x ...[]float64) *table.Table { return tabletest.Labeled(t, x, make([]float64, len(x)), 2, false) }
	for _, c := range []struct {
		pca  PCA
		tb   *table.Table
		want string
	}{
		{PCA{InputCol: "features", OutputCol: "o", K: 3}, ds([]float64{1, 2}, []float64{3, 5}), "k is 3, above the 2 features"},
		{PCA{InputCol: "features", OutputCol: "o"}, ds([]float64{1, 2}, []float64{3, 5}), "k is required"},
		{PCA{InputCol: "features", OutputCol: "o", K: 1}, ds([]float64{1, 2}, []float64{3, math.Inf(1)}), "row 2: feature 1 is +Inf"},
		{PCA{InputCol: "features", OutputCol: "o", K: 1}, ds([]float64{1, 2}), "at least 2"},
		{PCA{InputCol: "features", OutputCol: "o", K: 1}, ds([]float64{}, []float64{}), "vectors of size 0"},
	} {
		_, err := c.pca.Fit(context.Background(), e, tabletest.Dataset(t, e, c.tb))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one containing %q", err, c.want)
		}
	}
}
