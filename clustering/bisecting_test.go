package clustering

import (
	"context"
	"math"
	"testing"

	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/internal/approx"
	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

// nestedBlobs are four blobs of 50 rows in two pairs far apart, so that
// bisecting first separates the pairs and then each pair's blobs; label
// is the blob.
func nestedBlobs() (x [][]float64, label []int) {
	centers := [][2]float64{{0, 0}, {3, 0}, {30, 0}, {33, 0}}
	for i := range 200 {
		c := i % 4
		x = append(x, []float64{centers[c][0] + 0.3*math.Sin(float64(7*i)), centers[c][1] + 0.3*math.Cos(float64(5*i))})
		label = append(label, c)
	}
	return x, label
}

// TestBisectingKMeansBlobs: bisecting into four leaves finds the four
// blobs, dense, sparse and in small partitions; the tree is well formed,
// every leaf center is the mean of the rows predicted into it, and the
// training cost is their squared distances to it.
func TestBisectingKMeansBlobs(t *testing.T) {
	x, label := nestedBlobs()
	for _, c := range []struct {
		name   string
		per    int
		sparse bool
		km     BisectingKMeans
	}{
		{"dense", 64, false, BisectingKMeans{}},
		{"sparse", 64, true, BisectingKMeans{}},
		{"partitions of 9, seed 5", 9, false, BisectingKMeans{Seed: 5}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := &local.Engine{}
			ds := tabletest.Dataset(t, e, tabletest.Labeled(t, x, make([]float64, len(x)), c.per, c.sparse))
			km := c.km
			m, err := km.Fit(context.Background(), e, ds)
			if err != nil {
				t.Fatal(err)
			}
			bm := m.(*BisectingKMeansModel)
			if err := bm.Validate(); err != nil {
				t.Fatal(err)
			}
			if bm.K != 4 || len(bm.Left) != 7 {
				t.Fatalf("%d leaves, %d nodes", bm.K, len(bm.Left))
			}
			out, err := ml.Transform(context.Background(), e, ds, m)
			if err != nil {
				t.Fatal(err)
			}
			tb, err := e.Collect(context.Background(), out)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, b := range tb.Partitions() {
				col, err := table.ColumnAs[*table.Int64Column](b, "prediction")
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, col.Values...)
			}
			if err := samePartition(got, label); err != nil {
				t.Fatal(err)
			}
			means, counts := make([]float64, 4*2), make([]float64, 4)
			for i, r := range x {
				counts[got[i]]++
				means[got[i]*2] += r[0]
				means[got[i]*2+1] += r[1]
			}
			var cost float64
			centers := make([]float64, 4*2)
			for n, leaf := range bm.LeafIndex {
				if leaf >= 0 {
					copy(centers[leaf*2:], bm.Centers[n*2:n*2+2])
				}
			}
			for i, r := range x {
				l := got[i]
				cost += math.Pow(r[0]-centers[l*2], 2) + math.Pow(r[1]-centers[l*2+1], 2)
			}
			for l := range 4 {
				means[l*2] /= counts[l]
				means[l*2+1] /= counts[l]
			}
			approx.Floats(t, "leaf centers against their rows' means", centers, means, 1e-12)
			approx.Float(t, "training cost", bm.TrainingCost, cost, 1e-9)
		})
	}
}

// TestBisectingKMeansMinDivisible: no cluster smaller than
// minDivisibleClusterSize is split, as a count and as a share.
func TestBisectingKMeansMinDivisible(t *testing.T) {
	x, _ := nestedBlobs()
	for _, c := range []struct {
		min    float64
		leaves int
	}{{201, 1}, {101, 2}, {1.01, 4}, {0.6, 2}, {0.4, 4}} {
		e := &local.Engine{}
		ds := tabletest.Dataset(t, e, tabletest.Labeled(t, x, make([]float64, len(x)), 64, false))
		m, err := (&BisectingKMeans{MinDivisibleClusterSize: ml.Float(c.min)}).Fit(context.Background(), e, ds)
		if err != nil {
			t.Fatal(err)
		}
		if bm := m.(*BisectingKMeansModel); bm.K != c.leaves {
			t.Errorf("minDivisibleClusterSize %v: %d leaves, want %d (sizes %v)", c.min, bm.K, c.leaves, bm.Sizes)
		}
	}
}
