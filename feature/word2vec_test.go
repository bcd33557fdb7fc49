package feature

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

// topicCorpus makes documents that each draw words from one of two
// disjoint topics, so a working skip-gram model puts a word's nearest
// neighbours in its own topic.
func topicCorpus(docs int, seed uint64) [][]string {
	topics := [][]string{
		{"cat", "dog", "horse", "cow", "sheep", "goat", "pig", "duck", "mouse", "rabbit"},
		{"red", "blue", "green", "yellow", "purple", "orange", "black", "white", "pink", "brown"},
	}
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([][]string, docs)
	for i := range out {
		t := topics[i%2]
		doc := make([]string, 20)
		for j := range doc {
			doc[j] = t[r.IntN(len(t))]
		}
		out[i] = doc
	}
	return out
}

func TestHuffmanCodes(t *testing.T) {
	codes, points := buildHuffman([]int64{10, 6, 3, 1})
	// Frequent words get short codes; codes are prefix-free.
	if len(codes[0]) > len(codes[3]) {
		t.Fatalf("code lengths %d > %d", len(codes[0]), len(codes[3]))
	}
	seen := map[string]bool{}
	for i, c := range codes {
		k := fmt.Sprint(c)
		for j := 1; j < len(c); j++ {
			if seen[fmt.Sprint(c[:j])] {
				t.Fatalf("code %d is not prefix-free", i)
			}
		}
		seen[k] = true
		if points[i][0] != 2 { // the root is inner node n-2
			t.Fatalf("word %d path starts at %d", i, points[i][0])
		}
		for _, p := range points[i] {
			if p < 0 || p > 2 {
				t.Fatalf("inner node %d out of range", p)
			}
		}
	}
}

func TestWord2VecLearnsTopics(t *testing.T) {
	corpus := topicCorpus(600, 5)
	tb := build(t, 100, []table.Field{{Name: "w", Type: table.StringList}}, table.NewStringListColumn(corpus, nil))
	w2v := &Word2Vec{InputCol: "w", OutputCol: "v", VectorSize: 20, MinCount: ml.Int(1), MaxIter: 3, Seed: 42, RoundWords: 2000}
	m, err := w2v.Fit(context.Background(), &local.Engine{}, mustDS(t, tb))
	if err != nil {
		t.Fatal(err)
	}
	model := m.(*Word2VecModel)
	if len(model.Words) != 20 || len(model.Vectors) != 20*20 {
		t.Fatalf("vocabulary %d words", len(model.Words))
	}
	animals := map[string]bool{"cat": true, "dog": true, "horse": true, "cow": true, "sheep": true, "goat": true, "pig": true, "duck": true, "mouse": true, "rabbit": true}
	for _, q := range []string{"cat", "blue", "goat", "pink"} {
		syn, err := model.FindSynonyms(q, 5)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range syn {
			if animals[s.Word] != animals[q] {
				t.Errorf("neighbours of %q include %q (%v)", q, s.Word, syn)
			}
		}
	}
	// Same seed and partitioning: same model.
	m2, _ := w2v.Fit(context.Background(), &local.Engine{Parallelism: 1}, mustDS(t, tb))
	if !reflect.DeepEqual(m2.(*Word2VecModel).Vectors, model.Vectors) {
		t.Fatal("training is not deterministic")
	}
	// Document vectors: the mean of word vectors over the document length.
	doc := build(t, 0, []table.Field{{Name: "w", Type: table.StringList}}, table.NewStringListColumn([][]string{{"cat", "unknown"}, {}}, nil))
	out, err := run(t, doc, model)
	if err != nil {
		t.Fatal(err)
	}
	cat, _ := model.Vector("cat")
	v := column(t, out, "v")[0].(linalg.Vector)
	for k := range cat {
		if diff := v.Values[k] - float64(cat[k])/2; diff > 1e-7 || diff < -1e-7 {
			t.Fatalf("doc vector[%d] = %v, want %v", k, v.Values[k], float64(cat[k])/2)
		}
	}
	if z := column(t, out, "v")[1].(linalg.Vector); linalg.Norm(z, 2) != 0 || z.Size != 20 {
		t.Fatalf("empty doc = %v", z)
	}
	if _, err := model.FindSynonyms("zebra", 3); err == nil || !strings.Contains(err.Error(), `"zebra" is not in the vocabulary`) {
		t.Fatalf("unknown word: %v", err)
	}
	if _, err := (&Word2Vec{InputCol: "w", OutputCol: "v", MinCount: ml.Int(1000)}).Fit(context.Background(), &local.Engine{}, mustDS(t, tb)); err == nil {
		t.Fatal("empty vocabulary accepted")
	}
}
