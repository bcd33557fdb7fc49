// Package cli is the spindle command line: flag parsing, output and exit
// codes. The work itself is done by the library packages.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"sync"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/spindle-ml/spindle/storage"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1 // the command ran and failed
	ExitUsage   = 2 // the command line is wrong
)

// Version is set at build time with -ldflags "-X
// github.com/spindle-ml/spindle/cli.Version=v1.2.3"; otherwise it
// comes from the module build information.
var Version = ""

func version() string {
	if Version != "" {
		return Version
	}
	v := "devel"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += "+" + s.Value[:12]
			}
		}
	}
	return v
}

// usageError marks an error in how spindle was called.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// terminal owns stderr on a terminal, where log lines and a progress bar
// or spinner share the screen: a log line first erases the bar's line (so
// the two never run together; the bar redraws on its next update), and
// both write under one lock.
type terminal struct {
	mu        sync.Mutex
	w         io.Writer
	barActive bool
}

// Write writes a log line.
func (t *terminal) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.barActive {
		if _, err := io.WriteString(t.w, "\r\033[K"); err != nil {
			return 0, err
		}
	}
	return t.w.Write(p)
}

// barWriter is where a progress bar draws.
type barWriter struct{ t *terminal }

func (b barWriter) Write(p []byte) (int, error) {
	b.t.mu.Lock()
	defer b.t.mu.Unlock()
	b.t.barActive = true
	return b.t.w.Write(p)
}

// barDone says the bar is gone (finished and cleared).
func (t *terminal) barDone() {
	t.mu.Lock()
	t.barActive = false
	t.mu.Unlock()
}

// env is what every command shares.
type env struct {
	term           *terminal
	stdout, stderr io.Writer
	log            *slog.Logger
	verbose        bool
	tty            bool // stderr is a terminal: show progress bars
	s3Endpoint     string
	region         string
	quiet          bool
	cpuProfile     string
	stopProfile    func()
}

func (e *env) store() *storage.Store {
	return storage.New(storage.Options{S3Endpoint: e.s3Endpoint, Region: e.region})
}

// Main runs spindle with args and returns the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	e := &env{stdout: stdout, stderr: stderr, term: &terminal{w: stderr}}
	if f, ok := stderr.(*os.File); ok {
		e.tty = isatty.IsTerminal(f.Fd()) && os.Getenv("CI") == ""
	}
	root := &cobra.Command{
		Use:   "spindle",
		Short: "Spindle trains machine-learning pipelines on large datasets, in one Go binary",
		Long: `Spindle trains machine-learning pipelines on large tabular and text datasets:
embedded on one machine by default, or as Apache Beam jobs on a cluster.

Data is read from local paths or s3://bucket/key URIs (globs and prefixes
work), in CSV, JSON Lines, Parquet or LibSVM. S3 credentials come from the
AWS SDK's default chain; AWS_REGION and AWS_ENDPOINT_URL_S3 are honoured.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPostRun: func(*cobra.Command, []string) {
			if e.stopProfile != nil {
				e.stopProfile()
			}
		},
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			if e.cpuProfile != "" {
				if f, err := os.Create(e.cpuProfile); err == nil && pprof.StartCPUProfile(f) == nil {
					e.stopProfile = func() { pprof.StopCPUProfile(); f.Close() }
				}
			}
			level := slog.LevelInfo
			switch {
			case e.quiet:
				level = slog.LevelWarn
			case e.verbose:
				level = slog.LevelDebug
			}
			e.log = slog.New(slog.NewTextHandler(e.term, &slog.HandlerOptions{Level: level}))
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetArgs(args)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	pf := root.PersistentFlags()
	pf.StringVar(&e.s3Endpoint, "s3-endpoint", "", "S3 endpoint URL for S3-compatible servers (default: AWS_ENDPOINT_URL_S3, else AWS)")
	pf.StringVar(&e.region, "region", "", "AWS region (default: the AWS SDK chain, e.g. AWS_REGION)")
	pf.BoolVarP(&e.quiet, "quiet", "q", false, "log warnings and errors only")
	pf.BoolVarP(&e.verbose, "verbose", "v", false, "log debug lines too (each Beam job and reused pass)")
	pf.StringVar(&e.cpuProfile, "cpuprofile", "", "write a CPU profile (go tool pprof) to this file")
	_ = pf.MarkHidden("cpuprofile")
	root.AddCommand(profileCmd(e), runCmd(e), predictCmd(e), serveCmd(e), reportCmd(e), inspectCmd(e), stageCmd(e), poolCmd(e), versionCmd(e))

	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		fmt.Fprintf(stderr, "spindle: %v\nRun 'spindle --help' for usage.\n", err)
		return ExitUsage
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "spindle: interrupted")
		return ExitFailure
	}
	fmt.Fprintf(stderr, "spindle: %v\n", err)
	return ExitFailure
}

// isCobraUsage recognizes cobra's own command-line errors, which are not
// typed.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least", "invalid argument"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("expected %s, got %d argument(s)", what, len(args))
		}
		return nil
	}
}

func versionCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the spindle version",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintf(e.stdout, "spindle %s\n", version())
			return err
		},
	}
}
