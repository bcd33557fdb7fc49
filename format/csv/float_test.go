package csv

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestFastFloatMatchesStrconv checks the fast path against strconv on
// edge cases and a million random decimals of the shapes CSVs hold.
func TestFastFloatMatchesStrconv(t *testing.T) {
	cases := []string{"0", "-0", "1", "-1.5", "+2.25", "0.1", "123456789012345678", "9007199254740993",
		"1e22", "1e23", "1.5e-22", "4.9e-324", "1.7976931348623157e308", ".5", "5.", "00012.5000",
		"1234567890123456789", "12345678901234567890", "1e", "e5", "", "-", ".", "1.2.3", "0x10", "1_000", "NaN", "inf"}
	r := rand.New(rand.NewPCG(7, 7))
	for i := 0; i < 1_000_000; i++ {
		v := r.NormFloat64() * math.Pow(10, float64(r.IntN(30)-15))
		switch i % 4 {
		case 0:
			cases = append(cases, strconv.FormatFloat(v, 'f', r.IntN(12), 64))
		case 1:
			cases = append(cases, strconv.FormatFloat(v, 'e', r.IntN(17), 64))
		case 2:
			cases = append(cases, strconv.FormatFloat(v, 'g', -1, 64))
		default:
			cases = append(cases, strconv.FormatInt(r.Int64N(1<<62)-(1<<61), 10))
		}
	}
	for _, c := range cases {
		want, err := strconv.ParseFloat(c, 64)
		got, ok := fastFloat([]byte(c))
		if !ok {
			continue
		}
		if err != nil {
			t.Fatalf("fastFloat(%q) = %v, strconv rejects it: %v", c, got, err)
		}
		if math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("fastFloat(%q) = %v, strconv = %v", c, got, want)
		}
	}
}

func BenchmarkParseFloat(b *testing.B) {
	in := []byte("-123.45678")
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			fastFloat(in)
		}
	})
	b.Run("strconv", func(b *testing.B) {
		for b.Loop() {
			strconv.ParseFloat(string(in), 64)
		}
	})
}
