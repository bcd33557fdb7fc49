package lines

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spindle-ml/spindle/storage"
)

// File is one input of a read in cells (see Cells): what a worker needs
// to read its text at any offset the way Text reads it as a stream.
type File struct {
	URI string
	// Location, if set, is where the file is read from; URI then only
	// names it (a staged, decompressed copy of a compressed input).
	Location string
	Size     int64
	Version  string // storage.Object.Version: part of the readers' fingerprints
	BOM      int    // bytes of byte order mark before the text
	LoneCR   bool   // lines end in lone CRs (FixCR)
}

// at is where f is read from.
func (f File) at() string {
	if f.Location != "" {
		return f.Location
	}
	return f.URI
}

// TextSize is the length of the file's text (after the byte order mark).
func (f File) TextSize() int64 { return f.Size - int64(f.BOM) }

// Cell is one cell of a file's grid: the text offsets [Start, End). The
// lines that start in it are one chunk, as Parse cuts them.
type Cell struct {
	File       int
	Start, End int64
}

// SniffFiles checks the first bytes of every source as Text does
// (refusing a binary file by name) and returns them as Files. Every
// source must be a stored object (storage.Store.Sources).
func SniffFiles(ctx context.Context, st *storage.Store, srcs []storage.Source, format string) ([]File, error) {
	out := make([]File, 0, len(srcs))
	for _, src := range srcs {
		f := File{URI: src.Name(), Size: src.Size()}
		if l := storage.ReadFrom(src); l != f.URI {
			f.Location = l
		}
		if v, ok := src.(interface{ Version() string }); ok {
			f.Version = v.Version()
		}
		r, err := st.OpenReaderAt(ctx, f.at())
		if err != nil {
			return nil, err
		}
		f.Size = r.Size()
		head := make([]byte, min(f.Size, sniffSize))
		_, err = r.ReadAt(head, 0)
		r.Close()
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("read %s: %w", f.URI, err)
		}
		k, err := Sniff(head, f.URI, format)
		if err != nil {
			return nil, err
		}
		f.BOM, f.LoneCR = k.BOM, k.LoneCR
		out = append(out, f)
	}
	return out, nil
}

// Cells cuts the files' text into cells of size bytes, in file order.
func Cells(files []File, size int) []Cell {
	var out []Cell
	c := int64(size)
	for fi, f := range files {
		for start := int64(0); start < f.TextSize(); start += c {
			out = append(out, Cell{File: fi, Start: start, End: min(start+c, f.TextSize())})
		}
	}
	return out
}

// ReadText returns the text bytes [start, end) of f, with lone CRs made
// LF as Text does.
func ReadText(ctx context.Context, st *storage.Store, f File, start, end int64) ([]byte, error) {
	r, err := st.OpenReaderAt(ctx, f.at())
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if r.Size() != f.Size {
		return nil, fmt.Errorf("%s: the file changed during the read (%d bytes, was %d)", f.URI, r.Size(), f.Size)
	}
	end = min(end, f.TextSize())
	n := end - start
	if f.LoneCR && end < f.TextSize() {
		n++ // the next byte says whether a CR at the end is a line end
	}
	buf := make([]byte, max(n, 0))
	if _, err := r.ReadAt(buf, int64(f.BOM)+start); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read %s at byte %d: %w", f.URI, int64(f.BOM)+start, err)
	}
	if f.LoneCR {
		var next byte
		if int64(len(buf)) > end-start {
			next, buf = buf[len(buf)-1], buf[:end-start]
		}
		FixCR(buf, next)
	}
	return buf, nil
}

// ReadCell returns the lines that start in cell c of f — the chunk Parse
// cuts there — reading past the cell's end for the last line's rest (at
// most maxLine bytes; 0 means Parse's default).
func ReadCell(ctx context.Context, st *storage.Store, f File, c Cell, maxLine int) ([]byte, error) {
	if maxLine <= 0 {
		maxLine = 256 << 20
	}
	// The first line starts after the first '\n' at or after Start−1.
	from := max(c.Start-1, 0)
	data, err := ReadText(ctx, st, f, from, c.End)
	if err != nil {
		return nil, err
	}
	skip := 0
	if c.Start > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 || from+int64(i)+1 >= c.End {
			return nil, nil // no line starts in the cell
		}
		skip = i + 1
	}
	if c.End >= f.TextSize() || bytes.HasSuffix(data, []byte{'\n'}) {
		return data[skip:], nil
	}
	// The last line goes on past the cell: read up to its end.
	for step := int64(64 << 10); ; step *= 2 {
		more, err := ReadText(ctx, st, f, c.End, min(c.End+step, f.TextSize()))
		if err != nil {
			return nil, err
		}
		if i := bytes.IndexByte(more, '\n'); i >= 0 {
			return append(data[skip:], more[:i+1]...), nil
		}
		if c.End+int64(len(more)) >= f.TextSize() {
			return append(data[skip:], more...), nil
		}
		if int64(len(more)) > int64(maxLine) {
			last := max(bytes.LastIndexByte(data, '\n')+1, skip)
			return nil, &LongLineError{File: f.URI, LinesBefore: int64(bytes.Count(data[skip:last], []byte{'\n'})), Max: maxLine}
		}
	}
}

// LongLineError is a line longer than the limit, found by ReadCell after
// LinesBefore lines of the cell's chunk; the reader names its line once it
// knows the chunk's first line (FirstLines).
type LongLineError struct {
	File        string
	LinesBefore int64
	Max         int
}

func (e *LongLineError) Error() string {
	return fmt.Sprintf("%s: a line after %d lines of a chunk is longer than %d bytes", e.File, e.LinesBefore, e.Max)
}

// At returns the message Parse gives, for a chunk whose first line is
// first.
func (e *LongLineError) At(first int64) error {
	return fmt.Errorf("%s:%d: line is longer than %d bytes", e.File, first+e.LinesBefore, e.Max)
}

// FirstLines returns the line number of each cell's first line, given
// the number of '\n' in each cell's chunk (ReadCell's bytes): lines are
// counted from 1 in each file.
func FirstLines(cells []Cell, newlines []int64) []int64 {
	out := make([]int64, len(cells))
	line := int64(1)
	for i, c := range cells {
		if i > 0 && c.File != cells[i-1].File {
			line = 1
		}
		out[i] = line
		line += newlines[i]
	}
	return out
}

// Input is a read in cells, as a split reader kernel carries it to the
// workers.
type Input struct {
	Storage storage.Options
	Files   []File
	Cells   []Cell
}

// Plan sniffs the sources (SniffFiles) and cuts them into cells of
// chunkSize bytes (Parse's default when 0).
func Plan(ctx context.Context, st *storage.Store, srcs []storage.Source, format string, chunkSize int) (Input, error) {
	files, err := SniffFiles(ctx, st, srcs, format)
	if err != nil {
		return Input{}, err
	}
	if chunkSize <= 0 {
		chunkSize = 4 << 20
	}
	return Input{Storage: st.ForWorkers(), Files: files, Cells: Cells(files, chunkSize)}, nil
}

// Read returns cell i's chunk (ReadCell) and its file's URI.
func (in *Input) Read(ctx context.Context, i int) ([]byte, string, error) {
	cell := in.Cells[i]
	f := in.Files[cell.File]
	data, err := ReadCell(ctx, storage.New(in.Storage), f, cell, 0)
	return data, f.URI, err
}
