package beam_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/spindle-ml/spindle/classification"
	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/engine/beam"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/feature"
	"github.com/spindle-ml/spindle/internal/colfile"
	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

// filesEngine is the embedded engine reading its data from the same kind
// of staged partition files as Beam, on every pass (all cores): the fair
// baseline for a pass over files.
type filesEngine struct {
	local.Engine
}

type filesDataset struct {
	schema  *table.Schema
	files   []string
	mappers []engine.Mapper
}

func (d *filesDataset) Schema() *table.Schema { return d.schema }

func (f *filesEngine) MapPartitions(ds engine.Dataset, m engine.Mapper) (engine.Dataset, error) {
	d := ds.(*filesDataset)
	s, err := m.OutputSchema(d.schema)
	if err != nil {
		return nil, err
	}
	return &filesDataset{schema: s, files: d.files, mappers: append(append([]engine.Mapper(nil), d.mappers...), m)}, nil
}

func (f *filesEngine) Persist(_ context.Context, ds engine.Dataset) (engine.Dataset, error) {
	return ds, nil
}

// read reads and decodes the files in parallel, and applies the mappers on
// the embedded engine.
func (f *filesEngine) read(ctx context.Context, d *filesDataset) (engine.Dataset, error) {
	parts := make([]*table.Batch, len(d.files))
	eg, _ := errgroup.WithContext(ctx)
	eg.SetLimit(runtime.GOMAXPROCS(0))
	for i, file := range d.files {
		eg.Go(func() error {
			data, err := os.ReadFile(file)
			if err != nil {
				return err
			}
			parts[i], err = colfile.Decode(data)
			return err
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	t, err := table.New(parts[0].Schema(), parts...)
	if err != nil {
		return nil, err
	}
	ds, err := f.Engine.FromTable(ctx, t)
	for _, m := range d.mappers {
		if err != nil {
			return nil, err
		}
		ds, err = f.Engine.MapPartitions(ds, m)
	}
	return ds, err
}

func (f *filesEngine) Collect(ctx context.Context, ds engine.Dataset) (*table.Table, error) {
	d, err := f.read(ctx, ds.(*filesDataset))
	if err != nil {
		return nil, err
	}
	return f.Engine.Collect(ctx, d)
}

func (f *filesEngine) AggregateAny(ctx context.Context, ds engine.Dataset, a engine.AnyAggregator) (any, error) {
	d, err := f.read(ctx, ds.(*filesDataset))
	if err != nil {
		return nil, err
	}
	return f.Engine.AggregateAny(ctx, d, a)
}

var (
	benchRows       = flag.Int("rows", 200_000, "BenchmarkPass: rows of the dataset (28 features, 32 partitions)")
	benchStandalone = flag.Bool("standalone", false, "BenchmarkPass: also run gradient/ and moments/ on the standalone job server")
)

// BenchmarkPass compares, in one run, passes over 200,000 (-rows) × 28
// rows in 32 partitions (~47 MB staged):
//
//   - gradient/…: a logistic-regression fit of 5 L-BFGS iterations (one
//     statistics pass and 6 gradient passes, the same on every engine) on
//     the embedded engine over cached data, on the embedded engine reading
//     the staged files on every pass, and on Beam (prism in process, every
//     pass a job over the staged files; with -standalone, also the
//     standalone job server with external workers);
//   - moments/…: one per-feature moments pass, the same three ways;
//   - empty/…: a row count over one partition of 10 rows: the fixed cost
//     of a pass, on prism in process and on the standalone prism job
//     server with external workers.
//
// Run it with
//
//	go test -run '^$' -bench Pass -benchtime 5x ./engine/beam [-args -rows 1000000 -standalone]
func BenchmarkPass(b *testing.B) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 1))
	x := make([][]float64, *benchRows)
	y := make([]float64, len(x))
	for i := range x {
		x[i] = make([]float64, 28)
		m := 0.0
		for j := range x[i] {
			x[i][j] = r.NormFloat64()
			m += x[i][j] * float64(j%5-2)
		}
		if m+r.NormFloat64() > 0 {
			y[i] = 1
		}
	}
	tb := tabletest.Labeled(b, x, y, len(x)/32, false)
	small := tabletest.Labeled(b, x[:10], y[:10], 10, false)
	dir := b.TempDir()
	fd := &filesDataset{schema: tb.Schema()}
	for i, p := range tb.Partitions() {
		var buf bytes.Buffer
		if err := colfile.Encode(&buf, p); err != nil {
			b.Fatal(err)
		}
		f := filepath.Join(dir, fmt.Sprintf("p%d", i))
		if err := os.WriteFile(f, buf.Bytes(), 0o644); err != nil {
			b.Fatal(err)
		}
		fd.files = append(fd.files, f)
	}
	lr := &classification.LogisticRegression{MaxIter: ml.Int(5), Tol: ml.Float(1e-300), RegParam: 0.01}
	cases := []struct {
		name string
		e    engine.Engine
		ds   engine.Dataset
	}{{"local", &local.Engine{}, nil}, {"local-reading-files", &filesEngine{}, fd}, {"beam-prism", &beam.Engine{Staging: b.TempDir(), NoReuse: true}, nil}}
	pool := spindlePool(b)
	pool.NoReuse = true
	if *benchStandalone {
		ext := external(b)
		ext.NoReuse = true
		cases = append(cases, struct {
			name string
			e    engine.Engine
			ds   engine.Dataset
		}{"beam-prism-standalone", ext, nil}, struct {
			name string
			e    engine.Engine
			ds   engine.Dataset
		}{"beam-prism-spindle-pool", pool, nil})
	}
	for _, c := range cases {
		ds := c.ds
		if ds == nil {
			var err error
			if ds, err = c.e.FromTable(ctx, tb); err != nil {
				b.Fatal(err)
			}
		}
		b.Run("gradient/"+c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := lr.Fit(ctx, c.e, ds); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("moments/"+c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := engine.Aggregate(ctx, c.e, ds, feature.Summarizer{InputCol: "features"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	ext := external(b)
	ext.NoReuse = true
	for _, c := range []struct {
		name string
		e    engine.Engine
	}{{"local", &local.Engine{}}, {"beam-prism", &beam.Engine{Staging: b.TempDir(), NoReuse: true}}, {"beam-prism-standalone", ext}, {"beam-prism-spindle-pool", pool}} {
		one, err := c.e.FromTable(ctx, small)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("empty/"+c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := engine.Aggregate(ctx, c.e, one, engine.Count{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// spindlePool returns an engine whose jobs go to the standalone prism job
// server, run by a Spindle worker pool (beam.ServePool) in this process.
func spindlePool(tb testing.TB) *beam.Engine {
	l, err := net.Listen("tcp", "localhost:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	stop := make(chan struct{})
	served := make(chan error, 1)
	go func() { served <- beam.ServePool(context.Background(), port, stop) }()
	tb.Cleanup(func() {
		close(stop)
		if err := <-served; err != nil {
			tb.Error(err)
		}
	})
	return &beam.Engine{Staging: tb.TempDir(), Runner: beam.Runner{Name: "prism", Endpoint: standalone.Endpoint,
		EnvironmentType: "EXTERNAL", EnvironmentConfig: fmt.Sprintf("localhost:%d", port), SpindlePool: true}}
}
