// Command logreg is the logistic-regression benchmark: "gen" writes a
// 1,000,000 × 28 dataset drawn with a fixed seed (raw little-endian
// float64, 29 values a row, the label last); "csv" writes the same rows as
// CSV (f0…f27,label) for `spindle run`; "fit" trains Spindle's
// LogisticRegression on the first 80% of the rows and prints the fit time,
// how it splits between gradient passes and the optimizer, and the test
// AUC on the rest. bench/logreg/run.sh runs it beside scikit-learn's lbfgs
// on the same file. "engines" fits the same model on the embedded engine, on
// Beam with prism in process and, given -endpoint, on a standalone job
// server with external workers, and compares the coefficients.
package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/spindle-ml/spindle/bench/internal/synth"
	"github.com/spindle-ml/spindle/classification"
	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/engine/beam"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/evaluation"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

const cols = 28

func main() {
	// The standalone job server's workers run this binary.
	if beam.IsWorker(os.Args[1:]) {
		os.Exit(beam.RunWorker())
	}
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: logreg gen|csv|fit|engines [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen", "csv":
		err = gen(os.Args[1], os.Args[2:])
	case "fit":
		err = fit(os.Args[2:])
	case "engines":
		err = engines(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "logreg:", err)
		os.Exit(1)
	}
}

// gen draws features with unequal scales and some correlation, and a
// label from a logistic model with noise.
func gen(kind string, args []string) error {
	fs := flag.NewFlagSet(kind, flag.ExitOnError)
	rows := fs.Int("rows", 1_000_000, "rows")
	seed := fs.Uint64("seed", 42, "random seed")
	out := fs.String("o", "logreg."+map[string]string{"gen": "bin", "csv": "csv"}[kind], "output file")
	fs.Parse(args)
	r := rand.New(rand.NewPCG(*seed, *seed^0x10915))
	beta := make([]float64, cols)
	scale := make([]float64, cols)
	for j := range beta {
		beta[j] = r.NormFloat64()
		scale[j] = math.Pow(10, r.Float64()*2-1)
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	row := make([]float64, cols+1)
	var line []byte
	if kind == "csv" {
		for j := 0; j < cols; j++ {
			fmt.Fprintf(w, "f%d,", j)
		}
		fmt.Fprintln(w, "label")
	}
	for i := 0; i < *rows; i++ {
		common := r.NormFloat64()
		m := 0.0
		for j := 0; j < cols; j++ {
			z := 0.8*r.NormFloat64() + 0.6*common
			row[j] = z * scale[j]
			m += beta[j] * z
		}
		if r.Float64() < 1/(1+math.Exp(-m/2)) {
			row[cols] = 1
		} else {
			row[cols] = 0
		}
		if kind == "csv" {
			line = line[:0]
			for j, v := range row {
				if j == cols {
					line = strconv.AppendFloat(line, v, 'g', 1, 64)
				} else {
					line = strconv.AppendFloat(line, v, 'g', 7, 64)
				}
				line = append(line, ',')
			}
			line[len(line)-1] = '\n'
			if _, err := w.Write(line); err != nil {
				return err
			}
		} else if err := binary.Write(w, binary.LittleEndian, row); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// timed wraps an engine and adds up the time spent in aggregations (the
// gradient and statistics passes).
type timed struct {
	engine.Engine
	passes atomic.Int64
	nanos  atomic.Int64
}

func (t *timed) AggregateAny(ctx context.Context, ds engine.Dataset, a engine.AnyAggregator) (any, error) {
	start := time.Now()
	defer func() { t.nanos.Add(int64(time.Since(start))); t.passes.Add(1) }()
	return t.Engine.AggregateAny(ctx, ds, a)
}

func tableOf(x [][]float64, y []float64) (*table.Table, error) {
	vecs := make([]linalg.Vector, len(x))
	for i, r := range x {
		vecs[i] = linalg.Dense(r)
	}
	schema, err := table.NewSchema(table.Field{Name: "features", Type: table.Vector}, table.Field{Name: "label", Type: table.Float64})
	if err != nil {
		return nil, err
	}
	b, err := table.NewBatch(schema, []table.Column{table.NewVectorColumn(vecs, nil), table.NewFloat64Column(y, nil)})
	if err != nil {
		return nil, err
	}
	t, err := table.New(schema, b)
	if err != nil {
		return nil, err
	}
	return t.Repartition(16384)
}

func fit(args []string) error {
	fs := flag.NewFlagSet("fit", flag.ExitOnError)
	in := fs.String("i", "logreg.bin", "input file")
	c := fs.Float64("C", 1.0, "inverse regularization, as scikit-learn's C: regParam = 1/(n·C), no standardization")
	fs.Parse(args)
	ctx := context.Background()
	x, y, nTrain, train, err := loadTrain(*in)
	if err != nil {
		return err
	}
	test, err := tableOf(x[nTrain:], y[nTrain:])
	if err != nil {
		return err
	}
	e := &timed{Engine: &local.Engine{}}
	trainDS, _ := e.FromTable(ctx, train)
	testDS, _ := e.FromTable(ctx, test)
	lr := &classification.LogisticRegression{RegParam: 1 / (float64(nTrain) * *c), Standardization: ml.Bool(false)}
	start := time.Now()
	m, err := lr.Fit(ctx, e, trainDS)
	if err != nil {
		return err
	}
	fitTime := time.Since(start)
	passTime := time.Duration(e.nanos.Load())
	passes := e.passes.Load()
	pred, err := ml.Transform(ctx, e, testDS, m)
	if err != nil {
		return err
	}
	auc, err := (&evaluation.BinaryClassificationEvaluator{}).Evaluate(ctx, e, pred)
	if err != nil {
		return err
	}
	fmt.Printf("fit_s=%.3f passes=%d pass_s=%.3f optimizer_s=%.3f iterations=%d test_auc=%.6f\n",
		fitTime.Seconds(), passes, passTime.Seconds(), (fitTime - passTime).Seconds(), m.(*classification.LogisticRegressionModel).TotalIterations, auc)
	return nil
}

// loadTrain loads the dataset and makes a table of its first 80% of rows,
// the training rows.
func loadTrain(path string) (x [][]float64, y []float64, nTrain int, train *table.Table, err error) {
	if x, y, err = synth.Load(path, cols); err != nil {
		return nil, nil, 0, nil, err
	}
	nTrain = len(x) * 8 / 10
	train, err = tableOf(x[:nTrain], y[:nTrain])
	return x, y, nTrain, train, err
}

// engines fits the same model on the embedded engine, on Beam with prism
// in process (files staged in a temporary directory) and, with -endpoint,
// on a standalone job server with external workers; it prints each fit's
// time and the largest relative coefficient difference from the embedded
// engine's.
func engines(args []string) error {
	fs := flag.NewFlagSet("engines", flag.ExitOnError)
	in := fs.String("i", "logreg.bin", "input file")
	endpoint := fs.String("endpoint", "", "a standalone prism job server, HOST:PORT (adds a third fit there)")
	pool := fs.String("pool", "localhost:50000", "with -endpoint: the EXTERNAL worker pool")
	fs.Parse(args)
	ctx := context.Background()
	_, _, nTrain, train, err := loadTrain(*in)
	if err != nil {
		return err
	}
	var coefs [][]float64
	var names []string
	engs := []engine.Engine{&local.Engine{}, &beam.Engine{}}
	if *endpoint != "" {
		engs = append(engs, &beam.Engine{Runner: beam.Runner{Name: "prism", Endpoint: *endpoint, EnvironmentType: "EXTERNAL", EnvironmentConfig: *pool}})
	}
	for _, e := range engs {
		if c, ok := e.(io.Closer); ok {
			defer c.Close()
		}
		ds, err := e.FromTable(ctx, train)
		if err != nil {
			return err
		}
		start := time.Now()
		m, err := (&classification.LogisticRegression{RegParam: 1 / float64(nTrain), Standardization: ml.Bool(false)}).Fit(ctx, e, ds)
		if err != nil {
			return err
		}
		lr := m.(*classification.LogisticRegressionModel)
		name := e.Name()
		if b, ok := e.(*beam.Engine); ok && b.Runner.Endpoint != "" {
			name += "@" + b.Runner.Endpoint
		}
		fmt.Printf("engine=%s fit_s=%.3f iterations=%d\n", name, time.Since(start).Seconds(), lr.TotalIterations)
		names = append(names, name)
		coefs = append(coefs, append(append([]float64(nil), lr.Coefficients...), lr.Intercepts...))
	}
	for k := 1; k < len(coefs); k++ {
		var worst float64
		for i, a := range coefs[0] {
			b := coefs[k][i]
			worst = math.Max(worst, math.Abs(a-b)/math.Max(math.Abs(a), 1e-300))
		}
		fmt.Printf("%s vs %s: max_relative_coefficient_difference=%g\n", names[0], names[k], worst)
	}
	return nil
}
