// Package lines cuts a stream into chunks of whole lines for parallel
// parsing of line-oriented formats (JSON Lines, LibSVM), where a record
// never spans lines.
package lines

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"

	"golang.org/x/sync/errgroup"
)

// Chunk is a run of whole lines.
type Chunk struct {
	// Seq is the chunk's position in the stream, from 0.
	Seq int
	// Line is the 1-based line number of Data's first line.
	Line int64
	// Data holds whole lines; the last may lack its '\n' at end of input.
	Data []byte
}

// Options size the chunks. Zero values take the defaults.
type Options struct {
	// ChunkSize is the target bytes per chunk; default 4 MiB.
	ChunkSize int
	// MaxLine bounds one line; default 256 MiB.
	MaxLine int
	// Parallelism is how many chunks are parsed at once; default
	// GOMAXPROCS.
	Parallelism int
}

// Parse cuts r into chunks and calls parse on each, Parallelism at a
// time. It returns the results in stream order, or the error of the
// earliest failing chunk.
func Parse[R any](ctx context.Context, r io.Reader, name string, o Options, parse func(Chunk) (R, error)) ([]R, error) {
	if o.ChunkSize <= 0 {
		o.ChunkSize = 4 << 20
	}
	if o.MaxLine <= 0 {
		o.MaxLine = 256 << 20
	}
	if o.Parallelism <= 0 {
		o.Parallelism = runtime.GOMAXPROCS(0)
	}
	type result struct {
		r   R
		err error
	}
	var results []*result
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(o.Parallelism + 1)
	// A chunk is the lines that start in one cell of the text's grid of
	// ChunkSize bytes, so that a reader of byte ranges (ReadCell) cuts the
	// same chunks. A buffer holds a cell and the end of the line that
	// crosses its far edge.
	bufSize := o.ChunkSize + o.ChunkSize/8
	cell := int64(o.ChunkSize)
	buf := make([]byte, 0, bufSize)
	line := int64(1)
	var base int64 // the text offset of buf[0], a line start
	eof := false
	seq := 0
	for !eof || len(buf) > 0 {
		for !eof && len(buf) < cap(buf) {
			n, err := r.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			if err == io.EOF {
				eof = true
			} else if err != nil {
				g.Wait()
				return nil, fmt.Errorf("read %s: %w", name, err)
			}
		}
		if eof && len(buf) == 0 {
			break
		}
		end := -1
		if target := int((base/cell+1)*cell - base); target <= len(buf) {
			if j := bytes.IndexByte(buf[target-1:], '\n'); j >= 0 {
				end = target + j
			}
		}
		if end < 0 && !eof {
			last := bytes.LastIndexByte(buf, '\n') + 1
			if len(buf)-last >= o.MaxLine {
				g.Wait()
				return nil, fmt.Errorf("%s:%d: line is longer than %d bytes", name, line+int64(bytes.Count(buf[:last], []byte{'\n'})), o.MaxLine)
			}
			nb := make([]byte, len(buf), max(2*cap(buf), bufSize))
			copy(nb, buf)
			buf = nb
			continue
		}
		if end < 0 {
			end = len(buf)
		}
		c := Chunk{Seq: seq, Line: line, Data: buf[:end]}
		res := &result{}
		results = append(results, res)
		seq++
		line += int64(bytes.Count(c.Data, []byte{'\n'}))
		g.Go(func() error {
			res.r, res.err = parse(c)
			return res.err
		})
		if ctx.Err() != nil {
			break
		}
		base += int64(end)
		rest := buf[end:]
		nb := make([]byte, len(rest), max(bufSize, len(rest)+o.ChunkSize/8))
		copy(nb, rest)
		buf = nb
	}
	if err := g.Wait(); err != nil {
		for _, res := range results {
			if res.err != nil {
				return nil, res.err
			}
		}
		return nil, err
	}
	out := make([]R, len(results))
	for i, res := range results {
		out[i] = res.r
	}
	return out, nil
}

// Each calls fn for every line of c (without its '\n' or '\r\n') with its
// line number.
func Each(c Chunk, fn func(line []byte, n int64) error) error {
	data := c.Data
	n := c.Line
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		var l []byte
		if i < 0 {
			l, data = data, nil
		} else {
			l, data = data[:i], data[i+1:]
		}
		if len(l) > 0 && l[len(l)-1] == '\r' {
			l = l[:len(l)-1]
		}
		if err := fn(l, n); err != nil {
			return err
		}
		n++
	}
	return nil
}
