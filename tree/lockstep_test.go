package tree_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/spindle-ml/spindle/classification"
	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/engine/sched"
	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/tree"
)

// TestLockstepFitsAsAlone: boosted fits that share their first rounds'
// passes in lockstep (identical requests computed once, their result
// shared) are each the fit they are alone: a shared histogram is copied,
// not recycled under the other fit.
func TestLockstepFitsAsAlone(t *testing.T) {
	ctx := context.Background()
	e := &local.Engine{}
	x, y := make([][]float64, 600), make([]float64, 600)
	for i := range x {
		a, b := float64(i%37)/37, float64(i%11)/11
		x[i] = []float64{a, b, float64(i % 5)}
		if a+b > 1 {
			y[i] = 1
		}
	}
	ds := tabletest.Dataset(t, e, tabletest.Labeled(t, x, y, 100, false))
	iters := []int{2, 4, 4}
	fit := func(e engine.Engine, k int) (*tree.Ensemble, error) {
		m, err := (&classification.GBTClassifier{BoostParams: tree.BoostParams{MaxIter: &iters[k], NewtonLeaves: k == 2}}).Fit(ctx, e, ds)
		if err != nil {
			return nil, err
		}
		return &m.(*classification.GBTClassificationModel).Ensemble, nil
	}
	alone := make([]*tree.Ensemble, len(iters))
	for k := range iters {
		var err error
		if alone[k], err = fit(e, k); err != nil {
			t.Fatal(err)
		}
	}
	together := make([]*tree.Ensemble, len(iters))
	errs := sched.Lockstep(ctx, e, len(iters), func(ctx context.Context, k int, e engine.Engine) error {
		var err error
		together[k], err = fit(e, k)
		return err
	})
	for k, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(alone[k], together[k]) {
			t.Fatalf("fit %d differs in lockstep from alone", k)
		}
	}
}
