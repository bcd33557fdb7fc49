// Package numtext is the one contract every Spindle reader (CSV, JSON
// Lines, LibSVM, vector text) follows when it turns text into a number, so
// that the same value is accepted or refused the same way in every format:
//
//   - decimal notation with an optional sign, fraction and exponent
//     ("12", "-0.5", "1e-3"); no hexadecimal, no digit separators ("1_000"),
//     no surrounding spaces;
//   - the special values NaN, Inf and Infinity (any case, Inf and Infinity
//     with an optional sign), as Spark and pandas write them;
//   - a number beyond float64's range ("1e400") is an error, never a silent
//     ±Inf; one too small to represent rounds to zero (IEEE 754 underflow);
//   - integers are base 10 and must fit int64.
package numtext

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Errors the parse functions return match these with errors.Is.
var (
	ErrSyntax = errors.New("not a number")
	ErrRange  = errors.New("out of range")
)

// Error is a text that is not a number of the wanted kind. Its message is
// a phrase such as `"x" is not a number`, for callers to prefix with
// where the text was.
type Error struct {
	Text string
	// Err is ErrSyntax or ErrRange.
	Err error
	// Want describes the number wanted: "a number", "an integer",
	// "float64's range (±1.8e308)", "int64's range".
	Want string
}

func (e *Error) Error() string { return fmt.Sprintf("%q %s", clip(e.Text), e.Phrase()) }

// Phrase is the message without the text: "is not an integer", "is
// beyond float64's range (±1.8e308)", for callers that show the text
// their own way (a JSON value as written).
func (e *Error) Phrase() string {
	if e.Err == ErrRange {
		return "is beyond " + e.Want
	}
	return "is not " + e.Want
}

func (e *Error) Unwrap() error { return e.Err }

// ParseFloat reads s as a float64 under the package's contract.
func ParseFloat(s string) (float64, error) {
	if !decimal(s) {
		if v, ok := special(s); ok {
			return v, nil
		}
		return 0, &Error{s, ErrSyntax, "a number"}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange && (v > 1 || v < -1) {
			return 0, &Error{s, ErrRange, "float64's range (±1.8e308)"}
		}
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return v, nil // underflow: rounds to zero
		}
		return 0, &Error{s, ErrSyntax, "a number"}
	}
	return v, nil
}

// ParseInt reads s as a base-10 int64.
func ParseInt(s string) (int64, error) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return 0, &Error{s, ErrRange, "int64's range"}
		}
		return 0, &Error{s, ErrSyntax, "an integer"}
	}
	return v, nil
}

// decimal reports whether s has the shape [+-]digits[.digits][(e|E)[+-]digits]
// with at least one digit in the mantissa.
func decimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

// special reads NaN, [+-]Inf and [+-]Infinity in any case.
func special(s string) (float64, bool) {
	body := strings.TrimLeft(s, "+-")
	if len(s)-len(body) > 1 {
		return 0, false
	}
	switch strings.ToLower(body) {
	case "nan":
		if body != s {
			return 0, false // a signed NaN means nothing
		}
	case "inf", "infinity":
	default:
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
