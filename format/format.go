// Package format reads and writes tables in the formats Spindle supports
// (CSV, JSON Lines, Parquet, LibSVM) at any storage URI, choosing the
// format from the file extension unless told.
//
// Each format lives in its own subpackage with its own options; this
// package is the one entry point the CLI and pipelines use.
package format

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/format/csv"
	"github.com/spindle-ml/spindle/format/jsonl"
	"github.com/spindle-ml/spindle/format/libsvm"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

// Format names a file format.
type Format string

// Parse reads a format name or one of its aliases (tsv, json, ndjson, pq,
// svm …: Info.Aliases).
func Parse(s string) (Format, error) {
	s = strings.ToLower(s)
	for _, info := range registered() {
		if string(info.Name) == s || slices.Contains(info.Aliases, s) {
			return info.Name, nil
		}
	}
	return "", fmt.Errorf("unknown format %q (allowed: %s)", s, strings.Join(names(false), ", "))
}

// ErrUnknownFormat is matched (errors.Is) when a format cannot be told
// from names; callers add how to give it (a flag, a spec key).
var ErrUnknownFormat = errors.New("cannot tell the format")

// Detect tells the format of uri from its extension (of the last path
// segment, so "data/*.csv" is CSV).
func Detect(uri string) (Format, error) {
	ext := strings.TrimPrefix(strings.ToLower(path.Ext(trimCompressionExt(strings.TrimSuffix(uri, "/")))), ".")
	if f, err := Parse(ext); err == nil {
		return f, nil
	}
	return "", fmt.Errorf("%s: %w from the extension %q (known: %s)", uri, ErrUnknownFormat, ext, strings.Join(names(true), ", "))
}

// detectSources tells the format of a directory or glob from the files
// it holds: they must all have one known extension.
func detectSources(uri string, srcs []storage.Source) (Format, error) {
	var f Format
	for _, s := range srcs {
		g, err := Detect(s.Name())
		if err != nil {
			return "", fmt.Errorf("%s: %w: %s has no known extension", uri, ErrUnknownFormat, path.Base(s.Name()))
		}
		if f != "" && g != f {
			return "", fmt.Errorf("%s: %w: it holds both %s and %s files", uri, ErrUnknownFormat, f, g)
		}
		f = g
	}
	return f, nil
}

// Options configure a read or write; each format uses its own part.
type Options struct {
	// Format forces the format; empty means Detect.
	Format Format
	CSV    csv.Options
	JSONL  jsonl.Options
	LibSVM libsvm.Options
	// LabelCol and FeaturesCol name the columns LibSVM writes; defaults
	// "label" and "features".
	LabelCol, FeaturesCol string
	// Wrap, if set, wraps every source before it is read (progress
	// reporting uses it).
	Wrap func(storage.Source) storage.Source
}

// Report describes a read.
type Report struct {
	Format Format
	Files  int
	Rows   int64
	// CSV holds the CSV reader's report (dropped rows …) for CSV input.
	CSV *csv.Report
}

// Read reads every file uri names (a file, a glob or a directory) into one
// table.
func Read(ctx context.Context, st *storage.Store, uri string, o Options) (*table.Table, *Report, error) {
	srcs, f, o, err := resolve(ctx, st, uri, o)
	if err != nil {
		return nil, nil, err
	}
	codecs, err := sniffAll(ctx, srcs)
	if err != nil {
		return nil, nil, err
	}
	return readSources(ctx, srcs, codecs, f, o)
}

// readSources is Read of resolved sources of format f whose compressions
// are known.
func readSources(ctx context.Context, srcs []storage.Source, codecs []Compression, f Format, o Options) (*table.Table, *Report, error) {
	srcs, err := decompressSources(ctx, srcs, codecs, f)
	if err != nil {
		return nil, nil, err
	}
	if o.Wrap != nil {
		for i, s := range srcs {
			srcs[i] = o.Wrap(s)
		}
	}
	rep := &Report{Format: f, Files: len(srcs)}
	t, err := info(f).Read(ctx, srcs, o, rep)
	if err != nil {
		return nil, nil, err
	}
	rep.Rows = t.Count()
	return t, rep, nil
}

// resolve lists the files uri names and tells their format.
func resolve(ctx context.Context, st *storage.Store, uri string, o Options) ([]storage.Source, Format, Options, error) {
	srcs, err := st.Sources(ctx, uri)
	if err != nil {
		return nil, "", o, err
	}
	f := o.Format
	if f == "" {
		var derr error
		if f, derr = Detect(uri); derr != nil {
			if len(srcs) == 1 && srcs[0].Name() == uri {
				return nil, "", o, derr
			}
			// A directory (or a glob without an extension): its files
			// say.
			if f, err = detectSources(uri, srcs); err != nil {
				return nil, "", o, err
			}
		}
	}
	if f == CSV && o.CSV.Delimiter == 0 && strings.HasSuffix(strings.ToLower(trimCompressionExt(uri)), ".tsv") {
		o.CSV.Delimiter = '\t'
	}
	return srcs, f, o, nil
}

// Load makes a dataset of what uri names on engine e, read where e keeps
// its data: every format is read in splits by e's workers (byte ranges of
// text, Parquet row groups; Info.ReadSplits), on the embedded engine as on
// a cluster, so both make the same partitions and no row passes through
// this process on a cluster. A compressed file has no byte ranges: a
// cluster's workers decompress it into the engine's scratch location
// first; an engine without one that keeps its data in this process (the
// embedded engine) reads the compressed files as a stream instead
// (Info.Read), which spares writing and reading a decompressed copy.
func Load(ctx context.Context, e engine.Engine, st *storage.Store, uri string, o Options) (engine.Dataset, *Report, error) {
	srcs, f, o, err := resolve(ctx, st, uri, o)
	if err != nil {
		return nil, nil, err
	}
	codecs, err := sniffAll(ctx, srcs)
	if err != nil {
		return nil, nil, err
	}
	compressed := slices.ContainsFunc(codecs, func(c Compression) bool { return c != Uncompressed })
	if compressed && engine.IsResident(e) {
		if _, scratch, err := engine.ScratchDir(ctx, e); !scratch || err != nil {
			t, rep, err := readSources(ctx, srcs, codecs, f, o)
			if err != nil {
				return nil, nil, err
			}
			ds, err := e.FromTable(ctx, t)
			return ds, rep, err
		}
	}
	// Workers read byte ranges of plain files; a compressed file has no
	// ranges to read: the workers decompress it first.
	if srcs, err = stageDecompressed(ctx, e, st, srcs, codecs); err != nil {
		return nil, nil, err
	}
	rep := &Report{Format: f, Files: len(srcs)}
	ds, err := info(f).ReadSplits(ctx, e, st, srcs, o, rep)
	if err != nil {
		return nil, nil, err
	}
	return ds, rep, nil
}

// Write writes t to uri in one file, atomically.
func Write(ctx context.Context, st *storage.Store, uri string, t *table.Table, o Options) error {
	f := o.Format
	if f == "" {
		var err error
		if f, err = Detect(uri); err != nil {
			return err
		}
	}
	w, err := st.Create(ctx, uri)
	if err != nil {
		return err
	}
	if err := encode(w, f, t, o); err != nil {
		w.Abort()
		return fmt.Errorf("write %s: %w", uri, err)
	}
	return w.Close()
}

func encode(w io.Writer, f Format, t *table.Table, o Options) error {
	return info(f).Write(w, t, o)
}
