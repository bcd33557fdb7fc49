package engine

import (
	"context"
	"fmt"

	"github.com/spindle-ml/spindle/table"
)

// The generic table kernels below let a driver count, select, clean, sample
// and split a dataset on any engine.

func init() {
	RegisterAggregator[int64](Count{})
	Register(Select{})
	Register(DropNulls{})
	Register(Sample{})
	Register(SplitPart{})
}

// Count counts rows.
type Count struct{}

// KernelName implements Kernel.
func (Count) KernelName() string { return "engine.Count" }

// Zero implements Aggregator.
func (Count) Zero() int64 { return 0 }

// Fold implements Aggregator.
func (Count) Fold(_ context.Context, _ PartitionInfo, acc int64, b *table.Batch) (int64, error) {
	return acc + int64(b.NumRows()), nil
}

// Merge implements Aggregator.
func (Count) Merge(a, b int64) (int64, error) { return a + b, nil }

// Select keeps the named columns, in that order.
type Select struct{ Columns []string }

// KernelName implements Kernel.
func (Select) KernelName() string { return "engine.Select" }

// OutputSchema implements Mapper.
func (s Select) OutputSchema(in *table.Schema) (*table.Schema, error) {
	fields := make([]table.Field, len(s.Columns))
	for i, n := range s.Columns {
		j := in.Index(n)
		if j < 0 {
			return nil, fmt.Errorf("select: no column %q (columns: %v)", n, in.Names())
		}
		fields[i] = in.Fields[j]
	}
	return table.NewSchema(fields...)
}

// MapPartition implements Mapper.
func (s Select) MapPartition(_ context.Context, _ PartitionInfo, b *table.Batch) (*table.Batch, error) {
	schema, err := s.OutputSchema(b.Schema())
	if err != nil {
		return nil, err
	}
	cols := make([]table.Column, len(s.Columns))
	for i, n := range s.Columns {
		cols[i] = b.Column(b.Schema().Index(n))
	}
	return b.Derive(schema, cols)
}

// DropNulls removes rows with a null in any of Columns (any column when
// Columns is empty).
type DropNulls struct{ Columns []string }

// KernelName implements Kernel.
func (DropNulls) KernelName() string { return "engine.DropNulls" }

// OutputSchema implements Mapper.
func (d DropNulls) OutputSchema(in *table.Schema) (*table.Schema, error) {
	_, err := d.indices(in)
	return in, err
}

func (d DropNulls) indices(in *table.Schema) ([]int, error) {
	if len(d.Columns) == 0 {
		idx := make([]int, in.Len())
		for i := range idx {
			idx[i] = i
		}
		return idx, nil
	}
	idx := make([]int, len(d.Columns))
	for i, n := range d.Columns {
		if idx[i] = in.Index(n); idx[i] < 0 {
			return nil, fmt.Errorf("drop nulls: no column %q (columns: %v)", n, in.Names())
		}
	}
	return idx, nil
}

// MapPartition implements Mapper.
func (d DropNulls) MapPartition(_ context.Context, _ PartitionInfo, b *table.Batch) (*table.Batch, error) {
	idx, err := d.indices(b.Schema())
	if err != nil {
		return nil, err
	}
	return b.Take(table.NonNullRows(b, idx)), nil
}

// Sample keeps a random sample of rows with table.Table.Sample's semantics.
type Sample struct {
	WithReplacement bool
	Fraction        float64
	Seed            int64
}

// KernelName implements Kernel.
func (Sample) KernelName() string { return "engine.Sample" }

// UsesRowOffset implements Positional.
func (Sample) UsesRowOffset() bool { return true }

// OutputSchema implements Mapper.
func (Sample) OutputSchema(in *table.Schema) (*table.Schema, error) { return in, nil }

// MapPartition implements Mapper.
func (s Sample) MapPartition(_ context.Context, info PartitionInfo, b *table.Batch) (*table.Batch, error) {
	return b.Take(table.SampleRows(b.NumRows(), info.RowOffset, s.WithReplacement, s.Fraction, s.Seed)), nil
}

// SplitPart keeps the rows that table.Table.RandomSplit with these weights
// and seed puts in split Part (from 0). Running it once per part gives the
// whole split on any engine.
type SplitPart struct {
	Weights []float64
	Seed    int64
	Part    int
}

// KernelName implements Kernel.
func (SplitPart) KernelName() string { return "engine.SplitPart" }

// UsesRowOffset implements Positional.
func (SplitPart) UsesRowOffset() bool { return true }

// OutputSchema implements Mapper.
func (s SplitPart) OutputSchema(in *table.Schema) (*table.Schema, error) {
	if _, err := table.SplitBounds(s.Weights); err != nil {
		return nil, err
	}
	if s.Part < 0 || s.Part >= len(s.Weights) {
		return nil, fmt.Errorf("random split: part %d out of range for %d weights", s.Part, len(s.Weights))
	}
	return in, nil
}

// MapPartition implements Mapper.
func (s SplitPart) MapPartition(_ context.Context, info PartitionInfo, b *table.Batch) (*table.Batch, error) {
	bounds, err := table.SplitBounds(s.Weights)
	if err != nil {
		return nil, err
	}
	return b.Take(table.SplitRows(b.NumRows(), info.RowOffset, bounds, s.Seed)[s.Part]), nil
}
