// Package libsvm reads and writes the LibSVM text format: one example per
// line, the label first, then index:value pairs with 1-based, strictly
// increasing indices; features not listed are zero.
//
//	1 1:0.5 3:2
//	0 2:1.25
//
// A read yields Spark's libsvm schema: label (float64) and features
// (vector, sparse). The vector size is Options.NumFeatures, or else the
// largest index seen in the input. Text after '#' is a comment. Lines are
// parsed in parallel chunks.
package libsvm

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/spindle-ml/spindle/internal/lines"
	"github.com/spindle-ml/spindle/internal/numtext"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

// Options configure reading.
type Options struct {
	// NumFeatures is the vector size. If 0, it is the largest index in the
	// input (Spark's numFeatures default).
	NumFeatures int
	// ChunkSize is the target bytes per chunk (and partition); default
	// 4 MiB.
	ChunkSize int
}

// ParseError is a malformed line. Token is the 1-based position of the
// offending token on the line (the label is token 1), or 0.
type ParseError struct {
	File  string
	Line  int64
	Token int
	Err   error
}

func (e *ParseError) Error() string {
	if e.Token > 0 {
		return fmt.Sprintf("%s:%d: token %d: %v", e.File, e.Line, e.Token, e.Err)
	}
	return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// Schema returns the schema Read produces: label float64, features vector.
func Schema() *table.Schema {
	s, _ := table.NewSchema(table.Field{Name: "label", Type: table.Float64}, table.Field{Name: "features", Type: table.Vector})
	return s
}

// maxIndex bounds feature indices (Spark stores them as int32).
const maxIndex = math.MaxInt32

type part struct {
	labels []float64
	vecs   []linalg.Vector
	lines  []int64
	maxIdx int
	nl     int64 // newlines in the chunk (split reads)
	file   string
}

// Read parses srcs into one table.
func Read(ctx context.Context, srcs []storage.Source, opts Options) (*table.Table, error) {
	if opts.NumFeatures < 0 || opts.NumFeatures > maxIndex {
		return nil, fmt.Errorf("libsvm: numFeatures %d out of range", opts.NumFeatures)
	}
	var parts []*part
	for _, src := range srcs {
		rc, err := src.Open(ctx)
		if err != nil {
			return nil, err
		}
		r, err := lines.Text(rc, src.Name(), "LibSVM")
		if err != nil {
			rc.Close()
			return nil, err
		}
		ps, err := lines.Parse(ctx, r, src.Name(), lines.Options{ChunkSize: opts.ChunkSize}, func(c lines.Chunk) (*part, error) {
			return parseChunk(c, src.Name(), opts.NumFeatures)
		})
		rc.Close()
		if err != nil {
			return nil, err
		}
		parts = append(parts, ps...)
	}
	size := opts.NumFeatures
	if size == 0 {
		for _, p := range parts {
			size = max(size, p.maxIdx)
		}
	}
	var batches []*table.Batch
	for _, p := range parts {
		if len(p.labels) == 0 {
			continue
		}
		b, err := p.batch(size)
		if err != nil {
			return nil, err
		}
		batches = append(batches, b)
	}
	if len(batches) == 0 {
		return nil, fmt.Errorf("%s: no data rows", srcs[0].Name())
	}
	return table.New(Schema(), batches...)
}

// batch makes the part a batch of vectors of the given size.
func (p *part) batch(size int) (*table.Batch, error) {
	for i := range p.vecs {
		p.vecs[i].Size = size
	}
	b, err := table.NewBatch(Schema(), []table.Column{table.NewFloat64Column(p.labels, nil), table.NewVectorColumn(p.vecs, nil)})
	if err != nil {
		return nil, err
	}
	return b.WithOrigin(&table.Origin{File: p.file, Lines: p.lines}), nil
}

func parseChunk(c lines.Chunk, name string, numFeatures int) (*part, error) {
	p := &part{file: name}
	err := lines.Each(c, func(l []byte, n int64) error {
		if i := bytes.IndexByte(l, '#'); i >= 0 {
			l = l[:i]
		}
		fields := bytes.Fields(l)
		if len(fields) == 0 {
			return nil
		}
		label, err := numtext.ParseFloat(string(fields[0]))
		if err != nil {
			return &ParseError{File: name, Line: n, Token: 1, Err: fmt.Errorf("label %w", err)}
		}
		idx := make([]int32, 0, len(fields)-1)
		vals := make([]float64, 0, len(fields)-1)
		prev := 0
		for k, f := range fields[1:] {
			colon := bytes.IndexByte(f, ':')
			if colon < 0 {
				return &ParseError{File: name, Line: n, Token: k + 2, Err: fmt.Errorf("%q is not index:value", f)}
			}
			ix, err := numtext.ParseInt(string(f[:colon]))
			if err != nil || ix < 1 || ix > maxIndex {
				return &ParseError{File: name, Line: n, Token: k + 2, Err: fmt.Errorf("index %q is not an integer in [1, %d] (LibSVM indices are 1-based)", f[:colon], maxIndex)}
			}
			if int(ix) <= prev {
				return &ParseError{File: name, Line: n, Token: k + 2, Err: fmt.Errorf("index %d after %d: indices must be strictly increasing", ix, prev)}
			}
			if numFeatures > 0 && int(ix) > numFeatures {
				return &ParseError{File: name, Line: n, Token: k + 2, Err: fmt.Errorf("index %d exceeds numFeatures %d", ix, numFeatures)}
			}
			v, err := numtext.ParseFloat(string(f[colon+1:]))
			if err != nil {
				return &ParseError{File: name, Line: n, Token: k + 2, Err: fmt.Errorf("value %w", err)}
			}
			prev = int(ix)
			idx = append(idx, int32(ix-1))
			vals = append(vals, v)
		}
		p.maxIdx = max(p.maxIdx, prev)
		p.labels = append(p.labels, label)
		p.lines = append(p.lines, n)
		p.vecs = append(p.vecs, linalg.Vector{Indices: idx, Values: vals})
		return nil
	})
	return p, err
}

// Write writes the label and features columns of t (named by labelCol and
// featuresCol) in LibSVM format: 1-based indices, zeros of dense vectors
// omitted. Rows with a null label or features are an error.
func Write(w io.Writer, t *table.Table, labelCol, featuresCol string) error {
	li, fi := t.Schema().Index(labelCol), t.Schema().Index(featuresCol)
	if li < 0 || fi < 0 {
		return fmt.Errorf("libsvm: need columns %q and %q (columns: %v)", labelCol, featuresCol, t.Schema().Names())
	}
	if t.Schema().Fields[fi].Type != table.Vector || !t.Schema().Fields[li].Type.IsNumeric() {
		return fmt.Errorf("libsvm: %q must be numeric and %q a vector", labelCol, featuresCol)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	var buf []byte
	var row int64
	for _, b := range t.Partitions() {
		lc, fc := b.Column(li), b.Column(fi).(*table.VectorColumn)
		for i := 0; i < b.NumRows(); i++ {
			row++
			if lc.IsNull(i) || fc.IsNull(i) {
				return fmt.Errorf("libsvm: row %d: null label or features", row)
			}
			var label float64
			switch c := lc.(type) {
			case *table.Float64Column:
				label = c.Values[i]
			case *table.Int64Column:
				label = float64(c.Values[i])
			}
			buf = strconv.AppendFloat(buf[:0], label, 'g', -1, 64)
			v := fc.Values[i]
			for k, x := range v.Values {
				ix := k
				if v.IsSparse() {
					ix = int(v.Indices[k])
				} else if x == 0 {
					continue
				}
				buf = append(buf, ' ')
				buf = strconv.AppendInt(buf, int64(ix+1), 10)
				buf = append(buf, ':')
				buf = strconv.AppendFloat(buf, x, 'g', -1, 64)
			}
			buf = append(buf, '\n')
			if _, err := bw.Write(buf); err != nil {
				return fmt.Errorf("libsvm: write: %w", err)
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("libsvm: write: %w", err)
	}
	return nil
}
