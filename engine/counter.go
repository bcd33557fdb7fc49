package engine

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/spindle-ml/spindle/table"
)

// PassCounter is implemented by engines that count the passes over data
// they run: for the embedded engine every aggregation, every computed
// chain of mappers and every split read; for Beam every job (a pass found
// already done is not run, and not counted).
type PassCounter interface {
	// Passes returns how many passes the engine has run.
	Passes() int64
}

// Counter is an Engine that attributes the passes of the engine it wraps
// to phases: what the engine counted (PassCounter) between two SetPhase
// calls is the earlier phase's. For an engine that does not count,
// every Aggregate, Collect, Persist and ReadSplits counts one. On a
// cluster each pass is a job with a fixed cost, so the count is the
// figure to watch. Phases are sequential: passes of concurrent phases
// would be attributed to the one set last. It is safe for concurrent use.
type Counter struct {
	Engine

	calls  atomic.Int64 // actions, for an engine that does not count
	mu     sync.Mutex
	phase  string
	last   int64
	counts map[string]int64
	order  []string
}

// NewCounter wraps e; passes count under phase "" until SetPhase.
func NewCounter(e Engine) *Counter { return &Counter{Engine: e, counts: map[string]int64{}} }

func (c *Counter) total() int64 {
	if pc, ok := c.Engine.(PassCounter); ok {
		return pc.Passes()
	}
	return c.calls.Load()
}

// flush attributes the passes since the last flush to the current phase
// (called with c.mu held).
func (c *Counter) flush() {
	n := c.total()
	if d := n - c.last; d > 0 {
		if _, ok := c.counts[c.phase]; !ok {
			c.order = append(c.order, c.phase)
		}
		c.counts[c.phase] += d
	}
	c.last = n
}

// SetPhase makes later passes count under phase.
func (c *Counter) SetPhase(phase string) {
	c.mu.Lock()
	c.flush()
	c.phase = phase
	c.mu.Unlock()
}

// Counts returns the passes per phase so far, and the phases in the order
// they first ran a pass.
func (c *Counter) Counts() (map[string]int64, []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flush()
	out := make(map[string]int64, len(c.counts))
	for k, v := range c.counts {
		out[k] = v
	}
	return out, append([]string(nil), c.order...)
}

// Resident implements Resident as the wrapped engine does.
func (c *Counter) Resident() bool { return IsResident(c.Engine) }

// Passes implements PassCounter.
func (c *Counter) Passes() int64 { return c.total() }

// Persist implements Engine.
func (c *Counter) Persist(ctx context.Context, ds Dataset) (Dataset, error) {
	c.calls.Add(1)
	return c.Engine.Persist(ctx, ds)
}

// Collect implements Engine.
func (c *Counter) Collect(ctx context.Context, ds Dataset) (*table.Table, error) {
	c.calls.Add(1)
	return c.Engine.Collect(ctx, ds)
}

// AggregateAny implements Engine.
func (c *Counter) AggregateAny(ctx context.Context, ds Dataset, a AnyAggregator) (any, error) {
	c.calls.Add(1)
	return c.Engine.AggregateAny(ctx, ds, a)
}

// ReadSplits implements Splitter.
func (c *Counter) ReadSplits(ctx context.Context, r SplitReader) ([]SplitResult, error) {
	c.calls.Add(1)
	return c.Engine.ReadSplits(ctx, r)
}
