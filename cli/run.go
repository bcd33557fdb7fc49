package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/job"
	"github.com/spindle-ml/spindle/report"
	"github.com/spindle-ml/spindle/runrecord"
	"github.com/spindle-ml/spindle/spec"
)

const maxSpecBytes = 4 << 20

func runCmd(e *env) *cobra.Command {
	var out string
	var sets []string
	var bf engineFlags
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

With --runner other than local, every pass over the data is an Apache
Beam job: prism (in this process, or a standalone prism job server with
--endpoint), universal/flink/spark (a portable job server at --endpoint),
or dataflow. The data is staged under --staging, which the workers must
reach; a rerun with the same --staging reuses every pass an interrupted
run had completed there. See docs/distributed.md.

Spec mistakes are reported at their line:column and exit with code 2.`,
		Example: `  spindle run examples/spam/pipeline.yaml --out out/spam
  spindle run s3://bucket/specs/spam.yaml --out s3://bucket/runs/1 --set split.seed=7
  spindle run spec.yaml --set variants.tfidf.stages.0.numFeatures=262144
  spindle run spec.yaml --runner prism --staging /tmp/stage
  spindle run s3://bucket/spec.yaml --runner flink --endpoint localhost:8099 \
      --environment-type PROCESS --environment-config '{"command": "/usr/local/bin/beam-boot"}' \
      --staging s3://bucket/staging/run1 --out s3://bucket/runs/1`,
		Args: exactArgs(1, "one SPEC path or URI"),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, done, err := openEngine(cmd.Context(), e, bf)
			if err != nil {
				return err
			}
			defer done()
			return runSpec(cmd.Context(), e, args[0], out, sets, eng)
		},
	}
	fl := cmd.Flags()
	bf.register(fl)
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

// engineFlags are the flags choosing (--runner) and configuring the
// engine: every registered engine's settings (engine.EngineSettings).
type engineFlags struct {
	runner string
	set    []engine.SettingValue
}

// settingFlag is one engine setting's flag; it records what is given,
// in order (a repeatable one once per use, another replacing its value).
type settingFlag struct {
	s     engine.Setting
	value string
	set   *[]engine.SettingValue
}

func (f *settingFlag) String() string { return f.value }
func (f *settingFlag) Type() string {
	if f.s.Bool {
		return "bool"
	}
	if f.s.Repeatable {
		return "stringArray"
	}
	return cmp.Or(f.s.Type, "string")
}
func (f *settingFlag) Set(v string) error {
	switch {
	case f.s.Bool:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return err
		}
		v = strconv.FormatBool(b)
	case f.s.Type == "int64":
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return err
		}
	}
	f.value = v
	if !f.s.Repeatable {
		*f.set = slices.DeleteFunc(*f.set, func(sv engine.SettingValue) bool { return sv.Name == f.s.Name })
	}
	*f.set = append(*f.set, engine.SettingValue{Name: f.s.Name, Value: v})
	return nil
}

func (b *engineFlags) register(fl *pflag.FlagSet) {
	names := engine.EngineNames()
	fl.StringVar(&b.runner, "runner", names[0], "where the passes run: "+names[0]+" (this process, all cores), or as Apache Beam jobs on "+strings.Join(names[1:], ", "))
	for _, s := range engine.EngineSettings() {
		f := fl.VarPF(&settingFlag{s: s, value: s.Default, set: &b.set}, s.Name, "", s.Usage)
		if s.Bool {
			f.NoOptDefVal = "true"
		}
	}
}

// openEngine makes the engine the flags name and checks its settings
// before any work; done releases it (a temporary staging directory is
// removed).
func openEngine(ctx context.Context, e *env, bf engineFlags) (engine.Engine, func(), error) {
	eng, err := engine.OpenEngine(ctx, bf.runner, bf.set, engine.Env{S3Endpoint: e.s3Endpoint, Region: e.region, Log: e.log})
	if err != nil {
		if _, ok := errors.AsType[*engine.SettingError](err); ok {
			return nil, nil, usageError{err}
		}
		return nil, nil, err
	}
	done := func() {}
	if c, ok := eng.(io.Closer); ok {
		done = func() { _ = c.Close() }
	}
	return eng, done, nil
}

func runSpec(ctx context.Context, e *env, uri, out string, sets []string, eng engine.Engine) error {
	s, _, err := loadSpec(ctx, e, uri, sets)
	if err != nil {
		return err
	}
	show := newStatus(e)
	defer show.finish()
	rep, err := job.Run(ctx, s, job.Options{
		Store: e.store(), Engine: eng, Out: out, OutName: "--out", Log: e.log,
		Progress: show.event, SpindleVersion: version(), Report: report.HTML,
	})
	show.finish()
	if err != nil {
		var se *spec.Error
		var oe *job.OutputError
		if errors.As(err, &se) || errors.As(err, &oe) {
			return usageError{err}
		}
		return err
	}
	if out == "" {
		out = s.Output.Dir
	}
	return printRun(e.stdout, rep, out)
}

// printRun prints the comparison table of variants and models, or, for a
// data-preparation run, what each variant wrote.
func printRun(w io.Writer, rep *runrecord.Report, out string) error {
	if len(rep.Variants) > 0 && len(rep.Variants[0].Models) == 0 {
		fmt.Fprintf(w, "%s: %d rows read, %d after cleaning; read %.2f s, shared stages %.2f s\n",
			rep.Name, rep.Input.Rows, rep.Input.RowsAfterClean, rep.Input.ReadSeconds, rep.SharedSeconds)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "variant\trows\tcolumns\tfeaturize s\twritten\tmodel")
		for _, v := range rep.Variants {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%.2f\t%s\t%s\n", v.Name, v.Rows, len(v.Profile), v.FeaturizeSeconds, v.Processed, v.Model)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		return printTotals(w, rep, out)
	}
	split := fmt.Sprintf("ratio %v, seed %d", rep.Split.TrainRatio, rep.Split.Seed)
	if t := rep.Input.Test; t != nil {
		split = fmt.Sprintf("test from %s: %d rows read, %d after cleaning", t.URI, t.Rows, t.RowsAfterClean)
	}
	fmt.Fprintf(w, "%s: %d rows read, %d after cleaning; train %d, test %d (%s); read %.2f s, shared stages %.2f s\n",
		rep.Name, rep.Input.Rows, rep.Input.RowsAfterClean, rep.Split.Train, rep.Split.Test, split,
		rep.Input.ReadSeconds, rep.SharedSeconds)
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
	return printTotals(w, rep, out)
}

// printTotals prints the run's time, memory and engine passes.
func printTotals(w io.Writer, rep *runrecord.Report, out string) error {
	var passes []string
	var total int64
	for _, ph := range []string{job.PhaseRead, job.PhaseStats, job.PhaseFeaturize, job.PhaseTune, job.PhaseFit, job.PhaseEvaluate, job.PhaseWrite} {
		if n := rep.Passes[ph]; n > 0 {
			passes = append(passes, fmt.Sprintf("%s %d", ph, n))
			total += n
		}
	}
	_, err := fmt.Fprintf(w, "total %.2f s, peak RSS %d MiB, %d engine passes (%s); outputs in %s\n", rep.Seconds, rep.PeakRSSBytes>>20, total, strings.Join(passes, ", "), out)
	return err
}

// status shows a run's progress: a spinner line on a terminal; nothing
// more than the log lines otherwise.
type status struct {
	mu   sync.Mutex
	bar  *progressbar.ProgressBar
	term *terminal
	done bool
}

func newStatus(e *env) *status {
	s := &status{term: e.term}
	if e.tty && !e.quiet {
		s.bar = progressbar.NewOptions(-1,
			progressbar.OptionSetWriter(barWriter{e.term}),
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
		s.term.barDone()
	}
	s.done = true
}
