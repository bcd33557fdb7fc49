package evaluation

import (
	"context"
	"fmt"
	"math"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/internal/linmodel"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/table"
)

func init() {
	engine.RegisterAggregator[*ClusterSums](clusterSumsKernel{})
	engine.RegisterAggregator[*SilhouetteSum](silhouetteKernel{})
	RegisterEvaluator(EvaluatorInfo{
		Name: "clustering", Class: "ClusteringEvaluator", Scores: []string{"clustering"},
		Metrics: []Metric{{Name: "silhouette", Reads: []string{"predictionCol", "featuresCol"}, LargerIsBetter: true}},
		New: func(metric string, cols map[string]string, _ string) Evaluator {
			dm := "squaredEuclidean"
			if cols["distanceMeasure"] == "cosine" {
				dm = "cosine"
			}
			return &ClusteringEvaluator{MetricName: metric, FeaturesCol: cols["featuresCol"], PredictionCol: cols["predictionCol"], DistanceMeasure: dm}
		},
	})
}

// ClusteringEvaluator scores a clustering by its mean silhouette, as
// Spark's ClusteringEvaluator: for row i of cluster A, with a(i) its mean
// distance to the other rows of A and b(i) the smallest mean distance to
// the rows of another cluster, s(i) = (b − a)/max(a, b), and 0 when A has
// one row; the metric is the weighted mean of s(i), in [−1, 1].
//
// The distance is the squared Euclidean distance ‖x − y‖²
// (distanceMeasure "squaredEuclidean", the default, Spark's) or the cosine
// distance 1 − x·y/(‖x‖‖y‖) ("cosine"). Both are exact, not an
// approximation: a mean distance to a cluster follows from the cluster's
// weight, vector sum and sum of squared lengths (of unit vectors, for
// cosine), gathered in one pass and used in a second. The value equals
// scikit-learn's silhouette_score with metric="sqeuclidean" or
// metric="cosine" (unweighted). Spark computes it the same way; its
// "squaredEuclidean" is not scikit-learn's default metric, the Euclidean
// distance.
//
// Defaults: metricName silhouette, featuresCol features, predictionCol
// prediction (int64 or integral float64 cluster indexes ≥ 0), no weight.
// At least two clusters must have rows.
type ClusteringEvaluator struct {
	MetricName, DistanceMeasure           string
	FeaturesCol, PredictionCol, WeightCol string
}

// IsLargerBetter implements Evaluator.
func (ev *ClusteringEvaluator) IsLargerBetter() bool { return true }

// ClusterSums are per-cluster weights, vector sums and sums of squared
// lengths (of the unit vectors, for cosine).
type ClusterSums struct {
	D        int
	Weights  []float64
	Sums     [][]float64
	SquaredS []float64
}

// SilhouetteSum is Σ w·s(i) and Σ w.
type SilhouetteSum struct{ Sum, W float64 }

type clusterCols struct {
	FeaturesCol, PredictionCol, WeightCol string
	Cosine                                bool
}

// MaxClusters bounds the cluster indexes the silhouette accepts.
const MaxClusters = 1_000_000

// row reads row i: its features (unit length for cosine), cluster and
// weight, and ‖x‖² of what it returns.
func (k clusterCols) row(info engine.PartitionInfo, b *table.Batch, fc *table.VectorColumn, pc, wc table.Column, i int) (x linalg.Vector, c int, w, xx float64, err error) {
	name := engine.Row{Info: info, Batch: b, I: i}
	if fc.IsNull(i) || pc.IsNull(i) {
		return x, 0, 0, 0, fmt.Errorf("%s: null features or prediction", name)
	}
	p := scalar(pc, i, 0)
	if p < 0 || p != math.Trunc(p) || p > MaxClusters {
		return x, 0, 0, 0, fmt.Errorf("%s: prediction %v in column %q is not a cluster index 0, 1, …", name, p, k.PredictionCol)
	}
	w = weightAt(wc, i)
	if w < 0 || !linmodel.Finite(w) {
		return x, 0, 0, 0, fmt.Errorf("%s: weight %v must be finite and non-negative", name, w)
	}
	x = fc.Values[i]
	for _, v := range x.Values {
		xx += v * v
	}
	if !linmodel.Finite(xx) {
		return x, 0, 0, 0, fmt.Errorf("%s: features in column %q are not all finite", name, k.FeaturesCol)
	}
	if k.Cosine {
		if xx == 0 {
			return x, 0, 0, 0, fmt.Errorf("%s: a zero vector has no cosine distance", name)
		}
		n := math.Sqrt(xx)
		vals := make([]float64, len(x.Values))
		for j, v := range x.Values {
			vals[j] = v / n
		}
		x, xx = linalg.Vector{Size: x.Size, Indices: x.Indices, Values: vals}, 1
	}
	return x, int(p), w, xx, nil
}

func (k clusterCols) columns(b *table.Batch) (*table.VectorColumn, table.Column, table.Column, error) {
	fc, err := table.ColumnAs[*table.VectorColumn](b, k.FeaturesCol)
	if err != nil {
		return nil, nil, nil, err
	}
	pc, err := column(b, k.PredictionCol)
	if err != nil {
		return nil, nil, nil, err
	}
	var wc table.Column
	if k.WeightCol != "" {
		if wc, err = column(b, k.WeightCol); err != nil {
			return nil, nil, nil, err
		}
	}
	return fc, pc, wc, nil
}

type clusterSumsKernel struct{ clusterCols }

func (clusterSumsKernel) KernelName() string { return "evaluation.ClusterSums" }
func (clusterSumsKernel) Zero() *ClusterSums { return &ClusterSums{D: -1} }

func (k clusterSumsKernel) Fold(_ context.Context, info engine.PartitionInfo, acc *ClusterSums, b *table.Batch) (*ClusterSums, error) {
	fc, pc, wc, err := k.columns(b)
	if err != nil {
		return nil, err
	}
	for i := range b.NumRows() {
		x, c, w, xx, err := k.row(info, b, fc, pc, wc, i)
		if err != nil {
			return nil, err
		}
		if acc.D < 0 {
			acc.D = x.Size
		}
		if x.Size != acc.D {
			return nil, fmt.Errorf("%s: features of size %d, earlier rows have %d", engine.RowName(info, b, i), x.Size, acc.D)
		}
		for c >= len(acc.Weights) {
			acc.Weights = append(acc.Weights, 0)
			acc.Sums = append(acc.Sums, nil)
			acc.SquaredS = append(acc.SquaredS, 0)
		}
		if acc.Sums[c] == nil {
			acc.Sums[c] = make([]float64, acc.D)
		}
		acc.Weights[c] += w
		acc.SquaredS[c] += w * xx
		s := acc.Sums[c]
		linmodel.ForEach(x, func(j int, v float64) { s[j] += w * v })
	}
	return acc, nil
}

func (clusterSumsKernel) Merge(a, b *ClusterSums) (*ClusterSums, error) {
	if b.D < 0 {
		return a, nil
	}
	if a.D < 0 {
		return b, nil
	}
	if a.D != b.D {
		return nil, fmt.Errorf("features of sizes %d and %d", a.D, b.D)
	}
	for len(a.Weights) < len(b.Weights) {
		a.Weights = append(a.Weights, 0)
		a.Sums = append(a.Sums, nil)
		a.SquaredS = append(a.SquaredS, 0)
	}
	for c := range b.Weights {
		a.Weights[c] += b.Weights[c]
		a.SquaredS[c] += b.SquaredS[c]
		switch {
		case b.Sums[c] == nil:
		case a.Sums[c] == nil:
			a.Sums[c] = b.Sums[c]
		default:
			for j, v := range b.Sums[c] {
				a.Sums[c][j] += v
			}
		}
	}
	return a, nil
}

type silhouetteKernel struct {
	clusterCols
	Clusters *ClusterSums
}

func (silhouetteKernel) KernelName() string   { return "evaluation.Silhouette" }
func (silhouetteKernel) Zero() *SilhouetteSum { return &SilhouetteSum{} }

func (k silhouetteKernel) Fold(_ context.Context, info engine.PartitionInfo, acc *SilhouetteSum, b *table.Batch) (*SilhouetteSum, error) {
	fc, pc, wc, err := k.columns(b)
	if err != nil {
		return nil, err
	}
	cl := k.Clusters
	for i := range b.NumRows() {
		x, own, w, xx, err := k.row(info, b, fc, pc, wc, i)
		if err != nil {
			return nil, err
		}
		if x.Size != cl.D || own >= len(cl.Weights) {
			return nil, fmt.Errorf("%s: the data changed between the silhouette's two passes", engine.RowName(info, b, i))
		}
		if w == 0 {
			continue
		}
		acc.W += w
		if cl.Weights[own] <= w {
			continue // alone in its cluster: s = 0
		}
		// Mean distance to cluster c, over its rows y with weights v:
		// Σ v·‖x − y‖² / Σ v = ‖x‖² − 2x·Σvy/Σv + Σv‖y‖²/Σv (cosine: the
		// unit vectors' ‖x − y‖² / 2).
		mean := func(c int) float64 {
			d := xx - 2*linalg.Dot(x, cl.Sums[c])/cl.Weights[c] + cl.SquaredS[c]/cl.Weights[c]
			if k.Cosine {
				d /= 2
			}
			return max(d, 0)
		}
		// Its own cluster holds x itself, at distance 0.
		a := mean(own) * cl.Weights[own] / (cl.Weights[own] - w)
		bm := math.Inf(1)
		for c := range cl.Weights {
			if c != own && cl.Weights[c] > 0 {
				bm = min(bm, mean(c))
			}
		}
		var s float64
		switch {
		case a < bm:
			s = 1 - a/bm
		case a > bm:
			s = bm/a - 1
		}
		acc.Sum += w * s
	}
	return acc, nil
}

func (silhouetteKernel) Merge(a, b *SilhouetteSum) (*SilhouetteSum, error) {
	a.Sum += b.Sum
	a.W += b.W
	return a, nil
}

// Evaluate implements Evaluator.
func (ev *ClusteringEvaluator) Evaluate(ctx context.Context, e engine.Engine, ds engine.Dataset) (float64, error) {
	if m := orDefault(ev.MetricName, "silhouette"); m != "silhouette" {
		return 0, fmt.Errorf("ClusteringEvaluator: metricName %q is not silhouette", m)
	}
	dm := orDefault(ev.DistanceMeasure, "squaredEuclidean")
	if dm != "squaredEuclidean" && dm != "cosine" {
		return 0, fmt.Errorf("ClusteringEvaluator: distanceMeasure %q is not one of squaredEuclidean, cosine", dm)
	}
	cols := clusterCols{FeaturesCol: orDefault(ev.FeaturesCol, "features"), PredictionCol: orDefault(ev.PredictionCol, "prediction"),
		WeightCol: ev.WeightCol, Cosine: dm == "cosine"}
	for _, c := range []string{cols.FeaturesCol, cols.PredictionCol, cols.WeightCol} {
		if c != "" && ds.Schema().Index(c) < 0 {
			return 0, fmt.Errorf("ClusteringEvaluator: column %q does not exist (columns: %v)", c, ds.Schema().Names())
		}
	}
	sums, err := engine.Aggregate(ctx, e, ds, clusterSumsKernel{cols})
	if err != nil {
		return 0, fmt.Errorf("ClusteringEvaluator: %w", err)
	}
	n := 0
	for _, w := range sums.Weights {
		if w > 0 {
			n++
		}
	}
	if n < 2 {
		return 0, fmt.Errorf("ClusteringEvaluator: the silhouette needs at least two clusters with rows, got %d", n)
	}
	s, err := engine.Aggregate(ctx, e, ds, silhouetteKernel{cols, sums})
	if err != nil {
		return 0, fmt.Errorf("ClusteringEvaluator: %w", err)
	}
	return s.Sum / s.W, nil
}
