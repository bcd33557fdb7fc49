package sched

import (
	"context"
	"slices"
	"sync"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/table"
)

// PassCounter is implemented by engines that count the passes over data
// they run: for the embedded engine every aggregation (or batch of them),
// every computed chain of mappers and every split read; for Beam every
// job (a pass found already done is not run, and not counted).
type PassCounter interface {
	// Passes returns how many passes the engine has run.
	Passes() int64
}

// The phases model selection marks its own passes with (WithPhase).
const (
	// PhaseTune is the fits and scoring of a cross-validation or
	// validation split.
	PhaseTune = "tune"
	// PhaseFit is fits outside tuning: untuned models and the refit of
	// the best parameters.
	PhaseFit = "fit"
)

type phaseKey struct{}

// WithPhase returns ctx marked as working for phase: a Counter counts
// the passes a call with ctx runs under it.
func WithPhase(ctx context.Context, phase string) context.Context {
	return context.WithValue(ctx, phaseKey{}, []string{phase})
}

// withPhases marks ctx as serving several phases at once (a Lockstep
// round): a Counter counts its passes under the one it ranks first.
func withPhases(ctx context.Context, phases []string) context.Context {
	return context.WithValue(ctx, phaseKey{}, phases)
}

// phasesOf returns the phases ctx is marked with.
func phasesOf(ctx context.Context) []string {
	p, _ := ctx.Value(phaseKey{}).([]string)
	return p
}

// Counter is an Engine that attributes the passes of the engine it wraps
// to phases: the passes a call runs (the wrapped engine's PassCounter
// count before and after; one per call for an engine that does not
// count) go to the phase of the call's context (WithPhase), else to the
// one SetPhase set. A pass serving several phases at once (Lockstep
// rounds of models in different phases) counts under the phase first in
// Order. On a cluster each pass is a job with a fixed cost, so the count
// is the figure to watch. Calls run one at a time, so that concurrent
// ones are not counted twice. It is safe for concurrent use.
type Counter struct {
	engine.Engine
	// Order ranks the phases (earliest first) for passes that serve
	// several; unknown phases rank last.
	Order []string

	calls  sync.Mutex // held for the length of each counted call
	mu     sync.Mutex
	phase  string
	counts map[string]int64
	order  []string
	n      int64 // calls, for an engine that does not count
}

// NewCounter wraps e; passes count under phase "" until SetPhase.
func NewCounter(e engine.Engine) *Counter { return &Counter{Engine: e, counts: map[string]int64{}} }

// SetPhase makes later passes whose context has no phase count under
// phase.
func (c *Counter) SetPhase(phase string) {
	c.mu.Lock()
	c.phase = phase
	c.mu.Unlock()
}

// count runs call and attributes the passes it ran to ctx's phase.
func count[T any](c *Counter, ctx context.Context, call func() (T, error)) (T, error) {
	c.calls.Lock()
	defer c.calls.Unlock()
	before := c.total()
	out, err := call()
	n := c.total() - before
	if n > 0 {
		c.mu.Lock()
		ph := c.phaseFor(phasesOf(ctx))
		if _, ok := c.counts[ph]; !ok {
			c.order = append(c.order, ph)
		}
		c.counts[ph] += n
		c.mu.Unlock()
	}
	return out, err
}

// total returns the wrapped engine's passes (called with c.calls held).
func (c *Counter) total() int64 {
	if pc, ok := c.Engine.(PassCounter); ok {
		return pc.Passes()
	}
	return c.n
}

// phaseFor picks the phase a pass serving phases counts under (called
// with c.mu held).
func (c *Counter) phaseFor(phases []string) string {
	if len(phases) == 0 {
		return c.phase
	}
	best := phases[0]
	rank := func(p string) int {
		if i := slices.Index(c.Order, p); i >= 0 {
			return i
		}
		return len(c.Order)
	}
	for _, p := range phases[1:] {
		if rank(p) < rank(best) {
			best = p
		}
	}
	return best
}

// Counts returns the passes per phase so far, and the phases in the order
// they first ran a pass.
func (c *Counter) Counts() (map[string]int64, []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int64, len(c.counts))
	for k, v := range c.counts {
		out[k] = v
	}
	return out, append([]string(nil), c.order...)
}

// Resident implements Resident as the wrapped engine does.
func (c *Counter) Resident() bool { return engine.IsResident(c.Engine) }

// Passes implements PassCounter.
func (c *Counter) Passes() int64 {
	c.calls.Lock()
	defer c.calls.Unlock()
	return c.total()
}

// selfCount counts n passes for an engine that does not count (called
// inside count).
func (c *Counter) selfCount(n int64) {
	if _, ok := c.Engine.(PassCounter); !ok {
		c.n += n
	}
}

// Persist implements Engine.
func (c *Counter) Persist(ctx context.Context, ds engine.Dataset) (engine.Dataset, error) {
	return count(c, ctx, func() (engine.Dataset, error) {
		c.selfCount(1)
		return c.Engine.Persist(ctx, ds)
	})
}

// Collect implements Engine.
func (c *Counter) Collect(ctx context.Context, ds engine.Dataset) (*table.Table, error) {
	return count(c, ctx, func() (*table.Table, error) {
		c.selfCount(1)
		return c.Engine.Collect(ctx, ds)
	})
}

// AggregateAny implements Engine.
func (c *Counter) AggregateAny(ctx context.Context, ds engine.Dataset, a engine.AnyAggregator) (any, error) {
	return count(c, ctx, func() (any, error) {
		c.selfCount(1)
		return c.Engine.AggregateAny(ctx, ds, a)
	})
}

// ReadSplits implements Splitter.
func (c *Counter) ReadSplits(ctx context.Context, r engine.SplitReader) ([]engine.SplitResult, error) {
	return count(c, ctx, func() ([]engine.SplitResult, error) {
		c.selfCount(1)
		return c.Engine.ReadSplits(ctx, r)
	})
}

// AggregateBatch implements Batcher (one pass when the wrapped engine is
// a Batcher).
func (c *Counter) AggregateBatch(ctx context.Context, reqs []engine.Request) ([]any, error) {
	return count(c, ctx, func() ([]any, error) {
		if _, ok := c.Engine.(engine.Batcher); ok {
			c.selfCount(1)
		} else {
			c.selfCount(int64(len(reqs)))
		}
		return engine.AggregateBatch(ctx, c.Engine, reqs)
	})
}

// StoredRows implements RowCounter as the wrapped engine does.
func (c *Counter) StoredRows(ds engine.Dataset) (int64, bool) { return engine.StoredRows(c.Engine, ds) }

// Release implements Releaser as the wrapped engine does.
func (c *Counter) Release(ds engine.Dataset) { engine.Release(c.Engine, ds) }

// ScratchDir implements Scratcher as the counted engine does; it fails
// for an engine without a scratch location.
func (c *Counter) ScratchDir(ctx context.Context) (string, error) {
	return scratchOf(ctx, c.Engine)
}
