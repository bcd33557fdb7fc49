// Package engine is the data-parallel contract every Spindle algorithm is
// written against, and knows nothing about machine learning.
//
// An algorithm's heavy work is a few primitives over a partitioned Dataset:
//
//   - MapPartitions: a Mapper turns each partition into a new one (lazy);
//   - Aggregate: an Aggregator folds each partition into a partial result,
//     and partials are merged pairwise in a fixed tree order (Spark's
//     treeAggregate), so the result is deterministic;
//   - Persist: compute a dataset once and keep it for the passes to come.
//
// Drivers (optimizer loops, tree growers) run in the calling process and
// call the engine once per pass. What a worker runs is never a closure: it
// is a Kernel, a named value registered with Register or RegisterAggregator
// whose exported fields are its whole state (see wire.go for their
// encoding). The embedded engine (engine/local) calls
// kernels directly; a distributed engine ships their encoding (Encode) to
// other processes, which Decode them. Both run each partition through
// RunPartition, which holds the per-partition checks of the contract.
//
// Scheduling over an engine (several drivers in lockstep, several
// aggregations in one pass, kernel fingerprints, pass counting) is the
// package engine/sched, beside this one.
package engine

import (
	"context"

	"github.com/spindle-ml/spindle/table"
)

// Kernel is work that a worker runs: a registered value whose exported
// fields are all it needs (Encode sends them).
// KernelName is its registry key; by convention "package.Type".
type Kernel interface {
	KernelName() string
}

// PartitionInfo tells a kernel where its partition sits in the dataset.
type PartitionInfo struct {
	// Index is the partition's position, from 0.
	Index int
	// RowOffset is the position of the partition's first row in the
	// mapper's input dataset, so that row-keyed randomness
	// (table.RowUniform) does not depend on partitioning. It is exact for
	// mappers that implement Positional and for aggregators over stored
	// data; other mappers, and aggregations over a chain of mappers, are
	// fused with the chain and then see the offset of the chain's input
	// (good for error messages, not for randomness).
	RowOffset int64
}

// Positional is implemented by mappers whose output depends on
// PartitionInfo.RowOffset (sampling, random splits); engines give them the
// exact offset, materializing their input if need be.
type Positional interface {
	// UsesRowOffset reports whether the mapper needs exact row offsets.
	UsesRowOffset() bool
}

// IsPositional reports whether m needs exact row offsets.
func IsPositional(m Mapper) bool {
	p, ok := m.(Positional)
	return ok && p.UsesRowOffset()
}

// Mapper transforms one partition into another.
type Mapper interface {
	Kernel
	// OutputSchema returns the schema MapPartition produces from in.
	OutputSchema(in *table.Schema) (*table.Schema, error)
	// MapPartition returns the transformed partition.
	MapPartition(ctx context.Context, info PartitionInfo, b *table.Batch) (*table.Batch, error)
}

// Aggregator folds partitions into a partial result of type P and merges
// partials. Merge must be associative; P travels in the wire encoding
// (Marshal), so its state must be its exported fields.
type Aggregator[P any] interface {
	Kernel
	// Zero returns an empty partial.
	Zero() P
	// Fold adds partition b to acc and returns the result (it may reuse acc).
	Fold(ctx context.Context, info PartitionInfo, acc P, b *table.Batch) (P, error)
	// Merge combines two partials (it may reuse a).
	Merge(a, b P) (P, error)
}

// Dataset is a partitioned dataset owned by one Engine.
type Dataset interface {
	// Schema returns the dataset's schema.
	Schema() *table.Schema
}

// Engine runs kernels over datasets. Implementations: engine/local (all
// cores of this machine); a Beam implementation runs the same kernels as
// Beam jobs.
type Engine interface {
	// Name identifies the engine in logs ("local", "beam").
	Name() string
	// FromTable makes a dataset of an in-memory table.
	FromTable(ctx context.Context, t *table.Table) (Dataset, error)
	// MapPartitions returns a dataset whose partitions are m applied to
	// those of ds. Nothing runs until an action (Persist, Collect,
	// Aggregate) needs it.
	MapPartitions(ds Dataset, m Mapper) (Dataset, error)
	// Persist computes ds and keeps the result for later passes.
	Persist(ctx context.Context, ds Dataset) (Dataset, error)
	// Collect computes ds and returns it as a table in this process.
	Collect(ctx context.Context, ds Dataset) (*table.Table, error)
	// AggregateAny runs an erased aggregator; call Aggregate instead.
	AggregateAny(ctx context.Context, ds Dataset, a AnyAggregator) (any, error)
	// Splitter reads sources in splits where the data is to live.
	Splitter
}

// Aggregate folds every partition of ds with a and merges the partials.
func Aggregate[P any](ctx context.Context, e Engine, ds Dataset, a Aggregator[P]) (P, error) {
	var zero P
	if err := CheckRegistered(a); err != nil {
		return zero, err
	}
	out, err := e.AggregateAny(ctx, ds, Erase(a))
	if err != nil {
		return zero, err
	}
	return out.(P), nil
}

// Row names a row of a partition for an error message, lazily: its String
// is RowName, computed only when a message is formatted, so a kernel can
// keep one per row on its hot path at no cost.
type Row struct {
	Info  PartitionInfo
	Batch *table.Batch
	I     int
}

func (r Row) String() string { return RowName(r.Info, r.Batch, r.I) }

// RowName names row i of partition b for an error message: the file and
// line it was read from when the batch knows (table.Origin), else its
// 1-based position in the dataset the kernel runs over.
func RowName(info PartitionInfo, b *table.Batch, i int) string {
	return b.RowName(i, info.RowOffset+int64(i)+1)
}
