package engine

import "context"

// Request is one aggregation of a batch: Agg folded over Dataset.
type Request struct {
	Dataset Dataset
	Agg     AnyAggregator
}

// Batcher is implemented by engines that run aggregations over several
// datasets in one pass: the embedded engine folds the partitions of all
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
		if err := checkRegistered(r.Agg); err != nil {
			return nil, err
		}
	}
	if b, ok := e.(Batcher); ok && len(reqs) > 1 {
		return b.AggregateBatch(ctx, reqs)
	}
	out := make([]any, len(reqs))
	for i, r := range reqs {
		var err error
		if out[i], err = e.AggregateAny(ctx, r.Dataset, r.Agg); err != nil {
			return nil, err
		}
	}
	return out, nil
}
