package simd

import "math"

// The exponential and log1p of the logistic losses, four values at a time
// (Exp, Log1p) or one (Exp1, Log1p1): the same bits either way, on every
// machine. Both follow the classic reductions (fdlibm's): exp by
// x = k·ln2 + r and a degree-13 Taylor polynomial of e^r on |r| ≤ ln2/2;
// log1p by 1 + x = 2^k·(1 + f) with 1 + f in [√2/2, √2), log(1+f) =
// f − f²/2 + s·(f²/2 + R(s²)) with s = f/(2+f), plus a correction for
// the rounding of 1 + x. Errors are within 2 ulp of the exact values
// (TestExpLog1pAccuracy).

// expTab: 1/n! for n = 13 … 0 (Horner order), then the reduction's
// constants. log1pTab: fdlibm's Lg7 … Lg1, then ln2 split and √2.
var (
	expTab = [...]float64{
		1.0 / 6227020800, 1.0 / 479001600, 1.0 / 39916800, 1.0 / 3628800, 1.0 / 362880, 1.0 / 40320,
		1.0 / 5040, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 1.0 / 2, 1, 1,
		expMin, math.Log2E, ln2Hi, ln2Lo,
	}
	log1pTab = [...]float64{
		1.479819860511658591e-01, 1.531383769920937332e-01, 1.818357216161805012e-01, 2.222219843214978396e-01,
		2.857142874366239149e-01, 3.999999999940941908e-01, 6.666666666666735130e-01,
		ln2Hi, ln2Lo, math.Sqrt2, 0.5, 1, 2,
		1 << 52, 1<<52 + 1023, math.Float64frombits(1<<52 - 1), // exponent and mantissa bits
	}
)

const (
	ln2Hi = 6.93147180369123816490e-01
	ln2Lo = 1.90821492927058770002e-10
	// expMin is log(2^−1022): Exp clamps its argument here, so results stay
	// normal (below it e^x < 2.3e-308, which no loss can tell from 0).
	expMin = -708.3964185322641
)

// Exp1 returns e^x for x ≤ 0 (larger x are not supported: the result is
// wrong), with x below −708.39 taken as −708.39; NaN gives NaN.
func Exp1(x float64) float64 {
	if x < expMin {
		x = expMin
	}
	k := math.RoundToEven(x * math.Log2E)
	r := math.FMA(-k, ln2Hi, x)
	r = math.FMA(-k, ln2Lo, r)
	p := expTab[0]
	for _, c := range expTab[1:14] {
		p = math.FMA(p, r, c)
	}
	if k != k { // NaN
		return p
	}
	return p * math.Float64frombits(uint64(int64(k)+1023)<<52)
}

// Log1p1 returns log(1 + x) for x ≥ 0 (NaN gives NaN; +Inf is not
// supported).
func Log1p1(x float64) float64 {
	u := 1 + x
	b := math.Float64bits(u)
	// u = 2^e · m, m in [1, 2); e exact as a float64 from the exponent bits.
	e := math.Float64frombits(b>>52|0x4330000000000000) - (1<<52 + 1023)
	m := math.Float64frombits(b&(1<<52-1) | 0x3FF0000000000000)
	if m > math.Sqrt2 {
		m *= 0.5
		e++
	}
	f := m - 1
	c := float64(x-float64(u-1)) / u // what rounding 1 + x lost, relative
	s := f / float64(2+f)
	z := s * s
	p := log1pTab[0]
	for _, l := range log1pTab[1:7] {
		p = math.FMA(p, z, l)
	}
	r := z * p
	hfsq := float64(0.5*f) * f
	lo := math.FMA(e, ln2Lo, c)
	return math.FMA(e, ln2Hi, f-float64(hfsq-math.FMA(s, float64(hfsq+r), lo)))
}

// Exp sets out[i] = Exp1(x[i]); out must be at least as long as x.
func Exp(x, out []float64) {
	out = out[:len(x)]
	n4 := len(x) &^ 3
	if useAsm && n4 > 0 {
		expAVX(&x[0], &out[0], n4, &expTab)
	} else {
		n4 = 0
	}
	for i := n4; i < len(x); i++ {
		out[i] = Exp1(x[i])
	}
}

// Log1p sets out[i] = Log1p1(x[i]); out must be at least as long as x.
func Log1p(x, out []float64) {
	out = out[:len(x)]
	n4 := len(x) &^ 3
	if useAsm && n4 > 0 {
		log1pAVX(&x[0], &out[0], n4, &log1pTab)
	} else {
		n4 = 0
	}
	for i := n4; i < len(x); i++ {
		out[i] = Log1p1(x[i])
	}
}
