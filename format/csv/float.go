package csv

// pow10 holds the powers of ten that float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// fastFloat parses the common decimal form [+-]digits[.digits][e[+-]digits]
// when the result is exactly computable: at most 19 significant digits
// forming a mantissa m ≤ 2^53 and a decimal exponent |e| ≤ 22. Then m and
// 10^|e| are exact float64s and one IEEE multiply or divide is correctly
// rounded (Clinger's fast path), so the result equals strconv.ParseFloat's.
// It reports false for anything else, which the caller hands to strconv.
//
// Written by hand because float parsing dominates reading numeric CSV and
// strconv's general reader costs about twice as much on these inputs.
func fastFloat(b []byte) (float64, bool) {
	i := 0
	neg := false
	if i < len(b) && (b[i] == '-' || b[i] == '+') {
		neg = b[i] == '-'
		i++
	}
	var m uint64
	digits, exp := 0, 0
	sawDigit := false
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		sawDigit = true
		if m == 0 && b[i] == '0' {
			continue // leading zeros are not significant
		}
		if digits == 19 {
			return 0, false
		}
		m = m*10 + uint64(b[i]-'0')
		digits++
	}
	if i < len(b) && b[i] == '.' {
		i++
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			sawDigit = true
			exp--
			if m == 0 && b[i] == '0' {
				continue
			}
			if digits == 19 {
				return 0, false
			}
			m = m*10 + uint64(b[i]-'0')
			digits++
		}
	}
	if !sawDigit {
		return 0, false
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		eneg := false
		if i < len(b) && (b[i] == '-' || b[i] == '+') {
			eneg = b[i] == '-'
			i++
		}
		if i == len(b) {
			return 0, false
		}
		e := 0
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			if e > 1000 {
				return 0, false
			}
			e = e*10 + int(b[i]-'0')
		}
		if eneg {
			e = -e
		}
		exp += e
	}
	if i != len(b) || m > 1<<53 || exp < -22 || exp > 22 {
		return 0, false
	}
	f := float64(m)
	if exp < 0 {
		f /= pow10[-exp]
	} else {
		f *= pow10[exp]
	}
	if neg {
		f = -f
	}
	return f, true
}
