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
// Rules (see also param.go for default=): min=, gt=, max=, lt= bound numbers (and each element of a list);
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

// Validate checks every parameter of stage that is set (a non-nil
// pointer, a non-zero value) against its rule, then the stage's
// CheckParams. The error names the stage and the parameter. (WithParams
// checks every value it sets: a float there must be finite unless its tag
// says otherwise.)
func Validate(stage any) error {
	v := structOf(stage)
	if v.Kind() != reflect.Struct {
		return nil
	}
	for _, p := range ParamsOf(stage) {
		x := p.value(v)
		if x.IsZero() {
			continue // unset: the default applies
		}
		if err := checkRule(p.field(v.Type()), x); err != nil {
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

// checkRule checks the value x of field f.
func checkRule(f reflect.StructField, x reflect.Value) error {
	r, _, err := parseTag(f.Tag.Get("param"))
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
	if r.NonEmpty && (x.Kind() == reflect.Slice || x.Kind() == reflect.String) && x.Len() == 0 {
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

// Allows reports whether the rule allows x (a value of the parameter's
// type, or its element type).
func (r Rule) Allows(x any) bool {
	v := reflect.ValueOf(x)
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return true
		}
		v = v.Elem()
	}
	if r.NonEmpty && (v.Kind() == reflect.Slice || v.Kind() == reflect.String) && v.Len() == 0 {
		return false
	}
	if v.Kind() == reflect.Slice {
		for i := 0; i < v.Len(); i++ {
			if r.check(v.Index(i)) != "" {
				return false
			}
		}
		return true
	}
	return r.check(v) == ""
}

// check returns what is wrong with one value, or "".
func (r Rule) check(x reflect.Value) string {
	var f float64
	switch x.Kind() {
	case reflect.String:
		if len(r.OneOf) > 0 && !slices.Contains(r.OneOf, x.String()) {
			return fmt.Sprintf("must be one of %s, got %q", strings.Join(r.OneOf, ", "), x.String())
		}
		return ""
	case reflect.Int, reflect.Int32, reflect.Int64:
		f = float64(x.Int())
	case reflect.Float64:
		f = x.Float()
		switch {
		case math.IsNaN(f) && !r.NaN:
			return "must be a number, got NaN"
		case math.IsInf(f, 0) && !r.Inf:
			return fmt.Sprintf("must be finite, got %v", f)
		case math.IsNaN(f):
			return ""
		}
		// ±Inf, where allowed, still meets the bounds: a p of −Inf is
		// below Normalizer's 1.
	default:
		return ""
	}
	lo, hi := "[", "]"
	if r.MinOpen {
		lo = "("
	}
	if r.MaxOpen {
		hi = ")"
	}
	bad := r.HasMin && (f < r.Min || r.MinOpen && f == r.Min) || r.HasMax && (f > r.Max || r.MaxOpen && f == r.Max)
	if !bad {
		return ""
	}
	got, mn, mx := num(f), num(r.Min), num(r.Max)
	switch {
	case r.HasMin && r.HasMax:
		return fmt.Sprintf("must be in %s%s, %s%s, got %s", lo, mn, mx, hi, got)
	case r.HasMin && r.MinOpen:
		return fmt.Sprintf("must be > %s, got %s", mn, got)
	case r.HasMin:
		return fmt.Sprintf("must be ≥ %s, got %s", mn, got)
	case r.MaxOpen:
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
