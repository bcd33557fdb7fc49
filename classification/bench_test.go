package classification

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/internal/simd"
	"github.com/spindle-ml/spindle/table"
)

// BenchmarkGradientPass times one logistic gradient pass (loss and
// gradient at a fixed point) on the embedded engine over a dense block of
// 700,000 × 28 (bench/logreg's training set: 157 MB of features;
// binomial) or 60,000 × 784 with 10 classes (Fashion-MNIST's shape,
// multinomial). It reports the feature bytes read per second (GB/s),
// to compare with the memory roof of internal/simd's BenchmarkRoofline,
// and GFLOP/s (a multiply-add counts 2; margins and gradient).
func BenchmarkGradientPass(b *testing.B) {
	for _, s := range []struct{ n, d, k int }{{700_000, 28, 1}, {60_000, 784, 10}} {
		b.Run(fmt.Sprintf("%dx%d/K=%d", s.n, s.d, s.k), func(b *testing.B) {
			ctx := context.Background()
			r := rand.New(rand.NewPCG(1, 2))
			x := make([]float64, s.n*s.d)
			for i := range x {
				x[i] = r.NormFloat64()
			}
			y := make([]float64, s.n)
			for i := range y {
				y[i] = float64(r.IntN(max(s.k, 2)))
			}
			schema, _ := table.NewSchema(table.Field{Name: "features", Type: table.Vector}, table.Field{Name: "label", Type: table.Float64})
			var batches []*table.Batch
			per := 16384
			if p := os.Getenv("PER"); p != "" {
				per, _ = strconv.Atoi(p)
			}
			for lo := 0; lo < s.n; lo += per {
				hi := min(lo+per, s.n)
				bt, err := table.NewBatch(schema, []table.Column{table.NewDenseVectorColumn(x[lo*s.d:hi*s.d], s.d), table.NewFloat64Column(y[lo:hi], nil)})
				if err != nil {
					b.Fatal(err)
				}
				batches = append(batches, bt)
			}
			tb, err := table.New(schema, batches...)
			if err != nil {
				b.Fatal(err)
			}
			e := &local.Engine{}
			ds, err := e.FromTable(ctx, tb)
			if err != nil {
				b.Fatal(err)
			}
			invStd := make([]float64, s.d)
			for j := range invStd {
				invStd[j] = 1
			}
			coef := make([]float64, s.k*(s.d+1))
			for i := range coef {
				coef[i] = 0.01 * r.NormFloat64()
			}
			k := logisticGradient{FeaturesCol: "features", LabelCol: "label", InvStd: invStd, Coef: coef, K: s.k, Multinomial: s.k > 1, FitIntercept: true, NumFeatures: s.d, prep: &prepared{}}
			for b.Loop() {
				if _, err := engine.Aggregate(ctx, e, ds, k); err != nil {
					b.Fatal(err)
				}
			}
			sec := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(float64(8*s.n*s.d)/sec/1e9, "GB/s")
			b.ReportMetric(float64(4*s.n*s.d*s.k)/sec/1e9, "GFLOP/s")
			b.ReportMetric(sec*1e3, "ms/pass")
			// The same pass reading the block only (each row's sum): the
			// floor of a pass over this data on this engine.
			start := time.Now()
			const reads = 20
			for range reads {
				if _, err := engine.Aggregate(ctx, e, ds, blockSum{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(time.Since(start).Seconds()/reads*1e3, "ms/read-only-pass")
		})
	}
}

// blockSum is a pass that only reads a dense block: Σ of every row's sum.
type blockSum struct{}

func init() { engine.RegisterAggregator[float64](blockSum{}) }

func (blockSum) KernelName() string { return "classification_test.blockSum" }
func (blockSum) Zero() float64      { return 0 }
func (blockSum) Merge(a, b float64) (float64, error) {
	return a + b, nil
}
func (blockSum) Fold(_ context.Context, _ engine.PartitionInfo, acc float64, b *table.Batch) (float64, error) {
	x, d, ok := table.DenseBlock(b.Column(0).(*table.VectorColumn))
	if !ok {
		return 0, fmt.Errorf("not a block")
	}
	ones := make([]float64, d)
	for j := range ones {
		ones[j] = 1
	}
	var out [4]float64
	n := len(x) / d
	for i := 0; i+4 <= n; i += 4 {
		simd.DotRows4(x[i*d:], d, ones, &out)
		acc += out[0] + out[1] + out[2] + out[3]
	}
	return acc, nil
}
