package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/format"
	"github.com/spindle-ml/spindle/format/csv"
	"github.com/spindle-ml/spindle/jsonnum"
	"github.com/spindle-ml/spindle/profile"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

type profileFlags struct {
	format        string
	label         string
	json          bool
	noHeader      bool
	delimiter     string
	nullValues    []string
	schema        []string
	onMalformed   string
	rejects       string
	distinctBound int
	input         string // predict's --input
}

func profileCmd(e *env) *cobra.Command {
	var f profileFlags
	cmd := &cobra.Command{
		Use:   "profile DATA",
		Short: "Print rows, schema, nulls, distinct counts, numeric summaries and label classes of a dataset",
		Long: `Profile reads DATA — a file, a glob (data/part-*.csv) or a directory or
prefix ending in / — from a local path or s3://, and prints:

  rows and schema; for every column its nulls (count and %), distinct
  values (exact up to --distinct-bound, then a HyperLogLog estimate marked
  with ~), and for numeric columns min, max, mean and sample stddev;
  with --label, the count and share of each class.

On a terminal the output is an aligned table; --json prints one JSON
document instead.`,
		Example: `  spindle profile examples/spam/data/spam.csv --label label
  spindle profile 's3://bucket/data/*.parquet' --json`,
		Args: exactArgs(1, "one DATA path or URI"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runProfile(cmd.Context(), e, args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.format, "format", "", "input format: "+formatNames()+" (default: from the extension)")
	fl.StringVar(&f.label, "label", "", "label column whose class counts to report")
	fl.BoolVar(&f.json, "json", false, "print one JSON document")
	fl.BoolVar(&f.noHeader, "no-header", false, "CSV: the first line is data (columns are named _c0, _c1, …)")
	fl.StringVar(&f.delimiter, "delimiter", "", "CSV: field delimiter, one byte (default ',', or tab for .tsv)")
	fl.StringArrayVar(&f.nullValues, "null-value", nil, "CSV: a field text read as null (repeatable; default: the empty field)")
	fl.StringArrayVar(&f.schema, "schema", nil, "CSV/JSONL: declare a column's type as NAME=TYPE (repeatable)")
	fl.StringVar(&f.onMalformed, "on-malformed", "fail", "CSV: what to do with a malformed row: fail or drop")
	fl.StringVar(&f.rejects, "rejects", "", "CSV: with --on-malformed drop, write dropped rows to this file")
	fl.IntVar(&f.distinctBound, "distinct-bound", 10_000, "distinct counts are exact up to this many values per column")
	return cmd
}

func (f profileFlags) options() (format.Options, error) {
	var o format.Options
	if f.format != "" {
		ff, err := format.Parse(f.format)
		if err != nil {
			return o, usageError{err}
		}
		o.Format = ff
	}
	o.CSV.NoHeader = f.noHeader
	if f.delimiter != "" {
		d := f.delimiter
		if d == `\t` || d == "tab" {
			d = "\t"
		}
		if len(d) != 1 {
			return o, usagef("--delimiter must be a single byte, got %q", f.delimiter)
		}
		o.CSV.Delimiter = d[0]
	}
	o.CSV.NullValues = f.nullValues
	switch csv.Policy(f.onMalformed) {
	case csv.Fail, csv.Drop:
		o.CSV.OnMalformed = csv.Policy(f.onMalformed)
	default:
		return o, usagef("--on-malformed must be fail or drop, got %q", f.onMalformed)
	}
	if f.rejects != "" && o.CSV.OnMalformed != csv.Drop {
		return o, usagef("--rejects needs --on-malformed drop")
	}
	if len(f.schema) > 0 {
		m := map[string]table.Type{}
		for _, s := range f.schema {
			name, typ, ok := strings.Cut(s, "=")
			if !ok || name == "" {
				return o, usagef("--schema wants NAME=TYPE, got %q", s)
			}
			t, err := table.ParseType(typ)
			if err != nil {
				return o, usagef("--schema %s: %v", s, err)
			}
			m[name] = t
		}
		o.CSV.Schema, o.JSONL.Schema = m, m
	}
	if f.distinctBound <= 0 {
		return o, usagef("--distinct-bound must be positive, got %d", f.distinctBound)
	}
	return o, nil
}

// readInput reads a command's input, turning what the user can fix on the
// command line into usage errors that name the flag: a format that cannot
// be told (--format), a --schema entry for a column the input lacks.
func readInput(ctx context.Context, st *storage.Store, uri string, o format.Options, f profileFlags) (*table.Table, *format.Report, error) {
	t, rep, err := format.Read(ctx, st, uri, o)
	if err != nil {
		if errors.Is(err, format.ErrUnknownFormat) {
			return nil, nil, usagef("%v; pass --format", err)
		}
		return nil, nil, err
	}
	if err := checkSchemaFlags(t.Schema(), uri, f); err != nil {
		return nil, nil, err
	}
	return t, rep, nil
}

// checkSchemaFlags checks that every --schema flag names a column of the
// input.
func checkSchemaFlags(schema *table.Schema, uri string, f profileFlags) error {
	for _, s := range f.schema {
		name, _, _ := strings.Cut(s, "=")
		if schema.Index(name) < 0 {
			return usagef("--schema %s: %s has no column %q (columns: %s)", s, uri, name, strings.Join(schema.Names(), ", "))
		}
	}
	return nil
}

// notInput refuses an output location that is one of the input's files:
// writing it would replace the data being read.
func notInput(ctx context.Context, st *storage.Store, flag, out, input string) error {
	objs, err := st.List(ctx, input)
	if err != nil {
		return nil // the read reports it
	}
	for _, o := range objs {
		if storage.Same(out, o.URI) {
			return usagef("%s %s is the input file %s; writing it would replace the data being read", flag, out, o.URI)
		}
	}
	return nil
}

func runProfile(ctx context.Context, e *env, uri string, f profileFlags) error {
	o, err := f.options()
	if err != nil {
		return err
	}
	st := e.store()
	var rejects storage.Writer
	if f.rejects != "" {
		if err := notInput(ctx, st, "--rejects", f.rejects, uri); err != nil {
			return err
		}
		if rejects, err = st.Create(ctx, f.rejects); err != nil {
			return usagef("--rejects %s: %v", f.rejects, err)
		}
		defer rejects.Abort()
		o.CSV.Rejects = rejects
	}
	objs, err := st.List(ctx, uri)
	if err != nil {
		return err
	}
	var total int64
	for _, ob := range objs {
		total += ob.Size
	}
	prog := newProgress(e, total, "reading "+uri)
	o.Wrap = prog.wrap
	start := time.Now()
	t, rep, err := readInput(ctx, st, uri, o, f)
	prog.finish()
	if err != nil {
		return err
	}
	if rejects != nil {
		if err := rejects.Close(); err != nil {
			return err
		}
	}
	read := time.Since(start)
	attrs := []any{"uri", uri, "format", rep.Format, "files", rep.Files, "rows", rep.Rows, "bytes", total, "seconds", round(read.Seconds())}
	if rep.CSV != nil && rep.CSV.Dropped > 0 {
		attrs = append(attrs, "dropped", rep.CSV.Dropped)
		for _, r := range rep.CSV.DropReasons {
			e.log.Warn("dropped malformed row", "reason", r.Error())
		}
	}
	if rep.CSV != nil && len(rep.CSV.Widened) > 0 {
		attrs = append(attrs, "widened_to_string", strings.Join(rep.CSV.Widened, ","))
	}
	e.log.Info("read", attrs...)

	eng := &local.Engine{}
	ds, err := eng.FromTable(ctx, t)
	if err != nil {
		return err
	}
	p, err := profile.Run(ctx, eng, ds, profile.Profiler{Label: f.label, DistinctBound: f.distinctBound})
	if err != nil {
		return err
	}
	if f.json {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(p)
	}
	return printProfile(e.stdout, p)
}

func round(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }

func printProfile(w io.Writer, p *profile.Profile) error {
	fmt.Fprintf(w, "rows: %d\ncolumns: %d\n\n", p.Rows, len(p.Columns))
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "column\ttype\tnulls\tnull %\tdistinct\tmin\tmax\tmean\tstddev\t")
	num := func(v *jsonnum.Float) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(float64(*v), 'g', 6, 64)
	}
	for _, c := range p.Columns {
		d := strconv.FormatInt(c.Distinct, 10)
		if c.Approximate {
			d = "~" + d
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.2f\t%s\t%s\t%s\t%s\t%s\t\n", c.Name, c.Type, c.Nulls, c.NullPercent, d, num(c.Min), num(c.Max), num(c.Mean), num(c.StdDev))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if p.Label != "" {
		fmt.Fprintf(w, "\nlabel %q:\n", p.Label)
		tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "class\tcount\t%\t")
		for _, c := range p.Classes {
			fmt.Fprintf(tw, "%s\t%d\t%.2f\t\n", c.Class, c.Count, c.Percent)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if p.Rows > 0 {
		for _, c := range p.Columns {
			if c.Approximate {
				fmt.Fprintln(w, "\n~ distinct count is a HyperLogLog estimate (about 0.8% standard error)")
				break
			}
		}
	}
	return nil
}

// progress reports bytes read: a bar on a terminal, periodic log lines
// otherwise.
type progress struct {
	e     *env
	bar   *progressbar.ProgressBar
	read  atomic.Int64
	total int64
	stop  chan struct{}
	done  chan struct{}
}

func newProgress(e *env, total int64, what string) *progress {
	p := &progress{e: e, total: total, stop: make(chan struct{}), done: make(chan struct{})}
	if e.tty && !e.quiet {
		p.bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(barWriter{e.term}),
			progressbar.OptionSetDescription(what),
			progressbar.OptionShowBytes(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
		close(p.done)
		return p
	}
	go func() {
		defer close(p.done)
		tick := time.NewTicker(5 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-tick.C:
				n := p.read.Load()
				e.log.Info("reading", "bytes", n, "total", total, "percent", round(100*float64(n)/float64(max(total, 1))))
			}
		}
	}()
	return p
}

func (p *progress) add(n int) {
	p.read.Add(int64(n))
	if p.bar != nil {
		p.bar.Add(n)
	}
}

func (p *progress) finish() {
	if p.bar != nil {
		p.bar.Finish()
		p.e.term.barDone()
		return
	}
	close(p.stop)
	<-p.done
}

func (p *progress) wrap(s storage.Source) storage.Source { return countingSource{s, p} }

// countingSource counts the bytes read through it. It keeps random
// access (Parquet) working, counting nothing there.
type countingSource struct {
	storage.Source
	p *progress
}

func (c countingSource) Open(ctx context.Context) (io.ReadCloser, error) {
	r, err := c.Source.Open(ctx)
	if err != nil {
		return nil, err
	}
	return countingReader{r, c.p}, nil
}

func (c countingSource) OpenReaderAt(ctx context.Context) (storage.ReaderAt, error) {
	ra, ok := c.Source.(storage.RandomAccess)
	if !ok {
		return nil, fmt.Errorf("%s: not a random-access source", c.Name())
	}
	return ra.OpenReaderAt(ctx)
}

type countingReader struct {
	io.ReadCloser
	p *progress
}

func (r countingReader) Read(b []byte) (int, error) {
	n, err := r.ReadCloser.Read(b)
	r.p.add(n)
	return n, err
}

// formatNames lists the registered formats for help texts.
func formatNames() string {
	var names []string
	for _, f := range format.Formats() {
		names = append(names, string(f))
	}
	return strings.Join(names, ", ")
}
