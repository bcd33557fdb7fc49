package numtext

import (
	"errors"
	"math"
	"testing"
)

func TestParseFloat(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		err  error
	}{
		{"0", 0, nil},
		{"-12.5", -12.5, nil},
		{"+.5", 0.5, nil},
		{"5.", 5, nil},
		{"1e-3", 1e-3, nil},
		{"1E+3", 1000, nil},
		{"1.7976931348623157e308", math.MaxFloat64, nil},
		{"1e-400", 0, nil}, // underflow rounds to zero
		{"4e-320", 4e-320, nil},
		{"NaN", math.NaN(), nil},
		{"nan", math.NaN(), nil},
		{"inf", math.Inf(1), nil},
		{"-Infinity", math.Inf(-1), nil},
		{"+INF", math.Inf(1), nil},
		{"1e400", 0, ErrRange},
		{"-1e400", 0, ErrRange},
		{"1.8e308", 0, ErrRange},
		{"", 0, ErrSyntax},
		{"-", 0, ErrSyntax},
		{".", 0, ErrSyntax},
		{"1e", 0, ErrSyntax},
		{"0x1p3", 0, ErrSyntax},
		{"1_000", 0, ErrSyntax},
		{" 1", 0, ErrSyntax},
		{"1 ", 0, ErrSyntax},
		{"-nan", 0, ErrSyntax},
		{"--inf", 0, ErrSyntax},
		{"infinit", 0, ErrSyntax},
		{"1,5", 0, ErrSyntax},
	}
	for _, tt := range tests {
		got, err := ParseFloat(tt.in)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("ParseFloat(%q) = %v, %v; want %v", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || !(got == tt.want || math.IsNaN(got) && math.IsNaN(tt.want)) {
			t.Errorf("ParseFloat(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseInt(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  error
	}{
		{"42", 42, nil},
		{"-9223372036854775808", math.MinInt64, nil},
		{"9223372036854775808", 0, ErrRange},
		{"1_000", 0, ErrSyntax},
		{"0x10", 0, ErrSyntax},
		{"1.0", 0, ErrSyntax},
	}
	for _, tt := range tests {
		got, err := ParseInt(tt.in)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("ParseInt(%q) = %v, %v; want %v", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseInt(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func FuzzParseFloat(f *testing.F) {
	for _, s := range []string{"1", "1e400", "nan", "-Inf", "0x1p3", "1_0", "."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseFloat(s)
		if err == nil && math.IsInf(v, 0) && decimal(s) {
			t.Fatalf("%q parsed to %v without an error", s, v)
		}
	})
}
