package engine_test

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/table"
)

// concat is a non-commutative aggregator: merge order shows in the result.
type concat struct{}

func (concat) KernelName() string { return "test.Concat" }
func (concat) Zero() string       { return "" }
func (concat) Fold(context.Context, engine.PartitionInfo, string, *table.Batch) (string, error) {
	return "", nil
}
func (concat) Merge(a, b string) (string, error) { return "(" + a + "+" + b + ")", nil }

// TestTreeMerger: any arrival order, concurrent or not, gives MergeTree's
// result exactly.
func TestTreeMerger(t *testing.T) {
	a := engine.Erase[string](concat{})
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n <= 37; n++ {
		parts := make([]any, n)
		for i := range parts {
			parts[i] = string(rune('a' + i%26))
		}
		want, err := engine.MergeTree(a, append([]any(nil), parts...))
		if err != nil {
			t.Fatal(err)
		}
		for trial := 0; trial < 5; trial++ {
			tm := engine.NewTreeMerger(a, n)
			var wg sync.WaitGroup
			for _, i := range r.Perm(n) {
				wg.Add(1)
				go func() { defer wg.Done(); _ = tm.Add(i, parts[i]) }()
			}
			wg.Wait()
			got, err := tm.Result()
			if err != nil || got != want {
				t.Fatalf("n=%d: got %v (%v), want %v", n, got, err, want)
			}
		}
	}
	// A missing partial is an error, not a wrong total.
	tm := engine.NewTreeMerger(a, 3)
	_ = tm.Add(0, "a")
	if _, err := tm.Result(); err == nil {
		t.Fatal("an incomplete merge gave a result")
	}
}
