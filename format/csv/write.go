package csv

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/spindle-ml/spindle/table"
)

// Write writes t as CSV with a header line (unless o.NoHeader), so that
// Read with the same options and t's schema gives t back. A null is an
// empty unquoted field; an empty string is written as "" so it stays
// distinct. Floats use the shortest text that parses back exactly; lists
// are JSON arrays and vectors Spark's text form, both read back when the
// column is declared in Options.Schema.
func Write(w io.Writer, t *table.Table, opts Options) error {
	o, err := opts.withDefaults()
	if err != nil {
		return err
	}
	if o.Escape != o.Quote {
		return fmt.Errorf("csv: writing supports only doubled-quote escaping (Escape = Quote)")
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	cw := &writer{o: &o, w: bw}
	if !o.NoHeader {
		for j, f := range t.Schema().Fields {
			if j > 0 {
				bw.WriteByte(o.Delimiter)
			}
			cw.writeString(f.Name, false)
		}
		bw.WriteByte('\n')
	}
	var buf []byte
	for _, b := range t.Partitions() {
		cols := b.Columns()
		for i := 0; i < b.NumRows(); i++ {
			for j, c := range cols {
				if j > 0 {
					bw.WriteByte(o.Delimiter)
				}
				if c.IsNull(i) {
					continue
				}
				switch c := c.(type) {
				case *table.StringColumn:
					cw.writeString(c.Values[i], true)
				case *table.Int64Column:
					buf = strconv.AppendInt(buf[:0], c.Values[i], 10)
					bw.Write(buf)
				case *table.Float64Column:
					buf = appendFloat(buf[:0], c.Values[i])
					bw.Write(buf)
				case *table.BoolColumn:
					buf = strconv.AppendBool(buf[:0], c.Values[i])
					bw.Write(buf)
				case *table.StringListColumn:
					js, err := json.Marshal(c.Values[i])
					if err != nil {
						return fmt.Errorf("csv: write column %q: %w", t.Schema().Fields[j].Name, err)
					}
					cw.writeString(string(js), true)
				case *table.VectorColumn:
					cw.writeString(c.Values[i].String(), true)
				}
			}
			if err := bw.WriteByte('\n'); err != nil {
				return fmt.Errorf("csv: write: %w", err)
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("csv: write: %w", err)
	}
	return nil
}

// appendFloat writes the shortest decimal that parses back to v exactly.
func appendFloat(b []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		return append(b, "NaN"...)
	case math.IsInf(v, 1):
		return append(b, "inf"...)
	case math.IsInf(v, -1):
		return append(b, "-inf"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

type writer struct {
	o *Options
	w *bufio.Writer
}

// writeString writes s, quoted when it must be: it holds the delimiter, a
// quote or a line break, or (for values) it would read back as null.
func (cw *writer) writeString(s string, value bool) {
	o := cw.o
	need := false
	if value {
		for _, n := range o.NullValues {
			if s == n {
				need = true
			}
		}
	}
	if !need {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c == o.Delimiter || c == o.Quote || c == '\n' || c == '\r' {
				need = true
				break
			}
		}
	}
	if !need {
		cw.w.WriteString(s)
		return
	}
	cw.w.WriteByte(o.Quote)
	for {
		k := strings.IndexByte(s, o.Quote)
		if k < 0 {
			cw.w.WriteString(s)
			break
		}
		cw.w.WriteString(s[:k+1])
		cw.w.WriteByte(o.Quote)
		s = s[k+1:]
	}
	cw.w.WriteByte(o.Quote)
}
