package classification

import (
	"context"
	"fmt"
	"math"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/internal/learned"
	"github.com/spindle-ml/spindle/internal/linmodel"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

func init() {
	engine.RegisterAggregator[*NaiveBayesStats](nbKernel{})
	ml.Register(ml.Registration{Name: "NaiveBayes", New: func() any { return new(NaiveBayes) }, Model: &NaiveBayesModel{}, Evaluator: "multiclass",
		Samples: []ml.Sample{
			{
				Columns: []ml.SampleColumn{{Name: "features", Type: table.Vector, Kind: "binary"}, {Name: "w", Type: table.Float64, Kind: "positive"}},
				Label:   "multiclass",
				Params:  ml.ParamMap{},
				Values:  map[string][]any{"weightCol": {"w"}},
			},
			{
				Name:    "counts",
				Columns: []ml.SampleColumn{{Name: "features", Type: table.Vector, Kind: "counts"}},
				Label:   "binary",
				Params:  ml.ParamMap{},
			},
			{
				Name:    "gaussian",
				Columns: []ml.SampleColumn{{Name: "features", Type: table.Vector}},
				Label:   "binary",
				Params:  ml.ParamMap{"modelType": "gaussian"},
			},
		}})
}

// Compile-time checks of the stage contract (see ml/stage.go).
var (
	_ ml.Estimator      = (*NaiveBayes)(nil)
	_ ml.SchemaChecker  = (*NaiveBayes)(nil)
	_ ml.ColumnReader   = (*NaiveBayes)(nil)
	_ ml.Model          = (*NaiveBayesModel)(nil)
	_ engine.Mapper     = (*NaiveBayesModel)(nil)
	_ ml.StateValidator = (*NaiveBayesModel)(nil)
)

// NaiveBayes is Spark ML's naive Bayes classifier, fitted in one pass.
// With n_c the (weighted) rows of class c, N = Σ n_c, K classes, d
// features and λ = Smoothing:
//
//   - multinomial (default; features ≥ 0, e.g. term counts):
//     π_c = log(n_c + λ) − log(N + Kλ),
//     θ_cj = log(t_cj + λ) − log(Σ_j t_cj + dλ), t_cj = Σ_{rows of c} w·x_j;
//     raw score π_c + θ_c·x.
//   - bernoulli (features 0 or 1): π_c as above,
//     θ_cj = log(t_cj + λ) − log(n_c + 2λ);
//     raw score π_c + Σ_j x_j·θ_cj + (1 − x_j)·log(1 − e^θ_cj).
//   - gaussian: π_c = log(n_c / N) (no smoothing), μ_cj the class means,
//     σ²_cj the class (population) variances plus ε = 1e-9 × the largest
//     feature variance over all rows; raw score π_c − ½ Σ_j ((x_j − μ_cj)²/σ²_cj + log σ²_cj).
//
// probability is the softmax of the raw scores; prediction the most
// probable class. Defaults: smoothing 1.0, modelType multinomial,
// featuresCol "features", labelCol "label" (class indexes 0, 1, …).
type NaiveBayes struct {
	FeaturesCol      string `param:"default=features,nonempty"`
	LabelCol         string `param:"default=label,nonempty"`
	WeightCol        string `param:""`
	PredictionCol    string `param:"default=prediction,nonempty"`
	RawPredictionCol string `param:"default=rawPrediction,nonempty"`
	ProbabilityCol   string `param:"default=probability,nonempty"`
	// Smoothing is λ, ≥ 0; nil means Spark's default 1.0.
	Smoothing *float64 `param:"default=1,min=0"`
	// ModelType is "multinomial" (default), "bernoulli" or "gaussian".
	ModelType string `param:"default=multinomial,oneOf=multinomial|bernoulli|gaussian"`
}

// InputColumns implements ml.ColumnReader.
func (nb *NaiveBayes) InputColumns() []string {
	return linmodel.InputColumns(nb.FeaturesCol, nb.LabelCol, nb.WeightCol)
}

// NaiveBayesStats are per-class sums (multinomial, bernoulli) or moments
// (gaussian).
type NaiveBayesStats struct {
	Size    int
	Weight  []float64   // n_c
	Sums    [][]float64 // t_cj
	Moments []*linmodel.Moments
}

type nbKernel struct {
	FeaturesCol, LabelCol, WeightCol, ModelType string
}

func (nbKernel) KernelName() string     { return "classification.NaiveBayesStats" }
func (nbKernel) Zero() *NaiveBayesStats { return &NaiveBayesStats{Size: -1} }

func (k nbKernel) Fold(_ context.Context, info engine.PartitionInfo, acc *NaiveBayesStats, b *table.Batch) (*NaiveBayesStats, error) {
	c, err := linmodel.Read(b, k.FeaturesCol, k.LabelCol, k.WeightCol)
	if err != nil {
		return nil, err
	}
	for i := 0; i < b.NumRows(); i++ {
		x, y, w, err := c.ClassRow(i, info)
		if err != nil {
			return nil, err
		}
		row := engine.Row{Info: info, Batch: b, I: i}
		if acc.Size < 0 {
			acc.Size = x.Size
		}
		if x.Size != acc.Size {
			return nil, fmt.Errorf("%s: features of size %d, earlier rows have %d (vectors of mismatched size)", row, x.Size, acc.Size)
		}
		cl := int(y)
		for cl >= len(acc.Weight) {
			acc.Weight = append(acc.Weight, 0)
			acc.Sums = append(acc.Sums, nil)
			acc.Moments = append(acc.Moments, nil)
		}
		acc.Weight[cl] += w
		if k.ModelType == "gaussian" {
			if acc.Moments[cl] == nil {
				acc.Moments[cl] = linmodel.NewMoments()
			}
			if err := acc.Moments[cl].Add(x, 0, w); err != nil {
				return nil, fmt.Errorf("%s: %w", row, err)
			}
			continue
		}
		if acc.Sums[cl] == nil {
			if err := linmodel.CheckFeatures(fmt.Sprintf("NaiveBayes sums of class %d", cl), x.Size, len(acc.Sums)+1); err != nil {
				return nil, err
			}
			acc.Sums[cl] = make([]float64, x.Size)
		}
		s := acc.Sums[cl]
		var bad error
		linmodel.ForEach(x, func(j int, v float64) {
			switch {
			case bad != nil:
			case k.ModelType == "bernoulli" && v != 1:
				bad = fmt.Errorf("%s: feature %d is %v; bernoulli naive Bayes needs 0 or 1", row, j, v)
			case v < 0 || !linmodel.Finite(v):
				bad = fmt.Errorf("%s: feature %d is %v; multinomial naive Bayes needs non-negative values", row, j, v)
			}
			s[j] += w * v
		})
		if bad != nil {
			return nil, bad
		}
	}
	return acc, nil
}

func (nbKernel) Merge(a, b *NaiveBayesStats) (*NaiveBayesStats, error) {
	if b.Size < 0 {
		return a, nil
	}
	if a.Size < 0 {
		return b, nil
	}
	if a.Size != b.Size {
		return nil, fmt.Errorf("features of sizes %d and %d (vectors of mismatched size)", a.Size, b.Size)
	}
	for len(a.Weight) < len(b.Weight) {
		a.Weight = append(a.Weight, 0)
		a.Sums = append(a.Sums, nil)
		a.Moments = append(a.Moments, nil)
	}
	for c := range b.Weight {
		a.Weight[c] += b.Weight[c]
		switch {
		case b.Sums[c] == nil:
		case a.Sums[c] == nil:
			a.Sums[c] = b.Sums[c]
		default:
			for j, v := range b.Sums[c] {
				a.Sums[c][j] += v
			}
		}
		switch {
		case b.Moments[c] == nil:
		case a.Moments[c] == nil:
			a.Moments[c] = b.Moments[c]
		default:
			m, err := a.Moments[c].Merge(b.Moments[c])
			if err != nil {
				return nil, err
			}
			a.Moments[c] = m
		}
	}
	return a, nil
}

// Fit implements ml.Estimator.
func (nb *NaiveBayes) Fit(ctx context.Context, e engine.Engine, ds engine.Dataset) (ml.Model, error) {
	const name = "NaiveBayes"
	featuresCol, labelCol := orDefault(nb.FeaturesCol, "features"), orDefault(nb.LabelCol, "label")
	if _, err := ml.InputColumn(name, ds.Schema(), featuresCol, table.Vector); err != nil {
		return nil, err
	}
	if _, err := ml.InputColumn(name, ds.Schema(), labelCol, table.Float64, table.Int64); err != nil {
		return nil, err
	}
	if err := ml.Validate(nb); err != nil {
		return nil, err
	}
	mt := orDefault(nb.ModelType, "multinomial")
	lambda := ml.FloatOr(nb.Smoothing, 1)
	st, err := engine.Aggregate(ctx, e, ds, nbKernel{featuresCol, labelCol, nb.WeightCol, mt})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var total float64
	present := 0
	for _, w := range st.Weight {
		total += w
		if w > 0 {
			present++
		}
	}
	if st.Size < 0 || total == 0 {
		return nil, fmt.Errorf("%s: no training rows (or every weight is 0)", name)
	}
	if present < 2 {
		return nil, fmt.Errorf("%s: the label column %q has a single class; a classifier needs at least two", name, labelCol)
	}
	k, d := max(len(st.Weight), 2), st.Size
	m := &NaiveBayesModel{FeaturesCol: featuresCol, PredictionCol: orDefault(nb.PredictionCol, "prediction"),
		RawPredictionCol: orDefault(nb.RawPredictionCol, "rawPrediction"), ProbabilityCol: orDefault(nb.ProbabilityCol, "probability"),
		ModelType: mt, NumClasses: k, NumFeatures: d, Pi: make([]float64, k), Theta: make([]float64, k*d)}
	weight := func(c int) float64 {
		if c < len(st.Weight) {
			return st.Weight[c]
		}
		return 0
	}
	if mt == "gaussian" {
		all := linmodel.NewMoments()
		for _, mo := range st.Moments {
			if mo != nil {
				if all, err = all.Merge(mo.Clone()); err != nil {
					return nil, err
				}
			}
		}
		var eps float64
		for _, v := range all.M2() {
			eps = math.Max(eps, v/all.WeightSum)
		}
		eps *= 1e-9
		m.Sigma = make([]float64, k*d)
		for c := 0; c < k; c++ {
			m.Pi[c] = math.Log(weight(c)) - math.Log(total) // −Inf for an absent class
			var mo *linmodel.Moments
			if c < len(st.Moments) {
				mo = st.Moments[c]
			}
			var mean, m2 []float64
			if mo != nil {
				mean, m2 = mo.Mean(), mo.M2()
			}
			for j := 0; j < d; j++ {
				if mo == nil || mo.WeightSum == 0 {
					m.Sigma[c*d+j] = 1
					continue
				}
				m.Theta[c*d+j] = mean[j]
				m.Sigma[c*d+j] = m2[j]/mo.WeightSum + eps
			}
		}
		return m, nil
	}
	piDen := math.Log(total + float64(k)*lambda)
	for c := 0; c < k; c++ {
		m.Pi[c] = math.Log(weight(c)+lambda) - piDen
		var sums []float64
		if c < len(st.Sums) {
			sums = st.Sums[c]
		}
		var den float64
		if mt == "multinomial" {
			var s float64
			for _, v := range sums {
				s += v
			}
			den = math.Log(s + float64(d)*lambda)
		} else {
			den = math.Log(weight(c) + 2*lambda)
		}
		for j := 0; j < d; j++ {
			t := 0.0
			if sums != nil {
				t = sums[j]
			}
			m.Theta[c*d+j] = math.Log(t+lambda) - den
		}
	}
	return m, nil
}

// NaiveBayesModel is a fitted naive Bayes classifier; Transform adds
// rawPrediction (log joint scores), probability and prediction.
type NaiveBayesModel struct {
	FeaturesCol             string `param:"default=features,nonempty"`
	PredictionCol           string `param:"default=prediction,nonempty"`
	RawPredictionCol        string `param:"default=rawPrediction,nonempty"`
	ProbabilityCol          string `param:"default=probability,nonempty"`
	ModelType               string `param:"oneOf=multinomial|bernoulli|gaussian"`
	NumClasses, NumFeatures int
	// Pi holds the log priors; Theta (classes × features, row-major) the
	// log conditional probabilities, or the means for gaussian; Sigma the
	// gaussian variances.
	Pi, Theta, Sigma []float64
}

// KernelName implements engine.Kernel.
func (*NaiveBayesModel) KernelName() string { return "classification.NaiveBayesModel" }

// OutputSchema implements engine.Mapper.
func (m *NaiveBayesModel) OutputSchema(in *table.Schema) (*table.Schema, error) {
	return probabilisticSchema("NaiveBayesModel", in, m.FeaturesCol, m.RawPredictionCol, m.ProbabilityCol, m.PredictionCol)
}

// probabilisticSchema adds a probabilistic classifier's three columns.
func probabilisticSchema(stage string, in *table.Schema, features, raw, prob, pred string) (*table.Schema, error) {
	if _, err := ml.InputColumn(stage, in, features, table.Vector); err != nil {
		return nil, err
	}
	s := in
	var err error
	for _, out := range []struct {
		name string
		t    table.Type
	}{{raw, table.Vector}, {prob, table.Vector}, {pred, table.Float64}} {
		if out.name == "" {
			continue
		}
		if s, err = ml.WithOutput(stage, s, out.name, out.t); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Predict returns the raw scores, probabilities and predicted class of x,
// or an error when x breaks the model type's requirements.
func (m *NaiveBayesModel) Predict(x linalg.Vector) (raw, prob []float64, pred float64, err error) {
	k, d := m.NumClasses, m.NumFeatures
	raw = make([]float64, k)
	switch m.ModelType {
	case "gaussian":
		dx := x.ToDense().Values
		for c := 0; c < k; c++ {
			s := 0.0
			for j, v := range dx {
				diff := v - m.Theta[c*d+j]
				sg := m.Sigma[c*d+j]
				s += diff*diff/sg + math.Log(sg)
			}
			raw[c] = m.Pi[c] - s/2
		}
	default:
		var bad error
		linmodel.ForEach(x, func(j int, v float64) {
			if bad == nil && (v < 0 || (m.ModelType == "bernoulli" && v != 1)) {
				bad = fmt.Errorf("feature %d is %v, not allowed by %s naive Bayes", j, v, m.ModelType)
			}
		})
		if bad != nil {
			return nil, nil, 0, bad
		}
		for c := 0; c < k; c++ {
			th := m.Theta[c*d : (c+1)*d]
			raw[c] = m.Pi[c]
			if m.ModelType == "bernoulli" {
				for j := range th {
					raw[c] += math.Log1p(-math.Exp(th[j]))
				}
				linmodel.ForEach(x, func(j int, v float64) { raw[c] += v * (th[j] - math.Log1p(-math.Exp(th[j]))) })
				continue
			}
			raw[c] += linalg.Dot(x, th)
		}
	}
	prob, best := softmax(raw)
	return raw, prob, float64(best), nil
}

// MapPartition implements engine.Mapper.
func (m *NaiveBayesModel) MapPartition(_ context.Context, info engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	out, err := m.OutputSchema(b.Schema())
	if err != nil {
		return nil, err
	}
	fc, err := table.ColumnAs[*table.VectorColumn](b, m.FeaturesCol)
	if err != nil {
		return nil, err
	}
	n := fc.Len()
	raws, probs := make([]linalg.Vector, n), make([]linalg.Vector, n)
	preds := make([]float64, n)
	err = linmodel.EachRow("NaiveBayesModel", b, fc, info, m.NumFeatures, func(i int, x linalg.Vector) error {
		r, p, y, err := m.Predict(x)
		raws[i], probs[i], preds[i] = linalg.Dense(r), linalg.Dense(p), y
		return err
	})
	if err != nil {
		return nil, err
	}
	cols := append(append([]table.Column(nil), b.Columns()...),
		table.NewVectorColumn(raws, nil), table.NewVectorColumn(probs, nil), table.NewFloat64Column(preds, nil))
	return b.Derive(out, cols)
}

// Validate checks the model's arrays against its sizes.
func (m *NaiveBayesModel) Validate() error {
	k, d := m.NumClasses, m.NumFeatures
	ok := k >= 2 && d >= 0 && len(m.Pi) == k && learned.IsMatrix(len(m.Theta), k, d)
	switch m.ModelType {
	case "gaussian":
		ok = ok && learned.IsMatrix(len(m.Sigma), k, d)
	case "multinomial", "bernoulli":
	default:
		ok = false
	}
	if !ok {
		return fmt.Errorf("NaiveBayesModel: type %q, %d classes, %d features, arrays %d/%d/%d", m.ModelType, k, d, len(m.Pi), len(m.Theta), len(m.Sigma))
	}
	return nil
}
