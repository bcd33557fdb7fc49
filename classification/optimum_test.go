package classification

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/ml"
)

// TestLogisticRegressionReachesOptimum: asked for tol 1e-12, a fit lands
// within 1e-6 (relative to max(1, |β|)) of the exact minimizer of Spark's
// objective, found here by Newton's method (exact gradient and Hessian),
// on the golden datasets, binomial and multinomial, standardization on
// and off, with and without L2.
func TestLogisticRegressionReachesOptimum(t *testing.T) {
	g := loadGoldenLR(t)
	ctx := context.Background()
	for _, name := range []string{"breast_cancer", "iris", "wine"} {
		for _, reg := range []float64{0.01, 0.001} {
			for _, std := range []bool{true, false} {
				t.Run(fmt.Sprintf("%s/reg=%v/std=%v", name, reg, std), func(t *testing.T) {
					d := g.Datasets[name]
					e := &local.Engine{}
					ds := tabletest.Dataset(t, e, dataset(t, d.X, d.Y, 50))
					lr := &LogisticRegression{RegParam: reg, Standardization: ml.Bool(std), MaxIter: ml.Int(10000), Tol: ml.Float(1e-12)}
					m, err := lr.Fit(ctx, e, ds)
					if err != nil {
						t.Fatal(err)
					}
					model := m.(*LogisticRegressionModel)
					k := len(model.Intercepts)
					want := newtonLR(t, d.X, d.Y, k, reg, std)
					nf := model.NumFeatures
					var worst float64
					for c := range k {
						for j := range nf {
							b := want[c*(nf+1)+j]
							worst = math.Max(worst, math.Abs(model.Coefficients[c*nf+j]-b)/math.Max(1, math.Abs(b)))
						}
						b := want[c*(nf+1)+nf]
						worst = math.Max(worst, math.Abs(model.Intercepts[c]-b)/math.Max(1, math.Abs(b)))
					}
					if worst > 1e-6 {
						t.Errorf("largest difference from the Newton minimizer %.3g (%d iterations)", worst, model.TotalIterations)
					} else {
						t.Logf("within %.2g of the Newton minimizer (%d iterations)", worst, model.TotalIterations)
					}
				})
			}
		}
	}
}

// newtonLR minimizes Spark's L2 logistic objective over the raw features,
//
//	(1/n) Σ loss_i + reg/2 Σ_c Σ_j (s_j·β_cj)²,  s_j = σ_j if std, else 1,
//
// by Newton's method from zero, to a gradient below 1e-13 (or 100
// steps); it returns K
// rows of d coefficients and an intercept (multinomial intercepts
// centred, as the model's).
func newtonLR(t *testing.T, x [][]float64, y []float64, k int, reg float64, std bool) []float64 {
	t.Helper()
	n, d := len(x), len(x[0])
	s := make([]float64, d)
	for j := range s {
		s[j] = 1
		if std {
			var mean, m2 float64
			for _, r := range x {
				mean += r[j] / float64(n)
			}
			for _, r := range x {
				m2 += (r[j] - mean) * (r[j] - mean)
			}
			s[j] = math.Sqrt(m2 / float64(n-1))
		}
	}
	p := d + 1
	theta := make([]float64, k*p)
	for it := 0; it < 100; it++ {
		grad := make([]float64, k*p)
		hess := mat.NewSymDense(k*p, nil)
		for i, r := range x {
			z := append(append([]float64{}, r...), 1)
			marg := make([]float64, k)
			for c := range k {
				for j, v := range z {
					marg[c] += theta[c*p+j] * v
				}
			}
			prob := make([]float64, k)
			if k == 1 {
				prob[0] = 1 / (1 + math.Exp(-marg[0]))
			} else {
				mx := math.Inf(-1)
				for _, v := range marg {
					mx = math.Max(mx, v)
				}
				var sum float64
				for c, v := range marg {
					prob[c] = math.Exp(v - mx)
					sum += prob[c]
				}
				for c := range prob {
					prob[c] /= sum
				}
			}
			for a := range k {
				ra := prob[a]
				if (k == 1 && y[i] == 1) || (k > 1 && int(y[i]) == a) {
					ra--
				}
				for j, v := range z {
					grad[a*p+j] += ra * v / float64(n)
				}
				for b := a; b < k; b++ {
					w := -prob[a] * prob[b]
					if a == b {
						w = prob[a] * (1 - prob[a])
					}
					for j, vj := range z {
						for l, vl := range z {
							if b == a && l < j {
								continue
							}
							hess.SetSym(a*p+j, b*p+l, hess.At(a*p+j, b*p+l)+w*vj*vl/float64(n))
						}
					}
				}
			}
		}
		for c := range k {
			for j := range d {
				q := reg * s[j] * s[j]
				grad[c*p+j] += q * theta[c*p+j]
				hess.SetSym(c*p+j, c*p+j, hess.At(c*p+j, c*p+j)+q)
			}
		}
		if k > 1 {
			// Softmax intercepts are defined up to a common shift: adding
			// (Σ_c b_c)²/2 picks the centred ones and changes nothing else.
			var sum float64
			for c := range k {
				sum += theta[c*p+d]
			}
			for a := range k {
				grad[a*p+d] += sum
				for b := a; b < k; b++ {
					hess.SetSym(a*p+d, b*p+d, hess.At(a*p+d, b*p+d)+1)
				}
			}
		}
		var gmax float64
		for _, v := range grad {
			gmax = math.Max(gmax, math.Abs(v))
		}
		if gmax < 1e-13 {
			break
		}
		var ch mat.Cholesky
		if !ch.Factorize(hess) {
			t.Fatal("Newton: the Hessian is not positive definite")
		}
		var step mat.VecDense
		if err := ch.SolveVecTo(&step, mat.NewVecDense(k*p, grad)); err != nil {
			var cond mat.Condition
			if !errors.As(err, &cond) { // a large condition number only warns: raw features span orders of magnitude
				t.Fatal(err)
			}
		}
		for i := range theta {
			theta[i] -= step.AtVec(i)
		}
	}
	if k > 1 {
		var mean float64
		for c := range k {
			mean += theta[c*p+d] / float64(k)
		}
		for c := range k {
			theta[c*p+d] -= mean
		}
	}
	return theta
}
