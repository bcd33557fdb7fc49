package clustering

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/evaluation"
	"github.com/spindle-ml/spindle/internal/approx"
	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

// golden holds scikit-learn's figures (testdata/golden.py).
type golden struct {
	Features               [][]float64
	Weights                []float64
	Inertia                float64
	Labels                 []int
	WeightedInertia        float64
	WeightedLabels         []int
	SilhouetteSqEuclidean  float64
	SilhouetteCosine       float64
	Labels3                []int
	Silhouette3SqEuclidean float64
	Silhouette3Cosine      float64
}

func loadGolden(t *testing.T) golden {
	t.Helper()
	data, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Features) != 400 || len(g.Labels) != 400 {
		t.Fatalf("golden file: %d rows, %d labels", len(g.Features), len(g.Labels))
	}
	return g
}

func fit(t *testing.T, km *KMeans, tb *table.Table) (*KMeansModel, engine.Engine, engine.Dataset) {
	t.Helper()
	e := &local.Engine{}
	ds := tabletest.Dataset(t, e, tb)
	m, err := km.Fit(context.Background(), e, ds)
	if err != nil {
		t.Fatal(err)
	}
	return m.(*KMeansModel), e, ds
}

// predictions transforms ds and returns the cluster of each row.
func predictions(t *testing.T, m *KMeansModel, e engine.Engine, ds engine.Dataset) ([]int64, engine.Dataset) {
	t.Helper()
	ctx := context.Background()
	out, err := ml.Transform(ctx, e, ds, m)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := e.Collect(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, b := range tb.Partitions() {
		c, err := table.ColumnAs[*table.Int64Column](b, "prediction")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, c.Values...)
	}
	return got, out
}

// samePartition reports whether two labellings group the rows alike.
func samePartition(a []int64, b []int) error {
	ab, ba := map[int64]int{}, map[int]int64{}
	for i := range a {
		if x, ok := ab[a[i]]; ok && x != b[i] {
			return fmt.Errorf("row %d: cluster %d is %d and %d in the reference", i, a[i], x, b[i])
		}
		if y, ok := ba[b[i]]; ok && y != a[i] {
			return fmt.Errorf("row %d: reference cluster %d is %d and %d here", i, b[i], y, a[i])
		}
		ab[a[i]], ba[b[i]] = b[i], a[i]
	}
	return nil
}

// TestKMeansGolden compares with scikit-learn's best of ten k-means++
// runs on four blobs: the same partition and inertia (the optimum), for
// stored dense or sparse, in two partitionings,
// with and without weights.
func TestKMeansGolden(t *testing.T) {
	g := loadGolden(t)
	for _, c := range []struct {
		name     string
		km       KMeans
		per      int
		sparse   bool
		weighted bool
	}{
		{"k-means||", KMeans{K: 4}, 64, false, false},
		{"k-means||/7 rows a partition", KMeans{K: 4}, 7, false, false},
		{"k-means||/sparse", KMeans{K: 4}, 64, true, false},
		{"weighted", KMeans{K: 4, WeightCol: "label"}, 64, false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			km := c.km
			km.MaxIter, km.Tol = ml.Int(300), ml.Float(0)
			m, e, ds := fit(t, &km, tabletest.Labeled(t, g.Features, g.Weights, c.per, c.sparse))
			want, labels := g.Inertia, g.Labels
			if c.weighted {
				want, labels = g.WeightedInertia, g.WeightedLabels
			}
			approx.Float(t, "training cost against scikit-learn's inertia", m.TrainingCost, want, 1e-12)
			got, _ := predictions(t, m, e, ds)
			if err := samePartition(got, labels); err != nil {
				t.Error(err)
			}
			var sizes int64
			for _, s := range m.ClusterSizes {
				sizes += s
			}
			if m.K != 4 || sizes != 400 || m.NumIter < 1 {
				t.Errorf("k %d, cluster sizes %v, %d iterations", m.K, m.ClusterSizes, m.NumIter)
			}
		})
	}
}

// TestKMeansRandomInit: random initialization can end in a local optimum
// (here it does: two of its four draws fall in one blob), so the check is
// that the fit ran Lloyd's iterations to their fixed point — every center
// the mean of the rows nearest to it — at a cost not below the optimum.
func TestKMeansRandomInit(t *testing.T) {
	g := loadGolden(t)
	m, e, ds := fit(t, &KMeans{K: 4, InitMode: "random", Seed: 3, MaxIter: ml.Int(300), Tol: ml.Float(0)}, tabletest.Labeled(t, g.Features, g.Weights, 64, false))
	got, _ := predictions(t, m, e, ds)
	if m.NumIter >= 300 || m.TrainingCost < g.Inertia*(1-1e-12) {
		t.Fatalf("%d iterations, cost %v (optimum %v)", m.NumIter, m.TrainingCost, g.Inertia)
	}
	sums, counts := make([]float64, 4*6), make([]float64, 4)
	for i, x := range g.Features {
		c := got[i]
		counts[c]++
		for j, v := range x {
			sums[int(c)*6+j] += v
		}
	}
	for c := range 4 {
		for j := range 6 {
			sums[c*6+j] /= counts[c]
		}
	}
	approx.Floats(t, "centers against the means of their rows", m.ClusterCenters, sums, 1e-12)
}

// TestKMeansSameOnAnyPartitioning: the draws are keyed by row position,
// so the centers do not depend on how rows are split.
func TestKMeansSameOnAnyPartitioning(t *testing.T) {
	g := loadGolden(t)
	for _, init := range []string{"k-means||", "random"} {
		var first []float64
		for _, per := range []int{400, 64, 5} {
			// Few iterations, so that the centers still differ by draw.
			m, _, _ := fit(t, &KMeans{K: 6, InitMode: init, MaxIter: ml.Int(1), Seed: 11}, tabletest.Labeled(t, g.Features, g.Weights, per, false))
			if first == nil {
				first = m.ClusterCenters
				continue
			}
			approx.Floats(t, fmt.Sprintf("%s: centers with %d rows a partition", init, per), m.ClusterCenters, first, 1e-13)
		}
	}
}

// TestKMeansCosine checks the cosine fit against the definition: unit
// centers, each row predicted to its most similar center, and the cost
// Σ 1 − cos(x, c).
func TestKMeansCosine(t *testing.T) {
	g := loadGolden(t)
	m, e, ds := fit(t, &KMeans{K: 3, DistanceMeasure: "cosine", Seed: 5}, tabletest.Labeled(t, g.Features, g.Weights, 64, false))
	got, _ := predictions(t, m, e, ds)
	centers := m.Centers()
	var cost float64
	for i, x := range g.Features {
		xn := math.Sqrt(linalg.Dot(linalg.Dense(x), x))
		best, bd := -1, math.Inf(1)
		for c, ctr := range centers {
			if n := linalg.Dot(ctr, ctr.Values); math.Abs(n-1) > 1e-12 {
				t.Fatalf("center %d has squared length %v", c, n)
			}
			if d := 1 - linalg.Dot(linalg.Dense(x), ctr.Values)/xn; d < bd {
				best, bd = c, d
			}
		}
		if int64(best) != got[i] {
			t.Fatalf("row %d: predicted %d, nearest by cosine is %d", i, got[i], best)
		}
		cost += bd
	}
	approx.Float(t, "cosine training cost", m.TrainingCost, cost, 1e-12)
}

// TestKMeansFarFromOrigin: three blobs of spread 1 shifted by 1e9 in
// every feature, where ‖x‖² − 2x·c + ‖c‖² has lost every digit of the
// distances: each row is still predicted to its nearest center, measured
// term by term.
func TestKMeansFarFromOrigin(t *testing.T) {
	var x [][]float64
	for i := range 300 {
		c := float64(i % 3)
		x = append(x, []float64{1e9 + 5*c + math.Sin(float64(i)), 1e9 - 3*c + math.Cos(float64(i)), 1e9 + math.Sin(float64(3*i))})
	}
	m, e, ds := fit(t, &KMeans{K: 3, Seed: 1}, tabletest.Labeled(t, x, make([]float64, len(x)), 64, false))
	got, _ := predictions(t, m, e, ds)
	wrong := 0
	for i, r := range x {
		best, bd := -1, math.Inf(1)
		for c := range m.K {
			var s float64
			for j, v := range r {
				d := v - m.ClusterCenters[c*3+j]
				s += d * d
			}
			if s < bd {
				best, bd = c, s
			}
		}
		if int64(best) != got[i] {
			wrong++
		}
	}
	if wrong > 0 {
		t.Fatalf("%d of %d rows predicted to a center that is not their nearest", wrong, len(x))
	}
}

// TestSilhouetteGolden compares ClusteringEvaluator with scikit-learn's
// silhouette_score, for a k-means optimum and for a poor labelling of
// three clusters, by both distances.
func TestSilhouetteGolden(t *testing.T) {
	g := loadGolden(t)
	ctx := context.Background()
	e := &local.Engine{}
	for _, c := range []struct {
		labels         []int
		sqeucl, cosine float64
	}{
		{g.Labels, g.SilhouetteSqEuclidean, g.SilhouetteCosine},
		{g.Labels3, g.Silhouette3SqEuclidean, g.Silhouette3Cosine},
	} {
		vecs := make([]linalg.Vector, len(g.Features))
		pred := make([]int64, len(g.Features))
		for i, x := range g.Features {
			vecs[i], pred[i] = linalg.Dense(x), int64(c.labels[i])
		}
		tb := tabletest.Table(t, []table.Field{{Name: "features", Type: table.Vector}, {Name: "prediction", Type: table.Int64}},
			table.NewVectorColumn(vecs, nil), table.NewInt64Column(pred, nil))
		tb, err := tb.Repartition(37)
		if err != nil {
			t.Fatal(err)
		}
		ds := tabletest.Dataset(t, e, tb)
		for dm, want := range map[string]float64{"squaredEuclidean": c.sqeucl, "cosine": c.cosine} {
			got, err := (&evaluation.ClusteringEvaluator{DistanceMeasure: dm}).Evaluate(ctx, e, ds)
			if err != nil {
				t.Fatal(err)
			}
			approx.Float(t, "silhouette "+dm, got, want, 1e-12)
		}
		// Shifted by 1e6 in every feature the squared Euclidean silhouette
		// is the same (to the shift's rounding of the data, 1e-10).
		for i, x := range g.Features {
			v := make([]float64, len(x))
			for j := range x {
				v[j] = x[j] + 1e6
			}
			vecs[i] = linalg.Dense(v)
		}
		far := tabletest.Table(t, []table.Field{{Name: "features", Type: table.Vector}, {Name: "prediction", Type: table.Int64}},
			table.NewVectorColumn(vecs, nil), table.NewInt64Column(pred, nil))
		if far, err = far.Repartition(37); err != nil {
			t.Fatal(err)
		}
		got, err := (&evaluation.ClusteringEvaluator{}).Evaluate(ctx, e, tabletest.Dataset(t, e, far))
		if err != nil {
			t.Fatal(err)
		}
		approx.Float(t, "silhouette 1e6 from the origin", got, c.sqeucl, 1e-8)
	}
}

// TestKMeansBadInput: each mistake is one clear error naming the row and
// feature, or what to change.
func TestKMeansBadInput(t *testing.T) {
	rows := func(x ...[]float64) *table.Table {
		return tabletest.Labeled(t, x, make([]float64, len(x)), 2, false)
	}
	for _, c := range []struct {
		name string
		km   KMeans
		tb   *table.Table
		want string
	}{
		{"k above the distinct rows", KMeans{K: 3}, rows([]float64{1, 2}, []float64{1, 2}, []float64{3, 4}, []float64{1, 2}, []float64{3, 4}), "k is 3, but the data has only 2 distinct rows"},
		{"k above the distinct rows, random", KMeans{K: 3, InitMode: "random"}, rows([]float64{1, 2}, []float64{1, 2}, []float64{3, 4}), "only 2 distinct rows"},
		{"k above the distinct rows, sparse", KMeans{K: 3}, tabletest.Labeled(t, [][]float64{{0.1, 0, 0.3}, {0, 0.7, 0}, {0.1, 0, 0.3}, {0, 0.7, 0}, {0.1, 0, 0.3}, {0, 0.7, 0}}, make([]float64, 6), 2, true), "only 2 distinct rows"},
		{"k above the distinct directions", KMeans{K: 3, DistanceMeasure: "cosine"}, rows([]float64{1, 2}, []float64{3, 1}, []float64{0.3, 0.6}, []float64{2.7, 0.9}, []float64{1.1e3, 2.2e3}, []float64{3e-4, 1e-4}), "only 2 distinct directions"},
		{"NaN", KMeans{K: 2}, rows([]float64{1, 2}, []float64{3, 4}, []float64{5, math.NaN()}), "row 3: feature 1 is NaN"},
		{"infinite", KMeans{K: 2}, rows([]float64{1, 2}, []float64{math.Inf(-1), 4}), "row 2: feature 0 is -Inf"},
		{"cosine zero vector", KMeans{K: 2, DistanceMeasure: "cosine"}, rows([]float64{1, 2}, []float64{0, 0}, []float64{3, 1}), "row 2: a zero vector has no cosine distance"},
		{"no rows", KMeans{K: 2}, tabletest.Labeled(t, nil, nil, 2, false), "no rows to cluster"},
		{"k below 2", KMeans{K: 1}, rows([]float64{1, 2}, []float64{3, 4}), "k"},
		{"mixed sizes", KMeans{K: 2}, rows([]float64{1, 2}, []float64{3, 4, 5}), "features of size 3, earlier rows have 2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := &local.Engine{}
			_, err := c.km.Fit(context.Background(), e, tabletest.Dataset(t, e, c.tb))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

// TestSilhouetteBadInput: one cluster, or a prediction that is not a
// cluster index.
func TestSilhouetteBadInput(t *testing.T) {
	e := &local.Engine{}
	for _, c := range []struct {
		pred []float64
		want string
	}{
		{[]float64{0, 0, 0}, "at least two clusters"},
		{[]float64{0, 1.5, 0}, "prediction 1.5 in column \"prediction\" is not a cluster index"},
	} {
		tb := tabletest.Table(t, []table.Field{{Name: "features", Type: table.Vector}, {Name: "prediction", Type: table.Float64}},
			table.NewVectorColumn([]linalg.Vector{linalg.Dense([]float64{1}), linalg.Dense([]float64{2}), linalg.Dense([]float64{3})}, nil),
			table.NewFloat64Column(c.pred, nil))
		_, err := (&evaluation.ClusteringEvaluator{}).Evaluate(context.Background(), e, tabletest.Dataset(t, e, tb))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one containing %q", err, c.want)
		}
	}
}

// TestKMeansSparseRows: rows too sparse to be stored as a dense block
// (under a quarter of their entries set) take the sparse kernels; the fit
// is the dense fit of the same rows, to rounding.
func TestKMeansSparseRows(t *testing.T) {
	var x [][]float64
	for i := range 120 {
		r := make([]float64, 40)
		g := i % 3
		r[g*10+i%5] = 1 + float64(i%7)/10
		r[g*10+5+i%4] = 2 - float64(i%3)/10
		x = append(x, r)
	}
	var centers [][]float64
	for _, sparse := range []bool{false, true} {
		m, _, _ := fit(t, &KMeans{K: 3, Seed: 2}, tabletest.Labeled(t, x, make([]float64, len(x)), 16, sparse))
		centers = append(centers, m.ClusterCenters)
	}
	approx.Floats(t, "sparse against dense centers", centers[1], centers[0], 1e-12)
}
