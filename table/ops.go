package table

import (
	"fmt"
	"math"
)

// Select returns a table of the named columns, in the order given.
func (t *Table) Select(names ...string) (*Table, error) {
	idx := make([]int, len(names))
	fields := make([]Field, len(names))
	for i, n := range names {
		idx[i] = t.schema.Index(n)
		if idx[i] < 0 {
			return nil, fmt.Errorf("select: no column %q (columns: %v)", n, t.schema.Names())
		}
		fields[i] = t.schema.Fields[idx[i]]
	}
	schema, err := NewSchema(fields...)
	if err != nil {
		return nil, fmt.Errorf("select: %w", err)
	}
	parts := make([]*Batch, len(t.parts))
	for p, b := range t.parts {
		cols := make([]Column, len(idx))
		for i, j := range idx {
			cols[i] = b.cols[j]
		}
		parts[p] = &Batch{schema: schema, cols: cols, rows: b.rows, origin: b.origin}
	}
	return &Table{schema: schema, parts: parts}, nil
}

// WithColumn returns a table with one more column (or the named column
// replaced), computed per partition by fn, which must return a column of
// type typ with the partition's row count.
func (t *Table) WithColumn(name string, typ Type, fn func(b *Batch) (Column, error)) (*Table, error) {
	fields := append([]Field(nil), t.schema.Fields...)
	at := t.schema.Index(name)
	if at < 0 {
		fields = append(fields, Field{Name: name, Type: typ})
		at = len(fields) - 1
	} else {
		fields[at].Type = typ
	}
	schema, err := NewSchema(fields...)
	if err != nil {
		return nil, fmt.Errorf("with column %q: %w", name, err)
	}
	parts := make([]*Batch, len(t.parts))
	for p, b := range t.parts {
		c, err := fn(b)
		if err != nil {
			return nil, fmt.Errorf("with column %q: partition %d: %w", name, p, err)
		}
		cols := append([]Column(nil), b.cols...)
		if at == len(cols) {
			cols = append(cols, c)
		} else {
			cols[at] = c
		}
		nb, err := b.Derive(schema, cols)
		if err != nil {
			return nil, fmt.Errorf("with column %q: partition %d: %w", name, p, err)
		}
		parts[p] = nb
	}
	return &Table{schema: schema, parts: parts}, nil
}

// Filter keeps the rows for which keep returns true. keep is called once
// per partition and returns the row indices to keep, in increasing order.
func (t *Table) Filter(keep func(b *Batch) ([]int, error)) (*Table, error) {
	parts := make([]*Batch, 0, len(t.parts))
	for p, b := range t.parts {
		idx, err := keep(b)
		if err != nil {
			return nil, fmt.Errorf("filter: partition %d: %w", p, err)
		}
		if len(idx) == b.rows {
			parts = append(parts, b)
			continue
		}
		parts = append(parts, b.Take(idx))
	}
	return &Table{schema: t.schema, parts: parts}, nil
}

// DropNulls removes every row that has a null in any of the named columns,
// or in any column when none is named (Spark's na.drop(how="any")).
func (t *Table) DropNulls(cols ...string) (*Table, error) {
	idx := make([]int, 0, len(cols))
	for _, n := range cols {
		j := t.schema.Index(n)
		if j < 0 {
			return nil, fmt.Errorf("drop nulls: no column %q (columns: %v)", n, t.schema.Names())
		}
		idx = append(idx, j)
	}
	if len(cols) == 0 {
		for j := range t.schema.Fields {
			idx = append(idx, j)
		}
	}
	return t.Filter(func(b *Batch) ([]int, error) {
		return NonNullRows(b, idx), nil
	})
}

// NonNullRows returns the rows of b with no null in columns cols.
func NonNullRows(b *Batch, cols []int) []int {
	keep := make([]int, 0, b.rows)
	for i := 0; i < b.rows; i++ {
		ok := true
		for _, j := range cols {
			if b.cols[j].IsNull(i) {
				ok = false
				break
			}
		}
		if ok {
			keep = append(keep, i)
		}
	}
	return keep
}

// RowOffsets returns, for each partition, the table position of its first
// row.
func (t *Table) RowOffsets() []int64 {
	off := make([]int64, len(t.parts))
	var n int64
	for i, p := range t.parts {
		off[i] = n
		n += int64(p.rows)
	}
	return off
}

// RandomSplit splits the rows into len(weights) tables whose sizes follow
// the weights (normalized to sum 1), like Spark's randomSplit. A row's
// split is a function of seed and its position in the table only, so the
// same seed gives the same split however the table is partitioned.
func (t *Table) RandomSplit(weights []float64, seed int64) ([]*Table, error) {
	bounds, err := SplitBounds(weights)
	if err != nil {
		return nil, err
	}
	out := make([]*Table, len(weights))
	for k := range out {
		out[k] = &Table{schema: t.schema}
	}
	offs := t.RowOffsets()
	for p, b := range t.parts {
		for k, idx := range SplitRows(b.rows, offs[p], bounds, seed) {
			out[k].parts = append(out[k].parts, b.Take(idx))
		}
	}
	return out, nil
}

// SplitBounds checks weights (non-negative, positive sum) and returns the
// upper bounds of each split's share of [0, 1).
func SplitBounds(weights []float64) ([]float64, error) {
	if len(weights) < 2 {
		return nil, fmt.Errorf("random split: need at least 2 weights, got %d", len(weights))
	}
	var sum float64
	for i, w := range weights {
		if w < 0 || math.IsNaN(w) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("random split: weight %d is %v; weights must be finite and non-negative", i+1, w)
		}
		sum += w
	}
	if sum <= 0 {
		return nil, fmt.Errorf("random split: weights sum to %v; need a positive sum", sum)
	}
	bounds := make([]float64, len(weights))
	var acc float64
	for i, w := range weights {
		acc += w
		bounds[i] = acc / sum
	}
	bounds[len(bounds)-1] = 1
	return bounds, nil
}

// SplitRows assigns each of n rows, the first at table position offset, to
// a split by comparing its uniform draw with bounds; it returns the row
// indices of each split.
func SplitRows(n int, offset int64, bounds []float64, seed int64) [][]int {
	out := make([][]int, len(bounds))
	for i := 0; i < n; i++ {
		u := RowUniform(seed, offset+int64(i))
		k := 0
		for k < len(bounds)-1 && u >= bounds[k] {
			k++
		}
		out[k] = append(out[k], i)
	}
	return out
}

// Sample returns a random sample of the rows. Without replacement each row
// is kept with probability fraction (0 ≤ fraction ≤ 1); with replacement a
// row appears k times, k drawn from Poisson(fraction) — Spark's sample
// semantics. Draws depend on seed and row position only.
func (t *Table) Sample(withReplacement bool, fraction float64, seed int64) (*Table, error) {
	if fraction < 0 || math.IsNaN(fraction) || (!withReplacement && fraction > 1) {
		return nil, fmt.Errorf("sample: fraction %v out of range (want [0,1], or ≥ 0 with replacement)", fraction)
	}
	offs := t.RowOffsets()
	out := &Table{schema: t.schema}
	for p, b := range t.parts {
		out.parts = append(out.parts, b.Take(SampleRows(b.rows, offs[p], withReplacement, fraction, seed)))
	}
	return out, nil
}

// SampleRows returns the sampled row indices of a partition of n rows whose
// first row sits at table position offset (see Table.Sample).
func SampleRows(n int, offset int64, withReplacement bool, fraction float64, seed int64) []int {
	var idx []int
	for i := 0; i < n; i++ {
		u := RowUniform(seed, offset+int64(i))
		if !withReplacement {
			if u < fraction {
				idx = append(idx, i)
			}
			continue
		}
		// Poisson(fraction) by inversion, using further draws from the
		// row's own stream so the result stays position-determined.
		l := math.Exp(-fraction)
		k, p := 0, u
		for p > l {
			k++
			p *= rowStream(seed, offset+int64(i), k)
		}
		for ; k > 0; k-- {
			idx = append(idx, i)
		}
	}
	return idx
}

// RowUniform returns a uniform draw in [0, 1) for the row at table position
// pos under seed. It is a pure function (SplitMix64 of seed and pos), which
// is what makes splits independent of partitioning and engine.
func RowUniform(seed, pos int64) float64 { return rowStream(seed, pos, 0) }

func rowStream(seed, pos int64, k int) float64 {
	x := splitmix(uint64(seed)^0x9e3779b97f4a7c15) ^ splitmix(uint64(pos)+uint64(k)*0xbf58476d1ce4e5b9)
	return float64(splitmix(x)>>11) / (1 << 53)
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
