package ml

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// A parameter's allowed values are declared once, in a `param` struct tag
// on its field, and checked wherever a value is set — a spec, a --set
// override, a tuning grid — and again by Validate before a fit:
//
//	MaxIter  *int    `param:"min=0"`          // ≥ 0
//	RegParam float64 `param:"min=0"`          // ≥ 0
//	ElasticNetParam float64 `param:"min=0,max=1"`
//	StepSize float64 `param:"gt=0"`           // > 0
//	Family   string  `param:"oneOf=auto|binomial|multinomial"`
//	Splits   []float64 `param:"inf"`         // each element; ±Inf allowed
//	MissingValue *float64 `param:"nan,inf"`
//
// Rules: min=, gt=, max=, lt= bound numbers (and each element of a list);
// oneOf= lists the allowed strings; nonempty refuses an empty string or
// list; a float must be finite unless the tag says nan or inf. A value the user writes is always checked, zero
// included: zero is a field's default only when the field is left unset,
// so a written zero that is outside the rule (numFeatures: 0) is an error,
// and a field whose zero is a meaningful value different from Spark's
// default (maxIter: 0) is a pointer.
//
// Constraints between parameters (min below max, one of two set) are a
// stage's CheckParams method.

// ParamChecker is implemented by stages whose parameters constrain each
// other; Validate calls it after the per-parameter rules.
type ParamChecker interface {
	// CheckParams returns a *ParamError naming the parameter at fault.
	CheckParams() error
}

// ParamError is a parameter value that is not allowed.
type ParamError struct {
	// Param is the parameter's Spark name.
	Param string
	// Msg says what is wrong, e.g. "must be ≥ 0, got -1".
	Msg string
}

func (e *ParamError) Error() string { return "parameter " + e.Param + ": " + e.Msg }

// ParamErrorf makes a *ParamError.
func ParamErrorf(param, format string, args ...any) error {
	return &ParamError{Param: param, Msg: fmt.Sprintf(format, args...)}
}

// Validate checks every parameter of stage that has a `param` tag and is
// set (a non-nil pointer, a non-zero value) against its rules, then the
// stage's CheckParams. The error names the stage and the parameter.
// (WithParams checks every value it sets, tagged or not: a float there
// must be finite unless its tag says otherwise.)
func Validate(stage any) error {
	v := reflect.ValueOf(stage)
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	for _, f := range fields(v.Type()) {
		if !settable(f.Type) {
			continue
		}
		if _, tagged := f.Tag.Lookup("param"); !tagged {
			continue // state (a fitted model's), or free-form text
		}
		x := v.FieldByIndex(f.Index)
		if x.IsZero() {
			continue // unset: the default applies
		}
		if err := checkRule(f, x); err != nil {
			return fmt.Errorf("%s: %w", StageName(stage), err)
		}
	}
	if c, ok := stage.(ParamChecker); ok {
		if err := c.CheckParams(); err != nil {
			return fmt.Errorf("%s: %w", StageName(stage), err)
		}
	}
	return nil
}

// checkTags parses every `param` tag of the struct type t.
func checkTags(t reflect.Type) error {
	for _, f := range reflect.VisibleFields(t) {
		if tag, ok := f.Tag.Lookup("param"); ok {
			if _, err := parseRule(tag); err != nil {
				return fmt.Errorf("field %s: %w", f.Name, err)
			}
		}
	}
	return nil
}

// rule is a parsed `param` tag.
type rule struct {
	min, max         float64
	minOpen, maxOpen bool // gt / lt instead of min / max
	hasMin, hasMax   bool
	oneOf            []string
	nan, inf         bool
	nonEmpty         bool
}

func parseRule(tag string) (rule, error) {
	r := rule{}
	if tag == "" {
		return r, nil
	}
	for _, part := range strings.Split(tag, ",") {
		k, v, _ := strings.Cut(part, "=")
		num := func() (float64, error) { return strconv.ParseFloat(v, 64) }
		var err error
		switch k {
		case "min", "gt":
			r.min, err = num()
			r.hasMin, r.minOpen = true, k == "gt"
		case "max", "lt":
			r.max, err = num()
			r.hasMax, r.maxOpen = true, k == "lt"
		case "oneOf":
			r.oneOf = strings.Split(v, "|")
		case "nan":
			r.nan = true
		case "inf":
			r.inf = true
		case "nonempty":
			r.nonEmpty = true
		default:
			err = fmt.Errorf("unknown rule %q", k)
		}
		if err != nil {
			return r, fmt.Errorf("bad param tag %q: %w", tag, err)
		}
	}
	return r, nil
}

// checkRule checks the value x of field f.
func checkRule(f reflect.StructField, x reflect.Value) error {
	r, err := parseRule(f.Tag.Get("param"))
	if err != nil {
		return err // Register refuses such a stage, so only for unregistered ones
	}
	name := sparkName(f.Name)
	for x.Kind() == reflect.Pointer {
		if x.IsNil() {
			return nil
		}
		x = x.Elem()
	}
	if r.nonEmpty && (x.Kind() == reflect.Slice || x.Kind() == reflect.String) && x.Len() == 0 {
		return &ParamError{Param: name, Msg: "must not be empty"}
	}
	if x.Kind() == reflect.Slice {
		for i := 0; i < x.Len(); i++ {
			if msg := r.check(x.Index(i)); msg != "" {
				return &ParamError{Param: name, Msg: fmt.Sprintf("item %d %s", i+1, msg)}
			}
		}
		return nil
	}
	if msg := r.check(x); msg != "" {
		return &ParamError{Param: name, Msg: msg}
	}
	return nil
}

// check returns what is wrong with one value, or "".
func (r rule) check(x reflect.Value) string {
	var f float64
	switch x.Kind() {
	case reflect.String:
		if len(r.oneOf) > 0 && !slices.Contains(r.oneOf, x.String()) {
			return fmt.Sprintf("must be one of %s, got %q", strings.Join(r.oneOf, ", "), x.String())
		}
		return ""
	case reflect.Int, reflect.Int32, reflect.Int64:
		f = float64(x.Int())
	case reflect.Float64:
		f = x.Float()
		switch {
		case math.IsNaN(f) && !r.nan:
			return "must be a number, got NaN"
		case math.IsInf(f, 0) && !r.inf:
			return fmt.Sprintf("must be finite, got %v", f)
		case math.IsNaN(f), math.IsInf(f, 0):
			return ""
		}
	default:
		return ""
	}
	lo, hi := "[", "]"
	if r.minOpen {
		lo = "("
	}
	if r.maxOpen {
		hi = ")"
	}
	bad := r.hasMin && (f < r.min || r.minOpen && f == r.min) || r.hasMax && (f > r.max || r.maxOpen && f == r.max)
	if !bad {
		return ""
	}
	got, mn, mx := num(f), num(r.min), num(r.max)
	switch {
	case r.hasMin && r.hasMax:
		return fmt.Sprintf("must be in %s%s, %s%s, got %s", lo, mn, mx, hi, got)
	case r.hasMin && r.minOpen:
		return fmt.Sprintf("must be > %s, got %s", mn, got)
	case r.hasMin:
		return fmt.Sprintf("must be ≥ %s, got %s", mn, got)
	case r.maxOpen:
		return fmt.Sprintf("must be < %s, got %s", mx, got)
	}
	return fmt.Sprintf("must be ≤ %s, got %s", mx, got)
}

// num writes whole numbers in full (2147483647, not 2.147483647e+09).
func num(x float64) string {
	if x == math.Trunc(x) && math.Abs(x) < 1e15 {
		return strconv.FormatInt(int64(x), 10)
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// AsParamError returns the *ParamError inside err, if any.
func AsParamError(err error) (*ParamError, bool) {
	var pe *ParamError
	ok := errors.As(err, &pe)
	return pe, ok
}

// IntOr returns *p, or def when p is nil: for integer parameters whose
// zero is meaningful and differs from Spark's default (maxIter).
func IntOr(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}

// FloatOr returns *p, or def when p is nil.
func FloatOr(p *float64, def float64) float64 {
	if p == nil {
		return def
	}
	return *p
}

// Int returns a pointer to v, for setting *int parameters.
func Int(v int) *int { return &v }

// Float returns a pointer to v, for setting *float64 parameters.
func Float(v float64) *float64 { return &v }
