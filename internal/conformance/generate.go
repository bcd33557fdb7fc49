// Package conformance proves, for every stage the ml registry knows, that
// what a stage is (its parameters) and what it learned (its data) cross
// every boundary exactly: spec values to the stage's struct, the struct to
// a worker (the engine's kernel encoding), a fitted model to disk and
// back (package pipeline), and a saved model to the server (package
// serve).
//
// Nothing here is written per stage: the cases are generated from the
// registrations (ml.Registration.Samples says which columns a stage reads
// and how it is wired) and from the parameters' tags (ml.ParamsOf: each
// parameter's rule and default). For each stage and sample the settings
// are its defaults, then one parameter at a time: every enum value, both
// booleans, the ends of its range, zero where allowed, the sample's extra
// values, and its default written out (which must behave exactly as the
// default). Each setting is fitted on the embedded engine, encoded as a
// worker receives it, saved and loaded, scored through the server and
// read back from its saved files; a sample of them (all, in CI) is also
// fitted on prism, Beam's runner, in process. Every comparison is bit for
// bit: learned data, output columns, metrics.
package conformance

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"

	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

// Case is one setting of one stage on one of its samples.
type Case struct {
	Reg ml.Registration
	// Sample is the index of the sample in Reg.Samples.
	Sample int
	// Setting names the setting: "defaults", "gaps=false",
	// "maxIter=100 (default)".
	Setting string
	// Param is the parameter the setting changes ("" for the defaults);
	// Default says its value is the parameter's default, written out.
	Param   string
	Default bool
	// Params are every parameter the setting writes.
	Params ml.ParamMap
}

// Name identifies the case in messages: "RegexTokenizer/gaps=false",
// "LogisticRegression[multiclass]/defaults".
func (c Case) Name() string {
	s := c.Reg.Name
	if n := c.Reg.Samples[c.Sample].Name; n != "" {
		s += "[" + n + "]"
	}
	return s + "/" + c.Setting
}

// Cases returns the settings of a registered stage: for each sample its
// defaults; for the first sample also one case per value of each
// parameter the sample does not wire (see values), and, for a parameter
// with a default the sample leaves unset, that default written out.
func Cases(reg ml.Registration) []Case {
	var out []Case
	for si, s := range reg.Samples {
		out = append(out, Case{Reg: reg, Sample: si, Setting: "defaults", Params: s.Params})
		if si > 0 {
			continue
		}
		for _, p := range ml.ParamsOf(reg.New()) {
			vs, swept := values(p, s)
			if !swept {
				continue
			}
			for _, v := range vs {
				out = append(out, Case{Reg: reg, Sample: si, Setting: p.Name + "=" + show(v), Param: p.Name, Params: with(s.Params, p.Name, v)})
			}
			if _, wired := s.Params[p.Name]; p.HasDefault() && !wired {
				out = append(out, Case{Reg: reg, Sample: si, Setting: p.Name + "=" + show(p.Default) + " (default)", Param: p.Name, Default: true,
					Params: with(s.Params, p.Name, p.Default)})
			}
		}
	}
	return out
}

func with(base ml.ParamMap, name string, v any) ml.ParamMap {
	out := ml.ParamMap{}
	for k, x := range base {
		out[k] = x
	}
	out[name] = v
	return out
}

func show(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("%q", x)
	case []any, map[string]any:
		return fmt.Sprintf("%v", x)
	}
	return fmt.Sprint(v)
}

// values returns the values a sweep tries for parameter p of a stage fed
// by sample s, other than p's default, and whether p is swept at all: a
// parameter the sample wires (in Params without Values) is not, unless
// it is an enum (a StringFunction's function: its other values are
// tried); nor are a fixed one, and a free string or list without Values.
func values(p ml.Param, s ml.Sample) ([]any, bool) {
	if _, fixed := s.Fixed[p.Name]; fixed {
		return nil, false
	}
	if vs, ok := s.Values[p.Name]; ok {
		// A value equal to the default is no new setting (−0 for a
		// default of 0 is: its sign is what the check is about).
		return slices.DeleteFunc(slices.Clone(vs), func(v any) bool {
			return sameAs(v, p.Default) && signbit(v) == signbit(p.Default)
		}), true
	}
	wiredValue, wired := s.Params[p.Name]
	if wired && len(p.Rule.OneOf) == 0 {
		return nil, false // a column or a required value: the sample's
	}
	t := p.Type
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var cand []any
	switch t.Kind() {
	case reflect.Bool:
		cand = []any{true, false}
	case reflect.String:
		if len(p.Rule.OneOf) == 0 {
			return nil, false
		}
		for _, v := range p.Rule.OneOf {
			cand = append(cand, v)
		}
	case reflect.Int, reflect.Int32, reflect.Int64:
		for _, f := range numbers(p.Rule, true) {
			cand = append(cand, int(f))
		}
	case reflect.Float64:
		for _, f := range numbers(p.Rule, false) {
			cand = append(cand, f)
		}
	default:
		return nil, false // lists, mappings, column types: by Values only
	}
	var out []any
	for _, v := range cand {
		if !p.Rule.Allows(convertTo(v, t)) || sameAs(v, p.Default) || wired && sameAs(v, wiredValue) || slices.ContainsFunc(out, func(o any) bool { return sameAs(o, v) }) {
			continue
		}
		out = append(out, v)
	}
	return out, true
}

// numbers returns a rule's boundary values: its ends (just inside an
// open one), zero, and a value inside; ±Inf and NaN where allowed.
func numbers(r ml.Rule, integer bool) []float64 {
	step := 0.001
	if integer {
		step = 1
	}
	var out []float64
	lo, hi := math.Inf(-1), math.Inf(1)
	if r.HasMin {
		lo = r.Min
		if r.MinOpen {
			lo += step
		}
		out = append(out, lo)
	}
	if r.HasMax {
		hi = r.Max
		if r.MaxOpen {
			hi -= step
		}
		out = append(out, hi)
	}
	out = append(out, 0)
	switch {
	case r.HasMin && r.HasMax:
		mid := (lo + hi) / 2
		if integer {
			mid = math.Floor(mid)
		}
		out = append(out, mid)
	case r.HasMin:
		if integer {
			out = append(out, lo+1)
		} else {
			out = append(out, lo+0.5)
		}
	case r.HasMax:
		out = append(out, hi-1)
	default:
		if integer {
			out = append(out, 1, -1)
		} else {
			out = append(out, 1, -1.5)
		}
	}
	if !integer && r.Inf {
		out = append(out, math.Inf(1), math.Inf(-1))
	}
	if !integer && r.NaN {
		out = append(out, math.NaN())
	}
	return out
}

func convertTo(v any, t reflect.Type) any {
	rv := reflect.ValueOf(v)
	if rv.Type().ConvertibleTo(t) {
		return rv.Convert(t).Interface()
	}
	return v
}

// sameAs compares a candidate value with a default (of the field's type),
// as numbers when both are numbers; NaN is the same as NaN.
func sameAs(v, def any) bool {
	if def == nil {
		return false
	}
	a, aok := number(v)
	b, bok := number(def)
	if aok && bok {
		return a == b || math.IsNaN(a) && math.IsNaN(b)
	}
	return reflect.DeepEqual(v, def)
}

// signbit reports whether v is a number with its sign bit set.
func signbit(v any) bool {
	f, ok := number(v)
	return ok && math.Signbit(f)
}

func number(v any) (float64, bool) {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int32, reflect.Int64:
		return float64(rv.Int()), true
	case reflect.Float64, reflect.Float32:
		return rv.Float(), true
	}
	return 0, false
}

// rows is how many rows a sample has, in partitions of these sizes (the
// engines merge unequal partitions in the same fixed tree).
var partitionRows = []int{25, 20, 15}

// Data generates the rows of sample si of reg: the sample's columns, and
// a label column "label" for a predictor, from a seed fixed by the
// stage's and the sample's names, so every run feeds a stage the same
// rows.
func Data(reg ml.Registration, si int) (*table.Table, error) {
	s := reg.Samples[si]
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%s", reg.Name, s.Name)
	r := rand.New(rand.NewPCG(h.Sum64(), 7))
	n := 0
	for _, k := range partitionRows {
		n += k
	}
	var fields []table.Field
	var cols []table.Column
	var firstVector []linalg.Vector
	for _, c := range s.Columns {
		col, err := generate(r, c, n)
		if err != nil {
			return nil, fmt.Errorf("%s: column %s: %w", reg.Name, c.Name, err)
		}
		if vc, ok := col.(*table.VectorColumn); ok && firstVector == nil {
			firstVector = vc.Values
		}
		fields = append(fields, table.Field{Name: c.Name, Type: c.Type})
		cols = append(cols, col)
	}
	if s.Label != "" {
		if firstVector == nil {
			return nil, fmt.Errorf("%s: a predictor's sample needs a vector column", reg.Name)
		}
		label, err := labels(r, s.Label, firstVector)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", reg.Name, err)
		}
		fields = append(fields, table.Field{Name: "label", Type: table.Float64})
		cols = append(cols, table.NewFloat64Column(label, nil))
	}
	schema, err := table.NewSchema(fields...)
	if err != nil {
		return nil, err
	}
	var parts []*table.Batch
	at := 0
	for _, k := range partitionRows {
		idx := make([]int, k)
		for i := range idx {
			idx[i] = at + i
		}
		at += k
		pc := make([]table.Column, len(cols))
		for j, c := range cols {
			pc[j] = c.Take(idx)
		}
		b, err := table.NewBatch(schema, pc)
		if err != nil {
			return nil, err
		}
		parts = append(parts, b)
	}
	return table.New(schema, parts...)
}

var words = []string{"The", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog", "a", "and", "of",
	"spam", "ham", "Offer", "free", "café", "naïve", "money", "now", "Hello", "world", "data", "model", "42", "x"}

var categories = []string{"red", "green", "blue", "cyan"}

// generate makes n values of one column of kind c.Kind.
func generate(r *rand.Rand, c ml.SampleColumn, n int) (table.Column, error) {
	var valid table.Bitmap
	if c.Nulls {
		valid = table.NewBitmap(n)
	}
	null := func(i int) bool {
		if c.Nulls && i%8 == 3 {
			valid.SetNull(i)
			return true
		}
		return false
	}
	switch c.Type {
	case table.String:
		v := make([]string, n)
		for i := range v {
			if null(i) {
				continue
			}
			switch c.Kind {
			case "category":
				v[i] = categories[r.IntN(len(categories))]
			case "", "text":
				v[i] = sentence(r, i)
			default:
				return nil, fmt.Errorf("unknown string kind %q", c.Kind)
			}
		}
		return table.NewStringColumn(v, valid), nil
	case table.StringList:
		if c.Kind != "" && c.Kind != "tokens" {
			return nil, fmt.Errorf("unknown list kind %q", c.Kind)
		}
		v := make([][]string, n)
		for i := range v {
			if null(i) {
				continue
			}
			v[i] = []string{} // an empty document, every so often
			for range (i % 7) * 2 {
				v[i] = append(v[i], words[r.IntN(len(words))])
			}
		}
		return table.NewStringListColumn(v, valid), nil
	case table.Float64:
		v := make([]float64, n)
		for i := range v {
			if null(i) {
				continue
			}
			switch c.Kind {
			case "", "normal":
				v[i] = r.NormFloat64() * 2
				if i%9 == 0 {
					v[i] = 0
				}
			case "positive":
				v[i] = math.Abs(r.NormFloat64()) + 0.1
			case "category":
				v[i] = float64(r.IntN(3))
			default:
				return nil, fmt.Errorf("unknown number kind %q", c.Kind)
			}
		}
		return table.NewFloat64Column(v, valid), nil
	case table.Int64:
		v := make([]int64, n)
		for i := range v {
			if !null(i) {
				v[i] = int64(r.IntN(4))
			}
		}
		return table.NewInt64Column(v, valid), nil
	case table.Bool:
		v := make([]bool, n)
		for i := range v {
			if !null(i) {
				v[i] = r.IntN(3) == 0
			}
		}
		return table.NewBoolColumn(v, valid), nil
	case table.Vector:
		v := make([]linalg.Vector, n)
		for i := range v {
			if null(i) {
				continue
			}
			var x linalg.Vector
			var err error
			switch c.Kind {
			case "", "dense", "dense+sparse":
				x = linalg.Dense(make([]float64, 5))
				for j := range x.Values {
					x.Values[j] = r.NormFloat64()
				}
				if c.Kind == "dense+sparse" && i%4 == 1 { // some rows sparse, of the same size
					x, err = linalg.Sparse(5, []int32{1, 3}, []float64{r.NormFloat64(), r.NormFloat64()})
				}
			case "counts":
				var idx []int32
				var vals []float64
				for j := range int32(6) {
					if r.IntN(3) == 0 {
						idx = append(idx, j)
						vals = append(vals, float64(1+r.IntN(3)))
					}
				}
				x, err = linalg.Sparse(6, idx, vals)
			case "binary":
				x = linalg.Dense(make([]float64, 5))
				for j := range x.Values {
					x.Values[j] = float64(r.IntN(2))
				}
			case "mixed":
				x = linalg.Dense([]float64{float64(r.IntN(3)), float64(5 * r.IntN(2)), r.NormFloat64(), r.NormFloat64(), float64(r.IntN(30))})
			default:
				return nil, fmt.Errorf("unknown vector kind %q", c.Kind)
			}
			if err != nil {
				return nil, err
			}
			v[i] = x
		}
		return table.NewVectorColumn(v, valid), nil
	}
	return nil, fmt.Errorf("no generator for %v columns", c.Type)
}

// sentence is a line of text with what text stages meet: capitals,
// digits, punctuation, an address, runs of spaces, non-ASCII letters,
// now and then nothing at all.
func sentence(r *rand.Rand, i int) string {
	if i%13 == 5 {
		return ""
	}
	var b strings.Builder
	for k := range 3 + r.IntN(8) {
		if k > 0 {
			b.WriteString([]string{" ", " ", "  ", ", ", "\t", "! "}[r.IntN(6)])
		}
		b.WriteString(words[r.IntN(len(words))])
	}
	if i%5 == 0 {
		b.WriteString(" mail bob@example.com 2024")
	}
	b.WriteString(".")
	return b.String()
}

// labels makes a label from the feature vectors: two classes by a noisy
// linear rule, three by the largest of three, or a noisy linear target.
func labels(r *rand.Rand, kind string, x []linalg.Vector) ([]float64, error) {
	y := make([]float64, len(x))
	w := [][]float64{{1, -0.8, 0.5, 0.3, -0.2, 0.1}, {-0.5, 0.9, 0.2, -0.7, 0.4, 0}, {0.2, 0.1, -0.9, 0.6, 0.5, -0.3}}
	score := func(k int, v linalg.Vector) float64 {
		s := 0.0
		for j := range v.Size {
			s += w[k][j%len(w[k])] * v.At(j)
		}
		return s
	}
	for i, v := range x {
		switch kind {
		case "binary":
			if score(0, v)+0.5*r.NormFloat64() > 0 {
				y[i] = 1
			}
		case "multiclass":
			best := 0
			for k := 1; k < 3; k++ {
				if score(k, v) > score(best, v) {
					best = k
				}
			}
			y[i] = float64(best)
		case "regression":
			y[i] = 3*score(0, v) + 0.1*r.NormFloat64() + 1
		default:
			return nil, fmt.Errorf("unknown label kind %q", kind)
		}
	}
	// Both classes, all three, at least twice each, whatever the draw.
	if kind != "regression" {
		k := 2
		if kind == "multiclass" {
			k = 3
		}
		for c := range k {
			y[2*c], y[2*c+1] = float64(c), float64(c)
		}
	}
	return y, nil
}
