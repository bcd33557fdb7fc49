package engine

import (
	"context"
	"hash/maphash"
	"sync"
)

// Lockstep runs fn(ctx, i, e_i) for i in [0, n) concurrently, each with an
// engine e_i that shares e's passes with the others: an aggregation asked
// of e_i waits until every fn still running waits for one too, and then
// the waiting aggregations run together — one pass per dataset serves all
// of those over it (Multi), and identical ones (the same dataset and
// kernel fingerprint, as the first iterations of fits that differ only in
// maxIter) are computed once. Each still gets exactly the result it would
// get alone. It returns fn's errors, by i.
//
// This is how model selection shares scans: fits of several models over
// the same data (grid points of a fold) advance in lockstep, and every
// optimizer step of all of them costs one pass. Other calls (MapPartitions,
// Persist, Collect) go straight to e.
func Lockstep(ctx context.Context, e Engine, n int, fn func(ctx context.Context, i int, e Engine) error) []error {
	c := &coordinator{e: e, live: n}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.leave(ctx)
			errs[i] = fn(ctx, i, &member{Engine: e, c: c})
		}()
	}
	wg.Wait()
	return errs
}

// request is one waiting aggregation.
type request struct {
	ds   Dataset
	a    AnyAggregator
	res  any
	err  error
	done chan struct{}
}

// coordinator holds the aggregations of a Lockstep until every live
// member waits.
type coordinator struct {
	e       Engine
	mu      sync.Mutex
	live    int
	waiting []*request
}

// member is the engine one fn of a Lockstep uses.
type member struct {
	Engine
	c *coordinator
}

// Resident implements Resident as the shared engine does.
func (m *member) Resident() bool { return IsResident(m.Engine) }

// AggregateAny implements Engine: it waits for the round.
func (m *member) AggregateAny(ctx context.Context, ds Dataset, a AnyAggregator) (any, error) {
	r := &request{ds: ds, a: a, done: make(chan struct{})}
	m.c.mu.Lock()
	m.c.waiting = append(m.c.waiting, r)
	round := m.c.take()
	m.c.mu.Unlock()
	if round != nil {
		m.c.run(ctx, round)
	}
	select {
	case <-r.done:
		return r.res, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// leave counts a finished member out; the others may now make a round.
func (c *coordinator) leave(ctx context.Context) {
	c.mu.Lock()
	c.live--
	round := c.take()
	c.mu.Unlock()
	if round != nil {
		c.run(ctx, round)
	}
}

// take returns the waiting requests when every live member waits (called
// with c.mu held).
func (c *coordinator) take() []*request {
	if len(c.waiting) == 0 || len(c.waiting) < c.live {
		return nil
	}
	round := c.waiting
	c.waiting = nil
	return round
}

// run serves a round: one pass per dataset, identical requests once.
func (c *coordinator) run(ctx context.Context, round []*request) {
	for len(round) > 0 {
		ds := round[0].ds
		var same, rest []*request
		for _, r := range round {
			if r.ds == ds {
				same = append(same, r)
			} else {
				rest = append(rest, r)
			}
		}
		round = rest
		c.pass(ctx, ds, same)
	}
}

// pass runs the requests over one dataset in one pass.
func (c *coordinator) pass(ctx context.Context, ds Dataset, reqs []*request) {
	var (
		uniq  []AnyAggregator
		index = make([]int, len(reqs)) // request → its aggregation in uniq
		seen  = map[uint64][]int{}     // quick key → its aggregations in uniq
		seed  = maphash.MakeSeed()
	)
	for i, r := range reqs {
		// Identical requests are found by a fast hash, and a match is
		// confirmed by Fingerprint (only then is SHA-256 run).
		if key, ok := quickKey(seed, r.a); ok {
			if j, ok := c.same(r.a, uniq, seen[key]); ok {
				index[i] = j
				continue
			}
			seen[key] = append(seen[key], len(uniq))
		}
		index[i] = len(uniq)
		uniq = append(uniq, r.a)
	}
	var results []any
	var err error
	if len(uniq) == 1 {
		var res any
		if res, err = c.e.AggregateAny(ctx, ds, uniq[0]); err == nil {
			results = []any{res}
		}
	} else {
		var m *Multi
		if m, err = NewMulti(uniq); err == nil {
			var res any
			if res, err = c.e.AggregateAny(ctx, ds, m); err == nil {
				results = m.Split(res)
			}
		}
		if err != nil && ctx.Err() == nil {
			// One aggregation failed the pass: run each alone, so that
			// only those that fail get an error.
			c.alone(ctx, ds, reqs, uniq, index)
			return
		}
	}
	errs := make([]error, len(uniq))
	for j := range errs {
		errs[j] = err
	}
	hand(reqs, uniq, index, results, errs)
}

// same returns the aggregation among uniq[cands] identical to a.
func (c *coordinator) same(a AnyAggregator, uniq []AnyAggregator, cands []int) (int, bool) {
	if len(cands) == 0 {
		return 0, false
	}
	fp, err := Fingerprint(a)
	if err != nil {
		return 0, false
	}
	for _, j := range cands {
		if other, err := Fingerprint(uniq[j]); err == nil && other == fp {
			return j, true
		}
	}
	return 0, false
}

// alone serves requests one aggregation at a time (after a shared pass
// failed).
func (c *coordinator) alone(ctx context.Context, ds Dataset, reqs []*request, uniq []AnyAggregator, index []int) {
	results := make([]any, len(uniq))
	errs := make([]error, len(uniq))
	for j, a := range uniq {
		results[j], errs[j] = c.e.AggregateAny(ctx, ds, a)
	}
	hand(reqs, uniq, index, results, errs)
}

// hand gives every request its aggregation's result (or error), then
// releases them all: every result is handed out before any receiver runs
// on, since a second receiver of the same result gets its own copy and
// the first may change its partial in place.
func hand(reqs []*request, uniq []AnyAggregator, index []int, results []any, errs []error) {
	given := make([]bool, len(uniq))
	for i, r := range reqs {
		switch j := index[i]; {
		case errs[j] != nil:
			r.err = errs[j]
		case !given[j]:
			r.res, given[j] = results[j], true
		default:
			var enc []byte
			if enc, r.err = uniq[j].EncodePartial(results[j]); r.err == nil {
				r.res, r.err = uniq[j].DecodePartial(enc)
			}
		}
	}
	for _, r := range reqs {
		close(r.done)
	}
}
