// Command word2vec is the Word2Vec benchmark: it reads the example corpus,
// prepares its text as the reference spec does (tags dropped, letters and
// spaces kept, spaces squeezed, lower case, split on \W, stop words
// removed), fits Word2Vec with the spec's parameters (vectorSize 250,
// minCount 5, skip-gram with hierarchical softmax, window 5, 1 iteration,
// seed 11) on the embedded engine, and prints the fit time, the
// vocabulary size and the nearest neighbours of a few words.
// bench/word2vec/run.sh runs it beside gensim.
package main

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"strings"
	"time"

	"github.com/spindle-ml/spindle/bench/internal/cpuprof"
	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/feature"
	"github.com/spindle-ml/spindle/format"
	"github.com/spindle-ml/spindle/format/csv"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/storage"
)

func main() {
	prof := flag.String("cpuprofile", "", "write a CPU profile of the fit here")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: word2vec [-cpuprofile FILE] CORPUS.csv")
		os.Exit(2)
	}
	if err := run(context.Background(), flag.Arg(0), *prof); err != nil {
		fmt.Fprintln(os.Stderr, "word2vec:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, path, prof string) error {
	t, _, err := format.Read(ctx, storage.New(storage.Options{}), path, format.Options{CSV: csv.Options{ChunkSize: 1 << 20}})
	if err != nil {
		return err
	}
	e := &local.Engine{}
	ds, err := e.FromTable(ctx, t)
	if err != nil {
		return err
	}
	for _, s := range []ml.Transformer{
		&feature.RegexReplace{InputCol: "text", OutputCol: "c1", Pattern: `<.*/>`},
		&feature.RegexReplace{InputCol: "c1", OutputCol: "c2", Pattern: `[^A-Za-z ]+`},
		&feature.RegexReplace{InputCol: "c2", OutputCol: "c3", Pattern: ` +`, Replacement: " "},
		&feature.StringFunction{InputCol: "c3", OutputCol: "c4", Function: "lower"},
		&feature.RegexTokenizer{InputCol: "c4", OutputCol: "words", Pattern: `\W`},
		&feature.StopWordsRemover{InputCol: "words", OutputCol: "filtered"},
	} {
		if ds, err = ml.Transform(ctx, e, ds, s); err != nil {
			return err
		}
	}
	if ds, err = e.MapPartitions(ds, engine.Select{Columns: []string{"filtered"}}); err != nil {
		return err
	}
	if ds, err = e.Persist(ctx, ds); err != nil {
		return err
	}
	stop, err := cpuprof.Start(prof)
	if err != nil {
		return err
	}
	defer stop()
	start := time.Now()
	m, err := (&feature.Word2Vec{InputCol: "filtered", OutputCol: "w2v", VectorSize: 250, MinCount: ml.Int(5), Seed: 11}).Fit(ctx, e, ds)
	if err != nil {
		return err
	}
	fit := time.Since(start)
	w := m.(*feature.Word2VecModel)
	var near []string
	for _, q := range []string{"money", "free", "linux", "email"} {
		syn, err := w.FindSynonyms(q, 5)
		if err != nil {
			continue
		}
		var ws []string
		for _, s := range syn {
			ws = append(ws, s.Word)
		}
		near = append(near, q+":"+strings.Join(ws, ","))
	}
	h := fnv.New64a()
	for _, v := range w.Vectors {
		binary.Write(h, binary.LittleEndian, math.Float32bits(v))
	}
	fmt.Printf("fit_s=%.3f vocabulary=%d vectors_fnv=%016x near=%s\n", fit.Seconds(), len(w.Words), h.Sum64(), strings.Join(near, ";"))
	return nil
}
