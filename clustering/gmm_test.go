package clustering

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

// TestGaussianMixtureGolden starts from scikit-learn's initial parameters
// (testdata/gmm.py) and ends where it does: the mean log-likelihood per
// row within 1e-6, weights and means within 1e-6, in one partition and in
// partitions of 7.
func TestGaussianMixtureGolden(t *testing.T) {
	data, err := os.ReadFile("testdata/gmm.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		X, Means0, Means [][]float64
		Covs0            [][][]float64
		Weights0         []float64
		Weights          []float64
		Score            float64
	}
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	approx.Cases(t, "gmm golden file", len(g.Means))
	init := &GaussianMixtureModel{K: 3, NumFeatures: 3, Weights: g.Weights0}
	for c := range 3 {
		init.Means = append(init.Means, g.Means0[c]...)
		for _, r := range g.Covs0[c] {
			init.Covariances = append(init.Covariances, r...)
		}
	}
	for _, per := range []int{360, 7} {
		e := &local.Engine{}
		ds := tabletest.Dataset(t, e, tabletest.Labeled(t, g.X, make([]float64, len(g.X)), per, false))
		gm := &GaussianMixture{K: 3, MaxIter: ml.Int(1000), Tol: ml.Float(1e-10), initial: init}
		m, err := gm.Fit(context.Background(), e, ds)
		if err != nil {
			t.Fatal(err)
		}
		gmm := m.(*GaussianMixtureModel)
		approx.Float(t, "mean log-likelihood", gmm.LogLikelihood/float64(len(g.X)), g.Score, 1e-6)
		t.Logf("partitions of %d: mean log-likelihood %.15g (scikit-learn %.15g, relative difference %.2g) after %d iterations",
			per, gmm.LogLikelihood/float64(len(g.X)), g.Score, approx.Rel(gmm.LogLikelihood/float64(len(g.X)), g.Score), gmm.NumIter)
		approx.Floats(t, "weights", gmm.Weights, g.Weights, 1e-6)
		var means []float64
		for _, r := range g.Means {
			means = append(means, r...)
		}
		approx.Floats(t, "means", gmm.Means, means, 1e-6)
		// The responsibilities sum to 1 and the prediction is the largest.
		out, err := ml.Transform(context.Background(), e, ds, m)
		if err != nil {
			t.Fatal(err)
		}
		tb, err := e.Collect(context.Background(), out)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range tb.Rows() {
			p := r[tb.Schema().Index("probability")].(linalg.Vector).Values
			var s float64
			for _, v := range p {
				s += v
			}
			pred := r[tb.Schema().Index("prediction")].(int64)
			if math.Abs(s-1) > 1e-12 || p[pred] < p[(pred+1)%3] || p[pred] < p[(pred+2)%3] {
				t.Fatalf("row %d: probability %v, prediction %d", i, p, pred)
			}
		}
	}
}

// TestGaussianMixtureRandomInit fits from the random initialization: the
// log-likelihood never falls from one iteration to the next (EM's
// guarantee), and on these well-separated blobs it ends at the reference
// optimum or above, to 1e-6.
func TestGaussianMixtureRandomInit(t *testing.T) {
	data, _ := os.ReadFile("testdata/gmm.json")
	var g struct {
		X     [][]float64
		Score float64
	}
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	e := &local.Engine{}
	ds := tabletest.Dataset(t, e, tabletest.Labeled(t, g.X, make([]float64, len(g.X)), 50, false))
	var hist []float64
	gm := &GaussianMixture{K: 3, Seed: 4, MaxIter: ml.Int(500), Tol: ml.Float(1e-10), Progress: func(_ int, loss float64) { hist = append(hist, -loss) }}
	m, err := gm.Fit(context.Background(), e, ds)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(hist); i++ {
		if hist[i] < hist[i-1]-1e-9*math.Abs(hist[i-1]) {
			t.Fatalf("the log-likelihood fell at iteration %d: %v", i+1, hist)
		}
	}
	if ll := m.(*GaussianMixtureModel).LogLikelihood / float64(len(g.X)); ll < g.Score-1e-6 {
		t.Errorf("mean log-likelihood %v below the reference optimum %v", ll, g.Score)
	}
}

// TestGaussianMixtureBadInput: a singular covariance, NaN, k below 2.
func TestGaussianMixtureBadInput(t *testing.T) {
	rows := func(x ...[]float64) *table.Table { return tabletest.Labeled(t, x, make([]float64, len(x)), 3, false) }
	var line [][]float64
	for i := range 20 {
		line = append(line, []float64{float64(i), 2 * float64(i)}) // collinear: every covariance singular
	}
	for _, c := range []struct {
		gm   GaussianMixture
		tb   *table.Table
		want string
	}{
		{GaussianMixture{K: 2}, rows(line...), "is singular"},
		{GaussianMixture{K: 2}, rows([]float64{1, 2}, []float64{math.NaN(), 1}, []float64{3, 1}), "row 2: feature 0 is NaN"},
		{GaussianMixture{K: 1}, rows([]float64{1, 2}, []float64{3, 1}), "k"},
	} {
		e := &local.Engine{}
		_, err := c.gm.Fit(context.Background(), e, tabletest.Dataset(t, e, c.tb))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one containing %q", err, c.want)
		}
	}
}
