package tree

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

// Params are the parameters Spark's tree learners share, with Spark's
// names and defaults; the tree stages embed them.
type Params struct {
	FeaturesCol   string `param:"default=features,nonempty"`
	LabelCol      string `param:"default=label,nonempty"`
	WeightCol     string `param:""`
	PredictionCol string `param:"default=prediction,nonempty"`
	// MaxDepth bounds the depth of a tree (0: a single leaf); nil means
	// Spark's 5. At most 30.
	MaxDepth *int `param:"default=5,min=0,max=30"`
	// MaxBins is the number of bins a feature's values are put in
	// (0 means Spark's 32); at most 256, a bin index being one byte.
	MaxBins int `param:"default=32,min=2,max=256"`
	// MinInstancesPerNode is the fewest rows a child may have (0 means
	// Spark's 1).
	MinInstancesPerNode int `param:"default=1,min=1"`
	// MinInfoGain is the least gain a split must have (default 0).
	MinInfoGain float64 `param:"default=0,min=0"`
	// MinWeightFractionPerNode is the least fraction of the total weight
	// a child may have (default 0; below 0.5).
	MinWeightFractionPerNode float64 `param:"default=0,min=0,lt=0.5"`
	// Seed seeds sampling: bootstrap, subsampling, feature subsets and
	// the split thresholds' sample (default 0).
	Seed int64 `param:"default=0"`
	// CacheNodeIds, CheckpointInterval and MaxMemoryInMB are accepted so
	// that a spec written for Spark runs, and have no effect: they bound
	// Spark's per-node RDD caching and the nodes it groups per pass, while
	// Spindle keeps each row's node on the embedded engine (or walks the
	// tree on Beam's workers) and builds every open node of a level in
	// one pass.
	CacheNodeIds       bool `param:"default=false"`
	CheckpointInterval *int `param:"default=10,min=-1"`
	MaxMemoryInMB      *int `param:"default=256,min=0"`
}

// Columns returns the feature, label and prediction column names, with
// Spark's defaults.
func (p *Params) Columns() (features, label, prediction string) {
	return or(p.FeaturesCol, "features"), or(p.LabelCol, "label"), or(p.PredictionCol, "prediction")
}

// InputColumns returns the columns a learner reads (ml.ColumnReader).
func (p *Params) InputColumns(extra ...string) []string {
	f, l, _ := p.Columns()
	out := []string{f, l}
	for _, c := range append([]string{p.WeightCol}, extra...) {
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// CheckColumns checks a learner's label column (numeric) and weight
// column (numeric, when set) in its input schema, naming the stage.
func (p *Params) CheckColumns(stage string, in *table.Schema) error {
	_, label, _ := p.Columns()
	if _, err := ml.InputColumn(stage, in, label, table.Float64, table.Int64); err != nil {
		return err
	}
	if p.WeightCol != "" {
		if _, err := ml.InputColumn(stage, in, p.WeightCol, table.Float64, table.Int64); err != nil {
			return err
		}
	}
	return nil
}

// Forest is the fit of a decision tree or forest stage named stage over
// ds (its parameters validated): the binning passes, then numTrees trees
// grown together — class trees of impurity gini (default) or entropy
// when classify, else variance trees — each node drawing features by
// strategy, each tree its rows by sampling.
func (p *Params) Forest(ctx context.Context, e engine.Engine, ds engine.Dataset, stage string, classify bool, impurity string,
	numTrees int, strategy string, sampling Sampling) (*Ensemble, error) {
	b, err := p.Prepare(ctx, e, ds, stage, classify, "")
	if err != nil {
		return nil, err
	}
	defer engine.Release(e, b.Data)
	cfg, classes := p.Config(b, Variance, 0, "variance"), 0
	if classify {
		classes = max(int(b.MaxLabel)+1, 2)
		cfg = p.Config(b, Classes, classes, or(impurity, "gini"))
	}
	if cfg.FeaturesPerNode, err = FeaturesPerNode(strategy, b.NumFeatures(), numTrees, classify); err != nil {
		return nil, fmt.Errorf("%s: %w", stage, err)
	}
	trees, _, err := FitForest(ctx, e, b, cfg, numTrees, sampling)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", stage, err)
	}
	return &Ensemble{NumFeatures: b.NumFeatures(), NumClasses: classes, Trees: trees}, nil
}

// Depth returns MaxDepth with its default.
func (p *Params) Depth() int {
	if p.MaxDepth == nil {
		return 5
	}
	return *p.MaxDepth
}

// Bins returns MaxBins with its default.
func (p *Params) Bins() int {
	if p.MaxBins == 0 {
		return 32
	}
	return p.MaxBins
}

// Config returns the growing configuration of p over b.
func (p *Params) Config(b *Binned, kind Kind, classes int, impurity string) *Config {
	return &Config{Kind: kind, Classes: classes, Impurity: impurity, MaxDepth: p.Depth(),
		MinInstances: float64(max(p.MinInstancesPerNode, 1)), MinWeight: p.MinWeightFractionPerNode * b.WeightSum,
		MinInfoGain: p.MinInfoGain, NumBins: b.NumBins, Splits: b.Splits, Arity: b.Arity, MaxBins: p.Bins(), Seed: p.Seed,
		Weighted: b.Weighted, Validation: b.Validation}
}

// FeaturesPerNode resolves Spark's featureSubsetStrategy for nf features:
// "auto" (all for a single tree, else "sqrt" for classification and
// "onethird" for regression), "all", "sqrt" (⌈√n⌉), "log2" (⌈log₂ n⌉,
// at least 1), "onethird" (⌈n/3⌉), a fraction in (0, 1] (⌈f·n⌉) or a
// count n ≥ 1. It returns 0 for all features.
func FeaturesPerNode(strategy string, nf, numTrees int, classification bool) (int, error) {
	s := strings.ToLower(strings.TrimSpace(strategy))
	if s == "" || s == "auto" {
		switch {
		case numTrees == 1:
			s = "all"
		case classification:
			s = "sqrt"
		default:
			s = "onethird"
		}
	}
	var k int
	switch s {
	case "all":
		return 0, nil
	case "sqrt":
		k = int(math.Ceil(math.Sqrt(float64(nf))))
	case "log2":
		k = max(1, int(math.Ceil(math.Log2(float64(nf)))))
	case "onethird":
		k = int(math.Ceil(float64(nf) / 3))
	default:
		if n, err := strconv.Atoi(s); err == nil && n >= 1 {
			k = n
		} else if f, err := strconv.ParseFloat(s, 64); err == nil && f > 0 && f <= 1 {
			k = int(math.Ceil(f * float64(nf)))
		} else {
			return 0, fmt.Errorf("featureSubsetStrategy %q: want auto, all, sqrt, log2, onethird, a fraction in (0, 1] or a count ≥ 1", strategy)
		}
	}
	if k >= nf {
		return 0, nil
	}
	return k, nil
}

// CheckStrategy checks a featureSubsetStrategy's form (ml.ParamChecker).
func CheckStrategy(strategy string) error {
	_, err := FeaturesPerNode(strategy, 10, 2, true)
	return err
}

// FitStats count the passes of a fit.
type FitStats struct {
	// Passes is the number of engine passes of the fit, sampling and
	// binning included; TreePasses those of the trees' levels and, for
	// boosting, of the rounds' updates.
	Passes, TreePasses int
	// Rounds is the number of boosting rounds kept (GBT).
	Rounds int
}

// FitForest grows numTrees trees together over b (1: a decision tree),
// each on its own draw of the rows (sampling's Method and Rate; its seed
// is the tree's), one pass per level for all of them.
func FitForest(ctx context.Context, e engine.Engine, b *Binned, cfg *Config, numTrees int, sampling Sampling) ([]Tree, int, error) {
	specs := make([]Spec, numTrees)
	for t := range specs {
		s := sampling
		s.Seed = cfg.Seed ^ int64(rowKey(int64(t), 0x7f4a7c15))
		specs[t] = Spec{Target: -1, Sampling: s, Index: t}
	}
	res, err := Grow(ctx, e, b.Data, cfg, specs)
	if err != nil {
		return nil, 0, err
	}
	trees := make([]Tree, len(res.Trees))
	for t, tr := range res.Trees {
		trees[t] = *tr
	}
	return trees, res.Passes, nil
}

// BoostParams are the parameters of Spark's gradient-boosted trees, with
// Spark's names and defaults, and XGBoost's second-order boosting as an
// option whose default keeps Spark's behaviour. The GBT stages embed them.
type BoostParams struct {
	// MaxIter is the number of boosting rounds (nil means Spark's 20).
	MaxIter *int `param:"default=20,min=1"`
	// StepSize is the learning rate, in (0, 1] (nil means Spark's 0.1).
	StepSize *float64 `param:"default=0.1,gt=0,max=1"`
	// SubsamplingRate is the share of rows each round samples, without
	// replacement (nil means 1).
	SubsamplingRate *float64 `param:"default=1,gt=0,max=1"`
	// FeatureSubsetStrategy is the features each node draws ("all" by
	// default; see RandomForest).
	FeatureSubsetStrategy string `param:"default=all,nonempty"`
	// ValidationIndicatorCol names a boolean column marking validation
	// rows: they are left out of training, and boosting stops early when
	// their error stops improving by ValidationTol (Spark's rule).
	ValidationIndicatorCol string `param:""`
	// ValidationTol (nil means Spark's 0.01).
	ValidationTol *float64 `param:"default=0.01,min=0"`
	// NewtonLeaves (beyond Spark; default false) fits each tree to the
	// loss's gradients and hessians, with split gain ½(G_L²/(H_L+λ) +
	// G_R²/(H_R+λ) − G²/(H+λ)) and leaf values −G/(H+λ), as XGBoost does;
	// boosting then starts from margin 0 (the mean label for the squared
	// loss) instead of Spark's first tree fitted to the label.
	// minInfoGain is then XGBoost's gamma.
	NewtonLeaves bool `param:"default=false"`
	// RegLambda is λ, the L2 penalty of Newton leaf values (nil means 1,
	// XGBoost's reg_lambda).
	RegLambda *float64 `param:"default=1,min=0"`
	// MinChildWeight is the least hessian sum a Newton child may have
	// (nil means 1, XGBoost's min_child_weight).
	MinChildWeight *float64 `param:"default=1,min=0"`
}

// CheckColumns checks the validation indicator column, when set, in a
// boosting stage's input schema.
func (bp *BoostParams) CheckColumns(stage string, in *table.Schema) error {
	if bp.ValidationIndicatorCol == "" {
		return nil
	}
	_, err := ml.InputColumn(stage, in, bp.ValidationIndicatorCol, table.Bool)
	return err
}

// Boost returns the boosting configuration for loss and k margins, and
// sets cfg's Newton parameters and its features per node
// (featureSubsetStrategy, all by default).
func (bp *BoostParams) Boost(cfg *Config, loss string, k int) (Boost, error) {
	var err error
	if cfg.FeaturesPerNode, err = FeaturesPerNode(or(bp.FeatureSubsetStrategy, "all"), len(cfg.NumBins), 1, false); err != nil {
		return Boost{}, err
	}
	iters := 20
	if bp.MaxIter != nil {
		iters = *bp.MaxIter
	}
	b := Boost{Loss: loss, K: k, Newton: bp.NewtonLeaves, MaxIter: iters, Step: 0.1, Rate: 1, ValidationTol: 0.01}
	if bp.StepSize != nil {
		b.Step = *bp.StepSize
	}
	if bp.SubsamplingRate != nil {
		b.Rate = *bp.SubsamplingRate
	}
	if bp.ValidationTol != nil {
		b.ValidationTol = *bp.ValidationTol
	}
	if bp.NewtonLeaves {
		cfg.Kind = Newton
		cfg.Lambda, cfg.MinHessian = 1, 1
		if bp.RegLambda != nil {
			cfg.Lambda = *bp.RegLambda
		}
		if bp.MinChildWeight != nil {
			cfg.MinHessian = *bp.MinChildWeight
		}
	}
	return b, nil
}

// ForestParams are the parameters of Spark's random forests, with Spark's
// names and defaults; the forest stages embed them.
type ForestParams struct {
	// NumTrees is the number of trees (0 means Spark's 20).
	NumTrees int `param:"default=20,min=1"`
	// FeatureSubsetStrategy is how many features each node draws: auto
	// (default: sqrt for classification, onethird for regression), all,
	// sqrt, log2, onethird, a fraction in (0, 1] or a count.
	FeatureSubsetStrategy string `param:"default=auto,nonempty"`
	// SubsamplingRate is the share of rows each tree draws (nil means 1).
	SubsamplingRate *float64 `param:"default=1,gt=0,max=1"`
	// Bootstrap draws rows with replacement (nil means true).
	Bootstrap *bool `param:"default=true"`
}

// CheckParams implements ml.ParamChecker (promoted to the stages).
func (fp *ForestParams) CheckParams() error { return checkStrategy(fp.FeatureSubsetStrategy) }

// Trees returns NumTrees with its default.
func (fp *ForestParams) Trees() int {
	if fp.NumTrees == 0 {
		return 20
	}
	return fp.NumTrees
}

// Sampling returns Spark's row sampling of numTrees trees: Poisson
// copies (a bootstrap) with more than one tree unless Bootstrap is
// false, else a subsamplingRate sample without replacement when it is
// below 1, else every row.
func (fp *ForestParams) Sampling(numTrees int) Sampling {
	r := 1.0
	if fp.SubsamplingRate != nil {
		r = *fp.SubsamplingRate
	}
	switch {
	case numTrees > 1 && (fp.Bootstrap == nil || *fp.Bootstrap):
		return Sampling{Method: SamplePoisson, Rate: r}
	case r < 1:
		return Sampling{Method: SampleBernoulli, Rate: r}
	}
	return Sampling{}
}

// checkStrategy is CheckStrategy as a parameter error.
func checkStrategy(s string) error {
	if err := CheckStrategy(s); err != nil {
		return ml.ParamErrorf("featureSubsetStrategy", "%v", err)
	}
	return nil
}

// CheckParams implements ml.ParamChecker (promoted to the stages).
func (bp *BoostParams) CheckParams() error { return checkStrategy(bp.FeatureSubsetStrategy) }

// Prepare is the binning a stage named stage runs before it grows trees
// (the package Prepare): it reads p's columns and the features'
// categorical marks (refusing, before any pass, one with more categories
// than maxBins), requires class indexes as labels when classify, and
// leaves out of the thresholds' sample the rows validationCol marks.
func (p *Params) Prepare(ctx context.Context, e engine.Engine, ds engine.Dataset, stage string, classify bool, validationCol string) (*Binned, error) {
	features, label, _ := p.Columns()
	cats, err := CategoricalFeatures(stage, ds.Schema(), features, p.Bins())
	if err != nil {
		return nil, err
	}
	in := Input{FeaturesCol: features, LabelCol: label, WeightCol: p.WeightCol, ValidationCol: validationCol, Categories: cats}
	if classify {
		in.Classes = -1
	}
	b, err := Prepare(ctx, e, ds, in, p.Bins(), p.Seed)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", stage, err)
	}
	return b, nil
}
