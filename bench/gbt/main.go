// Command gbt is the tree benchmark: it trains Spindle's GBTClassifier (or
// RandomForestClassifier, -algo rf) on the first 70% of a raw dataset
// written by `logreg gen` (1,000,000 × 28 by default) and prints the fit
// time, the passes and the test AUC on the other 30%. bench/gbt/run.sh
// runs it beside XGBoost (hist) and scikit-learn on the same rows.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/spindle-ml/spindle/bench/internal/cpuprof"
	"github.com/spindle-ml/spindle/bench/internal/synth"
	"github.com/spindle-ml/spindle/classification"
	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/evaluation"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/tree"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gbt:", err)
		os.Exit(1)
	}
}

func run() error {
	in := flag.String("i", "bench/out/logreg.bin", "input file (logreg gen)")
	cols := flag.Int("cols", 28, "features per row")
	algo := flag.String("algo", "gbt", "gbt or rf")
	rounds := flag.Int("rounds", 100, "boosting rounds (gbt) or trees (rf)")
	depth := flag.Int("depth", 6, "maxDepth")
	bins := flag.Int("bins", 256, "maxBins")
	step := flag.Float64("step", 0.3, "stepSize (gbt)")
	newton := flag.Bool("newton", true, "newtonLeaves (gbt)")
	per := flag.Int("partition", 65536, "rows per partition")
	prof := flag.String("cpuprofile", "", "write a CPU profile of the fit")
	memcheck := flag.Bool("memcheck", false, "only bin the training rows and print the binned dataset's heap bytes per feature value")
	flag.Parse()
	ctx := context.Background()
	x, y, err := synth.Load(*in, *cols)
	if err != nil {
		return err
	}
	n := len(x) * 7 / 10
	train, err := synth.Table(x[:n], y[:n], *per)
	if err != nil {
		return err
	}
	test, err := synth.Table(x[n:], y[n:], *per)
	if err != nil {
		return err
	}
	x, y = nil, nil
	e := &local.Engine{}
	trainDS, _ := e.FromTable(ctx, train)
	testDS, _ := e.FromTable(ctx, test)
	runtime.GC()
	if *memcheck {
		return binnedBytes(ctx, e, trainDS, n, *cols, *bins)
	}
	p := tree.Params{MaxDepth: depth, MaxBins: *bins}
	stop, err := cpuprof.Start(*prof)
	if err != nil {
		return err
	}
	defer stop()
	start := time.Now()
	var m ml.Model
	extra := ""
	switch *algo {
	case "gbt":
		g := &classification.GBTClassifier{Params: p, BoostParams: tree.BoostParams{MaxIter: rounds, StepSize: step, NewtonLeaves: *newton}}
		gm, st, err := g.FitStats(ctx, e, trainDS)
		if err != nil {
			return err
		}
		m = gm
		extra = fmt.Sprintf(" rounds=%d passes=%d passes_per_round=%.2f", st.Rounds, st.Passes, float64(st.TreePasses)/float64(st.Rounds))
	case "rf":
		rf := &classification.RandomForestClassifier{Params: p, ForestParams: tree.ForestParams{NumTrees: *rounds}}
		if m, err = rf.Fit(ctx, e, trainDS); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown -algo %q", *algo)
	}
	fit := time.Since(start)
	pred, err := ml.Transform(ctx, e, testDS, m)
	if err != nil {
		return err
	}
	auc, err := (&evaluation.BinaryClassificationEvaluator{}).Evaluate(ctx, e, pred)
	if err != nil {
		return err
	}
	fmt.Printf("fit_s=%.3f test_auc=%.6f%s\n", fit.Seconds(), auc, extra)
	return nil
}

// binnedBytes bins the training rows (tree.Prepare) and prints the growth
// of the live heap it leaves, per feature value and per row beyond one
// byte a value: the binned dataset's memory.
func binnedBytes(ctx context.Context, e *local.Engine, ds engine.Dataset, rows, cols, bins int) error {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b, err := tree.Prepare(ctx, e, ds, tree.Input{FeaturesCol: "features", LabelCol: "label"}, bins, 0)
	if err != nil {
		return err
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	grown := float64(after.HeapAlloc) - float64(before.HeapAlloc)
	values := float64(rows) * float64(cols)
	fmt.Printf("binned_bytes=%.0f values=%.0f bytes_per_value=%.3f extra_bytes_per_row=%.2f\n",
		grown, values, grown/values, (grown-values)/float64(rows))
	runtime.KeepAlive(b)
	runtime.KeepAlive(ds) // the input stays, as in a fit
	return nil
}
