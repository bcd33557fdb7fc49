package classification

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/ml"
)

// TestWrittenZeroIsNotDefault: maxIter 0, tol 0 and threshold 0 are
// values, as in Spark, not the defaults (100, 1e-6, 0.5).
func TestWrittenZeroIsNotDefault(t *testing.T) {
	ctx := context.Background()
	e := &local.Engine{}
	x := [][]float64{{0, 1}, {1, 0}, {2, 1}, {3, 0}, {0.5, 0.5}, {2.5, 1}, {1.5, 0.2}}
	y := []float64{0, 0, 1, 1, 0, 1, 1}
	ds := tabletest.Dataset(t, e, dataset(t, x, y, 3))

	// maxIter 0: the starting point (zero coefficients, the log-odds
	// intercept), no iteration.
	m, err := (&LogisticRegression{MaxIter: ml.Int(0)}).Fit(ctx, e, ds)
	if err != nil {
		t.Fatal(err)
	}
	lm := m.(*LogisticRegressionModel)
	if lm.TotalIterations != 0 || lm.Coefficients[0] != 0 || lm.Coefficients[1] != 0 || math.Abs(lm.Intercepts[0]-math.Log(4.0/3)) > 1e-12 {
		t.Errorf("maxIter 0: iterations %d, coefficients %v, intercept %v", lm.TotalIterations, lm.Coefficients, lm.Intercepts)
	}
	def, err := (&LogisticRegression{}).Fit(ctx, e, ds)
	if err != nil {
		t.Fatal(err)
	}
	if it := def.(*LogisticRegressionModel).TotalIterations; it == 0 {
		t.Errorf("default maxIter ran %d iterations", it)
	}

	// tol 0 runs until the gradient vanishes or the objective no longer
	// decreases (or maxIter); 1e-6 stops earlier, at a higher objective.
	tight, err := (&LogisticRegression{RegParam: 0.1, Tol: ml.Float(0), MaxIter: ml.Int(60)}).Fit(ctx, e, ds)
	if err != nil {
		t.Fatal(err)
	}
	loose, err := (&LogisticRegression{RegParam: 0.1, MaxIter: ml.Int(60)}).Fit(ctx, e, ds)
	if err != nil {
		t.Fatal(err)
	}
	th, lh := tight.(*LogisticRegressionModel).ObjectiveHistory, loose.(*LogisticRegressionModel).ObjectiveHistory
	if a, b := th[len(th)-1], lh[len(lh)-1]; !(a < b) {
		t.Errorf("tol 0 ended at objective %v (%d iterations), default tol at %v (%d)", a, len(th)-1, b, len(lh)-1)
	}

	// threshold 0: every row is predicted 1 (P > 0).
	zero, err := (&LogisticRegression{Threshold: ml.Float(0)}).Fit(ctx, e, ds)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := ml.Transform(ctx, e, ds, zero)
	res, err := e.Collect(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res.Rows() {
		if r[4].(float64) != 1 {
			t.Errorf("threshold 0: row %d predicted %v", i, r[4])
		}
	}

	// LinearSVC: maxIter 0 keeps the all-zero start.
	svc, err := (&LinearSVC{MaxIter: ml.Int(0)}).Fit(ctx, e, ds)
	if err != nil {
		t.Fatal(err)
	}
	if sm := svc.(*LinearSVCModel); sm.Coefficients[0] != 0 || sm.Intercept != 0 {
		t.Errorf("LinearSVC maxIter 0: %v %v", sm.Coefficients, sm.Intercept)
	}
}

// TestModelThresholdZero: a model's threshold of 0 is a threshold (every
// positive probability predicts 1); the estimator's default gives 0.5.
func TestModelThresholdZero(t *testing.T) {
	m := &LogisticRegressionModel{NumClasses: 2, NumFeatures: 1, Coefficients: []float64{1}, Intercepts: []float64{-0.2}, Threshold: 0.5}
	if _, _, pred := m.Predict(linalg.Dense([]float64{0})); pred != 0 { // p = σ(-0.2) < 0.5
		t.Errorf("threshold 0.5: prediction %v, want 0", pred)
	}
	m.Threshold = 0
	if _, _, pred := m.Predict(linalg.Dense([]float64{0})); pred != 1 { // threshold 0
		t.Errorf("explicit 0: prediction %v, want 1", pred)
	}
}

// TestTooManyFeaturesRefused: a feature space the machine cannot hold is
// refused, with the estimate, before anything is allocated for it.
func TestTooManyFeaturesRefused(t *testing.T) {
	ctx := context.Background()
	e := &local.Engine{}
	const d = 1<<31 - 1
	vecs := []linalg.Vector{{Size: d, Indices: []int32{0, d - 1}, Values: []float64{1, 2}}, {Size: d, Indices: []int32{5}, Values: []float64{1}}}
	tb := tabletest.LabeledVectors(t, vecs, []float64{0, 1})
	ds := tabletest.Dataset(t, e, tb)
	for _, est := range []ml.Estimator{&LogisticRegression{}, &LinearSVC{}, &NaiveBayes{}} {
		_, err := est.Fit(ctx, e, ds)
		if err == nil || !strings.Contains(err.Error(), "2147483647 features would need about") || !strings.Contains(err.Error(), "use fewer features") {
			t.Errorf("%T: %v", est, err)
		}
	}
}
