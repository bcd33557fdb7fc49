package beam_test

import (
	"context"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/classification"
	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/engine/beam"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/feature"
	"github.com/spindle-ml/spindle/internal/s3test"
	"github.com/spindle-ml/spindle/internal/tabletest"
)

var server *s3test.Server

func TestMain(m *testing.M) { os.Exit(s3test.Main(m, &server)) }

func data(t *testing.T) ([][]float64, []float64) {
	r := rand.New(rand.NewPCG(3, 4))
	x := make([][]float64, 500)
	y := make([]float64, len(x))
	for i := range x {
		x[i] = []float64{r.NormFloat64(), r.NormFloat64() * 3, r.Float64()}
		if x[i][0]-0.5*x[i][1]+0.3*r.NormFloat64() > 0 {
			y[i] = 1
		}
	}
	return x, y
}

// TestSameResultsAsLocal: the same kernels give the same results on the
// Beam engine (prism, in process; staging on a local directory and on
// s3://) as on the embedded engine, bit for bit.
func TestSameResultsAsLocal(t *testing.T) {
	ctx := context.Background()
	if err := server.CreateBucket(ctx, "staging"); err != nil {
		t.Fatal(err)
	}
	x, y := data(t)
	tb := tabletest.Labeled(t, x, y, 64, false)
	engines := []engine.Engine{&local.Engine{}, &beam.Engine{Staging: t.TempDir()}, &beam.Engine{Staging: "s3://staging/test"}}
	var counts []int64
	var splits [][][]any
	var coefs [][]float64
	for _, e := range engines {
		ds, err := e.FromTable(ctx, tb)
		if err != nil {
			t.Fatal(err)
		}
		n, err := engine.Aggregate(ctx, e, ds, engine.Count{})
		if err != nil {
			t.Fatal(err)
		}
		counts = append(counts, n)
		// A positional split after a row filter: offsets must be exact.
		kept, _ := e.MapPartitions(ds, &feature.Filter{Column: "label", Op: "==", Value: "1"})
		part, err := e.MapPartitions(kept, engine.SplitPart{Weights: []float64{0.5, 0.5}, Seed: 7, Part: 0})
		if err != nil {
			t.Fatal(err)
		}
		out, err := e.Collect(ctx, part)
		if err != nil {
			t.Fatal(err)
		}
		splits = append(splits, out.Rows())
		m, err := (&classification.LogisticRegression{RegParam: 0.01}).Fit(ctx, e, ds)
		if err != nil {
			t.Fatal(err)
		}
		lr := m.(*classification.LogisticRegressionModel)
		coefs = append(coefs, append(append([]float64(nil), lr.Coefficients...), lr.Intercepts...))
	}
	for i := 1; i < len(engines); i++ {
		if counts[i] != 500 || counts[0] != 500 {
			t.Fatalf("counts %v", counts)
		}
		if len(splits[0]) == 0 || !tabletest.RowsEqual(splits[0], splits[i]) {
			t.Fatalf("engine %d: splits differ: %d vs %d rows", i, len(splits[0]), len(splits[i]))
		}
		if !reflect.DeepEqual(coefs[0], coefs[i]) {
			t.Fatalf("engine %d: coefficients differ:\nlocal %v\nbeam  %v", i, coefs[0], coefs[i])
		}
	}
}

// TestWorkerErrorSurfaces: a kernel failing inside the job reports its own
// error text.
func TestWorkerErrorSurfaces(t *testing.T) {
	ctx := context.Background()
	x, y := data(t)
	y[100] = 0.5 // not a class index
	e := &beam.Engine{Staging: t.TempDir()}
	ds, err := e.FromTable(ctx, tabletest.Labeled(t, x, y, 64, false))
	if err != nil {
		t.Fatal(err)
	}
	_, err = (&classification.LogisticRegression{}).Fit(ctx, e, ds)
	if err == nil || !strings.Contains(err.Error(), "row 101: label 0.5") {
		t.Fatalf("got %v", err)
	}
}
