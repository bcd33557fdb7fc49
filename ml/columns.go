package ml

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/spindle-ml/spindle/table"
)

// IsColumnPattern reports whether name in an inputCols list stands for
// several columns: a glob with *, ? or [ ] ("pixel*"), or a regular
// expression between slashes ("/pixel[0-9]+/", RE2, matched against the
// whole name).
func IsColumnPattern(name string) bool {
	if len(name) >= 2 && name[0] == '/' && name[len(name)-1] == '/' {
		return true
	}
	return strings.ContainsAny(name, "*?[")
}

// ExpandColumns replaces each pattern in names (IsColumnPattern) with the
// columns of s it matches, in schema order; names that are not patterns,
// and a pattern that is the exact name of a column, stay as they are. A
// column named twice is kept once, where it first appears. A pattern that
// matches nothing, or does not parse, is an error naming it.
//
// A glob's * and ? match any characters, "/" included (a column name is
// not a path: "speed*" matches "speed_km/h"); [abc], [a-z] and [^…] (or
// [!…]) are classes of one character, and \ makes the next character
// literal.
//
// A pattern never matches a name in exclude (a run's label and the
// columns it derives from it: a pattern like "*" would otherwise make the
// label a feature); those it would have matched are returned in left, so
// that the caller can say so. Naming such a column outright still works.
func ExpandColumns(s *table.Schema, names []string, exclude ...string) (cols, left []string, err error) {
	seen := map[string]bool{}
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			cols = append(cols, n)
		}
	}
	for _, n := range names {
		if !IsColumnPattern(n) || s.Index(n) >= 0 {
			add(n)
			continue
		}
		re, err := patternRegexp(n)
		if err != nil {
			return nil, nil, err
		}
		k := len(cols)
		for _, f := range s.Fields {
			if !re.MatchString(f.Name) {
				continue
			}
			if slices.Contains(exclude, f.Name) {
				if !slices.Contains(left, f.Name) {
					left = append(left, f.Name)
				}
				continue
			}
			add(f.Name)
		}
		if len(cols) == k {
			if len(left) > 0 {
				return nil, nil, fmt.Errorf("column pattern %q matches only %s, which a pattern never selects (the label and the columns derived from it); name a column outright to use it", n, strings.Join(left, ", "))
			}
			return nil, nil, fmt.Errorf("column pattern %q matches no column (have %s)", n, shortList(s.Names()))
		}
	}
	return cols, left, nil
}

// patternRegexp compiles a column pattern: a /regular expression/, or a
// glob translated to one (no path separator is special).
func patternRegexp(n string) (*regexp.Regexp, error) {
	if len(n) >= 2 && n[0] == '/' && n[len(n)-1] == '/' {
		re, err := regexp.Compile("^(?:" + n[1:len(n)-1] + ")$")
		if err != nil {
			return nil, fmt.Errorf("column pattern %s: %v", n, err)
		}
		return re, nil
	}
	var b strings.Builder
	b.WriteString("^")
	rs := []rune(n)
	for i := 0; i < len(rs); i++ {
		switch c := rs[i]; c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '\\':
			if i+1 == len(rs) {
				return nil, fmt.Errorf("column pattern %q: a trailing \\ escapes nothing", n)
			}
			i++
			b.WriteString(regexp.QuoteMeta(string(rs[i])))
		case '[':
			j := i + 1
			if j < len(rs) && (rs[j] == '!' || rs[j] == '^') {
				j++
			}
			if j < len(rs) && rs[j] == ']' {
				j++ // a ] first is literal
			}
			for j < len(rs) && rs[j] != ']' {
				j++
			}
			if j == len(rs) {
				return nil, fmt.Errorf("column pattern %q: [ without ]", n)
			}
			class := rs[i+1 : j]
			b.WriteString("[")
			if len(class) > 0 && (class[0] == '!' || class[0] == '^') {
				b.WriteString("^")
				class = class[1:]
			}
			for _, r := range class {
				if r == '\\' || r == '[' || r == ']' {
					b.WriteString("\\")
				}
				b.WriteRune(r)
			}
			b.WriteString("]")
			i = j
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("column pattern %q: %v", n, err)
	}
	return re, nil
}

// shortList shows at most 10 names.
func shortList(names []string) string {
	if len(names) > 10 {
		return strings.Join(names[:10], ", ") + fmt.Sprintf(", … (%d in all)", len(names))
	}
	return strings.Join(names, ", ")
}

// ExpandInputCols returns stage with the patterns of its inputCols
// parameter expanded against s (ExpandColumns, which never lets a pattern
// select a name in exclude), as a copy; stage itself when it has no
// patterns. left lists the excluded columns a pattern would have matched.
func ExpandInputCols[S any](stage S, s *table.Schema, exclude ...string) (_ S, left []string, _ error) {
	cols, ok := Params(stage)["inputCols"].([]string)
	if !ok || !HasColumnPattern(cols) {
		return stage, nil, nil
	}
	exp, left, err := ExpandColumns(s, cols, exclude...)
	if err != nil {
		var zero S
		return zero, nil, fmt.Errorf("inputCols: %w", err)
	}
	st, err := WithParams(stage, ParamMap{"inputCols": toAny(exp)})
	return st, left, err
}

// HasColumnPattern reports whether any of names is a pattern.
func HasColumnPattern(names []string) bool {
	for _, n := range names {
		if IsColumnPattern(n) {
			return true
		}
	}
	return false
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
