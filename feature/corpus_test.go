package feature

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/format"
	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

// TestWord2VecOnCorpus trains Word2Vec (vectorSize 100, minCount 5) on the
// SpamAssassin corpus after the reference workload's cleanup, reports the
// training time and nearest neighbours, and checks that document vectors
// separate spam from ham: a nearest-centroid classifier on a 70/30 split
// (seed 11) must beat the majority baseline by at least 15 points.
func TestWord2VecOnCorpus(t *testing.T) {
	path := tabletest.ExampleCSV(t)
	ctx := context.Background()
	tb, _, err := format.Read(ctx, storage.New(storage.Options{}), path, format.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := &local.Engine{}
	ds := tabletest.Dataset(t, e, tb)
	for _, s := range []ml.Transformer{
		&RegexReplace{InputCol: "text", Pattern: `<.*/>`, Replacement: ""},
		&RegexReplace{InputCol: "text", Pattern: `[^A-Za-z ]+`, Replacement: ""},
		&RegexReplace{InputCol: "text", Pattern: ` +`, Replacement: " "},
		&StringFunction{InputCol: "text", Function: "lower"},
		&RegexTokenizer{InputCol: "text", OutputCol: "words", Pattern: `\W`},
		&StopWordsRemover{InputCol: "words", OutputCol: "filtered"},
	} {
		if ds, err = ml.Transform(ctx, e, ds, s); err != nil {
			t.Fatal(err)
		}
	}
	ds, _ = e.MapPartitions(ds, engine.Select{Columns: []string{"label", "filtered"}})
	if ds, err = e.Persist(ctx, ds); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	m, err := (&Word2Vec{InputCol: "filtered", OutputCol: "vec", Seed: 1}).Fit(ctx, e, ds)
	if err != nil {
		t.Fatal(err)
	}
	model := m.(*Word2VecModel)
	t.Logf("Word2Vec: %d words in the vocabulary, trained in %v", len(model.Words), time.Since(start).Round(time.Millisecond))
	// Neighbours of frequent words share their topic: each query must
	// have at least one of its expected words among its 10 nearest.
	for q, expect := range map[string][]string{
		"click": {"remove", "removal", "unsubscribe", "please", "here", "link"},
		"linux": {"red", "hat", "gentoo", "mdk", "debian", "kernel", "rpm", "redhat", "users"},
		"free":  {"offer", "order", "purchase", "marketing", "today", "special"},
		"email": {"address", "send", "unsubscribe", "remove", "addresses", "mail"},
	} {
		syn, err := model.FindSynonyms(q, 10)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("nearest to %q: %v", q, syn)
		found := false
		for _, s := range syn {
			for _, x := range expect {
				found = found || s.Word == x
			}
		}
		if !found {
			t.Errorf("no neighbour of %q is one of %v", q, expect)
		}
	}
	out, err := ml.Transform(ctx, e, ds, m)
	if err != nil {
		t.Fatal(err)
	}
	all, err := e.Collect(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	splits, _ := all.RandomSplit([]float64{0.7, 0.3}, 11)
	// A logistic regression on standardized document vectors, by plain
	// gradient descent (the models issue brings the real estimator).
	load := func(tb *table.Table) (x [][]float64, y []float64) {
		for _, b := range tb.Partitions() {
			l := b.Column(0).(*table.StringColumn)
			v := b.Column(2).(*table.VectorColumn)
			for i := range l.Values {
				x = append(x, append([]float64(nil), v.Values[i].Values...))
				if l.Values[i] == "spam" {
					y = append(y, 1)
				} else {
					y = append(y, 0)
				}
			}
		}
		return x, y
	}
	xtr, ytr := load(splits[0])
	xte, yte := load(splits[1])
	dim := len(xtr[0])
	mean, sd := make([]float64, dim), make([]float64, dim)
	for _, r := range xtr {
		for k, v := range r {
			mean[k] += v / float64(len(xtr))
		}
	}
	for _, r := range xtr {
		for k, v := range r {
			sd[k] += (v - mean[k]) * (v - mean[k]) / float64(len(xtr))
		}
	}
	for k := range sd {
		sd[k] = math.Sqrt(sd[k]) + 1e-12
	}
	std := func(x [][]float64) {
		for _, r := range x {
			for k := range r {
				r[k] = (r[k] - mean[k]) / sd[k]
			}
		}
	}
	std(xtr)
	std(xte)
	w := make([]float64, dim+1)
	for it := 0; it < 300; it++ {
		g := make([]float64, dim+1)
		for i, r := range xtr {
			z := w[dim]
			for k, v := range r {
				z += w[k] * v
			}
			d := 1/(1+math.Exp(-z)) - ytr[i]
			for k, v := range r {
				g[k] += d * v
			}
			g[dim] += d
		}
		for k := range w {
			w[k] -= 0.5 * g[k] / float64(len(xtr))
		}
	}
	correct, spam := 0, 0
	for i, r := range xte {
		z := w[dim]
		for k, v := range r {
			z += w[k] * v
		}
		if (z > 0) == (yte[i] == 1) {
			correct++
		}
		if yte[i] == 1 {
			spam++
		}
	}
	total := len(xte)
	acc := float64(correct) / float64(total)
	base := math.Max(float64(spam), float64(total-spam)) / float64(total)
	t.Logf("logistic regression on document vectors: test accuracy %.4f (majority baseline %.4f, %d test rows)", acc, base, total)
	if acc < base+0.15 {
		t.Fatalf("accuracy %.4f does not beat the majority baseline %.4f by 15 points", acc, base)
	}
}
