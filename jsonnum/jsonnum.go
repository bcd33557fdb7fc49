// Package jsonnum gives every number Spindle writes as JSON (metrics.json,
// run.log, model metadata, profile and inspect output) one defined
// encoding, including the values JSON itself lacks: NaN, +Inf and -Inf are
// written as the strings "NaN", "Infinity" and "-Infinity" — Spark's and
// Jackson's spelling, which Python's float() and JavaScript's Number()
// also read — and read back as the same values. Finite numbers are plain
// JSON numbers, exactly as encoding/json writes a float64.
//
// A metric can be NaN for good reasons (r2 of a constant label, a log
// loss of +Inf), and a parameter ±Inf (Bucketizer splits); with this
// encoding writing them never fails.
package jsonnum

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"reflect"
)

// Float is a float64 with the package's JSON encoding.
type Float float64

// MarshalJSON writes a number, or "NaN", "Infinity", "-Infinity".
func (f Float) MarshalJSON() ([]byte, error) {
	x := float64(f)
	switch {
	case math.IsNaN(x):
		return []byte(`"NaN"`), nil
	case math.IsInf(x, 1):
		return []byte(`"Infinity"`), nil
	case math.IsInf(x, -1):
		return []byte(`"-Infinity"`), nil
	}
	return json.Marshal(x)
}

// UnmarshalJSON reads a number or one of the three strings; null leaves f
// unchanged, as encoding/json does for a float64.
func (f *Float) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, ok := special(s)
		if !ok {
			return fmt.Errorf("jsonnum: %q is not a number (want a number, \"NaN\", \"Infinity\" or \"-Infinity\")", s)
		}
		*f = Float(v)
		return nil
	}
	var x float64
	if err := json.Unmarshal(b, &x); err != nil {
		return err
	}
	*f = Float(x)
	return nil
}

// Special reads the three spellings of non-finite values ("NaN",
// "Infinity", "-Infinity"); false for any other string.
func Special(s string) (float64, bool) { return special(s) }

func special(s string) (float64, bool) {
	switch s {
	case "NaN":
		return math.NaN(), true
	case "Infinity":
		return math.Inf(1), true
	case "-Infinity":
		return math.Inf(-1), true
	}
	return 0, false
}

// Floats converts a slice to Floats.
func Floats(xs []float64) []Float {
	if xs == nil {
		return nil
	}
	out := make([]Float, len(xs))
	for i, x := range xs {
		out[i] = Float(x)
	}
	return out
}

// Map converts a map of float64 values to Floats.
func Map(m map[string]float64) map[string]Float {
	if m == nil {
		return nil
	}
	out := make(map[string]Float, len(m))
	for k, x := range m {
		out[k] = Float(x)
	}
	return out
}

// Value returns v with every float64 inside it (directly, or in slices,
// arrays and maps, at any depth) replaced by a Float, so that encoding it
// follows the package's rule; other values are returned as they are. It
// is meant for loosely typed values such as parameter maps.
func Value(v any) any {
	if v == nil {
		return nil
	}
	if f, ok := v.(float64); ok {
		return Float(f)
	}
	return convert(reflect.ValueOf(v))
}

func convert(rv reflect.Value) any {
	if rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return nil
		}
		rv = rv.Elem()
	}
	if !holdsFloats(rv.Type()) {
		return rv.Interface() // structs, errors, strings… as they are
	}
	switch rv.Kind() {
	case reflect.Float64, reflect.Float32:
		return Float(rv.Float())
	case reflect.Pointer:
		if rv.IsNil() {
			return nil
		}
		return convert(rv.Elem())
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return nil
		}
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = convert(rv.Index(i))
		}
		return out
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return rv.Interface()
		}
		out := make(map[string]any, rv.Len())
		for it := rv.MapRange(); it.Next(); {
			out[it.Key().String()] = convert(it.Value())
		}
		return out
	}
	return rv.Interface()
}

// holdsFloats reports whether values of type t may hold a float that the
// plain encoder would refuse.
func holdsFloats(t reflect.Type) bool {
	if t == reflect.TypeOf(Float(0)) {
		return false
	}
	switch t.Kind() {
	case reflect.Float64, reflect.Float32, reflect.Interface:
		return true
	case reflect.Slice, reflect.Array, reflect.Pointer:
		return holdsFloats(t.Elem())
	case reflect.Map:
		return t.Key().Kind() == reflect.String && holdsFloats(t.Elem())
	}
	return false
}

// ReplaceAttr is a slog.HandlerOptions.ReplaceAttr for JSON handlers:
// float attributes, and floats inside slices and maps, are logged with the
// package's encoding instead of slog's "!ERROR" text.
func ReplaceAttr(_ []string, a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindFloat64:
		if x := a.Value.Float64(); math.IsNaN(x) || math.IsInf(x, 0) {
			a.Value = slog.AnyValue(Float(x))
		}
	case slog.KindAny:
		a.Value = slog.AnyValue(Value(a.Value.Any()))
	}
	return a
}
