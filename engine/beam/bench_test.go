package beam_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/engine/beam"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/feature"
	"github.com/spindle-ml/spindle/internal/tabletest"
)

// BenchmarkPass times one aggregation pass (per-feature moments over
// 200,000 × 28 rows in 32 partitions) on the embedded engine over cached
// data and on Beam (prism in process, staged files), side by side; and an
// empty pass (a row count over 1 partition) for Beam's fixed cost.
//
//	go test -run '^$' -bench Pass ./engine/beam
func BenchmarkPass(b *testing.B) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 1))
	x := make([][]float64, 200_000)
	y := make([]float64, len(x))
	for i := range x {
		x[i] = make([]float64, 28)
		for j := range x[i] {
			x[i][j] = r.NormFloat64()
		}
	}
	tb := tabletest.Labeled(b, x, y, len(x)/32, false)
	small := tabletest.Labeled(b, x[:10], y[:10], 10, false)
	for _, c := range []struct {
		name string
		e    engine.Engine
	}{{"local", &local.Engine{}}, {"beam-prism", &beam.Engine{Staging: b.TempDir()}}} {
		ds, err := c.e.FromTable(ctx, tb)
		if err != nil {
			b.Fatal(err)
		}
		ds, _ = c.e.Persist(ctx, ds)
		b.Run("moments/"+c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := engine.Aggregate(ctx, c.e, ds, feature.Summarizer{InputCol: "features"}); err != nil {
					b.Fatal(err)
				}
			}
		})
		one, _ := c.e.FromTable(ctx, small)
		b.Run("empty/"+c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := engine.Aggregate(ctx, c.e, one, engine.Count{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
