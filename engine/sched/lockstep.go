package sched

import (
	"context"
	"hash/maphash"
	"slices"
	"sync"

	"github.com/spindle-ml/spindle/engine"
)

// Lockstep runs fn(ctx, i, e_i) for i in [0, n) concurrently, each with an
// engine e_i that shares e's passes with the others: an aggregation asked
// of e_i waits until every fn still running waits for one too, and then
// the waiting aggregations run together, in one pass — those over the
// same dataset folded together (Multi), those over other datasets in the
// same pass when e is a Batcher — and identical ones (the same dataset
// and kernel, as the first iterations of fits that differ only in
// maxIter) are computed once. Each still gets exactly the result it would
// get alone. It returns fn's errors, by i.
//
// This is how model selection shares scans: fits of several models (grid
// points, folds, feature variants) advance in lockstep, and every
// optimizer step of all of them costs one pass. Persists join the rounds
// too; other calls (MapPartitions, Collect) go straight to e. Lockstep nests: an
// e_i used as the engine of another Lockstep sends that one's rounds up
// as one request (it is a Batcher).
func Lockstep(ctx context.Context, e engine.Engine, n int, fn func(ctx context.Context, i int, e engine.Engine) error) []error {
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
	ds     engine.Dataset
	a      engine.AnyAggregator
	phases []string // the asking member's (WithPhase)
	res    any
	err    error
	done   chan struct{}
}

// coordinator holds the aggregations of a Lockstep until every live
// member waits.
type coordinator struct {
	e       engine.Engine
	mu      sync.Mutex
	live    int // members still running
	members int // members waiting
	waiting []*request
}

// member is the engine one fn of a Lockstep uses.
type member struct {
	engine.Engine
	c *coordinator
}

var _ engine.Batcher = (*member)(nil)

// Resident implements Resident as the shared engine does.
func (m *member) Resident() bool { return engine.IsResident(m.Engine) }

// StoredRows implements RowCounter as the shared engine does.
func (m *member) StoredRows(ds engine.Dataset) (int64, bool) { return engine.StoredRows(m.Engine, ds) }

// Release implements Releaser as the shared engine does.
func (m *member) Release(ds engine.Dataset) { engine.Release(m.Engine, ds) }

// ScratchDir implements Scratcher as the shared engine does.
func (m *member) ScratchDir(ctx context.Context) (string, error) {
	return scratchOf(ctx, m.Engine)
}

// Persist implements Engine: it waits for the round, so that the
// persists and aggregations of a round are one pass.
func (m *member) Persist(ctx context.Context, ds engine.Dataset) (engine.Dataset, error) {
	res, err := m.AggregateBatch(ctx, []engine.Request{{Dataset: ds}})
	if err != nil {
		return nil, err
	}
	return res[0].(engine.Dataset), nil
}

// AggregateAny implements Engine: it waits for the round.
func (m *member) AggregateAny(ctx context.Context, ds engine.Dataset, a engine.AnyAggregator) (any, error) {
	res, err := m.AggregateBatch(ctx, []engine.Request{{Dataset: ds, Agg: a}})
	if err != nil {
		return nil, err
	}
	return res[0], nil
}

// AggregateBatch implements Batcher: the requests join the round
// together, as one member's.
func (m *member) AggregateBatch(ctx context.Context, reqs []engine.Request) ([]any, error) {
	rs := make([]*request, len(reqs))
	for i, q := range reqs {
		rs[i] = &request{ds: q.Dataset, a: q.Agg, phases: phasesOf(ctx), done: make(chan struct{})}
	}
	m.c.mu.Lock()
	m.c.waiting = append(m.c.waiting, rs...)
	m.c.members++
	round := m.c.take()
	m.c.mu.Unlock()
	if round != nil {
		m.c.run(ctx, round)
	}
	out := make([]any, len(rs))
	for i, r := range rs {
		select {
		case <-r.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if r.err != nil {
			return nil, r.err
		}
		out[i] = r.res
	}
	return out, nil
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
	if c.members == 0 || c.members < c.live {
		return nil
	}
	round := c.waiting
	c.waiting, c.members = nil, 0
	return round
}

// group is a round's requests over one dataset, identical ones once.
type group struct {
	ds      engine.Dataset
	persist bool // persists of ds, not aggregations
	reqs    []*request
	uniq    []engine.AnyAggregator
	index   []int // request → its aggregation in uniq
	agg     engine.AnyAggregator
}

// run serves a round in one pass: one aggregation per dataset (a Multi
// when several), all datasets in one batch.
func (c *coordinator) run(ctx context.Context, round []*request) {
	var groups []*group
	byDS := map[groupKey]*group{}
	var phases []string
	for _, r := range round {
		for _, p := range r.phases {
			if !slices.Contains(phases, p) {
				phases = append(phases, p)
			}
		}
		key := groupKey{r.ds, r.a == nil}
		g := byDS[key]
		if g == nil {
			g = &group{ds: r.ds, persist: key.persist}
			byDS[key] = g
			groups = append(groups, g)
		}
		g.reqs = append(g.reqs, r)
	}
	if phases != nil {
		ctx = withPhases(ctx, phases)
	}
	seed := maphash.MakeSeed()
	var reqs []engine.Request
	for _, g := range groups {
		if g.persist {
			reqs = append(reqs, engine.Request{Dataset: g.ds})
			continue
		}
		g.dedupe(seed)
		g.agg = g.uniq[0]
		if len(g.uniq) > 1 {
			m, err := NewMulti(g.uniq)
			if err != nil {
				c.alone(ctx, g)
				g.agg = nil
				continue
			}
			g.agg = m
		}
		reqs = append(reqs, engine.Request{Dataset: g.ds, Agg: g.agg})
	}
	if len(reqs) == 0 {
		return
	}
	results, err := engine.AggregateBatch(ctx, c.e, reqs)
	if err != nil && ctx.Err() == nil && len(reqs) > 1 {
		// One aggregation failed the pass: serve each dataset alone, and
		// within it each aggregation alone if need be, so that only
		// those that fail get an error.
		for _, g := range groups {
			if g.persist || g.agg != nil {
				c.pass(ctx, g)
			}
		}
		return
	}
	k := 0
	for _, g := range groups {
		if !g.persist && g.agg == nil {
			continue
		}
		g.finish(ctx, c, results, k, err)
		k++
	}
}

// groupKey groups a round's requests: per dataset, aggregations apart
// from persists.
type groupKey struct {
	ds      engine.Dataset
	persist bool
}

// dedupe finds the group's identical requests: by a fast hash, a match
// confirmed by Fingerprint (only then is SHA-256 run).
func (g *group) dedupe(seed maphash.Seed) {
	g.index = make([]int, len(g.reqs))
	if len(g.reqs) == 1 { // nothing to compare: no hashing
		g.uniq = []engine.AnyAggregator{g.reqs[0].a}
		return
	}
	seen := map[uint64][]int{} // quick key → its aggregations in uniq
	for i, r := range g.reqs {
		if key, ok := quickKey(seed, r.a); ok {
			if j, ok := same(r.a, g.uniq, seen[key]); ok {
				g.index[i] = j
				continue
			}
			seen[key] = append(seen[key], len(g.uniq))
		}
		g.index[i] = len(g.uniq)
		g.uniq = append(g.uniq, r.a)
	}
}

// finish hands the group its result (results[k]), splitting a Multi's;
// a failed shared pass is served again one aggregation at a time.
func (g *group) finish(ctx context.Context, c *coordinator, results []any, k int, err error) {
	if g.persist {
		// Every request gets the one stored dataset (or the error).
		for _, r := range g.reqs {
			if r.err = err; err == nil {
				r.res = results[k]
			}
			close(r.done)
		}
		return
	}
	if err != nil {
		if len(g.uniq) > 1 && ctx.Err() == nil {
			c.alone(ctx, g)
			return
		}
		errs := make([]error, len(g.uniq))
		for j := range errs {
			errs[j] = err
		}
		hand(g, nil, errs)
		return
	}
	res := []any{results[k]}
	if len(g.uniq) > 1 { // g.agg is the Multi run made of them
		res = g.agg.(*Multi).Split(results[k])
	}
	hand(g, res, make([]error, len(g.uniq)))
}

// pass serves one group in a pass of its own.
func (c *coordinator) pass(ctx context.Context, g *group) {
	var res any
	var err error
	if g.persist {
		res, err = c.e.Persist(ctx, g.ds)
	} else {
		res, err = c.e.AggregateAny(ctx, g.ds, g.agg)
	}
	g.finish(ctx, c, []any{res}, 0, err)
}

// same returns the aggregation among uniq[cands] identical to a.
func same(a engine.AnyAggregator, uniq []engine.AnyAggregator, cands []int) (int, bool) {
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

// alone serves a group one aggregation at a time (after a shared pass
// failed).
func (c *coordinator) alone(ctx context.Context, g *group) {
	results := make([]any, len(g.uniq))
	errs := make([]error, len(g.uniq))
	for j, a := range g.uniq {
		results[j], errs[j] = c.e.AggregateAny(ctx, g.ds, a)
	}
	hand(g, results, errs)
}

// hand gives every request its aggregation's result (or error), then
// releases them all: every result is handed out before any receiver runs
// on, since a second receiver of the same result gets its own copy and
// the first may change its partial in place.
func hand(g *group, results []any, errs []error) {
	given := make([]bool, len(g.uniq))
	for i, r := range g.reqs {
		switch j := g.index[i]; {
		case errs[j] != nil:
			r.err = errs[j]
		case !given[j]:
			r.res, given[j] = results[j], true
		default:
			var enc []byte
			if enc, r.err = g.uniq[j].EncodePartial(results[j]); r.err == nil {
				r.res, r.err = g.uniq[j].DecodePartial(enc)
			}
		}
	}
	for _, r := range g.reqs {
		close(r.done)
	}
}
