package engine

import "context"

// A pass that folds several aggregations over each partition (sched.Multi)
// gives them a memo: per-partition scratch they can share, so that work
// every one of them would do on the same rows (a linear model's rows
// gathered onto its solved-for coordinates, for every grid point of a
// fold) is done once per partition instead of once per aggregation. A
// memo lives for one partition of one pass; it is not safe for
// concurrent use (a partition is folded on one goroutine).
type memo map[any]any

type memoKey struct{}

// WithMemo returns ctx carrying a memo: a new, empty one, or the one ctx
// has (a Multi inside a Multi shares its parent's). A pass that runs
// several aggregations over each partition calls it once per partition.
func WithMemo(ctx context.Context) context.Context {
	if _, ok := ctx.Value(memoKey{}).(memo); ok {
		return ctx
	}
	return context.WithValue(ctx, memoKey{}, memo{})
}

// Memoized returns the value stored under key in the partition's memo,
// computing and storing it with compute on the first call; without a
// memo (an aggregation run alone) it just calls compute. The key must be
// comparable and name everything the value depends on besides the
// partition (Memoized cannot check that); a value must not be changed
// by its users.
func Memoized[V any](ctx context.Context, key any, compute func() (V, error)) (V, error) {
	m, _ := ctx.Value(memoKey{}).(memo)
	if m == nil {
		return compute()
	}
	if v, ok := m[key]; ok {
		return v.(V), nil
	}
	v, err := compute()
	if err != nil {
		return v, err
	}
	m[key] = v
	return v, nil
}
