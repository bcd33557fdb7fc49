package clustering

import (
	"cmp"
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/evaluation"
	"github.com/spindle-ml/spindle/internal/approx"
	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
	"github.com/spindle-ml/spindle/tuning"
)

type ldaGolden struct {
	K, VocabSize      int
	Prior             float64
	Counts            [][]float64
	Lambda0, Lambda1  [][]float64 // k × V (scikit-learn's orientation)
	LogLikelihood     float64
	LogPerplexity     float64
	TopicDistribution [][]float64
	Newton            struct {
		Alpha, Logphat, Alpha1 []float64
		N, Rho                 float64
	}
}

func loadLDAGolden(t *testing.T) ldaGolden {
	t.Helper()
	data, err := os.ReadFile("testdata/lda.json")
	if err != nil {
		t.Fatal(err)
	}
	var g ldaGolden
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

// vk turns a k × V matrix into Spindle's V × k row-major λ.
func vk(m [][]float64) []float64 {
	k, v := len(m), len(m[0])
	out := make([]float64, k*v)
	for c := range k {
		for w := range v {
			out[w*k+c] = m[c][w]
		}
	}
	return out
}

// TestLDAGolden: one online update over the whole corpus
// (subsamplingRate 1) from scikit-learn's initial λ ends at its λ, and
// the model's bound, log perplexity and topic distributions are its
// score, −score/tokens and transform, to 1e-9 (testdata/lda_golden.py);
// in one partition and in partitions of 3, dense and sparse rows.
func TestLDAGolden(t *testing.T) {
	g := loadLDAGolden(t)
	ctx := context.Background()
	for _, per := range []int{100, 3} {
		for _, sparse := range []bool{false, true} {
			e := &local.Engine{}
			ds := tabletest.Dataset(t, e, tabletest.Labeled(t, g.Counts, make([]float64, len(g.Counts)), per, sparse))
			lda := &LDA{K: g.K, MaxIter: ml.Int(1), SubsamplingRate: 1, OptimizeDocConcentration: ml.Bool(false), initial: vk(g.Lambda0), onesInit: true}
			fm, err := lda.Fit(ctx, e, ds)
			if err != nil {
				t.Fatal(err)
			}
			m := fm.(*LDAModel)
			approx.Floats(t, "λ after one update", m.TopicsMatrix, vk(g.Lambda1), 1e-9)
			ll, err := m.LogLikelihood(ctx, e, ds)
			if err != nil {
				t.Fatal(err)
			}
			approx.Float(t, "logLikelihood", ll, g.LogLikelihood, 1e-9)
			lp, err := m.LogPerplexity(ctx, e, ds)
			if err != nil {
				t.Fatal(err)
			}
			approx.Float(t, "logPerplexity", lp, g.LogPerplexity, 1e-9)
			if per == 3 && sparse {
				r, _ := approx.MaxRel(m.TopicsMatrix, vk(g.Lambda1))
				t.Logf("λ within %.2g of scikit-learn's; logLikelihood %.15g (scikit-learn %.15g), logPerplexity %.15g (%.15g)", r, ll, g.LogLikelihood, lp, g.LogPerplexity)
			}
			out, err := ml.Transform(ctx, e, ds, m)
			if err != nil {
				t.Fatal(err)
			}
			tb, err := e.Collect(ctx, out)
			if err != nil {
				t.Fatal(err)
			}
			col := tb.Schema().Index("topicDistribution")
			for i, r := range tb.Rows() {
				got := r[col].(linalg.Vector).Values
				var tokens float64
				for _, c := range g.Counts[i] {
					tokens += c
				}
				if tokens == 0 {
					// Spark gives a document without terms zeros
					// (scikit-learn, the prior normalized).
					approx.Floats(t, "empty document's distribution", got, make([]float64, g.K), 0)
					continue
				}
				approx.Floats(t, "topic distribution", got, g.TopicDistribution[i], 1e-9)
			}
		}
	}
}

// TestLDANewtonStep: Spark's Newton step on α, against the same formula
// in numpy/scipy (testdata/lda_golden.py).
func TestLDANewtonStep(t *testing.T) {
	g := loadLDAGolden(t)
	nw := g.Newton
	got := updateAlpha(nw.Alpha, nw.Logphat, nw.N, nw.Rho)
	approx.Floats(t, "α after the Newton step", got, nw.Alpha1, 1e-12)
	if approx.Close(got[0], nw.Alpha[0], 1e-9) {
		t.Fatalf("the step did not move α: %v", got)
	}
	// A step that would make an α negative is not taken.
	same := updateAlpha([]float64{1, 1}, []float64{-1e6, 0}, 1, 1)
	if same[0] != 1 || same[1] != 1 {
		t.Errorf("a step to a negative α was taken: %v", same)
	}
}

// TestDigamma checks ψ and ψ′ at known values.
func TestDigamma(t *testing.T) {
	const euler = 0.57721566490153286061
	for _, c := range []struct{ x, psi, tri float64 }{
		{1, -euler, math.Pi * math.Pi / 6},
		{0.5, -euler - 2*math.Ln2, math.Pi * math.Pi / 2},
		{10, 2.251752589066721, 0.10516633568168575},
		{1e-3, -1000.5755719318103, 1000001.6425331959}, // scipy's psi and polygamma(1, x)
	} {
		if r := approx.Rel(digamma(c.x), c.psi); r > 1e-14 {
			t.Errorf("ψ(%v) = %.17g, want %.17g", c.x, digamma(c.x), c.psi)
		}
		if r := math.Abs(trigamma(c.x)-c.tri) / c.tri; r > 1e-13 {
			t.Errorf("ψ′(%v) = %.17g, want %.17g", c.x, trigamma(c.x), c.tri)
		}
	}
}

// topicsCorpus is a corpus of two obvious topics over 8 terms: terms 0–3
// in even documents, 4–7 in odd ones.
func topicsCorpus(n int) [][]float64 {
	x := make([][]float64, n)
	for i := range x {
		x[i] = make([]float64, 8)
		base := 4 * (i % 2)
		for j := range 4 {
			x[i][base+j] = float64(1 + (i+j)%3)
		}
	}
	return x
}

// TestLDAFit: the default online fit (optimizeDocConcentration on) finds
// the two topics, the same however the rows are partitioned (the same
// rows drawn, to rounding), deterministic for a seed, and better than its
// initial λ by the bound.
func TestLDAFit(t *testing.T) {
	ctx := context.Background()
	x := topicsCorpus(200)
	var models []*LDAModel
	for _, per := range []int{200, 7, 7} {
		e := &local.Engine{}
		ds := tabletest.Dataset(t, e, tabletest.Labeled(t, x, make([]float64, len(x)), per, per == 7))
		fm, err := (&LDA{K: 2, Seed: 3, MaxIter: ml.Int(30), SubsamplingRate: 0.3, LearningOffset: 1}).Fit(ctx, e, ds)
		if err != nil {
			t.Fatal(err)
		}
		m := fm.(*LDAModel)
		models = append(models, m)
		if m.IsDistributed() || m.VocabSize != 8 || m.K != 2 || len(m.TopicsMatrix) != 16 {
			t.Fatalf("model %+v", m)
		}
		topics := m.DescribeTopics(4)
		for _, tp := range topics {
			var sum float64
			lo := tp.TermIndices[0] < 4
			for i, w := range tp.TermIndices {
				if (w < 4) != lo {
					t.Fatalf("topic %d mixes the two groups of terms: %v", tp.Topic, tp.TermIndices)
				}
				if i > 0 && tp.TermWeights[i] > tp.TermWeights[i-1] {
					t.Fatalf("topic %d's weights are not sorted: %v", tp.Topic, tp.TermWeights)
				}
				sum += tp.TermWeights[i]
			}
			if sum > 1+1e-12 || sum < 0.9 {
				t.Fatalf("topic %d: its 4 terms weigh %v of the topic", tp.Topic, sum)
			}
		}
		if (topics[0].TermIndices[0] < 4) == (topics[1].TermIndices[0] < 4) {
			t.Fatalf("both topics on the same terms: %+v", topics)
		}
		if m.EstimatedDocConcentration[0] == 0.5 {
			t.Errorf("α not optimized: %v", m.EstimatedDocConcentration)
		}
		init := &LDAModel{FeaturesCol: "features", TopicDistributionCol: "topicDistribution", K: 2, VocabSize: 8,
			TopicsMatrix: gammaMatrix(3, 16), EstimatedDocConcentration: []float64{0.5, 0.5}, TopicConcentration: 0.5}
		before, err := init.LogPerplexity(ctx, e, ds)
		if err != nil {
			t.Fatal(err)
		}
		after, err := m.LogPerplexity(ctx, e, ds)
		if err != nil {
			t.Fatal(err)
		}
		if !(after < before-0.1) {
			t.Errorf("log perplexity %v after the fit, %v before", after, before)
		}
		// A document gets the same distribution in any row.
		out, err := ml.Transform(ctx, e, ds, m)
		if err != nil {
			t.Fatal(err)
		}
		tb, err := e.Collect(ctx, out)
		if err != nil {
			t.Fatal(err)
		}
		rows := tb.Rows()
		col := tb.Schema().Index("topicDistribution")
		a, b := rows[0][col].(linalg.Vector).Values, rows[6][col].(linalg.Vector).Values // the same terms
		approx.Floats(t, "same document, another row", a, b, 0)
		if math.Abs(a[0]+a[1]-1) > 1e-12 || math.Max(a[0], a[1]) < 0.9 {
			t.Errorf("document 0's topic distribution %v", a)
		}
	}
	approx.Floats(t, "partitions of 7 against one", models[1].TopicsMatrix, models[0].TopicsMatrix, 1e-9)
	approx.Floats(t, "α, partitions of 7 against one", models[1].EstimatedDocConcentration, models[0].EstimatedDocConcentration, 1e-9)
	approx.Floats(t, "the same fit again", models[2].TopicsMatrix, models[1].TopicsMatrix, 0)
}

// TestLDABadInput: negative, NaN and infinite weights name the row and
// column; k below 2, an empty dataset, an empty vocabulary, em, and
// docConcentration of the wrong length are clear errors.
func TestLDABadInput(t *testing.T) {
	rows := func(x ...[]float64) *table.Table { return tabletest.Labeled(t, x, make([]float64, len(x)), 2, false) }
	ok := [][]float64{{1, 0, 2}, {0, 3, 1}}
	for _, c := range []struct {
		name string
		lda  LDA
		tb   *table.Table
		want string
	}{
		{"negative", LDA{K: 2}, rows(ok[0], ok[1], []float64{1, -1, 0}), "row 3: column features: term 1 has weight -1"},
		{"NaN", LDA{K: 2}, rows(ok[0], []float64{math.NaN(), 1, 0}), "row 2: column features: term 0 has weight NaN"},
		{"infinite", LDA{K: 2}, rows([]float64{0, 0, math.Inf(1)}, ok[0]), "row 1: column features: term 2 has weight +Inf"},
		{"k below 2", LDA{K: 1}, rows(ok...), "k"},
		{"empty dataset", LDA{K: 2}, rows(), "no rows to fit"},
		{"empty vocabulary", LDA{K: 2}, rows([]float64{}, []float64{}), "vectors of size 0"},
		{"em", LDA{K: 2, Optimizer: "em"}, rows(ok...), "only Spark's \"online\" optimizer"},
		{"alpha length", LDA{K: 3, DocConcentration: []float64{1, 2}}, rows(ok...), "2 values for k = 3"},
		{"alpha zero", LDA{K: 2, DocConcentration: []float64{0}}, rows(ok...), "docConcentration"},
		{"decay", LDA{K: 2, LearningDecay: 0.5}, rows(ok...), "learningDecay"},
		{"checkpointInterval 0", LDA{K: 2, CheckpointInterval: ml.Int(0)}, rows(ok...), "checkpointInterval"},
		{"weights that overflow λ", LDA{K: 2, SubsamplingRate: 1, MaxIter: ml.Int(2)}, rows(ok[0], []float64{1e308, 1, 0}), "iteration 1: topic"},
		{"weights that sum to +Inf", LDA{K: 2}, rows([]float64{1e308, 1e308, 0}, ok[0]), "sum to +Inf"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := &local.Engine{}
			_, err := c.lda.Fit(context.Background(), e, tabletest.Dataset(t, e, c.tb))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

// TestLDAModelValidate: a damaged model is refused.
func TestLDAModelValidate(t *testing.T) {
	good := func() *LDAModel {
		return &LDAModel{K: 2, VocabSize: 2, TopicsMatrix: []float64{1, 2, 3, 4}, EstimatedDocConcentration: []float64{0.5, 0.5}, TopicConcentration: 0.5}
	}
	if err := good().Validate(); err != nil {
		t.Fatal(err)
	}
	for name, damage := range map[string]func(m *LDAModel){
		"short topics":   func(m *LDAModel) { m.TopicsMatrix = m.TopicsMatrix[:3] },
		"zero weight":    func(m *LDAModel) { m.TopicsMatrix[1] = 0 },
		"NaN weight":     func(m *LDAModel) { m.TopicsMatrix[1] = math.NaN() },
		"alpha length":   func(m *LDAModel) { m.EstimatedDocConcentration = []float64{1} },
		"negative alpha": func(m *LDAModel) { m.EstimatedDocConcentration[0] = -1 },
		"eta":            func(m *LDAModel) { m.TopicConcentration = math.Inf(1) },
		"huge":           func(m *LDAModel) { m.VocabSize = 1 << 40 },
	} {
		m := good()
		damage(m)
		if err := m.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestLDATuning: a cross-validator over k with the topics evaluator,
// made as a run makes it (from the estimator) and bound to each fold's
// model, picks a k, and logPerplexity is smaller-is-better.
func TestLDATuning(t *testing.T) {
	ctx := context.Background()
	e := &local.Engine{}
	x := topicsCorpus(60)
	ds := tabletest.Dataset(t, e, tabletest.Labeled(t, x, make([]float64, len(x)), 20, true))
	est := &LDA{Seed: 1, MaxIter: ml.Int(10), SubsamplingRate: 0.5}
	ev, err := evaluation.ForModel("logPerplexity", est, "")
	if err != nil {
		t.Fatal(err)
	}
	if ev.IsLargerBetter() {
		t.Fatal("logPerplexity is larger-is-better")
	}
	grid := (&tuning.ParamGridBuilder{}).AddGrid("k", 2, 3).Build()
	tm, err := (&tuning.CrossValidator{Estimator: est, EstimatorParamMaps: grid, Evaluator: ev, NumFolds: 2, Seed: 5}).FitTuned(ctx, e, ds)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range tm.AvgMetrics {
		if !(v > 0) || math.IsInf(v, 0) {
			t.Fatalf("average log perplexities %v", tm.AvgMetrics)
		}
	}
	if _, ok := tm.BestModel.(*LDAModel); !ok {
		t.Fatalf("best model %T", tm.BestModel)
	}
	// The unbound evaluator says what it lacks.
	if _, err := ev.Evaluate(ctx, e, ds); err == nil || !strings.Contains(err.Error(), "no fitted topic model") {
		t.Errorf("unbound evaluator: %v", err)
	}
	// Bound to the fitted model, logLikelihood is the model's.
	ll, err := evaluation.ForModel("logLikelihood", tm.BestModel, "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ll.Evaluate(ctx, e, ds)
	if err != nil {
		t.Fatal(err)
	}
	want, err := tm.BestModel.(*LDAModel).LogLikelihood(ctx, e, ds)
	if err != nil || got != want || !ll.IsLargerBetter() {
		t.Errorf("logLikelihood %v, the model's %v (%v)", got, want, err)
	}
}

// TestHeaviest: the top-n selection DescribeTopics uses gives a full
// sort's first n (heaviest first, the lower index first on a tie), ties
// and all.
func TestHeaviest(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{0, 1, 7, 100, 1000} {
		w := make([]float64, size)
		for i := range w {
			w[i] = float64(r.IntN(5)) // many ties
		}
		order := make([]int, size)
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(w[b], w[a]) })
		for _, n := range []int{0, 1, 3, 10, size} {
			n = min(n, size)
			if got := heaviest(size, n, func(i int) float64 { return w[i] }); !slices.Equal(got, order[:n]) && (n > 0 || len(got) != 0) {
				t.Fatalf("size %d, n %d: %v, want %v", size, n, got, order[:n])
			}
		}
	}
}

// TestLDAExpectationsCached: a model computes E[log β] once however many
// partitions or requests use it, and anew when its λ is replaced.
func TestLDAExpectationsCached(t *testing.T) {
	m := &LDAModel{FeaturesCol: "features", TopicDistributionCol: "topicDistribution", K: 2, VocabSize: 2,
		TopicsMatrix: []float64{1, 2, 3, 4}, EstimatedDocConcentration: []float64{0.5, 0.5}, TopicConcentration: 0.5}
	a, err := m.expectations()
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := m.expectations(); b != a {
		t.Fatal("computed twice")
	}
	m.TopicsMatrix = []float64{4, 3, 2, 1}
	if b, _ := m.expectations(); b == a || b.elog[0] == a.elog[0] {
		t.Fatal("a replaced λ kept the old expectations")
	}
}
