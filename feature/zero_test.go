package feature

import (
	"context"
	"runtime"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

// TestWrittenZeros: where Spark gives 0 a meaning of its own, a written 0
// is that value, not the default.
func TestWrittenZeros(t *testing.T) {
	// MinMaxScaler max 0 (with min −1) scales into [−1, 0]; the default
	// max is 1.
	tb := vecTable(t, 2, [][]float64{{0}, {5}, {10}}, false)
	out, err := run(t, tb, &MinMaxScaler{InputCol: "v", OutputCol: "o", Min: -1, Max: ml.Float(0)})
	if err != nil {
		t.Fatal(err)
	}
	got := column(t, out, "o")
	if got[0].(linalg.Vector).Values[0] != -1 || got[1].(linalg.Vector).Values[0] != -0.5 || got[2].(linalg.Vector).Values[0] != 0 {
		t.Errorf("MinMaxScaler [-1, 0]: %v", got)
	}
	// An explicit max of 0 with the default min 0 is a mistake, not [0, 1].
	if _, err := run(t, tb, &MinMaxScaler{InputCol: "v", OutputCol: "o", Max: ml.Float(0)}); err == nil || !strings.Contains(err.Error(), "parameter min: must be below max (0), got 0") {
		t.Errorf("MinMaxScaler max 0: %v", err)
	}

	// Word2Vec minCount 0 keeps words seen once; the default (5) drops
	// them.
	words := [][]string{{"a", "b"}, {"a", "c"}, {"a", "b"}, {"a", "b"}, {"a", "b"}, {"a", "b"}}
	wt := build(t, 3, []table.Field{{Name: "w", Type: table.StringList}}, table.NewStringListColumn(words, nil))
	for _, c := range []struct {
		minCount *int
		want     int
	}{{ml.Int(0), 3}, {nil, 2}} {
		m, err := (&Word2Vec{InputCol: "w", OutputCol: "v", VectorSize: 4, MinCount: c.minCount}).Fit(context.Background(), &local.Engine{}, mustDS(t, wt))
		if err != nil {
			t.Fatal(err)
		}
		if n := len(m.(*Word2VecModel).Words); n != c.want {
			t.Errorf("minCount %v: %d words, want %d", c.minCount, n, c.want)
		}
	}

	// CountVectorizer maxDF 0 leaves no term (Spark: at most 0
	// documents), where the default has no maximum.
	if _, err := run(t, wt, &CountVectorizer{InputCol: "w", OutputCol: "o", MaxDF: ml.Float(0)}); err == nil {
		t.Error("CountVectorizer maxDF 0 fitted")
	}
	if _, err := run(t, wt, &CountVectorizer{InputCol: "w", OutputCol: "o"}); err != nil {
		t.Errorf("CountVectorizer default: %v", err)
	}
}

// TestHashingTFLargeSpace: a feature space of 2^31−1 is hashed without a
// scratch array of its size, to the same vectors the counting path gives.
func TestHashingTFLargeSpace(t *testing.T) {
	docs := [][]string{{"a", "b", "a", "spam"}, {}, {"z"}}
	tb := build(t, 3, []table.Field{{Name: "w", Type: table.StringList}}, table.NewStringListColumn(docs, nil))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	out, err := run(t, tb, &HashingTF{InputCol: "w", OutputCol: "o", NumFeatures: 1<<31 - 1})
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
		t.Errorf("allocated %d bytes", grew)
	}
	for r, doc := range docs {
		v := column(t, out, "o")[r].(linalg.Vector)
		want := map[int32]float64{}
		for _, w := range doc {
			want[int32(TermIndex(w, 1<<31-1))]++
		}
		if v.Size != 1<<31-1 || len(v.Indices) != len(want) {
			t.Fatalf("row %d: %v", r, v)
		}
		for k, ix := range v.Indices {
			if want[ix] != v.Values[k] || k > 0 && ix <= v.Indices[k-1] {
				t.Errorf("row %d: %v, want counts %v", r, v, want)
			}
		}
	}
}
