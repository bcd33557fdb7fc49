package classification

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/internal/approx"

	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/evaluation"
	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/ml"
)

// TestNaiveBayesGolden compares the three model types with scikit-learn
// on three datasets (see testdata/golden/naivebayes.py): parameters,
// probabilities and training accuracy.
func TestNaiveBayesGolden(t *testing.T) {
	data, err := os.ReadFile("testdata/golden/naivebayes.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Datasets map[string]struct {
			X         [][]float64 `json:"X"`
			Threshold []float64   `json:"threshold"`
			Y         []float64   `json:"y"`
		} `json:"datasets"`
		Cases []struct {
			Dataset, ModelType string
			Smoothing          float64
			Pi                 []float64
			Theta, Sigma       [][]float64
			Probability        [][]float64
			TrainAccuracy      float64 `json:"train_accuracy"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	e := &local.Engine{}
	approx.Cases(t, "naive Bayes golden file", len(g.Cases))
	for _, c := range g.Cases {
		t.Run(fmt.Sprintf("%s/%s/smoothing=%v", c.Dataset, c.ModelType, c.Smoothing), func(t *testing.T) {
			d := g.Datasets[c.Dataset]
			x := d.X
			if c.ModelType == "bernoulli" {
				x = make([][]float64, len(d.X))
				for i, r := range d.X {
					x[i] = make([]float64, len(r))
					for j, v := range r {
						if v > d.Threshold[j] {
							x[i][j] = 1
						}
					}
				}
			}
			ds := tabletest.Dataset(t, e, dataset(t, x, d.Y, 64))
			lam := c.Smoothing
			m, err := (&NaiveBayes{ModelType: c.ModelType, Smoothing: &lam}).Fit(ctx, e, ds)
			if err != nil {
				t.Fatal(err)
			}
			nb := m.(*NaiveBayesModel)
			var worst float64
			check := func(got, want float64) {
				if r := approx.Rel(got, want); !(r <= worst) {
					worst = r
				}
			}
			for k, p := range c.Pi {
				check(nb.Pi[k], p)
				for j, v := range c.Theta[k] {
					check(nb.Theta[k*nb.NumFeatures+j], v)
					if c.Sigma != nil {
						check(nb.Sigma[k*nb.NumFeatures+j], c.Sigma[k][j])
					}
				}
			}
			for i, want := range c.Probability {
				_, p, _, err := nb.Predict(linalg.Dense(x[i]))
				if err != nil {
					t.Fatal(err)
				}
				for k := range want {
					check(p[k], want[k])
				}
			}
			if !(worst <= 1e-9) {
				t.Errorf("%s %s λ=%v: parameters or probabilities differ by %.3g", c.Dataset, c.ModelType, c.Smoothing, worst)
			} else {
				t.Logf("%s %s λ=%v: within %.2g", c.Dataset, c.ModelType, c.Smoothing, worst)
			}
			pred, _ := ml.Transform(ctx, e, ds, m)
			acc, err := (&evaluation.MulticlassClassificationEvaluator{MetricName: "accuracy"}).Evaluate(ctx, e, pred)
			if err != nil {
				t.Fatal(err)
			}
			approx.Float(t, fmt.Sprintf("%s %s: train accuracy (scikit-learn's)", c.Dataset, c.ModelType), acc, c.TrainAccuracy, 1e-12)
		})
	}
}

func TestNaiveBayesErrors(t *testing.T) {
	ctx := context.Background()
	e := &local.Engine{}
	x := [][]float64{{1, 0}, {0, 2}, {3, 1}, {1, 1}}
	y := []float64{0, 1, 0, 1}
	neg := -1.0
	cases := []struct {
		name string
		x    [][]float64
		y    []float64
		nb   *NaiveBayes
		want string
	}{
		{"negative feature", [][]float64{{1, 0}, {0, -2}, {3, 1}, {1, 1}}, y, &NaiveBayes{}, "row 2: feature 1 is -2; multinomial naive Bayes needs non-negative values"},
		{"bernoulli needs 0/1", [][]float64{{1, 0}, {0, 2}, {1, 1}, {1, 1}}, y, &NaiveBayes{ModelType: "bernoulli"}, "row 2: feature 1 is 2; bernoulli naive Bayes needs 0 or 1"},
		{"bad type", x, y, &NaiveBayes{ModelType: "complement"}, `parameter modelType: must be one of multinomial, bernoulli, gaussian, got "complement"`},
		{"bad smoothing", x, y, &NaiveBayes{Smoothing: &neg}, "parameter smoothing: must be ≥ 0, got -1"},
		{"one class", x, []float64{1, 1, 1, 1}, &NaiveBayes{}, "single class"},
		{"fractional label", x, []float64{0, 1.5, 0, 1}, &NaiveBayes{}, "label 1.5"},
	}
	for _, c := range cases {
		ds := tabletest.Dataset(t, e, dataset(t, c.x, c.y, 2))
		if _, err := c.nb.Fit(ctx, e, ds); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}
