package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/engine/beam"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/job"
	"github.com/spindle-ml/spindle/spec"
	"github.com/spindle-ml/spindle/storage"
)

const maxSpecBytes = 4 << 20

func runCmd(e *env) *cobra.Command {
	var out, runner, staging string
	var sets []string
	cmd := &cobra.Command{
		Use:   "run SPEC",
		Short: "Run a pipeline spec: read, clean, featurize, train, tune, evaluate, save",
		Long: `Run reads the YAML pipeline spec SPEC (a local path or s3:// URI) and runs
it on this machine: input, null report and cleaning, class balance, label
indexing, train/test split, shared stages, then for each feature variant
and model the fit (tuned by cross-validation when the spec asks), the test
metrics, and the saved model.

Under the output directory (output.dir, or --out; local or s3://) it
writes metrics.json (per variant and model: chosen params, every fold's
metric, test metrics, confusion matrix, timings, rows), models/<variant>/
(loadable by 'spindle predict'), processed/ as Parquet when
output.processedData is true, and run.log (JSON lines, written once at the
end, also when the run fails).

Spec mistakes are reported at their line:column and exit with code 2.`,
		Example: `  spindle run examples/spam/pipeline.yaml --out out/spam
  spindle run s3://bucket/specs/spam.yaml --out s3://bucket/runs/1 --set split.seed=7
  spindle run spec.yaml --set variants.tfidf.stages.0.numFeatures=262144`,
		Args: exactArgs(1, "one SPEC path or URI"),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, err := newEngine(e, runner, staging)
			if err != nil {
				return err
			}
			return runSpec(cmd.Context(), e, args[0], out, sets, eng)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&runner, "runner", "local", "where the passes run: local (this process, all cores) or prism (Apache Beam, prism in process)")
	fl.StringVar(&staging, "staging", "", "with a Beam runner: directory or s3:// prefix for staged data (default: a temporary directory)")
	fl.StringVar(&out, "out", "", "output directory or s3:// prefix (default: the spec's output.dir)")
	fl.StringArrayVar(&sets, "set", nil, "override a spec value, as key.path=value (list items by index or name; repeatable)")
	return cmd
}

// loadSpec reads and parses a spec, returning its text too; its mistakes
// are usage errors.
func loadSpec(ctx context.Context, e *env, uri string, sets []string) (*spec.Spec, []byte, error) {
	r, err := e.store().Open(ctx, uri)
	if err != nil {
		return nil, nil, usageError{fmt.Errorf("read spec: %w", err)}
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, maxSpecBytes+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read spec %s: %w", uri, err)
	}
	if len(data) > maxSpecBytes {
		return nil, nil, usagef("%s: larger than %d bytes; not a spec", uri, maxSpecBytes)
	}
	s, err := spec.Parse(uri, data, sets)
	if err != nil {
		return nil, nil, usageError{err}
	}
	return s, data, nil
}

// newEngine makes the engine --runner names.
func newEngine(e *env, runner, staging string) (engine.Engine, error) {
	switch runner {
	case "local", "":
		return &local.Engine{}, nil
	case "prism":
		return &beam.Engine{Staging: staging, Storage: storage.Options{S3Endpoint: e.s3Endpoint, Region: e.region}}, nil
	}
	return nil, usagef("--runner %q: allowed: local, prism (job servers, Flink, Spark and Dataflow are not built yet)", runner)
}

func runSpec(ctx context.Context, e *env, uri, out string, sets []string, eng engine.Engine) error {
	s, _, err := loadSpec(ctx, e, uri, sets)
	if err != nil {
		return err
	}
	show := newStatus(e)
	defer show.finish()
	rep, err := job.Run(ctx, s, job.Options{
		Store: e.store(), Engine: eng, Out: out, Log: e.log,
		Progress: show.event, SpindleVersion: version(),
	})
	show.finish()
	if err != nil {
		var se *spec.Error
		if errors.As(err, &se) {
			return usageError{err}
		}
		return err
	}
	if out == "" {
		out = s.Output.Dir
	}
	return printRun(e.stdout, rep, out)
}

// printRun prints the comparison table of variants and models.
func printRun(w io.Writer, rep *job.Report, out string) error {
	fmt.Fprintf(w, "%s: %d rows read, %d after cleaning; train %d, test %d (ratio %v, seed %d)\n",
		rep.Name, rep.Input.Rows, rep.Input.RowsAfterClean, rep.Split.Train, rep.Split.Test, rep.Split.TrainRatio, rep.Split.Seed)
	var metrics []string
	for _, v := range rep.Variants {
		for _, m := range v.Models {
			for k := range m.Test {
				if !slices.Contains(metrics, k) {
					metrics = append(metrics, k)
				}
			}
		}
	}
	sort.Strings(metrics)
	if i := slices.Index(metrics, "accuracy"); i > 0 {
		metrics = append([]string{"accuracy"}, slices.Delete(metrics, i, i+1)...)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "variant\tmodel\tchosen params\t%s\tfeaturize s\tfit s\n", strings.Join(metrics, "\t"))
	for _, v := range rep.Variants {
		for _, m := range v.Models {
			chosen := "-"
			if m.Tuning != nil {
				chosen = m.Tuning.Best.String()
			}
			vals := make([]string, len(metrics))
			for i, k := range metrics {
				if x, ok := m.Test[k]; ok {
					vals[i] = fmt.Sprintf("%.4f", x)
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.2f\t%.2f\n", v.Name, m.Name, chosen, strings.Join(vals, "\t"), v.FeaturizeSeconds, m.FitSeconds)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "total %.2f s, peak RSS %d MiB; outputs in %s\n", rep.Seconds, rep.PeakRSSBytes>>20, out)
	return err
}

// status shows a run's progress: a spinner line on a terminal; nothing
// more than the log lines otherwise.
type status struct {
	mu   sync.Mutex
	bar  *progressbar.ProgressBar
	done bool
}

func newStatus(e *env) *status {
	s := &status{}
	if e.tty && !e.quiet {
		s.bar = progressbar.NewOptions(-1,
			progressbar.OptionSetWriter(e.stderr),
			progressbar.OptionSpinnerType(14),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	return s
}

func (s *status) event(ev job.Event) {
	if s.bar == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return
	}
	d := ev.Step
	if ev.Folds > 0 {
		if ev.Fold > 0 {
			d += fmt.Sprintf(" · fold %d/%d · params %d/%d", ev.Fold, ev.Folds, ev.ParamMap, ev.Maps)
		} else {
			d += " · refit best"
		}
	}
	if ev.Iter > 0 {
		d += fmt.Sprintf(" · iter %d", ev.Iter)
	}
	s.bar.Describe(d)
	_ = s.bar.Add(1)
}

func (s *status) finish() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bar != nil && !s.done {
		_ = s.bar.Finish()
	}
	s.done = true
}
