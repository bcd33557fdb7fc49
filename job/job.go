// Package job runs a pipeline spec end to end: read the input, report and
// drop nulls, report class balance, index the label, split into train and
// test, fit the shared stages, then for every feature variant and model
// fit (tuned by cross-validation or a validation split when asked), score
// the test split, and write metrics.json, the fitted models, optionally the
// processed data, and run.log under the output directory (local or s3://).
//
// Estimator state (IDF weights, scaler ranges, Word2Vec vectors) is fitted
// on the training split only, so the test metrics are honest; the label
// indexer is fitted on all rows, as Spark jobs usually do.
package job

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/engine/sched"
	"github.com/spindle-ml/spindle/jsonnum"
	"github.com/spindle-ml/spindle/runrecord"
	"github.com/spindle-ml/spindle/spec"
	"github.com/spindle-ml/spindle/storage"
)

// Options configure a run.
type Options struct {
	Store  *storage.Store
	Engine engine.Engine
	// Out overrides the spec's output.dir.
	Out string
	// OutName is how messages name Out (say "--out"); default "output
	// directory".
	OutName string
	// Log receives the run's log records (they also go to run.log).
	Log *slog.Logger
	// Progress, if set, is told what the run is doing.
	Progress func(Event)
	// SpindleVersion is recorded in the outputs.
	SpindleVersion string
	// Wrap, if set, wraps input sources (for read progress).
	Wrap func(storage.Source) storage.Source
	// Report, if set, renders the run's report page from its final
	// metrics; the run writes it as report.html, before _SUCCESS (package
	// report's HTML; the job does not import it, it imports the job).
	Report func(*runrecord.Report) ([]byte, error)
}

// Event is a progress report: the step, and where tuning and the
// optimizer are.
type Event struct {
	Step           string // e.g. "read", "featurize tfidf", "tune lr on tfidf"
	Fold, Folds    int    // current fold (1-based; 0: the final refit)
	ParamMap, Maps int    // current param map (1-based)
	Iter           int    // optimizer iteration
}

// Run runs s. Nothing is written before the run has checked the spec,
// the output location and its input (a mistake found by then leaves the
// output directory as it was); from then on the directory is this run's
// (see runrecord.RunningFile, runrecord.SuccessFile), and on failure metrics.json (status
// "failed", with every model finished so far) and run.log are still
// written.
func Run(ctx context.Context, s *spec.Spec, o Options) (*runrecord.Report, error) {
	out := o.Out
	if out == "" {
		out = s.Output.Dir
	}
	if out == "" {
		return nil, &spec.Error{File: s.File, Msg: "no output directory: set output.dir in the spec or pass --out"}
	}
	started := time.Now()
	host, _ := os.Hostname()
	info := runrecord.RunInfo{RunID: newRunID(started), SpecDigest: s.Digest, Spec: s.File, Seed: s.Split.Seed, Started: started, Host: host, PID: os.Getpid()}
	var logBuf bytes.Buffer
	runLog := slog.NewJSONHandler(&logBuf, &slog.HandlerOptions{ReplaceAttr: jsonnum.ReplaceAttr}).WithAttrs([]slog.Attr{slog.String("runId", info.RunID)})
	handlers := []slog.Handler{runLog}
	if o.Log != nil {
		handlers = append(handlers, o.Log.Handler())
	}
	passes := sched.NewCounter(o.Engine)
	passes.Order = []string{PhaseRead, PhaseStats, PhaseFeaturize, PhaseTune, PhaseFit, PhaseEvaluate, PhaseWrite}
	r := &runner{s: s, o: o, e: passes, passes: passes, st: o.Store, out: out, log: slog.New(slog.NewMultiHandler(handlers...)), info: info,
		rep: &runrecord.Report{Name: s.Name, Spec: s.File, SpecDigest: s.Digest, RunID: info.RunID, SpindleVersion: o.SpindleVersion,
			Engine: o.Engine.Name(), Started: started},
		prog: o.Progress, mu: &sync.Mutex{}}
	if r.prog == nil {
		r.prog = func(Event) {}
	}
	err := r.run(ctx)
	if !r.started {
		// Nothing was written: the spec, the output location or the
		// input failed their checks (run returns an error then).
		r.dir.abandon()
		return nil, err
	}
	// From here on, whatever happened, the directory says so.
	wctx := context.WithoutCancel(ctx)
	r.rep.Seconds = since(r.rep.Started)
	r.rep.PeakRSSBytes = peakRSS()
	var order []string
	r.rep.Passes, order = passes.Counts()
	attrs := []any{"engine", o.Engine.Name()}
	var total int64
	for _, ph := range order {
		attrs = append(attrs, ph, r.rep.Passes[ph])
		total += r.rep.Passes[ph]
	}
	r.log.Info("engine passes", append(attrs, "total", total)...)
	if err != nil {
		// Into run.log only: the caller shows the error itself (on a
		// terminal it would otherwise appear twice).
		slog.New(runLog).Error("run failed", "error", err.Error())
		r.rep.Status, r.rep.Error = runrecord.StatusFailed, err.Error()
	} else {
		r.log.Info("run finished", "seconds", r.rep.Seconds, "out", out)
		r.rep.Status = runrecord.StatusSucceeded
	}
	if werr := r.writeMetrics(wctx); werr != nil {
		err = errors.Join(err, werr)
	}
	if o.Report != nil {
		// A page that cannot be drawn does not fail the run (its models
		// and metrics are written); 'spindle report' can retry.
		if html, rerr := o.Report(r.rep); rerr != nil {
			r.log.Error("report.html not written", "error", rerr.Error())
		} else if werr := r.st.WriteFile(wctx, storage.Join(out, "report.html"), html); werr != nil {
			err = errors.Join(err, fmt.Errorf("write report.html: %w", werr))
		}
	}
	if werr := r.st.WriteFile(wctx, storage.Join(out, "run.log"), logBuf.Bytes()); werr != nil {
		err = errors.Join(err, fmt.Errorf("write run.log: %w", werr))
	}
	if err == nil {
		if werr := r.dir.finish(wctx, r.info); werr != nil {
			err = fmt.Errorf("write %s: %w", storage.Join(out, runrecord.SuccessFile), werr)
		}
	} else if werr := r.st.Delete(wctx, storage.Join(out, runrecord.RunningFile)); werr != nil {
		// metrics.json says "failed"; _RUNNING would say it still runs.
		err = errors.Join(err, werr)
	}
	if err != nil {
		return nil, err
	}
	return r.rep, nil
}

// writeMetrics writes metrics.json as the report stands.
func (r *runner) writeMetrics(ctx context.Context) error {
	r.rep.Passes, _ = r.passes.Counts()
	js, err := json.MarshalIndent(r.rep, "", "  ")
	if err != nil {
		return fmt.Errorf("encode metrics.json: %w", err)
	}
	if err := r.st.WriteFile(ctx, storage.Join(r.out, runrecord.MetricsFile), append(js, '\n')); err != nil {
		return fmt.Errorf("write metrics.json: %w", err)
	}
	return nil
}

// outputName is how messages name the output directory.
func (r *runner) outputName() string {
	switch {
	case r.o.Out != "" && r.o.OutName != "":
		return r.o.OutName + " " + r.o.Out
	case r.o.Out != "":
		return "output directory " + r.o.Out
	}
	return "output.dir " + r.out
}

// checkOutput checks the output location before any work; a spec's
// output.dir that will not do is a spec error at its line.
func (r *runner) checkOutput(ctx context.Context) error {
	d, err := checkOutput(ctx, r.st, r.out, r.outputName())
	if err != nil {
		if r.o.Out == "" {
			return &spec.Error{File: r.s.File, Pos: r.s.Output.DirPos, Msg: err.Error(), Err: err}
		}
		return err
	}
	r.dir = d
	return nil
}

// startOutput makes the output directory this run's: what a previous run
// left is replaced, and metrics.json says the run is under way.
func (r *runner) startOutput(ctx context.Context) error {
	if r.dir.previous != "" {
		r.log.Warn("replacing the previous run's output", "out", r.out, "previous", r.dir.previous)
	}
	if err := r.dir.start(ctx, r.info); err != nil {
		return err
	}
	r.started = true
	r.rep.Status = runrecord.StatusRunning
	return r.writeMetrics(ctx)
}

func peakRSS() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Maxrss * 1024 // kilobytes on Linux
}

func since(t time.Time) float64 { return float64(time.Since(t).Milliseconds()) / 1000 }
