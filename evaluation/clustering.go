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
		Name: "clustering", Class: "ClusteringEvaluator", Scores: []string{"clustering"}, NoLabel: true,
		RunDefaults: []string{"silhouette"},
		Metrics:     []Metric{{Name: "silhouette", Reads: []string{"predictionCol", "featuresCol"}, LargerIsBetter: true}},
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
// approximation: a mean distance to a cluster is ‖x − μ‖² + M2/W from
// the cluster's weight W, mean μ and spread M2 = Σ w·‖y − μ‖² (of unit
// vectors, for cosine), gathered in one pass (Welford's update, merged by
// Chan's: no digits lost far from the origin) and used in a second. The value equals
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

// ClusterSums are per-cluster weights, means and spreads M2 = Σ w·‖y −
// μ‖² (of the unit vectors, for cosine), gathered by Welford's update and
// merged by Chan's, so that rows far from the origin keep their digits.
type ClusterSums struct {
	D       int
	Weights []float64
	Means   [][]float64
	M2      []float64
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
// weight.
func (k clusterCols) row(info engine.PartitionInfo, b *table.Batch, fc *table.VectorColumn, pc, wc table.Column, i int) (x linalg.Vector, c int, w float64, err error) {
	name := engine.Row{Info: info, Batch: b, I: i}
	if fc.IsNull(i) || pc.IsNull(i) {
		return x, 0, 0, fmt.Errorf("%s: null features or prediction", name)
	}
	p := scalar(pc, i, 0)
	if p < 0 || p != math.Trunc(p) || p > MaxClusters {
		return x, 0, 0, fmt.Errorf("%s: prediction %v in column %q is not a cluster index 0, 1, …", name, p, k.PredictionCol)
	}
	if wc != nil && wc.IsNull(i) {
		return x, 0, 0, fmt.Errorf("%s: null weight", name)
	}
	w = weightAt(wc, i)
	if w < 0 || !linmodel.Finite(w) {
		return x, 0, 0, fmt.Errorf("%s: weight %v must be finite and non-negative", name, w)
	}
	x = fc.Values[i]
	var xx float64
	for _, v := range x.Values {
		xx += v * v
	}
	if !linmodel.Finite(xx) {
		return x, 0, 0, fmt.Errorf("%s: features in column %q are not all finite", name, k.FeaturesCol)
	}
	if k.Cosine {
		if xx == 0 {
			return x, 0, 0, fmt.Errorf("%s: a zero vector has no cosine distance", name)
		}
		n := math.Sqrt(xx)
		vals := make([]float64, len(x.Values))
		for j, v := range x.Values {
			vals[j] = v / n
		}
		x = linalg.Vector{Size: x.Size, Indices: x.Indices, Values: vals}
	}
	return x, int(p), w, nil
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
		x, c, w, err := k.row(info, b, fc, pc, wc, i)
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
			acc.Means = append(acc.Means, nil)
			acc.M2 = append(acc.M2, 0)
		}
		if w == 0 {
			continue
		}
		if acc.Means[c] == nil {
			acc.Means[c] = make([]float64, acc.D)
		}
		// Welford: δ = y − μ; μ += δ·w/W; M2 += w·δ·(y − μ).
		acc.Weights[c] += w
		mu, f := acc.Means[c], w/acc.Weights[c]
		y := x.ToDense().Values
		var m2 float64
		for j, v := range y {
			d := v - mu[j]
			mu[j] += d * f
			m2 += d * (v - mu[j])
		}
		acc.M2[c] += w * m2
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
		a.Means = append(a.Means, nil)
		a.M2 = append(a.M2, 0)
	}
	for c := range b.Weights {
		switch {
		case b.Weights[c] == 0:
		case a.Weights[c] == 0:
			a.Weights[c], a.Means[c], a.M2[c] = b.Weights[c], b.Means[c], b.M2[c]
		default:
			// Chan: δ = μ_b − μ_a; μ = μ_a + δ·W_b/W; M2 += M2_b + ‖δ‖²·W_a·W_b/W.
			wa, wb := a.Weights[c], b.Weights[c]
			w := wa + wb
			var dd float64
			for j, mb := range b.Means[c] {
				d := mb - a.Means[c][j]
				a.Means[c][j] += d * wb / w
				dd += d * d
			}
			a.M2[c] += b.M2[c] + dd*wa*wb/w
			a.Weights[c] = w
		}
	}
	return a, nil
}

type silhouetteKernel struct {
	clusterCols
	Clusters *ClusterSums
	nonEmpty []int // the clusters with weight, from Clusters
}

func (silhouetteKernel) KernelName() string   { return "evaluation.Silhouette" }
func (silhouetteKernel) Zero() *SilhouetteSum { return &SilhouetteSum{} }

func (k silhouetteKernel) Fold(_ context.Context, info engine.PartitionInfo, acc *SilhouetteSum, b *table.Batch) (*SilhouetteSum, error) {
	fc, pc, wc, err := k.columns(b)
	if err != nil {
		return nil, err
	}
	cl := k.Clusters
	if k.nonEmpty == nil {
		for c, w := range cl.Weights {
			if w > 0 {
				k.nonEmpty = append(k.nonEmpty, c)
			}
		}
	}
	for i := range b.NumRows() {
		x, own, w, err := k.row(info, b, fc, pc, wc, i)
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
		// Mean distance to cluster c, over its rows y with weights v and
		// mean μ: Σ v·‖x − y‖² / Σ v = ‖x − μ‖² + M2/Σ v (cosine: the unit
		// vectors' ‖x − y‖² / 2).
		xd := x.ToDense().Values
		mean := func(c int) float64 {
			var d float64
			for j, m := range cl.Means[c] {
				t := xd[j] - m
				d += t * t
			}
			d += cl.M2[c] / cl.Weights[c]
			if k.Cosine {
				d /= 2
			}
			return d
		}
		// Its own cluster holds x itself, at distance 0.
		a := mean(own) * cl.Weights[own] / (cl.Weights[own] - w)
		bm := math.Inf(1)
		for _, c := range k.nonEmpty {
			if c != own {
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
	s, err := engine.Aggregate(ctx, e, ds, silhouetteKernel{clusterCols: cols, Clusters: sums})
	if err != nil {
		return 0, fmt.Errorf("ClusteringEvaluator: %w", err)
	}
	return s.Sum / s.W, nil
}
