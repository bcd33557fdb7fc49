// Package sched schedules work over an engine.Engine without changing the
// contract: Lockstep runs several drivers (the fits of a tuning grid, the
// models of a run) so that each round's aggregations go to the engine as
// one pass; Multi folds several aggregations over each partition in that
// pass and splits the result; Fingerprint names a kernel by its content
// (lockstep shares the passes of equal kernels, a distributed engine keys
// what it stages by it); Counter attributes the passes an engine runs to
// the phases of a run (WithPhase).
//
// Engines need not know this package: an engine that implements
// engine.Batcher runs a Lockstep round's requests together, and one that
// counts its passes implements PassCounter.
package sched
