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
	engine.RegisterAggregator[*BisectStats](bisectStep{})
	ml.Register(ml.Registration{Name: "BisectingKMeans", New: func() any { return new(BisectingKMeans) }, Model: &BisectingKMeansModel{}, Evaluator: "clustering",
		Samples: []ml.Sample{
			{
				Columns: []ml.SampleColumn{{Name: "features", Type: table.Vector}, {Name: "w", Type: table.Float64, Kind: "positive"}},
				Params:  ml.ParamMap{"k": 3},
				Values:  map[string][]any{"weightCol": {"w"}, "minDivisibleClusterSize": {0.3, 25.0}},
			},
		}})
}

// Compile-time checks of the stage contract (see ml/stage.go).
var (
	_ ml.Estimator      = (*BisectingKMeans)(nil)
	_ ml.SchemaChecker  = (*BisectingKMeans)(nil)
	_ ml.ColumnReader   = (*BisectingKMeans)(nil)
	_ ml.Model          = (*BisectingKMeansModel)(nil)
	_ engine.Mapper     = (*BisectingKMeansModel)(nil)
	_ ml.StateValidator = (*BisectingKMeansModel)(nil)
	_ ml.Summarizer     = (*BisectingKMeansModel)(nil)
)

// BisectingKMeans is Spark ML's bisecting k-means, a divisive
// hierarchical clustering. All rows start in one cluster; then, level by
// level, every divisible leaf — at least minDivisibleClusterSize rows
// (a count when ≥ 1, a share of the rows when < 1) and a cost above 0 —
// is split in two by 2-means (maxIter iterations, every split of a level
// in the same passes), the largest first when fewer leaves are still
// needed, until there are k leaves or none can be split. A split starts
// from the cluster's center c moved by ±1e-4·‖c‖·u, u uniform in [0, 1)
// per feature (from the seed and the cluster).
//
// The model keeps the tree: a row is predicted by walking down from the
// root to the nearer child at each split, so its leaf (numbered 0 … k−1,
// left before right) is not always the nearest leaf center, as in Spark.
// Distances are squared Euclidean or cosine (unit-length centers).
// Defaults: k 4, maxIter 20, seed 0, minDivisibleClusterSize 1,
// distanceMeasure "euclidean", featuresCol "features", predictionCol
// "prediction" (int64).
type BisectingKMeans struct {
	FeaturesCol   string `param:"default=features,nonempty"`
	PredictionCol string `param:"default=prediction,nonempty"`
	WeightCol     string `param:""`
	// K is the number of leaf clusters wanted, ≥ 2; 0 means 4.
	K int `param:"default=4,min=2"`
	// MaxIter bounds each split's iterations; nil means 20.
	MaxIter *int  `param:"default=20,min=0"`
	Seed    int64 `param:"default=0"`
	// MinDivisibleClusterSize is the smallest cluster that is split: a
	// count of rows when ≥ 1, a share of the rows when < 1; nil means 1.
	MinDivisibleClusterSize *float64 `param:"default=1,gt=0"`
	// DistanceMeasure is "euclidean" (default) or "cosine".
	DistanceMeasure string `param:"default=euclidean,oneOf=euclidean|cosine"`
}

// InputColumns implements ml.ColumnReader.
func (bk *BisectingKMeans) InputColumns() []string {
	cols := []string{or(bk.FeaturesCol, "features")}
	if bk.WeightCol != "" {
		cols = append(cols, bk.WeightCol)
	}
	return cols
}

// OutputSchema implements ml.SchemaChecker.
func (bk *BisectingKMeans) OutputSchema(in *table.Schema) (*table.Schema, error) {
	if err := ml.Validate(bk); err != nil {
		return nil, err
	}
	if bk.WeightCol != "" {
		if _, err := ml.InputColumn("BisectingKMeans", in, bk.WeightCol, table.Float64, table.Int64); err != nil {
			return nil, err
		}
	}
	return (&BisectingKMeansModel{FeaturesCol: or(bk.FeaturesCol, "features"), PredictionCol: or(bk.PredictionCol, "prediction")}).OutputSchema(in)
}

// BisectStats are a pass's sums per tree node: weight, rows, the
// weighted vector sum (unit vectors for cosine) and cost about the
// node's center.
type BisectStats struct {
	Weight, Cost []float64
	Rows         []int64
	Sums         []float64
}

// bisectStep walks every row down Tree to its leaf; rows of a leaf being
// split (Split[leaf] ≥ 0) go on to the nearer of its two tentative
// children, Candidates rows 2·Split[leaf] and 2·Split[leaf]+1. Sums are
// kept per tree node (leaves) and per candidate (after the tree's nodes).
type bisectStep struct {
	FeaturesCol, WeightCol string
	Tree                   *BisectingKMeansModel
	Split                  []int
	Candidates             []float64
}

func (bisectStep) KernelName() string { return "clustering.BisectStep" }
func (bisectStep) Zero() *BisectStats { return &BisectStats{} }

func (k bisectStep) Fold(ctx context.Context, info engine.PartitionInfo, acc *BisectStats, b *table.Batch) (*BisectStats, error) {
	t := k.Tree
	d, nodes := t.NumFeatures, len(t.Left)
	slots := nodes + len(k.Candidates)/max(d, 1)
	if acc.Weight == nil {
		acc.Weight, acc.Cost, acc.Rows, acc.Sums = make([]float64, slots), make([]float64, slots), make([]int64, slots), make([]float64, slots*d)
	}
	walk := t.walker()
	cand := assigner{centers: k.Candidates, d: d, cosine: t.DistanceMeasure == "cosine"}
	cand.init()
	pairs := make([]assigner, len(k.Candidates)/max(2*d, 1))
	for s := range pairs {
		pairs[s] = assigner{centers: k.Candidates[2*s*d : (2*s+2)*d], d: d, cosine: cand.cosine, norms: cand.norms[2*s : 2*s+2], k: 2}
	}
	a := assigner{d: d, cosine: cand.cosine}
	return acc, a.each(ctx, info, b, k.FeaturesCol, k.WeightCol, func(i int, x linalg.Vector, w, xx float64, _ int, _ float64) error {
		if x.Size != d {
			return fmt.Errorf("%s: features of size %d, the others have %d (vectors of mismatched size)", engine.Row{Info: info, Batch: b, I: i}, x.Size, d)
		}
		leaf, dist := walk.leaf(x, xx)
		slot := leaf
		if s := k.Split[leaf]; s >= 0 {
			// The nearer of the two candidates.
			var c int
			c, dist = pairs[s].nearest(x, xx)
			slot = nodes + 2*s + c
		}
		acc.Weight[slot] += w
		acc.Rows[slot]++
		acc.Cost[slot] += w * dist
		scale := w
		if cand.cosine {
			scale = w / math.Sqrt(xx)
		}
		sum := acc.Sums[slot*d : (slot+1)*d]
		if x.IsSparse() {
			linmodel.ForEach(x, func(j int, v float64) { sum[j] += scale * v })
		} else {
			simd.Axpy(scale, x.Values, sum)
		}
		return nil
	})
}

func (bisectStep) Merge(a, b *BisectStats) (*BisectStats, error) {
	if b.Weight == nil {
		return a, nil
	}
	if a.Weight == nil {
		return b, nil
	}
	for _, p := range [][2][]float64{{a.Weight, b.Weight}, {a.Cost, b.Cost}, {a.Sums, b.Sums}} {
		simd.Axpy(1, p[1], p[0])
	}
	for i, v := range b.Rows {
		a.Rows[i] += v
	}
	return a, nil
}

// Fit implements ml.Estimator.
func (bk *BisectingKMeans) Fit(ctx context.Context, e engine.Engine, ds engine.Dataset) (ml.Model, error) {
	return checkedFit("BisectingKMeans", bk, ds, func() (ml.Model, error) { return bk.fit(ctx, e, ds) })
}

func (bk *BisectingKMeans) fit(ctx context.Context, e engine.Engine, ds engine.Dataset) (*BisectingKMeansModel, error) {
	features := or(bk.FeaturesCol, "features")
	cosine := bk.DistanceMeasure == "cosine"
	data, err := storeRows(ctx, e, ds, bk.InputColumns(), cosine)
	if err != nil {
		return nil, err
	}
	defer engine.Release(e, data)
	// The features' size, and that there are rows.
	first, err := engine.Aggregate(ctx, e, data, kmeansPick{FeaturesCol: features, WeightCol: bk.WeightCol, N: 1, Seed: bk.Seed})
	if err != nil {
		return nil, err
	}
	if len(first.Rows) == 0 {
		return nil, fmt.Errorf("no rows to cluster (or every weight is 0)")
	}
	d := first.D
	if d == 0 {
		return nil, fmt.Errorf("the features are vectors of size 0")
	}
	k, maxIter := bk.K, ml.IntOr(bk.MaxIter, 20)
	if k == 0 {
		k = 4
	}
	// The root: one node whose center the first pass computes.
	t := &BisectingKMeansModel{FeaturesCol: features, PredictionCol: or(bk.PredictionCol, "prediction"), DistanceMeasure: or(bk.DistanceMeasure, "euclidean"),
		NumFeatures: d, Centers: make([]float64, d), Left: []int{-1}, Right: []int{-1}}
	root, err := engine.Aggregate(ctx, e, data, bisectStep{FeaturesCol: features, WeightCol: bk.WeightCol, Tree: t, Split: []int{-1}})
	if err != nil {
		return nil, err
	}
	size := []float64{root.Weight[0]}
	cost := []float64{0}
	t.setCenter(0, root.Sums[:d], root.Weight[0])
	// The root's cost about its center.
	if st, err := engine.Aggregate(ctx, e, data, bisectStep{FeaturesCol: features, WeightCol: bk.WeightCol, Tree: t, Split: []int{-1}}); err != nil {
		return nil, err
	} else {
		cost[0] = st.Cost[0]
	}
	minSize := ml.FloatOr(bk.MinDivisibleClusterSize, 1)
	if minSize < 1 {
		minSize *= size[0]
	}
	rng := rand.New(rand.NewPCG(uint64(bk.Seed), 0x626973656374)) // "bisect"
	active := []int{0}
	for leaves := 1; leaves < k && len(active) > 0; {
		var divisible []int
		for _, n := range active {
			if size[n] >= minSize && cost[n] > 0x1p-52*size[n] {
				divisible = append(divisible, n)
			}
		}
		if len(divisible) == 0 {
			break
		}
		if len(divisible) > k-leaves {
			// The largest first (then the first made).
			slices.SortStableFunc(divisible, func(a, b int) int { return cmp.Compare(size[b], size[a]) })
			divisible = divisible[:k-leaves]
			slices.Sort(divisible)
		}
		split := make([]int, len(t.Left))
		for i := range split {
			split[i] = -1
		}
		cands := make([]float64, 0, 2*len(divisible)*d)
		for s, n := range divisible {
			split[n] = s
			c := t.Centers[n*d : (n+1)*d]
			level := 1e-4 * math.Sqrt(simd.Dot(c, c))
			l, r := make([]float64, d), make([]float64, d)
			for j := range d {
				u := rng.Float64()
				l[j], r[j] = c[j]-level*u, c[j]+level*u
			}
			if cosine {
				unit(l)
				unit(r)
			}
			cands = append(append(cands, l...), r...)
		}
		var st *BisectStats
		for iter := 0; ; iter++ {
			st, err = engine.Aggregate(ctx, e, data, bisectStep{FeaturesCol: features, WeightCol: bk.WeightCol, Tree: t, Split: split, Candidates: cands})
			if err != nil {
				return nil, err
			}
			if iter >= maxIter {
				break
			}
			nodes := len(t.Left)
			for c := range len(cands) / d {
				if w := st.Weight[nodes+c]; w > 0 {
					nc := cands[c*d : (c+1)*d]
					for j := range d {
						nc[j] = st.Sums[(nodes+c)*d+j] / w
					}
					if cosine {
						unit(nc)
					}
				}
			}
		}
		// The children join the tree with the last pass's sizes and
		// costs (about the candidates that pass used).
		nodes := len(t.Left)
		next := active[:0:0]
		for _, n := range active {
			if split[n] < 0 {
				next = append(next, n)
			}
		}
		for s, n := range divisible {
			for h := range 2 {
				c := 2*s + h
				child := len(t.Left)
				t.Left, t.Right = append(t.Left, -1), append(t.Right, -1)
				t.Centers = append(t.Centers, cands[c*d:(c+1)*d]...)
				size, cost = append(size, st.Weight[nodes+c]), append(cost, st.Cost[nodes+c])
				if h == 0 {
					t.Left[n] = child
				} else {
					t.Right[n] = child
				}
				next = append(next, child)
			}
			leaves++
		}
		active = next
	}
	t.numberLeaves()
	t.Sizes = make([]float64, t.K)
	for n, leaf := range t.LeafIndex {
		if leaf >= 0 {
			t.Sizes[leaf] = size[n]
			t.TrainingCost += cost[n]
		}
	}
	return t, nil
}

// setCenter sets node n's center to sum/weight (unit length for cosine).
func (m *BisectingKMeansModel) setCenter(n int, sum []float64, weight float64) {
	d := m.NumFeatures
	c := m.Centers[n*d : (n+1)*d]
	for j := range d {
		c[j] = sum[j] / weight
	}
	if m.DistanceMeasure == "cosine" {
		unit(c)
	}
}

// numberLeaves numbers the leaves 0 … K−1, left before right.
func (m *BisectingKMeansModel) numberLeaves() {
	m.LeafIndex = make([]int, len(m.Left))
	m.K = 0
	var walk func(n int)
	walk = func(n int) {
		if m.Left[n] < 0 {
			m.LeafIndex[n] = m.K
			m.K++
			return
		}
		m.LeafIndex[n] = -1
		walk(m.Left[n])
		walk(m.Right[n])
	}
	walk(0)
}

// BisectingKMeansModel is a fitted bisecting k-means: a binary tree of
// cluster centers (node 0 the root; Left and Right the children, -1 for
// a leaf; LeafIndex the leaf's cluster, -1 for a split). Transform adds
// predictionCol, the leaf a row reaches walking down to the nearer
// child.
type BisectingKMeansModel struct {
	FeaturesCol     string `param:"default=features,nonempty"`
	PredictionCol   string `param:"default=prediction,nonempty"`
	DistanceMeasure string `param:"default=euclidean,oneOf=euclidean|cosine"`
	// K leaves; NumFeatures values per center; Centers one row a node.
	K, NumFeatures         int
	Centers                []float64
	Left, Right, LeafIndex []int
	// Sizes are the leaves' training weights and TrainingCost the sum of
	// their costs, from the passes that made them.
	Sizes        []float64
	TrainingCost float64
}

// KernelName implements engine.Kernel.
func (*BisectingKMeansModel) KernelName() string { return "clustering.BisectingKMeansModel" }

// walker walks rows down the tree: per split node an assigner over its
// two children, per node one over its own center.
type walker struct {
	m         *BisectingKMeansModel
	a         assigner
	pair, own []assigner
}

func (m *BisectingKMeansModel) walker() *walker {
	d, cos := m.NumFeatures, m.DistanceMeasure == "cosine"
	w := &walker{m: m, a: assigner{centers: m.Centers, d: d, cosine: cos}, pair: make([]assigner, len(m.Left)), own: make([]assigner, len(m.Left))}
	w.a.init()
	for n := range m.Left {
		w.own[n] = assigner{centers: m.Centers[n*d : (n+1)*d], d: d, cosine: cos, norms: w.a.norms[n : n+1], k: 1}
		if l, r := m.Left[n], m.Right[n]; l >= 0 {
			two := append(slices.Clone(m.Centers[l*d:(l+1)*d]), m.Centers[r*d:(r+1)*d]...)
			w.pair[n] = assigner{centers: two, d: d, cosine: cos, norms: []float64{w.a.norms[l], w.a.norms[r]}, k: 2}
		}
	}
	return w
}

// leaf returns the node a row reaches and its distance to that node's
// center.
func (w *walker) leaf(x linalg.Vector, xx float64) (int, float64) {
	m := w.m
	n := 0
	for m.Left[n] >= 0 {
		if c, _ := w.pair[n].nearest(x, xx); c == 0 {
			n = m.Left[n]
		} else {
			n = m.Right[n]
		}
	}
	_, dist := w.own[n].nearest(x, xx)
	return n, dist
}

// OutputSchema implements engine.Mapper.
func (m *BisectingKMeansModel) OutputSchema(in *table.Schema) (*table.Schema, error) {
	if _, err := ml.InputColumn("BisectingKMeansModel", in, m.FeaturesCol, table.Vector); err != nil {
		return nil, err
	}
	return ml.WithOutput("BisectingKMeansModel", in, m.PredictionCol, table.Int64)
}

// MapPartition implements engine.Mapper.
func (m *BisectingKMeansModel) MapPartition(_ context.Context, info engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	out, err := m.OutputSchema(b.Schema())
	if err != nil {
		return nil, err
	}
	w := m.walker()
	return predictRows("BisectingKMeansModel", out, b, info, m.FeaturesCol, m.NumFeatures, func(_ int, x linalg.Vector) (int, error) {
		xx, err := w.a.check(x)
		if err != nil {
			return 0, err
		}
		n, _ := w.leaf(x, xx)
		return m.LeafIndex[n], nil
	}, nil)
}

// Validate implements ml.StateValidator: the arrays' sizes, and a tree
// whose every split has two children and whose leaves are numbered
// 0 … K−1 once each.
func (m *BisectingKMeansModel) Validate() error {
	n := len(m.Left)
	bad := func(what string) error {
		return fmt.Errorf("BisectingKMeansModel: %s (%d nodes, %d leaves, %d features)", what, n, m.K, m.NumFeatures)
	}
	if n < 1 || m.NumFeatures < 1 || len(m.Right) != n || len(m.LeafIndex) != n || !learned.IsMatrix(len(m.Centers), n, m.NumFeatures) || len(m.Sizes) != m.K {
		return bad("arrays of the wrong sizes")
	}
	seen := make([]bool, m.K)
	for i := range n {
		l, r, leaf := m.Left[i], m.Right[i], m.LeafIndex[i]
		switch {
		case l < 0 && r < 0:
			if leaf < 0 || leaf >= m.K || seen[leaf] {
				return bad(fmt.Sprintf("leaf %d has index %d", i, leaf))
			}
			seen[leaf] = true
		case l <= i || r <= i || l >= n || r >= n || leaf != -1:
			// Children come after their parent, so the tree has no cycle.
			return bad(fmt.Sprintf("node %d has children %d and %d", i, l, r))
		}
	}
	if slices.Contains(seen, false) {
		return bad("a leaf index is missing")
	}
	return nil
}

// Summary implements ml.Summarizer.
func (m *BisectingKMeansModel) Summary() map[string]any {
	return map[string]any{"k": m.K, "numFeatures": m.NumFeatures, "nodes": len(m.Left), "trainingCost": m.TrainingCost, "clusterSizes": m.Sizes}
}
