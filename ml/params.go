package ml

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/spindle-ml/spindle/jsonnum"
	"github.com/spindle-ml/spindle/table"
)

// ErrUnknownParam is wrapped by the error for a parameter name a stage
// does not have (test with errors.Is).
var ErrUnknownParam = errors.New("unknown parameter")

// ParamMap sets parameters by their Spark names (camelCase, e.g. "maxIter",
// "regParam"), as a grid point or a spec's stage options give them.
type ParamMap map[string]any

// MarshalJSON writes the map as a JSON object whose non-finite floats
// (Bucketizer's ±Inf splits, Imputer's NaN) are "NaN", "Infinity" and
// "-Infinity" (package jsonnum), so a parameter map always encodes; < >
// and & stay as they are (a pattern reads "<.*/>").
func (p ParamMap) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(jsonnum.Value(map[string]any(p))); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// String lists the map in name order, e.g. "{maxIter: 10, regParam: 0.1}".
func (p ParamMap) String() string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %v", k, p[k])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// ParamNames returns the Spark names of the parameters of stage (a
// pointer to a stage struct): its fields with a `param` tag, with the
// first letter lowered.
func ParamNames(stage any) []string {
	var out []string
	for _, p := range ParamsOf(stage) {
		out = append(out, p.Name)
	}
	return out
}

// fields returns the exported fields of the struct type t, those of its
// embedded structs included (promoted, as Go promotes them), so that a
// group of parameters several stages share (the tree parameters) is
// declared once and embedded.
func fields(t reflect.Type) []reflect.StructField {
	var out []reflect.StructField
	for _, f := range reflect.VisibleFields(t) {
		if f.IsExported() && !(f.Anonymous && f.Type.Kind() == reflect.Struct) {
			out = append(out, f)
		}
	}
	return out
}

func sparkName(field string) string {
	r, n := utf8.DecodeRuneInString(field)
	// Keep acronyms readable: "IDF" stays "idf", "MaxIter" → "maxIter".
	if n == len(field) || strings.ToUpper(field) == field {
		return strings.ToLower(field)
	}
	return string(unicode.ToLower(r)) + field[n:]
}

func settable(t reflect.Type) bool {
	if t == columnType {
		return true // a column type, written as its name ("float64")
	}
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int64, reflect.Int32, reflect.Float64, reflect.String:
		return true
	case reflect.Pointer:
		// Optional values whose Spark default is not the zero value.
		k := t.Elem().Kind()
		return k == reflect.Bool || k == reflect.Float64 || k == reflect.Int
	case reflect.Slice:
		return settable(t.Elem()) && t.Elem().Kind() != reflect.Pointer
	case reflect.Map:
		// A mapping of names to values (FillNull's values per column).
		return t.Key().Kind() == reflect.String && t.Elem().Kind() == reflect.String
	}
	return false
}

// columnType is table.Type's reflect type: a parameter of that type is
// written as a type name and shown as one.
var columnType = reflect.TypeFor[table.Type]()

// StageName is the short name of a stage's type, e.g. "LogisticRegression".
func StageName(stage any) string {
	t := reflect.TypeOf(stage)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "<nil>"
	}
	return t.Name()
}

// WithParams returns a shallow copy of stage (a pointer to a stage struct)
// with the parameters in p set. Unknown names, values of the wrong type and
// values outside a parameter's rule (see Validate) are errors that name the
// stage, the parameter and what is allowed.
func WithParams[S any](stage S, p ParamMap) (S, error) {
	var zero S
	v := reflect.ValueOf(stage)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return zero, fmt.Errorf("cannot set parameters on %T", stage)
	}
	cp := reflect.New(v.Elem().Type())
	cp.Elem().Set(v.Elem())
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := setParam(cp.Elem(), k, p[k]); err != nil {
			return zero, fmt.Errorf("%s: %w", StageName(stage), err)
		}
	}
	return cp.Interface().(S), nil
}

func setParam(s reflect.Value, name string, val any) error {
	t := s.Type()
	ps, err := paramsOfType(t)
	if err != nil {
		return err
	}
	for _, p := range ps {
		if p.Name != name {
			continue
		}
		x, err := convert(val, p.Type, false)
		if err != nil {
			return fmt.Errorf("parameter %s: %w", name, err)
		}
		// A written value is checked even when it is the zero value: zero
		// means the default only for a parameter left unset.
		if err := checkRule(p.field(t), x); err != nil {
			return err
		}
		p.value(s).Set(x)
		return nil
	}
	names := ParamNames(reflect.New(t).Interface())
	slices.Sort(names)
	return fmt.Errorf("%w %q (parameters: %s)", ErrUnknownParam, name, strings.Join(names, ", "))
}

func typeWord(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "an integer"
	case reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Pointer:
		return typeWord(t.Elem())
	case reflect.Slice:
		return "a list of " + strings.TrimPrefix(strings.TrimPrefix(typeWord(t.Elem()), "an "), "a ") + "s"
	case reflect.Map:
		return "a mapping of names to values"
	}
	return t.String()
}

// convertJSON is convert for values decoded from a saved model's JSON
// (with UseNumber): json.Number for numbers, and "NaN", "Infinity" and
// "-Infinity" for non-finite floats (package jsonnum).
func convertJSON(val any, t reflect.Type) (reflect.Value, error) { return convert(val, t, true) }

// convert turns a decoded YAML/JSON value (bool, int, int64, uint64,
// float64, json.Number, string, []any, map[string]any) into a value of
// type t. With fromJSON, a float may also be written "NaN", "Infinity"
// or "-Infinity".
func convert(val any, t reflect.Type, fromJSON bool) (reflect.Value, error) {
	bad := func() (reflect.Value, error) {
		return reflect.Value{}, fmt.Errorf("want %s, got %v", typeWord(t), describe(val))
	}
	if t == columnType {
		s, ok := val.(string)
		if !ok {
			return reflect.Value{}, fmt.Errorf("want a column type (string, int64, float64, bool, list<string>, vector), got %v", describe(val))
		}
		ct, err := table.ParseType(s)
		if err != nil {
			return reflect.Value{}, err
		}
		return reflect.ValueOf(ct), nil
	}
	switch t.Kind() {
	case reflect.Bool:
		b, ok := val.(bool)
		if !ok {
			return bad()
		}
		return reflect.ValueOf(b).Convert(t), nil
	case reflect.Map:
		items, ok := val.(map[string]any)
		if !ok {
			return bad()
		}
		out := reflect.MakeMapWithSize(t, len(items))
		for k, it := range items {
			// A number or boolean is taken as the text it is written as:
			// {age: 0} means the value "0".
			switch x := it.(type) {
			case int, int64, uint64, bool, json.Number:
				it = fmt.Sprint(x)
			case float64:
				it = strconv.FormatFloat(x, 'g', -1, 64)
			}
			x, err := convert(it, t.Elem(), fromJSON)
			if err != nil {
				return reflect.Value{}, fmt.Errorf("%s: %w", k, err)
			}
			out.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), x)
		}
		return out, nil
	case reflect.Pointer:
		x, err := convert(val, t.Elem(), fromJSON)
		if err != nil {
			return reflect.Value{}, err
		}
		p := reflect.New(t.Elem())
		p.Elem().Set(x)
		return p, nil
	case reflect.String:
		s, ok := val.(string)
		if !ok {
			return bad()
		}
		return reflect.ValueOf(s).Convert(t), nil
	case reflect.Int, reflect.Int64, reflect.Int32:
		var i int64
		switch x := val.(type) {
		case int:
			i = int64(x)
		case int64:
			i = x
		case uint64:
			if x > math.MaxInt64 {
				return bad()
			}
			i = int64(x)
		case float64:
			if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
				return bad()
			}
			i = int64(x)
		case json.Number:
			n, err := strconv.ParseInt(string(x), 10, 64)
			if err != nil {
				return bad()
			}
			i = n
		default:
			return bad()
		}
		v := reflect.New(t).Elem()
		if v.OverflowInt(i) {
			return bad()
		}
		v.SetInt(i)
		return v, nil
	case reflect.Float64:
		var f float64
		switch x := val.(type) {
		case int:
			f = float64(x)
		case int64:
			f = float64(x)
		case uint64:
			f = float64(x)
		case float64:
			f = x
		case json.Number:
			var err error
			if f, err = strconv.ParseFloat(string(x), 64); err != nil {
				return bad()
			}
		case string:
			v, ok := jsonnum.Special(x)
			if !fromJSON || !ok {
				return bad()
			}
			f = v
		default:
			return bad()
		}
		return reflect.ValueOf(f).Convert(t), nil
	case reflect.Slice:
		items, ok := val.([]any)
		if !ok {
			return bad()
		}
		out := reflect.MakeSlice(t, len(items), len(items))
		for i, it := range items {
			x, err := convert(it, t.Elem(), fromJSON)
			if err != nil {
				return reflect.Value{}, fmt.Errorf("item %d: %w", i+1, err)
			}
			out.Index(i).Set(x)
		}
		return out, nil
	}
	return bad()
}

// Params returns the parameters of stage that are set (differ from
// their zero value), by Spark name, for logs, metrics and `spindle
// inspect`; a pointer parameter as its element, a column type as its
// name.
func Params(stage any) ParamMap {
	v := structOf(stage)
	if v.Kind() != reflect.Struct {
		return nil
	}
	out := ParamMap{}
	for _, p := range ParamsOf(stage) {
		x := p.value(v)
		if x.IsZero() {
			continue
		}
		if x.Kind() == reflect.Pointer {
			x = x.Elem()
		}
		out[p.Name] = jsonValue(x)
	}
	return out
}

// describe renders a decoded value for an error message.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "nothing"
	case string:
		return strconv.Quote(x)
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return fmt.Sprint(v)
}
