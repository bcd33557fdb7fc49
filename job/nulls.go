package job

import (
	"context"
	"fmt"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/table"
)

func init() { engine.RegisterAggregator[[]int64](nullCounter{}) }

// nullCounter counts the nulls of every column (in schema order) in one
// cheap pass: the run reports them before dropping.
type nullCounter struct{}

func (nullCounter) KernelName() string { return "job.NullCounts" }
func (nullCounter) Zero() []int64      { return nil }

func (nullCounter) Fold(_ context.Context, _ engine.PartitionInfo, acc []int64, b *table.Batch) ([]int64, error) {
	if acc == nil {
		acc = make([]int64, len(b.Columns()))
	}
	for i, c := range b.Columns() {
		acc[i] += int64(c.NullCount())
	}
	return acc, nil
}

func (nullCounter) Merge(a, b []int64) ([]int64, error) {
	switch {
	case a == nil:
		return b, nil
	case b == nil:
		return a, nil
	case len(a) != len(b):
		return nil, fmt.Errorf("null counts of %d and %d columns", len(a), len(b))
	}
	for i := range a {
		a[i] += b[i]
	}
	return a, nil
}
