package feature

import (
	"regexp"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/ml"
)

// TestClassRunMatchesRegexp checks the fast path gives exactly what the
// regexp engine gives, and is not taken where it would not.
func TestClassRunMatchesRegexp(t *testing.T) {
	patterns := []string{`[^A-Za-z ]+`, ` +`, `\s+`, `[0-9]+`, `\W+`, `[^\p{L}]+`, `[é-ö]+`, `x+`}
	inputs := []string{"", "plain", "Hello,  World!! 123 \t\n<b>x</b>", "  lead and trail  ", "naïve café — ünïcode ✓ 😀", "a\xffb\xfe\xfdc", "xxxyxx", "ÉéÖöx", "only!!!"}
	for _, p := range patterns {
		c := newClassRun(p)
		if c == nil {
			t.Fatalf("%s: no fast path", p)
		}
		re := regexp.MustCompile(p)
		for _, in := range inputs {
			for _, repl := range []string{"", " ", "<>"} {
				if got, want := c.replace(in, repl), re.ReplaceAllLiteralString(in, repl); got != want {
					t.Errorf("%s on %q → %q: got %q, want %q", p, in, repl, got, want)
				}
			}
		}
	}
	for _, p := range []string{`<.*/>`, `a+?`, `[a-z]*`, `(ab)+`, `(?i)x+`, `ab+`} {
		if newClassRun(p) != nil {
			t.Errorf("%s: fast path taken", p)
		}
	}
}

func FuzzClassRun(f *testing.F) {
	f.Add("Hello,  World!! 123", `[^A-Za-z ]+`)
	f.Add("a\xffb", `\W+`)
	f.Fuzz(func(t *testing.T, in, p string) {
		c := newClassRun(p)
		if c == nil {
			return
		}
		re, err := regexp.Compile(p)
		if err != nil {
			return
		}
		if got, want := c.replace(in, " "), re.ReplaceAllLiteralString(in, " "); got != want {
			t.Fatalf("%q on %q: got %q, want %q", p, in, got, want)
		}
	})
}

func TestSpanRunMatchesRegexp(t *testing.T) {
	inputs := []string{"", "no tags", "a <b/> c", "<a/> x <b/> y\nz <c/>\n<d>", "x < y\n/> z", "<<//>>/>", "<a/>\xff<b/>", "< />\n</>\n<x/"}
	for _, p := range []string{`<.*/>`, `ab.*cd`, `é.*ö`} {
		sp := newSpanRun(p)
		if sp == nil {
			t.Fatalf("%s: no fast path", p)
		}
		re := regexp.MustCompile(p)
		for _, in := range append(inputs, "ab cd ab\ncd abcdcd", "éxöyö\né") {
			if got, want := sp.replace(in, "#"), re.ReplaceAllLiteralString(in, "#"); got != want {
				t.Errorf("%s on %q: got %q, want %q", p, in, got, want)
			}
		}
	}
	for _, p := range []string{`<.*?/>`, `(?s)<.*/>`, `.*/>`, `<.+/>`, `(?i)<.*/>`} {
		if newSpanRun(p) != nil {
			t.Errorf("%s: fast path taken", p)
		}
	}
}

func FuzzSpanRun(f *testing.F) {
	f.Add("a <b/> c <d/>\n<e/>", "<", "/>")
	f.Fuzz(func(t *testing.T, in, open, close string) {
		p := regexp.QuoteMeta(open) + ".*" + regexp.QuoteMeta(close)
		sp := newSpanRun(p)
		if sp == nil {
			return
		}
		if got, want := sp.replace(in, "#"), regexp.MustCompile(p).ReplaceAllLiteralString(in, "#"); got != want {
			t.Fatalf("%q on %q: got %q, want %q", p, in, got, want)
		}
	})
}

// TestTokenizerFastPaths: the \W and \s fast paths give what the regex
// split gives, for lower- and mixed-case, ASCII and not.
func TestTokenizerFastPaths(t *testing.T) {
	inputs := []string{"", "already lower case words", "Mixed CASE, words!!", "  lead\ttrail \n", "naïve Café ünï", "a_b c-d e1f", "x"}
	for _, pat := range []string{`\W`, `\W+`, `\s`, `\s+`} {
		fast := (&RegexTokenizer{Pattern: pat}).tokenizer()
		re := regexp.MustCompile(pat)
		for _, in := range inputs {
			var want []string
			// The reference lowercases with the standard library, not
			// the package's own fast path, so a bug there shows.
			for _, tk := range re.Split(strings.ToLower(in), -1) {
				if tk != "" {
					want = append(want, tk)
				}
			}
			got := fast(in)
			if len(got) != len(want) {
				t.Errorf("%s on %q: %q, want %q", pat, in, got, want)
				continue
			}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("%s on %q: %q, want %q", pat, in, got, want)
					break
				}
			}
		}
	}
}

func FuzzTokenizerFastPath(f *testing.F) {
	f.Add("Hello, World foo_bar")
	f.Fuzz(func(t *testing.T, in string) {
		fast := (&RegexTokenizer{Pattern: `\W`}).tokenizer()
		var want []string
		for _, tk := range regexp.MustCompile(`\W`).Split(strings.ToLower(in), -1) {
			if tk != "" {
				want = append(want, tk)
			}
		}
		got := fast(in)
		if len(got) != len(want) {
			t.Fatalf("%q: %q, want %q", in, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%q: %q, want %q", in, got, want)
			}
		}
	})
}

// FuzzToLower: the ASCII fast path of toLower (RegexTokenizer's general
// path and StringFunction lower use it) is strings.ToLower, and so is the
// general tokenizer's lowercasing.
func FuzzToLower(f *testing.F) {
	for _, s := range []string{"", "Hello, World", "ALL CAPS 42", "naïve Café", "\xff\xfeA"} {
		f.Add(s)
	}
	tok := (&RegexTokenizer{Pattern: `[a-z]+`, Gaps: ml.Bool(false)}).tokenizer()
	f.Fuzz(func(t *testing.T, in string) {
		if got, want := toLower(in), strings.ToLower(in); got != want {
			t.Fatalf("toLower(%q) = %q, want %q", in, got, want)
		}
		want := regexp.MustCompile(`[a-z]+`).FindAllString(strings.ToLower(in), -1)
		got := tok(in)
		if len(got) != len(want) {
			t.Fatalf("%q: %q, want %q", in, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%q: %q, want %q", in, got, want)
			}
		}
	})
}
