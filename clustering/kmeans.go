// Package clustering holds Spark ML's clustering estimators: stages a
// spec lists under models: that need no label. KMeans, BisectingKMeans
// and GaussianMixture add an integer cluster index per row
// (predictionCol), and package evaluation's "clustering" evaluator scores
// them (silhouette); LDA, a topic model, adds each document's topic
// distribution, and the "topics" evaluator scores it (logPerplexity,
// logLikelihood).
package clustering

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/internal/learned"
	"github.com/spindle-ml/spindle/internal/linmodel"
	"github.com/spindle-ml/spindle/internal/simd"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

func init() {
	engine.RegisterAggregator[*KMeansStats](kmeansStep{})
	engine.RegisterAggregator[*KMeansPicks](kmeansPick{})
	engine.Register(kmeansNorms{})
	ml.Register(ml.Registration{Name: "KMeans", New: func() any { return new(KMeans) }, Model: &KMeansModel{}, Evaluator: "clustering",
		Samples: []ml.Sample{
			{
				Columns: []ml.SampleColumn{{Name: "features", Type: table.Vector}, {Name: "w", Type: table.Float64, Kind: "positive"}},
				Params:  ml.ParamMap{},
				Values:  map[string][]any{"weightCol": {"w"}, "k": {3}},
			},
			{
				Name:    "sparse",
				Columns: []ml.SampleColumn{{Name: "features", Type: table.Vector, Kind: "dense+sparse"}},
				Params:  ml.ParamMap{"k": 3},
			},
		}})
}

// Compile-time checks of the stage contract (see ml/stage.go).
var (
	_ ml.Estimator        = (*KMeans)(nil)
	_ ml.SchemaChecker    = (*KMeans)(nil)
	_ ml.ColumnReader     = (*KMeans)(nil)
	_ ml.ProgressReporter = (*KMeans)(nil)
	_ ml.Model            = (*KMeansModel)(nil)
	_ engine.Mapper       = (*KMeansModel)(nil)
	_ ml.StateValidator   = (*KMeansModel)(nil)
	_ ml.Summarizer       = (*KMeansModel)(nil)
)

// KMeans is Spark ML's k-means clustering: k centers c_1…c_k minimizing
// the weighted cost Σ_i w_i·d(x_i, c_{a(i)}), where a(i) is the nearest
// center and d is the squared Euclidean distance ‖x − c‖² (euclidean) or
// 1 − x·c/(‖x‖‖c‖) (cosine, with unit-length centers).
//
// Initialization (initMode):
//
//   - "k-means||" (default; Bahmani et al., as Spark): one row drawn at
//     random, then initSteps rounds that each draw every row with
//     probability min(1, 2k·w·d(x, C)/Σ w·d(x, C)); the distinct
//     candidates are weighted by the rows nearest to each, and a local
//     weighted k-means++ with 30 Lloyd iterations picks k of them.
//   - "random": k rows drawn at random.
//
// When fewer than k distinct candidates come out, the rows farthest from
// the centers so far are added one by one; fewer than k distinct rows is
// an error. Then Lloyd's iterations: assign every row to its nearest
// center and move each center to the weighted mean of its rows
// (normalized, for cosine); a center with no rows stays. It stops after
// maxIter iterations or when no center moved more than tol (Euclidean
// distance for euclidean, cosine distance for cosine). Draws are keyed by
// the row's position and the seed, so the same rows are drawn however the
// data is partitioned (the sums then differ only by rounding), and a fit
// on a cluster engine is the embedded one, bit for bit, for the same
// partitions.
//
// Defaults: k 2, maxIter 20, tol 1e-4, seed 0, initMode "k-means||",
// initSteps 2, distanceMeasure "euclidean", featuresCol "features",
// predictionCol "prediction" (an int64 cluster index from 0). Every row
// must have finite features of one size; cosine needs non-zero vectors;
// with weightCol, weights must be finite and ≥ 0.
type KMeans struct {
	FeaturesCol   string `param:"default=features,nonempty"`
	PredictionCol string `param:"default=prediction,nonempty"`
	WeightCol     string `param:""`
	// K is the number of clusters, ≥ 2; 0 means 2.
	K int `param:"default=2,min=2"`
	// MaxIter bounds Lloyd's iterations; nil means 20.
	MaxIter *int `param:"default=20,min=0"`
	// Tol is the center movement under which the fit stops; nil means 1e-4.
	Tol  *float64 `param:"default=1e-4,min=0"`
	Seed int64    `param:"default=0"`
	// InitMode is "k-means||" (default) or "random".
	InitMode string `param:"default=k-means||,oneOf=random|k-means\\|\\|"`
	// InitSteps is the number of k-means|| rounds, ≥ 1; 0 means 2.
	InitSteps int `param:"default=2,min=1"`
	// DistanceMeasure is "euclidean" (default) or "cosine".
	DistanceMeasure string `param:"default=euclidean,oneOf=euclidean|cosine"`
	// Progress, if set, is called after each Lloyd iteration with the
	// cost of the centers that iteration started from.
	Progress func(iter int, loss float64)
}

// SetProgress implements ml.ProgressReporter.
func (km *KMeans) SetProgress(fn func(iter int, loss float64)) { km.Progress = fn }

// InputColumns implements ml.ColumnReader.
func (km *KMeans) InputColumns() []string {
	cols := []string{or(km.FeaturesCol, "features")}
	if km.WeightCol != "" {
		cols = append(cols, km.WeightCol)
	}
	return cols
}

// OutputSchema implements ml.SchemaChecker.
func (km *KMeans) OutputSchema(in *table.Schema) (*table.Schema, error) {
	if err := km.checkInput(in); err != nil {
		return nil, err
	}
	return (&KMeansModel{FeaturesCol: or(km.FeaturesCol, "features"), PredictionCol: or(km.PredictionCol, "prediction")}).OutputSchema(in)
}

func (km *KMeans) checkInput(in *table.Schema) error {
	if _, err := ml.InputColumn("KMeans", in, or(km.FeaturesCol, "features"), table.Vector); err != nil {
		return err
	}
	if km.WeightCol != "" {
		if _, err := ml.InputColumn("KMeans", in, km.WeightCol, table.Float64, table.Int64); err != nil {
			return err
		}
	}
	return ml.Validate(km)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Fit implements ml.Estimator.
func (km *KMeans) Fit(ctx context.Context, e engine.Engine, ds engine.Dataset) (ml.Model, error) {
	if err := km.checkInput(ds.Schema()); err != nil {
		return nil, err
	}
	f := &kmeansFit{km: km, e: e, k: max(km.K, 2), cosine: km.DistanceMeasure == "cosine",
		features: or(km.FeaturesCol, "features"), seed: km.Seed}
	data, err := storeRows(ctx, e, ds, km.InputColumns(), f.cosine)
	if err != nil {
		return nil, fmt.Errorf("KMeans: %w", err)
	}
	f.data = data
	defer engine.Release(e, data)
	m, err := f.run(ctx)
	if err != nil {
		return nil, fmt.Errorf("KMeans: %w", err)
	}
	return m, nil
}

// kmeansFit is one fit's driver state.
type kmeansFit struct {
	km       *KMeans
	e        engine.Engine
	data     engine.Dataset
	features string
	k        int
	cosine   bool
	seed     int64
	d        int
}

func (f *kmeansFit) step(centers []float64, costOnly bool) kmeansStep {
	return kmeansStep{FeaturesCol: f.features, WeightCol: f.km.WeightCol, Centers: centers, D: f.d, Cosine: f.cosine, CostOnly: costOnly}
}

func (f *kmeansFit) run(ctx context.Context) (*KMeansModel, error) {
	centers, err := f.initCenters(ctx)
	if err != nil {
		return nil, err
	}
	maxIter, tol := ml.IntOr(f.km.MaxIter, 20), ml.FloatOr(f.km.Tol, 1e-4)
	iter := 0
	for converged := false; iter < maxIter && !converged; iter++ {
		st, err := engine.Aggregate(ctx, f.e, f.data, f.step(centers, false))
		if err != nil {
			return nil, err
		}
		if f.km.Progress != nil {
			f.km.Progress(iter+1, st.Cost)
		}
		converged = true
		next := slices.Clone(centers)
		for c := range len(centers) / f.d {
			if st.Weights[c] == 0 {
				continue // an empty cluster keeps its center
			}
			nc := next[c*f.d : (c+1)*f.d]
			for j := range nc {
				nc[j] = st.Sums[c*f.d+j] / st.Weights[c]
			}
			if f.cosine {
				unit(nc)
			}
			if f.distance(centers[c*f.d:(c+1)*f.d], nc) > tol {
				converged = false
			}
		}
		centers = next
	}
	final, err := engine.Aggregate(ctx, f.e, f.data, f.step(centers, true))
	if err != nil {
		return nil, err
	}
	return &KMeansModel{FeaturesCol: f.features, PredictionCol: or(f.km.PredictionCol, "prediction"),
		DistanceMeasure: or(f.km.DistanceMeasure, "euclidean"), K: len(centers) / f.d, NumFeatures: f.d,
		ClusterCenters: centers, TrainingCost: final.Cost, NumIter: iter, ClusterSizes: final.Counts}, nil
}

// distance is how far a center moved: Euclidean, or cosine distance.
func (f *kmeansFit) distance(a, b []float64) float64 {
	if f.cosine {
		return 1 - simd.Dot(a, b)
	}
	var s float64
	for j := range a {
		d := a[j] - b[j]
		s += d * d
	}
	return math.Sqrt(s)
}

// initCenters returns k distinct centers (k × d, row-major).
func (f *kmeansFit) initCenters(ctx context.Context) ([]float64, error) {
	first := 1
	if f.km.InitMode == "random" {
		first = f.k
	}
	picks, err := engine.Aggregate(ctx, f.e, f.data, kmeansPick{FeaturesCol: f.features, WeightCol: f.km.WeightCol, N: first, Seed: f.seed})
	if err != nil {
		return nil, err
	}
	if len(picks.Rows) == 0 {
		return nil, fmt.Errorf("no rows to cluster (or every weight is 0)")
	}
	if f.d = picks.D; f.d == 0 {
		return nil, fmt.Errorf("the features are vectors of size 0")
	}
	cand := f.prepare(picks)
	if f.km.InitMode != "random" {
		steps := f.km.InitSteps
		if steps == 0 {
			steps = 2
		}
		for step := range steps {
			st, err := engine.Aggregate(ctx, f.e, f.data, f.step(cand, true))
			if err != nil {
				return nil, err
			}
			if st.Cost == 0 {
				break // every row is a candidate already
			}
			p, err := engine.Aggregate(ctx, f.e, f.data, kmeansPick{FeaturesCol: f.features, WeightCol: f.km.WeightCol,
				Centers: cand, D: f.d, Cosine: f.cosine, Seed: f.seed, Step: step + 1, Scale: 2 * float64(f.k) / st.Cost})
			if err != nil {
				return nil, err
			}
			cand = append(cand, f.prepare(p)...)
		}
	}
	cand = f.distinct(cand)
	if n := len(cand) / f.d; n > f.k {
		// Weight each candidate by the rows nearest to it, then pick k.
		st, err := engine.Aggregate(ctx, f.e, f.data, f.step(cand, true))
		if err != nil {
			return nil, err
		}
		cand = f.localPlusPlus(cand, st.Weights)
	}
	// Fewer than k distinct candidates: add the farthest rows.
	for len(cand)/f.d < f.k {
		far, err := engine.Aggregate(ctx, f.e, f.data, kmeansPick{FeaturesCol: f.features, WeightCol: f.km.WeightCol,
			Centers: cand, D: f.d, Cosine: f.cosine, Farthest: true})
		if err != nil {
			return nil, err
		}
		if len(far.Rows) == 0 || far.Keys[0] <= 0 {
			what := "distinct rows"
			if f.cosine {
				what = "distinct directions"
			}
			return nil, fmt.Errorf("k is %d, but the data has only %d %s (rows of weight > 0); lower k", f.k, len(cand)/f.d, what)
		}
		cand = append(cand, f.prepare(far)...)
	}
	return cand, nil
}

// prepare returns picked rows as centers (unit length for cosine), in row
// order.
func (f *kmeansFit) prepare(p *KMeansPicks) []float64 {
	order := make([]int, len(p.Rows))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(p.Pos[a], p.Pos[b]) })
	out := make([]float64, 0, len(p.Rows)*f.d)
	for _, i := range order {
		r := slices.Clone(p.Rows[i])
		if f.cosine {
			unit(r)
		}
		out = append(out, r...)
	}
	return out
}

// distinct drops repeated centers, keeping the first of each: equal
// values, or for cosine one direction (within cosineSame).
func (f *kmeansFit) distinct(c []float64) []float64 {
	var out []float64
	seen := map[string]bool{}
next:
	for i := 0; i < len(c)/f.d; i++ {
		r := c[i*f.d : (i+1)*f.d]
		key := fmt.Sprint(bitsOf(r))
		if seen[key] {
			continue
		}
		if f.cosine {
			for j := 0; j < len(out)/f.d; j++ {
				if 1-simd.Dot(r, out[j*f.d:(j+1)*f.d]) <= cosineSame {
					continue next
				}
			}
		}
		seen[key] = true
		out = append(out, r...)
	}
	return out
}

func bitsOf(r []float64) []uint64 {
	b := make([]uint64, len(r))
	for i, v := range r {
		if v == 0 {
			v = 0 // −0 and 0 are one point
		}
		b[i] = math.Float64bits(v)
	}
	return b
}

// localPlusPlus picks k of the weighted candidates by k-means++ and
// refines them with up to 30 weighted Lloyd iterations, in this process
// (Spark's LocalKMeans). An empty cluster takes a random candidate.
func (f *kmeansFit) localPlusPlus(cand, weights []float64) []float64 {
	d, n, k := f.d, len(cand)/f.d, f.k
	rng := rand.New(rand.NewPCG(uint64(f.seed), 0x6b6d65616e73)) // "kmeans"
	row := func(i int) []float64 { return cand[i*d : (i+1)*d] }
	cost := func(x, c []float64) float64 {
		if f.cosine {
			return 1 - simd.Dot(x, c)
		}
		var s float64
		for j := range x {
			t := x[j] - c[j]
			s += t * t
		}
		return s
	}
	pick := func(score func(i int) float64) int {
		var total float64
		for i := range n {
			total += score(i)
		}
		r := rng.Float64() * total
		var cum float64
		j := 0
		for j < n && cum < r {
			cum += score(j)
			j++
		}
		return max(j-1, 0)
	}
	centers := make([]float64, 0, k*d)
	centers = append(centers, row(pick(func(i int) float64 { return weights[i] }))...)
	costs := make([]float64, n)
	for i := range n {
		costs[i] = cost(row(i), centers[:d])
	}
	for c := 1; c < k; c++ {
		j := pick(func(i int) float64 { return weights[i] * costs[i] })
		centers = append(centers, row(j)...)
		for i := range n {
			costs[i] = min(costs[i], cost(row(i), row(j)))
		}
	}
	closest := make([]int, n)
	for i := range closest {
		closest[i] = -1
	}
	for it, moved := 0, true; moved && it < 30; it++ {
		moved = false
		sums, counts := make([]float64, k*d), make([]float64, k)
		for i := range n {
			best, bc := 0, math.Inf(1)
			for c := range k {
				if v := cost(row(i), centers[c*d:(c+1)*d]); v < bc {
					best, bc = c, v
				}
			}
			simd.Axpy(weights[i], row(i), sums[best*d:(best+1)*d])
			counts[best] += weights[i]
			if closest[i] != best {
				moved, closest[i] = true, best
			}
		}
		for c := range k {
			nc := centers[c*d : (c+1)*d]
			if counts[c] == 0 {
				copy(nc, row(rng.IntN(n)))
				continue
			}
			for j := range nc {
				nc[j] = sums[c*d+j] / counts[c]
			}
			if f.cosine {
				unit(nc)
			}
		}
	}
	return f.distinct(centers)
}

// unit scales x to length 1 (x is non-zero).
func unit(x []float64) {
	n := math.Sqrt(simd.Dot(x, x))
	if n > 0 {
		for j := range x {
			x[j] /= n
		}
	}
}

// KMeansModel is a fitted k-means model; Transform adds predictionCol,
// the index (int64, from 0) of each row's nearest center.
type KMeansModel struct {
	FeaturesCol     string `param:"default=features,nonempty"`
	PredictionCol   string `param:"default=prediction,nonempty"`
	DistanceMeasure string `param:"default=euclidean,oneOf=euclidean|cosine"`
	// K centers of NumFeatures values each, row-major in ClusterCenters
	// (unit length for cosine).
	K, NumFeatures int
	ClusterCenters []float64
	// TrainingCost is Σ w·d(x, nearest center) over the training rows for
	// the final centers (scikit-learn's inertia_ for euclidean); NumIter
	// the Lloyd iterations run; ClusterSizes the training rows nearest to
	// each center.
	TrainingCost float64
	NumIter      int
	ClusterSizes []int64
}

// KernelName implements engine.Kernel.
func (*KMeansModel) KernelName() string { return "clustering.KMeansModel" }

// Centers returns the cluster centers.
func (m *KMeansModel) Centers() []linalg.Vector {
	out := make([]linalg.Vector, m.K)
	for c := range out {
		out[c] = linalg.Dense(slices.Clone(m.ClusterCenters[c*m.NumFeatures : (c+1)*m.NumFeatures]))
	}
	return out
}

// OutputSchema implements engine.Mapper.
func (m *KMeansModel) OutputSchema(in *table.Schema) (*table.Schema, error) {
	if _, err := ml.InputColumn("KMeansModel", in, m.FeaturesCol, table.Vector); err != nil {
		return nil, err
	}
	return ml.WithOutput("KMeansModel", in, m.PredictionCol, table.Int64)
}

// MapPartition implements engine.Mapper.
func (m *KMeansModel) MapPartition(_ context.Context, info engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	out, err := m.OutputSchema(b.Schema())
	if err != nil {
		return nil, err
	}
	a := assigner{centers: m.ClusterCenters, d: m.NumFeatures, cosine: m.DistanceMeasure == "cosine"}
	a.init()
	return predictRows("KMeansModel", out, b, info, m.FeaturesCol, m.NumFeatures, func(_ int, x linalg.Vector) (int, error) {
		xx, err := a.check(x)
		if err != nil {
			return 0, err
		}
		c, _ := a.nearest(x, xx)
		return c, nil
	}, nil)
}

// Predict returns the index of x's nearest center.
func (m *KMeansModel) Predict(x linalg.Vector) (int, error) {
	if x.Size != m.NumFeatures {
		return 0, fmt.Errorf("features of size %d, the model has %d", x.Size, m.NumFeatures)
	}
	a := assigner{centers: m.ClusterCenters, d: m.NumFeatures, cosine: m.DistanceMeasure == "cosine"}
	a.init()
	xx, err := a.check(x)
	if err != nil {
		return 0, err
	}
	c, _ := a.nearest(x, xx)
	return c, nil
}

// Validate implements ml.StateValidator.
func (m *KMeansModel) Validate() error {
	ok := m.K >= 1 && m.NumFeatures >= 1 && learned.IsMatrix(len(m.ClusterCenters), m.K, m.NumFeatures) &&
		(len(m.ClusterSizes) == 0 || len(m.ClusterSizes) == m.K)
	if !ok {
		return fmt.Errorf("KMeansModel: %d centers of %d features, %d values, %d cluster sizes", m.K, m.NumFeatures, len(m.ClusterCenters), len(m.ClusterSizes))
	}
	for i, v := range m.ClusterCenters {
		if !linmodel.Finite(v) {
			return fmt.Errorf("KMeansModel: center %d, feature %d is %v", i/m.NumFeatures, i%m.NumFeatures, v)
		}
	}
	return nil
}

// Summary implements ml.Summarizer.
func (m *KMeansModel) Summary() map[string]any {
	return map[string]any{"k": m.K, "numFeatures": m.NumFeatures, "trainingCost": m.TrainingCost,
		"numIter": m.NumIter, "clusterSizes": m.ClusterSizes}
}
