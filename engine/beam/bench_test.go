package beam_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/engine/beam"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/feature"
	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/table"
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
	// The embedded engine reading the same kind of staged files each pass
	// (the fair comparison for a pass over files).
	dir := b.TempDir()
	var files []string
	for i, p := range tb.Partitions() {
		var buf bytes.Buffer
		if err := table.EncodeBatch(&buf, p); err != nil {
			b.Fatal(err)
		}
		f := filepath.Join(dir, fmt.Sprintf("p%d", i))
		if err := os.WriteFile(f, buf.Bytes(), 0o644); err != nil {
			b.Fatal(err)
		}
		files = append(files, f)
	}
	b.Run("moments/local-reading-files", func(b *testing.B) {
		e := &local.Engine{}
		for b.Loop() {
			parts := make([]*table.Batch, len(files))
			for i, f := range files {
				data, err := os.ReadFile(f)
				if err != nil {
					b.Fatal(err)
				}
				if parts[i], err = table.DecodeBatch(bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
			t, _ := table.New(tb.Schema(), parts...)
			ds, _ := e.FromTable(ctx, t)
			if _, err := engine.Aggregate(ctx, e, ds, feature.Summarizer{InputCol: "features"}); err != nil {
				b.Fatal(err)
			}
		}
	})
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
