// Command textfeatures is the text-featurization benchmark: it reads the
// example corpus CSV, then tokenizes (lowercase, split on \W+), removes
// English stop words, hashes terms into 2^18 features (HashingTF) and
// weights them by IDF, on the embedded engine. It prints the time of each
// phase and the peak RSS. bench/textfeatures/run.sh runs it beside the
// same work in scikit-learn.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/feature"
	"github.com/spindle-ml/spindle/format"
	"github.com/spindle-ml/spindle/format/csv"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

var repeat = flag.Int("repeat", 1, "run the feature stages this many times (each timed)")

func main() {
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: textfeatures CORPUS.csv")
		os.Exit(2)
	}
	if err := run(context.Background(), flag.Arg(0)); err != nil {
		fmt.Fprintln(os.Stderr, "textfeatures:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, path string) error {
	start := time.Now()
	t, _, err := format.Read(ctx, storage.New(storage.Options{}), path, format.Options{CSV: csv.Options{ChunkSize: 1 << 20}})
	if err != nil {
		return err
	}
	read := time.Since(start)
	e := &local.Engine{}
	for i := 0; i < *repeat; i++ {
		if err := featurize(ctx, e, t, read); err != nil {
			return err
		}
	}
	return nil
}

// featurize runs the feature stages once and prints the figures.
func featurize(ctx context.Context, e *local.Engine, t *table.Table, read time.Duration) error {
	ds, err := e.FromTable(ctx, t)
	if err != nil {
		return err
	}
	fstart := time.Now()
	stages := []ml.Transformer{
		&feature.RegexTokenizer{InputCol: "text", OutputCol: "words", Pattern: `\W+`},
		&feature.StopWordsRemover{InputCol: "words", OutputCol: "filtered"},
		&feature.HashingTF{InputCol: "filtered", OutputCol: "tf"},
	}
	for _, s := range stages {
		if ds, err = ml.Transform(ctx, e, ds, s); err != nil {
			return err
		}
	}
	// Keep what the model needs, as scikit-learn keeps only its matrix;
	// the token lists die with each partition.
	if ds, err = e.MapPartitions(ds, engine.Select{Columns: []string{"label", "tf"}}); err != nil {
		return err
	}
	if ds, err = e.Persist(ctx, ds); err != nil {
		return err
	}
	idf, err := (&feature.IDF{InputCol: "tf", OutputCol: "tfidf"}).Fit(ctx, e, ds)
	if err != nil {
		return err
	}
	if ds, err = ml.Transform(ctx, e, ds, idf); err != nil {
		return err
	}
	out, err := e.Collect(ctx, ds)
	if err != nil {
		return err
	}
	feat := time.Since(fstart)
	nnz := 0
	for _, b := range out.Partitions() {
		for _, v := range b.Column(b.Schema().Index("tfidf")).(*table.VectorColumn).Values {
			nnz += len(v.Values)
		}
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Printf("docs=%d nnz=%d read_s=%.3f features_s=%.3f peak_rss_MB=%.0f\n", out.Count(), nnz, read.Seconds(), feat.Seconds(), float64(ru.Maxrss)/1024)
	return nil
}
