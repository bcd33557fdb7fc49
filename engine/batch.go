package engine

import "context"

// Request is one piece of work of a batch: Agg folded over Dataset, or,
// when Agg is nil, Dataset persisted (its result is the stored Dataset,
// as Persist returns it).
type Request struct {
	Dataset Dataset
	Agg     AnyAggregator
}

// Batcher is implemented by engines that run aggregations (and persists)
// over several datasets in one pass: the embedded engine folds the partitions of all
// of them in one parallel sweep, Beam runs them as one job (on a cluster
// a job's start is what costs). A dataset that is a chain of mappers over
// stored data is mapped on the fly, partition by partition, not stored
// first.
type Batcher interface {
	// AggregateBatch returns each request's result, as AggregateAny would
	// give it; an error fails the whole batch.
	AggregateBatch(ctx context.Context, reqs []Request) ([]any, error)
}

// AggregateBatch runs reqs on e: in one pass when e is a Batcher, else
// one AggregateAny after another.
func AggregateBatch(ctx context.Context, e Engine, reqs []Request) ([]any, error) {
	for _, r := range reqs {
		if r.Agg == nil {
			continue
		}
		if err := CheckRegistered(r.Agg); err != nil {
			return nil, err
		}
	}
	if b, ok := e.(Batcher); ok && len(reqs) > 1 {
		return b.AggregateBatch(ctx, reqs)
	}
	out := make([]any, len(reqs))
	for i, r := range reqs {
		var err error
		if r.Agg == nil {
			out[i], err = e.Persist(ctx, r.Dataset)
		} else {
			out[i], err = e.AggregateAny(ctx, r.Dataset, r.Agg)
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// PersistAll persists every dataset of ds, in one pass on a Batcher.
func PersistAll(ctx context.Context, e Engine, ds ...Dataset) ([]Dataset, error) {
	reqs := make([]Request, len(ds))
	for i, d := range ds {
		reqs[i] = Request{Dataset: d}
	}
	res, err := AggregateBatch(ctx, e, reqs)
	if err != nil {
		return nil, err
	}
	out := make([]Dataset, len(res))
	for i, r := range res {
		out[i] = r.(Dataset)
	}
	return out, nil
}

// RowCounter is implemented by engines that know how many rows a stored
// dataset has without a pass (the embedded engine holds its partitions;
// Beam's manifest records their row counts).
type RowCounter interface {
	// StoredRows returns ds's row count, and false when ds is not
	// stored (it has mappers still to apply).
	StoredRows(ds Dataset) (int64, bool)
}

// NumRows returns how many rows ds has: from the engine when it knows
// (RowCounter), else by a Count pass.
func NumRows(ctx context.Context, e Engine, ds Dataset) (int64, error) {
	if n, ok := StoredRows(e, ds); ok {
		return n, nil
	}
	return Aggregate(ctx, e, ds, Count{})
}

// StoredRows asks e for ds's stored row count (RowCounter).
func StoredRows(e Engine, ds Dataset) (int64, bool) {
	if rc, ok := e.(RowCounter); ok {
		return rc.StoredRows(ds)
	}
	return 0, false
}

// Releaser is implemented by engines that can free a stored dataset's
// partitions as a pass consumes them (the embedded engine, whose data is
// in memory): after Release(ds), the stored data under ds — ds itself, or
// the stored dataset its mappers start from — may be dropped partition by
// partition as the next pass reads it, so that pass's output and its input
// are not both held whole. The caller promises not to use ds, or any
// dataset mapped from it, except through that pass; a later pass over
// them fails.
type Releaser interface {
	Release(ds Dataset)
}

// Release calls e's Release (Releaser) if it has one; otherwise it does
// nothing.
func Release(e Engine, ds Dataset) {
	if r, ok := e.(Releaser); ok {
		r.Release(ds)
	}
}
