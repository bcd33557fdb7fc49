package ml

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/spindle-ml/spindle/table"
)

// A parameter is an exported field of a stage with a `param` tag; every
// other exported field of a fitted model is what it learned (its data,
// saved as columns: see package pipeline). The tag holds the parameter's
// rule (see Validate) and, where Spark has one, its default:
//
//	MaxIter *int    `param:"default=100,min=0"`
//	Gaps    *bool   `param:"default=true"`
//	Pattern string  `param:"default=\\s+,nonempty"`
//	Family  string  `param:"default=auto,oneOf=auto|binomial|multinomial"`
//
// A oneOf value holding "|" escapes it with a backslash, doubled inside
// the struct tag: `param:"oneOf=random|k-means\\|\\|"` allows "k-means||".
//
// The default is the value in force while the parameter is unset — a nil
// pointer, a nil list or map, a zero value. A value the user writes is
// never silently the default: Register refuses a field whose zero value
// is allowed by its rule but differs from its default (it must be a
// pointer, so that a written zero stays a zero, or its rule must refuse
// zero). A default holding a comma is quoted: default='a,b'.

// Rule is a parameter's allowed values, parsed from its tag.
type Rule struct {
	// Min and Max bound a number (or each element of a list) when HasMin
	// and HasMax say so; MinOpen and MaxOpen make the bounds strict
	// (gt=, lt= instead of min=, max=).
	Min, Max         float64
	HasMin, HasMax   bool
	MinOpen, MaxOpen bool
	// OneOf lists the allowed strings, when not empty.
	OneOf []string
	// NaN and Inf allow a float to be NaN or ±Inf.
	NaN, Inf bool
	// NonEmpty refuses an empty string or list.
	NonEmpty bool
}

// Param describes one parameter of a stage type.
type Param struct {
	// Name is the Spark name ("maxIter").
	Name string
	// Field is the Go field's name ("MaxIter").
	Field string
	// Type is the field's type (*int for maxIter).
	Type reflect.Type
	// Default is the value in force while the parameter is unset, of the
	// field's type (its element type for a pointer), or nil when the tag
	// declares none.
	Default any
	// Rule is the parameter's allowed values.
	Rule Rule

	index []int
}

// HasDefault reports whether the tag declares a default.
func (p Param) HasDefault() bool { return p.Default != nil }

// value returns p's field in the struct s.
func (p Param) value(s reflect.Value) reflect.Value { return s.FieldByIndex(p.index) }

// IsSet reports whether the parameter is set in stage (a pointer to a
// stage struct): a non-nil pointer, list or map, or a value other than
// the type's zero.
func (p Param) IsSet(stage any) bool {
	return !p.value(structOf(stage)).IsZero()
}

// Value returns the parameter's value in stage as Go holds it (a pointer
// parameter's element; nil for a nil pointer).
func (p Param) Value(stage any) any {
	v := p.value(structOf(stage))
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	return v.Interface()
}

func structOf(stage any) reflect.Value {
	v := reflect.ValueOf(stage)
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	return v
}

// ParamsOf returns the parameters of stage (a stage struct or a pointer
// to one; its type is enough), in field order. It panics on a `param`
// tag that does not parse, which Register refuses at start-up.
func ParamsOf(stage any) []Param {
	t := reflect.TypeOf(stage)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	ps, err := paramsOfType(t)
	if err != nil {
		panic(fmt.Sprintf("ml: %s: %v", t.Name(), err))
	}
	return ps
}

func paramsOfType(t reflect.Type) ([]Param, error) {
	var out []Param
	for _, f := range fields(t) {
		tag, ok := f.Tag.Lookup("param")
		if !ok {
			continue
		}
		if !settable(f.Type) {
			return nil, fmt.Errorf("field %s: a parameter of type %s cannot be written in a spec", f.Name, f.Type)
		}
		r, def, err := parseTag(tag)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", f.Name, err)
		}
		p := Param{Name: sparkName(f.Name), Field: f.Name, Type: f.Type, Rule: r, index: f.Index}
		if def != nil {
			if p.Default, err = parseDefault(*def, f.Type); err != nil {
				return nil, fmt.Errorf("field %s: bad default %q: %w", f.Name, *def, err)
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// DataFields returns the exported fields of a stage type that are not
// parameters and not callbacks: what a fitted model learned.
func DataFields(t reflect.Type) []reflect.StructField {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []reflect.StructField
	for _, f := range fields(t) {
		if _, ok := f.Tag.Lookup("param"); ok || f.Type.Kind() == reflect.Func {
			continue
		}
		out = append(out, f)
	}
	return out
}

// DataName is the column name of a learned field: its Spark-style name
// ("Coefficients" → "coefficients").
func DataName(f reflect.StructField) string { return sparkName(f.Name) }

// Data returns what a fitted model learned — its data fields, by
// DataName — for reports (objective histories, coefficients).
func Data(stage any) map[string]any {
	v := structOf(stage)
	if v.Kind() != reflect.Struct {
		return nil
	}
	out := map[string]any{}
	for _, f := range DataFields(v.Type()) {
		out[DataName(f)] = v.FieldByIndex(f.Index).Interface()
	}
	return out
}

// checkStage checks the parameters and fields of a stage type for
// Register: tags parse, defaults convert, a zero the rule allows is the
// default (or the field is a pointer), and — for a stage that is not a
// fitted model (model false) — every exported field is a parameter or a
// callback.
func checkStage(t reflect.Type, model bool) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	ps, err := paramsOfType(t)
	if err != nil {
		return err
	}
	for _, p := range ps {
		if p.HasDefault() && !p.Rule.Allows(p.Default) {
			return fmt.Errorf("field %s: its default %v is outside its own rule", p.Field, p.Default)
		}
		if !p.HasDefault() || p.Type.Kind() == reflect.Pointer {
			continue
		}
		if k := p.Type.Kind(); k == reflect.Slice || k == reflect.Map {
			return fmt.Errorf("field %s: a list or mapping parameter cannot declare a default (nil is unset)", p.Field)
		}
		zero := reflect.Zero(p.Type)
		if reflect.DeepEqual(zero.Interface(), p.Default) {
			continue
		}
		if p.Rule.check(zero) == "" && !(p.Rule.NonEmpty && zero.Kind() == reflect.String) {
			return fmt.Errorf("field %s: its zero value is allowed and differs from its default %v, so a written zero would be lost: make it a pointer, or refuse zero in its rule", p.Field, p.Default)
		}
	}
	if model {
		return nil
	}
	for _, f := range DataFields(t) {
		return fmt.Errorf("field %s is neither a parameter (it has no `param` tag) nor a callback; only fitted models hold learned data", f.Name)
	}
	return nil
}

// parseTag splits a `param` tag into its rule and its default (nil when
// it declares none).
func parseTag(tag string) (Rule, *string, error) {
	var r Rule
	var def *string
	parts, err := splitTag(tag)
	if err != nil {
		return r, nil, fmt.Errorf("bad param tag %q: %w", tag, err)
	}
	for _, part := range parts {
		k, v, _ := strings.Cut(part, "=")
		num := func() (float64, error) { return strconv.ParseFloat(v, 64) }
		var err error
		switch k {
		case "default":
			s := v
			def = &s
		case "min", "gt":
			r.Min, err = num()
			r.HasMin, r.MinOpen = true, k == "gt"
		case "max", "lt":
			r.Max, err = num()
			r.HasMax, r.MaxOpen = true, k == "lt"
		case "oneOf":
			r.OneOf = splitOneOf(v)
		case "nan":
			r.NaN = true
		case "inf":
			r.Inf = true
		case "nonempty":
			r.NonEmpty = true
		default:
			err = fmt.Errorf("unknown rule %q", k)
		}
		if err != nil {
			return r, nil, fmt.Errorf("bad param tag %q: %w", tag, err)
		}
	}
	return r, def, nil
}

// splitOneOf splits a oneOf list at "|"; a value holding "|" writes it
// `\|` (KMeans's initMode: oneOf=random|k-means\|\|, once the struct
// tag is unquoted).
func splitOneOf(v string) []string {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(v); i++ {
		switch {
		case v[i] == '\\' && i+1 < len(v) && v[i+1] == '|':
			cur.WriteByte('|')
			i++
		case v[i] == '|':
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(v[i])
		}
	}
	return append(out, cur.String())
}

// splitTag splits a tag at commas outside single quotes and unquotes the
// quoted parts (” inside quotes is one quote).
func splitTag(tag string) ([]string, error) {
	if tag == "" {
		return nil, nil
	}
	var out []string
	var cur strings.Builder
	quoted := false
	for i := 0; i < len(tag); i++ {
		c := tag[i]
		switch {
		case c == '\'' && quoted && i+1 < len(tag) && tag[i+1] == '\'':
			cur.WriteByte('\'')
			i++
		case c == '\'':
			quoted = !quoted
		case c == ',' && !quoted:
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	if quoted {
		return nil, fmt.Errorf("unterminated quote")
	}
	return append(out, cur.String()), nil
}

// parseDefault converts a tag's default to a value of type t (its element
// type for a pointer).
func parseDefault(s string, t reflect.Type) (any, error) {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == columnType {
		ct, err := table.ParseType(s)
		return ct, err
	}
	v := reflect.New(t).Elem()
	switch t.Kind() {
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, err
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64, reflect.Int32:
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v.OverflowInt(i) {
			return nil, fmt.Errorf("not an integer of %s", t)
		}
		v.SetInt(i)
	case reflect.Float64:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, err
		}
		v.SetFloat(f)
	case reflect.String:
		v.SetString(s)
	default:
		return nil, fmt.Errorf("a %s parameter cannot declare a default", t)
	}
	return v.Interface(), nil
}

// SplitParams returns the parameters of stage as a saved model's
// metadata holds them, split as Spark splits them: set, the parameters
// that are set (a non-nil pointer, list or map, a non-zero value), and
// every parameter that has no default whatever its value (a fitted
// model's threshold of 0 is a value, not a default); defaults, each unset
// parameter that has a default, with that default. Values are those of
// JSON: a pointer's element, a column type's name.
func SplitParams(stage any) (set, defaults ParamMap) {
	set, defaults = ParamMap{}, ParamMap{}
	s := structOf(stage)
	for _, p := range ParamsOf(stage) {
		v := p.value(s)
		if v.IsZero() && p.HasDefault() {
			defaults[p.Name] = jsonValue(reflect.ValueOf(p.Default))
			continue
		}
		if v.Kind() == reflect.Pointer && !v.IsNil() {
			v = v.Elem()
		}
		set[p.Name] = jsonValue(v)
	}
	return set, defaults
}

// jsonValue is v as its JSON form shows it: a column type as its name;
// a nil pointer, list or map as nil; anything else as it is.
func jsonValue(v reflect.Value) any {
	switch {
	case v.Type() == columnType:
		return v.Interface().(table.Type).String()
	case (v.Kind() == reflect.Pointer || v.Kind() == reflect.Slice || v.Kind() == reflect.Map) && v.IsNil():
		return nil
	}
	return v.Interface()
}

// SetSavedParams sets the parameters of stage (a pointer to a zero stage
// struct) from a saved model's paramMap and defaultParamMap (raw JSON
// values by name, numbers as JSON writes them, non-finite floats as
// package jsonnum writes them). Every value is checked against its rule;
// an unknown name, a value of the wrong type or out of range is an error
// naming the parameter. A saved default equal to this build's leaves the
// parameter unset; one that differs is set, so the stage behaves as it
// did when saved. A parameter in neither map stays unset.
func SetSavedParams(stage any, set, defaults map[string]json.RawMessage) error {
	s := structOf(stage)
	if s.Kind() != reflect.Struct || !s.CanSet() {
		return fmt.Errorf("cannot set parameters on %T", stage)
	}
	ps := ParamsOf(stage)
	byName := map[string]Param{}
	for _, p := range ps {
		byName[p.Name] = p
	}
	names := func(m map[string]json.RawMessage) []string {
		out := make([]string, 0, len(m))
		for k := range m {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	known := func(name string) (Param, error) {
		p, ok := byName[name]
		if !ok {
			all := make([]string, 0, len(ps))
			for _, q := range ps {
				all = append(all, q.Name)
			}
			slices.Sort(all)
			return p, fmt.Errorf("%w %q (parameters: %s)", ErrUnknownParam, name, strings.Join(all, ", "))
		}
		return p, nil
	}
	// Every parameter without a default is written whatever its value
	// (SplitParams): one missing is a damaged or hand-made file.
	for _, p := range ps {
		if _, ok := set[p.Name]; !ok && !p.HasDefault() {
			return fmt.Errorf("paramMap: parameter %s is missing (a parameter without a default is always saved)", p.Name)
		}
	}
	for _, name := range names(set) {
		p, err := known(name)
		if err != nil {
			return err
		}
		x, err := decodeSaved(set[name], p.Type)
		if err != nil {
			return fmt.Errorf("paramMap: parameter %s: %w", name, err)
		}
		if x.IsZero() && !p.HasDefault() {
			// The unset state of a parameter without a default (a model's
			// handleInvalid left empty means "error"): its rule's range
			// and choices do not apply, but a required column or list
			// must be there.
			if p.Rule.NonEmpty {
				return fmt.Errorf("paramMap: parameter %s: must not be empty", name)
			}
			p.value(s).Set(x)
			continue
		}
		if err := checkRule(p.field(s.Type()), x); err != nil {
			return fmt.Errorf("paramMap: %w", err)
		}
		p.value(s).Set(x)
	}
	for _, name := range names(defaults) {
		p, err := known(name)
		if err != nil {
			return err
		}
		if _, isSet := set[name]; isSet {
			continue // set (Spark lists every default, set or not)
		}
		if !p.HasDefault() {
			return fmt.Errorf("defaultParamMap: parameter %s has no default in this build", name)
		}
		x, err := decodeSaved(defaults[name], p.Type)
		if err != nil {
			return fmt.Errorf("defaultParamMap: parameter %s: %w", name, err)
		}
		if x.Kind() == reflect.Pointer && x.IsNil() {
			return fmt.Errorf("defaultParamMap: parameter %s: null is not a default (its default is %v)", name, p.Default)
		}
		el := x
		if el.Kind() == reflect.Pointer {
			el = el.Elem()
		}
		if sameValue(el.Interface(), p.Default) {
			continue // this build's default: unset, as saved
		}
		// Saved under another default: set it, so nothing changes.
		if x.IsZero() {
			return fmt.Errorf("defaultParamMap: parameter %s was saved with default %s, this build's is %v, and this build cannot hold it as a set value; re-save the model with this version", name, defaults[name], p.Default)
		}
		if err := checkRule(p.field(s.Type()), x); err != nil {
			return fmt.Errorf("defaultParamMap: %w", err)
		}
		p.value(s).Set(x)
	}
	return nil
}

func (p Param) field(t reflect.Type) reflect.StructField { return t.FieldByIndex(p.index) }

// sameValue compares two parameter values, NaN equal to NaN.
func sameValue(a, b any) bool {
	fa, oka := a.(float64)
	fb, okb := b.(float64)
	if oka && okb {
		return math.Float64bits(fa) == math.Float64bits(fb) || math.IsNaN(fa) && math.IsNaN(fb)
	}
	return reflect.DeepEqual(a, b)
}

// decodeSaved converts one saved JSON value to type t: numbers exactly
// (an int64 seed keeps every digit), "NaN", "Infinity" and "-Infinity"
// for floats, null for a nil pointer, list or map.
func decodeSaved(raw json.RawMessage, t reflect.Type) (reflect.Value, error) {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return reflect.Value{}, fmt.Errorf("not a JSON value: %v", err)
	}
	if dec.More() {
		return reflect.Value{}, fmt.Errorf("not one JSON value")
	}
	if v == nil {
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map:
			return reflect.Zero(t), nil
		}
		return reflect.Value{}, fmt.Errorf("want %s, got null", typeWord(t))
	}
	return convertJSON(v, t)
}
