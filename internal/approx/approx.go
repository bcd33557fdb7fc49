// Package approx compares what a test computed with reference figures
// (golden values from scikit-learn, XGBoost, libsvm, statsmodels): every
// comparison treats a NaN or an infinity the reference does not hold as
// a failure — `math.Abs(got-want) > tol` is false for a NaN, and
// `math.Max(worst, NaN)` is NaN, so such tests let a broken computation
// through — and a golden file that yields no case fails instead of
// passing with nothing checked.
package approx

import (
	"fmt"
	"math"
	"testing"
)

// Rel returns |got − want| / max(1, |want|), +Inf when got is NaN or
// infinite and want is not (or they differ in kind: NaN against ±Inf,
// +Inf against −Inf), 0 when both are the same non-finite value.
func Rel(got, want float64) float64 {
	if bad, same := nonFinite(got, want); bad {
		if same {
			return 0
		}
		return math.Inf(1)
	}
	return math.Abs(got-want) / math.Max(1, math.Abs(want))
}

func nonFinite(got, want float64) (bad, same bool) {
	gf := !math.IsNaN(got) && !math.IsInf(got, 0)
	wf := !math.IsNaN(want) && !math.IsInf(want, 0)
	if gf && wf {
		return false, false
	}
	return true, math.IsNaN(got) && math.IsNaN(want) || got == want
}

// Close reports whether got is within tol of want (Rel).
func Close(got, want, tol float64) bool { return Rel(got, want) <= tol }

// MaxRel returns the largest Rel over the elements of got and want, and
// the index where it is; +Inf (index −1) when the lengths differ.
func MaxRel(got, want []float64) (float64, int) {
	if len(got) != len(want) {
		return math.Inf(1), -1
	}
	worst, at := 0.0, 0
	for i := range got {
		if r := Rel(got[i], want[i]); r > worst || math.IsNaN(r) {
			worst, at = r, i
		}
	}
	return worst, at
}

// ScaledRel returns max |got − want| over max |want| (a vector's error
// relative to its scale, as coefficient comparisons use), +Inf when an
// element of got is non-finite where want's is finite or the lengths
// differ; when every |want| is 0, max |got − want|.
func ScaledRel(got, want []float64) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	var maxRef, maxDiff float64
	for i := range got {
		if bad, same := nonFinite(got[i], want[i]); bad {
			if !same {
				return math.Inf(1)
			}
			continue
		}
		maxRef = math.Max(maxRef, math.Abs(want[i]))
		maxDiff = math.Max(maxDiff, math.Abs(got[i]-want[i]))
	}
	if maxRef == 0 {
		return maxDiff
	}
	return maxDiff / maxRef
}

// Floats fails t when an element of got is not within tol of want's
// (Rel), naming what, the index and both values.
func Floats(t testing.TB, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, want %d", what, len(got), len(want))
		return
	}
	if r, at := MaxRel(got, want); r > tol {
		t.Errorf("%s: item %d is %v, want %v (relative difference %.3g > %.3g)", what, at, got[at], want[at], r, tol)
	}
}

// Float fails t when got is not within tol of want (Rel).
func Float(t testing.TB, what string, got, want, tol float64) {
	t.Helper()
	if r := Rel(got, want); r > tol {
		t.Errorf("%s: %v, want %v (relative difference %.3g > %.3g)", what, got, want, r, tol)
	}
}

// Cases fails t at once when a golden file gave no cases: a test that
// checks nothing must not pass.
func Cases(t testing.TB, file string, n int) {
	t.Helper()
	if n == 0 {
		t.Fatalf("%s: no cases (an empty or unreadable golden file checks nothing)", file)
	}
}

// Describe formats a relative difference for a log line.
func Describe(r float64) string { return fmt.Sprintf("%.2g", r) }
