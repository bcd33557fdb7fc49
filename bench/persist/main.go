// Command persist measures saved models: for each model directory given,
// the bytes it holds on disk, and the median time to load it
// (pipeline.Load: read, verify, decode) and to save it again
// (pipeline.Save into a fresh directory), over -n runs each.
//
//	go build -o bench/out/persist ./bench/persist
//	bench/out/persist -n 7 out/spam/models/tf out/spam/models/tfidf out/spam/models/word2vec
//
// One line per model: name, files, bytes, load and save milliseconds
// (median, min, max).
package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"slices"
	"time"

	_ "github.com/spindle-ml/spindle/classification"
	_ "github.com/spindle-ml/spindle/feature"
	"github.com/spindle-ml/spindle/pipeline"
	_ "github.com/spindle-ml/spindle/regression"
	"github.com/spindle-ml/spindle/storage"
)

func main() {
	n := flag.Int("n", 5, "runs per measure")
	flag.Parse()
	ctx := context.Background()
	st := storage.New(storage.Options{})
	tmp, err := os.MkdirTemp("", "persist-bench-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	fmt.Printf("%-40s %6s %12s %28s %28s\n", "model", "files", "bytes", "load ms (med min max)", "save ms (med min max)")
	for _, dir := range flag.Args() {
		files, size := du(dir)
		var m *pipeline.PipelineModel
		var loads, saves []time.Duration
		for range *n {
			t := time.Now()
			if m, err = pipeline.Load(ctx, st, dir); err != nil {
				log.Fatal(err)
			}
			loads = append(loads, time.Since(t))
		}
		for i := range *n {
			out := filepath.Join(tmp, fmt.Sprintf("m%d", i))
			t := time.Now()
			if err := pipeline.Save(ctx, st, out, m, pipeline.SaveOptions{}); err != nil {
				log.Fatal(err)
			}
			saves = append(saves, time.Since(t))
			os.RemoveAll(out)
		}
		fmt.Printf("%-40s %6d %12d %28s %28s\n", dir, files, size, stats(loads), stats(saves))
	}
}

func du(dir string) (files int, size int64) {
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				files++
				size += fi.Size()
			}
		}
		return nil
	})
	return files, size
}

func stats(d []time.Duration) string {
	slices.Sort(d)
	ms := func(x time.Duration) float64 { return float64(x.Microseconds()) / 1000 }
	return fmt.Sprintf("%8.2f %8.2f %8.2f", ms(d[len(d)/2]), ms(d[0]), ms(d[len(d)-1]))
}
