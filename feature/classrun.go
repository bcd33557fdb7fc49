package feature

import (
	"regexp/syntax"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// classRun is a fast path for RegexReplace patterns of the form C+ where C
// is one character class or literal (e.g. `[^A-Za-z ]+`, ` +`, `\s+`) and
// the replacement is literal: every maximal run of class characters is
// replaced. That is exactly what the regexp engine does for such a pattern
// (leftmost match, greedy, and runs cannot overlap), at a fraction of the
// cost: Go's regexp engine runs no faster than ~60 MB/s on these, and
// text cleanup is the hottest loop of the text pipelines.
type classRun struct {
	ascii  [128]bool
	ranges []rune // pairs, for runes ≥ 128
}

// newClassRun returns the fast path for pattern, or nil when the pattern
// is not a single class repeated with +.
func newClassRun(pattern string) *classRun {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil
	}
	re = re.Simplify()
	if re.Op != syntax.OpPlus || len(re.Sub) != 1 || re.Flags&syntax.NonGreedy != 0 {
		return nil
	}
	sub := re.Sub[0]
	var ranges []rune
	switch sub.Op {
	case syntax.OpCharClass:
		ranges = sub.Rune
	case syntax.OpLiteral:
		if len(sub.Rune) != 1 || sub.Flags&syntax.FoldCase != 0 {
			return nil
		}
		ranges = []rune{sub.Rune[0], sub.Rune[0]}
	default:
		return nil
	}
	c := &classRun{}
	for i := 0; i+1 < len(ranges); i += 2 {
		lo, hi := ranges[i], ranges[i+1]
		for r := lo; r <= hi && r < 128; r++ {
			c.ascii[r] = true
		}
		if hi >= 128 {
			c.ranges = append(c.ranges, max(lo, 128), hi)
		}
	}
	return c
}

func (c *classRun) has(r rune) bool {
	if r < 128 && r >= 0 {
		return c.ascii[r]
	}
	for i := 0; i+1 < len(c.ranges); i += 2 {
		if r >= c.ranges[i] && r <= c.ranges[i+1] {
			return true
		}
	}
	return false
}

// replace replaces every maximal run of class characters in s with repl.
// An invalid UTF-8 byte reads as U+FFFD, as in the regexp package.
func (c *classRun) replace(s, repl string) string {
	if len(repl) <= 1 {
		if out, ok := c.replaceASCII(s, repl); ok {
			return out
		}
	}
	var buf []byte
	i := 0
	for i < len(s) {
		// A stretch of ASCII bytes outside the class is copied at once.
		j := i
		for j < len(s) && s[j] < utf8.RuneSelf && !c.ascii[s[j]] {
			j++
		}
		if j > i {
			if buf != nil {
				buf = append(buf, s[i:j]...)
			}
			i = j
			continue
		}
		r, n := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRuneInString(s[i:])
		}
		if !c.has(r) {
			if buf != nil {
				buf = append(buf, s[i:i+n]...)
			}
			i += n
			continue
		}
		if buf == nil {
			buf = make([]byte, 0, len(s))
			buf = append(buf, s[:i]...)
		}
		buf = append(buf, repl...)
		for i += n; i < len(s); i += n {
			r, n = rune(s[i]), 1
			if r >= utf8.RuneSelf {
				r, n = utf8.DecodeRuneInString(s[i:])
			}
			if !c.has(r) {
				break
			}
		}
	}
	if buf == nil {
		return s // nothing matched
	}
	// buf is never written again: hand it over as the string without a
	// second copy of the text.
	return unsafe.String(unsafe.SliceData(buf), len(buf))
}

// replaceASCII is replace for ASCII text and a replacement of at most one
// byte, so the output is never longer than s: one branch-light pass that
// writes bytes straight into the result. ok is false (and nothing is
// done) when s has a non-ASCII byte.
func (c *classRun) replaceASCII(s, repl string) (string, bool) {
	out := make([]byte, len(s))
	w := 0
	inRun, changed := false, false
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b >= utf8.RuneSelf {
			return "", false
		}
		if !c.ascii[b] {
			out[w] = b
			w++
			inRun = false
			continue
		}
		changed = true
		if !inRun && len(repl) == 1 {
			out[w] = repl[0]
			w++
		}
		inRun = true
	}
	if !changed {
		return s, true
	}
	// out is never written again: hand it over without a copy.
	return unsafe.String(unsafe.SliceData(out), w), true
}

// spanRun is a fast path for RegexReplace patterns L1.*L2 (two non-empty
// literals around a greedy .*, which does not cross a newline), such as
// `<.*/>`: in each line, from the first L1 that has an L2 after it to the
// last L2 on that line. That is the regexp engine's leftmost, greedy
// match, found with two substring searches instead of a backtracking
// automaton.
type spanRun struct{ open, close string }

func newSpanRun(pattern string) *spanRun {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil
	}
	re = re.Simplify()
	if re.Op != syntax.OpConcat || len(re.Sub) != 3 {
		return nil
	}
	lit := func(r *syntax.Regexp) string {
		if r.Op != syntax.OpLiteral || r.Flags&syntax.FoldCase != 0 {
			return ""
		}
		s := string(r.Rune)
		if strings.ContainsRune(s, '\n') || strings.ContainsRune(s, utf8.RuneError) {
			return ""
		}
		return s
	}
	open, mid, close := lit(re.Sub[0]), re.Sub[1], lit(re.Sub[2])
	if open == "" || close == "" || mid.Op != syntax.OpStar || mid.Flags&syntax.NonGreedy != 0 ||
		len(mid.Sub) != 1 || mid.Sub[0].Op != syntax.OpAnyCharNotNL {
		return nil
	}
	return &spanRun{open, close}
}

func (p *spanRun) replace(s, repl string) string {
	var b strings.Builder
	copied := 0
	for i := 0; i < len(s); {
		end := strings.IndexByte(s[i:], '\n')
		if end < 0 {
			end = len(s)
		} else {
			end += i
		}
		line := s[i:end]
		if o := strings.Index(line, p.open); o >= 0 {
			if c := strings.LastIndex(line[o+len(p.open):], p.close); c >= 0 {
				start := i + o
				stop := start + len(p.open) + c + len(p.close)
				if b.Cap() == 0 {
					b.Grow(len(s))
				}
				b.WriteString(s[copied:start])
				b.WriteString(repl)
				copied = stop
			}
		}
		i = end + 1
	}
	if b.Cap() == 0 {
		return s
	}
	b.WriteString(s[copied:])
	return b.String()
}
