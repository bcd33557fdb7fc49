package ml

import (
	"fmt"
	"path"
	"regexp"
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
func ExpandColumns(s *table.Schema, names []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, n := range names {
		if !IsColumnPattern(n) || s.Index(n) >= 0 {
			add(n)
			continue
		}
		var match func(string) bool
		if n[0] == '/' && n[len(n)-1] == '/' && len(n) >= 2 {
			re, err := regexp.Compile("^(?:" + n[1:len(n)-1] + ")$")
			if err != nil {
				return nil, fmt.Errorf("column pattern %s: %v", n, err)
			}
			match = re.MatchString
		} else {
			if _, err := path.Match(n, ""); err != nil {
				return nil, fmt.Errorf("column pattern %q: %v", n, err)
			}
			match = func(c string) bool { ok, _ := path.Match(n, c); return ok }
		}
		k := len(out)
		for _, f := range s.Fields {
			if match(f.Name) {
				add(f.Name)
			}
		}
		if len(out) == k {
			return nil, fmt.Errorf("column pattern %q matches no column (have %s)", n, shortList(s.Names()))
		}
	}
	return out, nil
}

// shortList shows at most 10 names.
func shortList(names []string) string {
	if len(names) > 10 {
		return strings.Join(names[:10], ", ") + fmt.Sprintf(", … (%d in all)", len(names))
	}
	return strings.Join(names, ", ")
}

// ExpandInputCols returns stage with the patterns of its inputCols
// parameter expanded against s (ExpandColumns), as a copy; stage itself
// when it has no patterns.
func ExpandInputCols[S any](stage S, s *table.Schema) (S, error) {
	cols, ok := Params(stage)["inputCols"].([]string)
	if !ok || !HasColumnPattern(cols) {
		return stage, nil
	}
	exp, err := ExpandColumns(s, cols)
	if err != nil {
		var zero S
		return zero, fmt.Errorf("inputCols: %w", err)
	}
	return WithParams(stage, ParamMap{"inputCols": toAny(exp)})
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
