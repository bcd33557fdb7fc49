// Package linmodel holds what the linear models (classification and
// regression) share: reading a row's features, label and weight with
// checks, iterating a vector's non-zeros, and weighted feature moments.
package linmodel

import (
	"fmt"
	"math"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/internal/memlimit"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/table"
)

// Columns are a batch's feature, label and (optional) weight columns.
type Columns struct {
	Features *table.VectorColumn
	Label    table.Column
	Weight   table.Column
	labelCol string
	batch    *table.Batch
}

// InputColumns are the columns a linear model's estimator reads:
// features (default "features"), label (default "label") and the weight
// column when set.
func InputColumns(featuresCol, labelCol, weightCol string) []string {
	cols := []string{or(featuresCol, "features"), or(labelCol, "label")}
	if weightCol != "" {
		cols = append(cols, weightCol)
	}
	return cols
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Read finds the named columns in b.
func Read(b *table.Batch, featuresCol, labelCol, weightCol string) (*Columns, error) {
	fc, err := b.ColumnByName(featuresCol)
	if err != nil {
		return nil, err
	}
	vc, ok := fc.(*table.VectorColumn)
	if !ok {
		return nil, fmt.Errorf("column %q is %v, want vector", featuresCol, fc.Type())
	}
	c := &Columns{Features: vc, labelCol: labelCol, batch: b}
	if c.Label, err = b.ColumnByName(labelCol); err != nil {
		return nil, err
	}
	if weightCol != "" {
		if c.Weight, err = b.ColumnByName(weightCol); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// NumAt returns a numeric column's value at i as a float64.
func NumAt(c table.Column, i int) float64 {
	switch c := c.(type) {
	case *table.Float64Column:
		return c.Values[i]
	case *table.Int64Column:
		return float64(c.Values[i])
	}
	return math.NaN()
}

// Finite reports whether x is neither NaN nor infinite.
func Finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// Row returns row i's features, label and weight (1 without a weight
// column), failing with the row's number on nulls, a label that is not
// finite, or a negative or non-finite weight.
func (c *Columns) Row(i int, info engine.PartitionInfo) (linalg.Vector, float64, float64, error) {
	row := engine.Row{Info: info, Batch: c.batch, I: i}
	if c.Features.IsNull(i) || c.Label.IsNull(i) {
		return linalg.Vector{}, 0, 0, fmt.Errorf("%s: null label or features (drop or impute them first)", row)
	}
	y := NumAt(c.Label, i)
	if !Finite(y) {
		return linalg.Vector{}, 0, 0, fmt.Errorf("%s: label %v in column %q is not a finite number", row, y, c.labelCol)
	}
	w := 1.0
	if c.Weight != nil {
		if c.Weight.IsNull(i) {
			return linalg.Vector{}, 0, 0, fmt.Errorf("%s: null weight", row)
		}
		w = NumAt(c.Weight, i)
		if w < 0 || !Finite(w) {
			return linalg.Vector{}, 0, 0, fmt.Errorf("%s: weight %v must be finite and non-negative", row, w)
		}
	}
	return c.Features.Values[i], y, w, nil
}

// FeatureHint is what to do when a model over d features does not fit.
const FeatureHint = "use fewer features (a smaller HashingTF numFeatures or CountVectorizer vocabSize)"

// CheckFeatures checks that perRow arrays of d float64s, one set per
// worker, fit in memory (memlimit.Check), before a kernel allocates them
// for vectors of size d.
func CheckFeatures(what string, d, perRow int) error {
	return memlimit.Check(fmt.Sprintf("%s of %d features", what, d), memlimit.Floats(int64(d), int64(perRow), memlimit.Workers()), FeatureHint)
}

// CheckModel checks, before an optimizer starts, that a linear model of
// n coefficients fits in memory with what fitting it keeps: the
// coefficients and their scratch copies, L-BFGS's history (2·10
// vectors) and one gradient per worker.
func CheckModel(what string, n int64) error {
	return memlimit.Check(what, memlimit.Floats(n, 28+memlimit.Workers()), FeatureHint)
}

// MaxClass is the largest class index a classifier accepts in its label.
const MaxClass = 1_000_000

// ClassRow is Row for a classifier: the label must also be a class index
// 0, 1, … (as StringIndexer makes).
func (c *Columns) ClassRow(i int, info engine.PartitionInfo) (linalg.Vector, float64, float64, error) {
	x, y, w, err := c.Row(i, info)
	if err == nil && (y < 0 || y != math.Trunc(y) || y > MaxClass) {
		err = fmt.Errorf("%s: label %v in column %q is not a class index 0, 1, … (use StringIndexer)", engine.Row{Info: info, Batch: c.batch, I: i}, y, c.labelCol)
	}
	return x, y, w, err
}

// ClassLabels returns every row's label and weight (ws nil when every
// weight is 1), checked as ClassRow checks each row, failing with the
// first bad row's error.
func (c *Columns) ClassLabels(info engine.PartitionInfo) (ys, ws []float64, err error) {
	return c.Labels(info, func(y float64) bool { return y >= 0 && y <= MaxClass && y == math.Trunc(y) }, func(i int) (float64, float64, error) {
		_, y, w, err := c.ClassRow(i, info)
		return y, w, err
	})
}

// Labels returns every row's label and weight (ws nil when every weight is
// 1), checked by row (which returns a row's label and weight or its
// error, as Row does, with the model's own label check), failing with
// the first bad row's error. Float64 labels and weights without nulls are
// checked in one loop — valid says whether a label passes the model's
// check (false for NaN) — and returned in place; other columns go row by
// row.
func (c *Columns) Labels(info engine.PartitionInfo, valid func(y float64) bool, row func(i int) (y, w float64, err error)) (ys, ws []float64, err error) {
	n := c.batch.NumRows()
	lab, ok := c.Label.(*table.Float64Column)
	wt, wok := c.Weight.(*table.Float64Column)
	if ok && lab.NullCount() == 0 && c.Features.NullCount() == 0 && (c.Weight == nil || wok && wt.NullCount() == 0) {
		ys = lab.Values
		bad := len(ys) // the first row with a bad label or weight
		for i, y := range ys {
			if !(valid(y) && Finite(y)) {
				bad = i
				break
			}
		}
		if wok {
			ws = wt.Values
			for i, w := range ws[:bad] {
				if !(w >= 0 && Finite(w)) {
					bad = i
					break
				}
			}
		}
		if bad == len(ys) {
			return ys, ws, nil
		}
		_, _, err := row(bad)
		return nil, nil, err
	}
	ys = make([]float64, n)
	if c.Weight != nil {
		ws = make([]float64, n)
	}
	for i := range n {
		y, w, err := row(i)
		if err != nil {
			return nil, nil, err
		}
		ys[i] = y
		if ws != nil {
			ws[i] = w
		}
	}
	return ys, ws, nil
}

// ForEach calls fn for every non-zero entry of x.
func ForEach(x linalg.Vector, fn func(j int, v float64)) {
	if x.IsSparse() {
		for k, j := range x.Indices {
			fn(int(j), x.Values[k])
		}
		return
	}
	for j, v := range x.Values {
		if v != 0 {
			fn(j, v)
		}
	}
}

// Moments are weighted means and variances of the features and the
// label. Features are updated on their non-zeros only, as Spark's
// summarizer does (a sparse row costs its non-zeros, not its size): each
// feature keeps the mean and M2 of its non-zero values and their weight,
// and the implicit zeros are folded in when read. Updates are West's and
// merges Chan's, so one pass is numerically stable.
type Moments struct {
	WeightSum, WeightSqSum float64
	// NZMean, NZM2 and NZWeight are per feature, over non-zero values.
	NZMean, NZM2, NZWeight []float64
	LabelMean, LabelM2     float64
	// Size is the feature vector size (-1 before the first row).
	Size int
	Rows int64
}

// NewMoments returns empty moments.
func NewMoments() *Moments { return &Moments{Size: -1} }

// Add folds one row in; its errors leave naming the row to the caller.
func (m *Moments) Add(x linalg.Vector, y, w float64) error {
	if m.Size < 0 {
		if err := CheckFeatures("feature statistics", x.Size, 3); err != nil {
			return err
		}
		m.Size = x.Size
		m.NZMean, m.NZM2, m.NZWeight = make([]float64, x.Size), make([]float64, x.Size), make([]float64, x.Size)
	}
	if x.Size != m.Size {
		return fmt.Errorf("features of size %d, earlier rows have %d (vectors of mismatched size)", x.Size, m.Size)
	}
	m.Rows++
	if w == 0 {
		return nil
	}
	m.WeightSum += w
	m.WeightSqSum += w * w
	dy := y - m.LabelMean
	m.LabelMean += dy * w / m.WeightSum
	m.LabelM2 += w * dy * (y - m.LabelMean)
	var bad error
	ForEach(x, func(j int, v float64) {
		if !Finite(v) {
			if bad == nil {
				bad = fmt.Errorf("feature %d is %v", j, v)
			}
			return
		}
		m.NZWeight[j] += w
		d := v - m.NZMean[j]
		m.NZMean[j] += d * w / m.NZWeight[j]
		m.NZM2[j] += w * d * (v - m.NZMean[j])
	})
	return bad
}

// AddDense folds in the rows of x, a dense row-major block of nf
// columns, with labels ys and weights ws (nil: every weight is 1): the
// statistics Add gives row by row, up to rounding — computed over the
// block in two sweeps (weighted sums, then squared deviations from the
// block's means, with no division per value) and merged in as Merge
// does. It returns the moments (m, or a new value when m is empty), or
// ok false, m unchanged, when a row of non-zero weight has a non-finite
// feature or nf is not the earlier rows' size: Add, row by row, then
// names the row.
func (m *Moments) AddDense(x []float64, nf int, ys, ws []float64) (*Moments, bool, error) {
	if m.Size >= 0 && m.Size != nf {
		return m, false, nil
	}
	if m.Size < 0 {
		if err := CheckFeatures("feature statistics", nf, 3); err != nil {
			return m, false, err
		}
	}
	n := len(ys)
	p := &Moments{Size: nf, Rows: int64(n), NZMean: make([]float64, nf), NZM2: make([]float64, nf), NZWeight: make([]float64, nf)}
	weight := func(i int) float64 {
		if ws == nil {
			return 1
		}
		return ws[i]
	}
	sum := p.NZMean // weighted sums, then means
	var ysum float64
	for i := range n {
		w := weight(i)
		if w == 0 {
			continue
		}
		p.WeightSum += w
		p.WeightSqSum += w * w
		ysum += w * ys[i]
		for j, v := range x[i*nf : (i+1)*nf] {
			if v != 0 {
				if v-v != 0 { // NaN or ±Inf
					return m, false, nil
				}
				p.NZWeight[j] += w
				sum[j] += w * v
			}
		}
	}
	for j, w := range p.NZWeight {
		if w > 0 {
			sum[j] /= w
		}
	}
	if p.WeightSum > 0 {
		p.LabelMean = ysum / p.WeightSum
	}
	for i := range n {
		w := weight(i)
		if w == 0 {
			continue
		}
		dy := ys[i] - p.LabelMean
		p.LabelM2 += w * dy * dy
		for j, v := range x[i*nf : (i+1)*nf] {
			if v != 0 {
				d := v - p.NZMean[j]
				p.NZM2[j] += w * d * d
			}
		}
	}
	if m.Size < 0 {
		p.Rows += m.Rows
		return p, true, nil
	}
	out, err := m.Merge(p)
	return out, err == nil, err
}

// AddRows is AddDense over rows held one by one, dense or sparse: the
// same two sweeps in the same order, written out a second time rather
// than through a row accessor, since AddDense's loop over a block is the
// hot path of every linear fit's statistics (TestAddRowsSameBitsAsAddDense
// holds the two to the same bits) (per feature, its non-zero values in
// row order), so it gives the same bits as AddDense over the same values
// stored as a block — what makes a fit's statistics independent of how a
// partition is stored (a Beam worker reads a staged partition as a
// block) and of whether a vector is stored sparse or dense. It returns ok
// false, m unchanged, for a null row, a row of another size or a
// non-finite value of non-zero weight: Add, row by row, then names it.
func (m *Moments) AddRows(vs []linalg.Vector, valid table.Bitmap, ys, ws []float64) (*Moments, bool, error) {
	if len(vs) == 0 {
		return m, false, nil
	}
	nf := vs[0].Size
	if m.Size >= 0 && m.Size != nf {
		return m, false, nil
	}
	for i, v := range vs {
		if !valid.Valid(i) || v.Size != nf {
			return m, false, nil
		}
	}
	if m.Size < 0 {
		if err := CheckFeatures("feature statistics", nf, 3); err != nil {
			return m, false, err
		}
	}
	n := len(ys)
	p := &Moments{Size: nf, Rows: int64(n), NZMean: make([]float64, nf), NZM2: make([]float64, nf), NZWeight: make([]float64, nf)}
	weight := func(i int) float64 {
		if ws == nil {
			return 1
		}
		return ws[i]
	}
	sum := p.NZMean // weighted sums, then means
	var ysum float64
	for i := range n {
		w := weight(i)
		if w == 0 {
			continue
		}
		p.WeightSum += w
		p.WeightSqSum += w * w
		ysum += w * ys[i]
		v := vs[i]
		for k, x := range v.Values {
			if x == 0 {
				continue
			}
			if x-x != 0 { // NaN or ±Inf
				return m, false, nil
			}
			j := k
			if v.Indices != nil {
				j = int(v.Indices[k])
			}
			p.NZWeight[j] += w
			sum[j] += w * x
		}
	}
	for j, w := range p.NZWeight {
		if w > 0 {
			sum[j] /= w
		}
	}
	if p.WeightSum > 0 {
		p.LabelMean = ysum / p.WeightSum
	}
	for i := range n {
		w := weight(i)
		if w == 0 {
			continue
		}
		dy := ys[i] - p.LabelMean
		p.LabelM2 += w * dy * dy
		v := vs[i]
		for k, x := range v.Values {
			if x == 0 {
				continue
			}
			j := k
			if v.Indices != nil {
				j = int(v.Indices[k])
			}
			d := x - p.NZMean[j]
			p.NZM2[j] += w * d * d
		}
	}
	if m.Size < 0 {
		p.Rows += m.Rows
		return p, true, nil
	}
	out, err := m.Merge(p)
	return out, err == nil, err
}

// Merge adds b into m and returns m.
func (m *Moments) Merge(b *Moments) (*Moments, error) {
	if b.Size < 0 {
		return m, nil
	}
	if m.Size < 0 {
		return b, nil
	}
	if m.Size != b.Size {
		return nil, fmt.Errorf("features of sizes %d and %d (vectors of mismatched size)", m.Size, b.Size)
	}
	for j := range m.NZMean {
		wa, wb := m.NZWeight[j], b.NZWeight[j]
		if wb == 0 {
			continue
		}
		n := wa + wb
		d := b.NZMean[j] - m.NZMean[j]
		m.NZMean[j] += d * wb / n
		m.NZM2[j] += b.NZM2[j] + d*d*wa*wb/n
		m.NZWeight[j] = n
	}
	if b.WeightSum > 0 {
		n := m.WeightSum + b.WeightSum
		d := b.LabelMean - m.LabelMean
		m.LabelMean += d * b.WeightSum / n
		m.LabelM2 += b.LabelM2 + d*d*m.WeightSum*b.WeightSum/n
		m.WeightSum = n
		m.WeightSqSum += b.WeightSqSum
	}
	m.Rows += b.Rows
	return m, nil
}

// Mean returns the features' weighted means, zeros included.
func (m *Moments) Mean() []float64 {
	out := make([]float64, m.Size)
	if m.WeightSum > 0 {
		for j, mu := range m.NZMean {
			out[j] = mu * m.NZWeight[j] / m.WeightSum
		}
	}
	return out
}

// M2 returns each feature's sum of weighted squared deviations from its
// mean, zeros included: the non-zeros' M2 plus what the zeros add.
func (m *Moments) M2() []float64 {
	out := make([]float64, m.Size)
	W := m.WeightSum
	if W == 0 {
		return out
	}
	for j, mu := range m.NZMean {
		wn := m.NZWeight[j]
		out[j] = math.Max(m.NZM2[j]+mu*mu*wn*(W-wn)/W, 0)
	}
	return out
}

// unbiased is the variance denominator Spark's summarizer uses:
// Σw − Σw²/Σw (n − 1 for unit weights).
func (m *Moments) unbiased() float64 { return m.WeightSum - m.WeightSqSum/m.WeightSum }

// Std returns the features' unbiased weighted standard deviations.
func (m *Moments) Std() []float64 {
	out := m.M2()
	den := m.unbiased()
	for j, v := range out {
		if den > 0 {
			out[j] = math.Sqrt(v / den)
		} else {
			out[j] = 0
		}
	}
	return out
}

// LabelStd returns the label's unbiased weighted standard deviation.
func (m *Moments) LabelStd() float64 {
	if den := m.unbiased(); den > 0 {
		return math.Sqrt(math.Max(m.LabelM2/den, 0))
	}
	return 0
}

// Clone returns a deep copy of m.
func (m *Moments) Clone() *Moments {
	c := *m
	c.NZMean = append([]float64(nil), m.NZMean...)
	c.NZM2 = append([]float64(nil), m.NZM2...)
	c.NZWeight = append([]float64(nil), m.NZWeight...)
	return &c
}

// EachRow calls fn for each row of a model's feature column, after
// checking the row is not null and has the model's size; errors name the
// stage and the row.
func EachRow(stage string, b *table.Batch, fc *table.VectorColumn, info engine.PartitionInfo, numFeatures int, fn func(i int, x linalg.Vector) error) error {
	for i, x := range fc.Values {
		row := engine.Row{Info: info, Batch: b, I: i}
		if fc.IsNull(i) {
			return fmt.Errorf("%s: %s: null features", stage, row)
		}
		if x.Size != numFeatures {
			return fmt.Errorf("%s: %s: features of size %d, the model has %d", stage, row, x.Size, numFeatures)
		}
		if err := fn(i, x); err != nil {
			return fmt.Errorf("%s: %s: %w", stage, row, err)
		}
	}
	return nil
}

// Batch returns the batch the columns were read from.
func (c *Columns) Batch() *table.Batch { return c.batch }
