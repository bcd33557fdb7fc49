package format

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

// Info declares a file format: its names, how its files are read and how
// a table is written in it. Each format registers itself (Register) from
// its own file in this package, beside its own subpackage; Parse, Detect,
// Read, Load and Write find it here.
type Info struct {
	// Name is the format's name in specs and flags; Aliases are the
	// other names and file extensions it is known by ("tsv" for CSV).
	Name    Format
	Aliases []string
	// ReadSplits reads srcs on engine e's workers, split by split (byte
	// ranges of text, Parquet row groups), filling in rep's rows and
	// format-specific report; it is the format's one read path for runs
	// on every engine. The sources are plain (Load has decompressed
	// compressed ones).
	ReadSplits func(ctx context.Context, e engine.Engine, st *storage.Store, srcs []storage.Source, o Options, rep *Report) (engine.Dataset, error)
	// Read reads srcs into one table in this process as a stream, for
	// what needs no engine ('spindle profile', which also writes the
	// CSV reader's rejected records) and for compressed files read in
	// this process, which have no byte ranges to split (see Load).
	Read func(ctx context.Context, srcs []storage.Source, o Options, rep *Report) (*table.Table, error)
	// Write encodes t as one file.
	Write func(w io.Writer, t *table.Table, o Options) error
}

// formats holds the registered formats in registration order; written by
// Register from init functions only.
var formats struct {
	sync.Mutex
	all []Info
}

// Register declares a format, once, from an init function. It panics on a
// missing name or function, or a name or alias registered twice
// (programming errors found at start-up).
func Register(in Info) {
	if in.Name == "" || in.ReadSplits == nil || in.Read == nil || in.Write == nil {
		panic("format: Register needs a Name, ReadSplits, Read and Write")
	}
	formats.Lock()
	defer formats.Unlock()
	for _, o := range formats.all {
		for _, n := range append([]string{string(in.Name)}, in.Aliases...) {
			if string(o.Name) == n || slices.Contains(o.Aliases, n) {
				panic(fmt.Sprintf("format: %q registered twice", n))
			}
		}
	}
	formats.all = append(formats.all, in)
}

func registered() []Info {
	formats.Lock()
	defer formats.Unlock()
	return slices.Clone(formats.all)
}

// Formats lists every registered format, in registration order.
func Formats() []Format {
	var out []Format
	for _, in := range registered() {
		out = append(out, in.Name)
	}
	return out
}

// names lists the formats' names, with their aliases when asked.
func names(aliases bool) []string {
	var out []string
	for _, in := range registered() {
		out = append(out, string(in.Name))
		if aliases {
			out = append(out, in.Aliases...)
		}
	}
	return out
}

// info returns format f's registration; an unknown format's reads and
// writes fail naming it.
func info(f Format) Info {
	for _, in := range registered() {
		if in.Name == f {
			return in
		}
	}
	err := fmt.Errorf("unknown format %q", f)
	return Info{
		Name: f,
		ReadSplits: func(context.Context, engine.Engine, *storage.Store, []storage.Source, Options, *Report) (engine.Dataset, error) {
			return nil, err
		},
		Read:  func(context.Context, []storage.Source, Options, *Report) (*table.Table, error) { return nil, err },
		Write: func(io.Writer, *table.Table, Options) error { return err },
	}
}
