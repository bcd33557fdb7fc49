package engine

import (
	"context"

	"github.com/spindle-ml/spindle/table"
)

// SplitReader is a kernel that reads a source in splits, so that an
// engine can read it where its workers are instead of in the driver: a
// byte range of a CSV file, a Parquet row group. Reading split i yields
// its partitions (none, one or several) and a small report for the driver
// (row counts, inferred types, the quote state at a range's end …),
// never the data itself.
//
// A reader is also how a source is scanned before it is read: a pass
// whose ReadSplit returns only reports.
type SplitReader interface {
	Kernel
	// NumSplits is how many splits the reader reads.
	NumSplits() int
	// ReadSplit reads split i (0 ≤ i < NumSplits).
	ReadSplit(ctx context.Context, i int) (parts []*table.Batch, report []byte, err error)
}

// Part is a partition that a split read left with its engine: the
// driver sees its schema and row count, and hands the parts it keeps to
// FromParts.
type Part interface {
	Schema() *table.Schema
	NumRows() int64
}

// SplitResult is what reading one split gave.
type SplitResult struct {
	// Report is the reader's report of the split.
	Report []byte
	// Parts are the split's partitions, in order.
	Parts []Part
}

// Splitter is the part of the engine contract that reads sources in
// splits. An engine whose workers are other processes reads every split
// there and keeps the partitions where they were made (staged files);
// only reports, schemas and counts reach the driver.
type Splitter interface {
	// ReadSplits reads every split of r and returns the results in split
	// order.
	ReadSplits(ctx context.Context, r SplitReader) ([]SplitResult, error)
	// FromParts makes a dataset of parts from ReadSplits, in the order
	// given; every part must have the dataset's schema.
	FromParts(ctx context.Context, schema *table.Schema, parts []Part) (Dataset, error)
}

// Resident is implemented by engines whose datasets live in this
// process's memory (the embedded engine): for them a source is best read
// by a streaming reader into a table, then FromTable.
type Resident interface {
	// Resident reports whether datasets live in this process.
	Resident() bool
}

// IsResident reports whether e keeps its data in this process.
func IsResident(e Engine) bool {
	r, ok := e.(Resident)
	return ok && r.Resident()
}

// Scratcher is implemented by engines whose workers share a location for
// files a later pass reads (the Beam engine's staging location).
type Scratcher interface {
	// ScratchDir returns a directory or s3:// prefix every worker can
	// write and read, kept for the engine's life (and, when it is a
	// named staging location, across reruns).
	ScratchDir(ctx context.Context) (string, error)
}

// ScratchDir returns e's shared scratch location (Scratcher); ok is false
// for an engine without one.
func ScratchDir(ctx context.Context, e Engine) (dir string, ok bool, err error) {
	s, ok := e.(Scratcher)
	if !ok {
		return "", false, nil
	}
	dir, err = s.ScratchDir(ctx)
	return dir, true, err
}
