package feature

import (
	"context"
	"embed"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

func init() {
	ml.Register(ml.Registration{Name: "Tokenizer", New: func() any { return new(Tokenizer) },
		Samples: []ml.Sample{
			{
				Columns: []ml.SampleColumn{{Name: "s", Type: table.String}},
				Params:  ml.ParamMap{"inputCol": "s", "outputCol": "out"},
			},
		}})
	ml.Register(ml.Registration{Name: "RegexTokenizer", New: func() any { return new(RegexTokenizer) },
		Samples: []ml.Sample{
			{
				Columns: []ml.SampleColumn{{Name: "s", Type: table.String}},
				Params:  ml.ParamMap{"inputCol": "s", "outputCol": "out"},
				Values:  map[string][]any{"pattern": {`\W`, `[a-z]+`, `\w+`, `,`}},
			},
		}})
	ml.Register(ml.Registration{Name: "StopWordsRemover", New: func() any { return new(StopWordsRemover) },
		Samples: []ml.Sample{
			{
				Columns: []ml.SampleColumn{{Name: "words", Type: table.StringList}},
				Params:  ml.ParamMap{"inputCol": "words", "outputCol": "out"},
				Values:  map[string][]any{"stopWords": {[]any{}, []any{"the", "A", "over"}}},
			},
		}})
	ml.Register(ml.Registration{Name: "NGram", New: func() any { return new(NGram) },
		Samples: []ml.Sample{
			{
				Columns: []ml.SampleColumn{{Name: "words", Type: table.StringList}},
				Params:  ml.ParamMap{"inputCol": "words", "outputCol": "out"},
			},
		}})
}

// Compile-time checks of the stage contract (see ml/stage.go).
var (
	_ ml.Transformer  = (*NGram)(nil)
	_ engine.Mapper   = (*NGram)(nil)
	_ ml.ColumnReader = (*NGram)(nil)
	_ ml.Transformer  = (*RegexTokenizer)(nil)
	_ engine.Mapper   = (*RegexTokenizer)(nil)
	_ ml.ColumnReader = (*RegexTokenizer)(nil)
	_ ml.ParamChecker = (*RegexTokenizer)(nil)
	_ ml.Transformer  = (*StopWordsRemover)(nil)
	_ engine.Mapper   = (*StopWordsRemover)(nil)
	_ ml.ColumnReader = (*StopWordsRemover)(nil)
	_ ml.Transformer  = (*Tokenizer)(nil)
	_ engine.Mapper   = (*Tokenizer)(nil)
	_ ml.ColumnReader = (*Tokenizer)(nil)
)

// mapStrings applies fn to every non-null value of string column in and
// returns the list<string> column of results (null stays null).
func mapStrings(in table.Column, fn func(string) []string) *table.StringListColumn {
	c := in.(*table.StringColumn)
	out := make([][]string, len(c.Values))
	for i, s := range c.Values {
		if c.Valid.Valid(i) {
			out[i] = fn(s)
		}
	}
	return table.NewStringListColumn(out, c.Valid)
}

// Tokenizer lowercases a string column and splits it on whitespace
// (Spark's Tokenizer: toLowerCase, then split on "\\s").
type Tokenizer struct {
	InputCol  string `param:"nonempty"`
	OutputCol string `param:"nonempty"`
}

// InputColumns implements ml.ColumnReader.
func (t *Tokenizer) InputColumns() []string { return []string{t.InputCol} }

// KernelName implements engine.Kernel.
func (*Tokenizer) KernelName() string { return "feature.Tokenizer" }

// OutputSchema implements engine.Mapper: the output is list<string>.
func (t *Tokenizer) OutputSchema(in *table.Schema) (*table.Schema, error) {
	if _, err := ml.InputColumn("Tokenizer", in, t.InputCol, table.String); err != nil {
		return nil, err
	}
	return ml.WithOutput("Tokenizer", in, t.OutputCol, table.StringList)
}

// MapPartition implements engine.Mapper.
func (t *Tokenizer) MapPartition(_ context.Context, _ engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	out, err := t.OutputSchema(b.Schema())
	if err != nil {
		return nil, err
	}
	col, _ := b.ColumnByName(t.InputCol)
	return ml.AppendColumn(out, b, mapStrings(col, func(s string) []string {
		// Java's split on \s keeps empty tokens between consecutive
		// spaces and drops trailing ones; so does this.
		return javaSplit(strings.ToLower(s), splitOnSpaceChar)
	}))
}

// RegexTokenizer extracts tokens with a regular expression, like Spark's:
// with Gaps (the default) the pattern matches the separators and the text
// between them are the tokens; otherwise the pattern matches the tokens.
// Tokens shorter than MinTokenLength are dropped; ToLowercase (default)
// lowercases the text first.
//
// Patterns are RE2 syntax (Go's regexp), which for the character classes
// tokenizers use (\s \w \W [..]) matches Java's except that \s does not
// include the vertical tab. The default "\s+" and the common "\W" and "\W+"
// run on a hand-written scanner with identical results (tested against
// regexp), because tokenizing is the hot path of every text pipeline.
type RegexTokenizer struct {
	InputCol  string `param:"nonempty"`
	OutputCol string `param:"nonempty"`
	// Pattern is the regular expression. If empty, it is `\s+`.
	Pattern string `param:"default=\\s+,nonempty"`
	// Gaps says Pattern matches separators. If nil, it is true.
	Gaps *bool `param:"default=true"`
	// MinTokenLength drops shorter tokens (length in UTF-16 code units, as
	// Java counts), ≥ 0. If nil, it is 1; 0 keeps empty tokens.
	MinTokenLength *int `param:"default=1,min=0"`
	// ToLowercase lowercases the input first. If nil, it is true.
	ToLowercase *bool `param:"default=true"`
}

// InputColumns implements ml.ColumnReader.
func (t *RegexTokenizer) InputColumns() []string { return []string{t.InputCol} }

// KernelName implements engine.Kernel.
func (*RegexTokenizer) KernelName() string { return "feature.RegexTokenizer" }

func (t *RegexTokenizer) pattern() string {
	if t.Pattern == "" {
		return `\s+`
	}
	return t.Pattern
}

func (t *RegexTokenizer) minLen() int {
	switch {
	case t.MinTokenLength == nil:
		return 1
	case *t.MinTokenLength < 0:
		return 0 // how models saved before MinTokenLength was a pointer said 0
	}
	return *t.MinTokenLength
}

// CheckParams implements ml.ParamChecker: the pattern must compile.
func (t *RegexTokenizer) CheckParams() error { return checkPattern(t.pattern()) }

func checkPattern(p string) error {
	if _, err := regexp.Compile(p); err != nil {
		return ml.ParamErrorf("pattern", "%q is not a valid regular expression: %v", p, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
	}
	return nil
}

// OutputSchema implements engine.Mapper: the output is list<string>.
func (t *RegexTokenizer) OutputSchema(in *table.Schema) (*table.Schema, error) {
	if _, err := regexp.Compile(t.pattern()); err != nil {
		return nil, fmt.Errorf("RegexTokenizer: pattern %q: %w", t.pattern(), err)
	}
	if _, err := ml.InputColumn("RegexTokenizer", in, t.InputCol, table.String); err != nil {
		return nil, err
	}
	return ml.WithOutput("RegexTokenizer", in, t.OutputCol, table.StringList)
}

// MapPartition implements engine.Mapper.
func (t *RegexTokenizer) MapPartition(_ context.Context, _ engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	out, err := t.OutputSchema(b.Schema())
	if err != nil {
		return nil, err
	}
	tok := t.tokenizer()
	col, _ := b.ColumnByName(t.InputCol)
	return ml.AppendColumn(out, b, mapStrings(col, tok))
}

// tokenizer returns the function that tokenizes one text.
func (t *RegexTokenizer) tokenizer() func(string) []string {
	lower := ml.BoolOr(t.ToLowercase, true)
	gaps := ml.BoolOr(t.Gaps, true)
	minLen := t.minLen()
	var split func(string) []string
	if gaps && minLen >= 1 {
		var sep *[256]bool
		var tab *lowerTables
		switch t.pattern() {
		case `\s+`, `\s`:
			sep, tab = &spaceSep, spaceLower
		case `\W+`, `\W`:
			sep, tab = &nonWordSep, nonWordLower
		}
		if sep != nil {
			split = func(s string) []string { return scanTokens(s, sep) }
			if lower && minLen == 1 {
				// Lowercasing and splitting at once, for ASCII text
				// (where lowercasing cannot move token boundaries).
				return func(s string) []string {
					if toks, ok := lowerTokensASCII(s, tab); ok {
						return toks
					}
					return scanTokens(strings.ToLower(s), sep)
				}
			}
		}
	}
	if split == nil {
		re := regexp.MustCompile(t.pattern()) // checked in OutputSchema
		if gaps {
			split = func(s string) []string { return javaRegexSplit(re, s) }
		} else {
			split = func(s string) []string {
				m := re.FindAllString(s, -1)
				if m == nil {
					m = []string{}
				}
				return m
			}
		}
	}
	return func(s string) []string {
		if lower {
			s = toLower(s)
		}
		toks := split(s)
		if minLen <= 0 {
			return toks
		}
		kept := toks[:0]
		for _, tk := range toks {
			if len(tk) >= minLen && (minLen == 1 || utf16Len(tk) >= minLen) {
				kept = append(kept, tk)
			}
		}
		return kept
	}
}

// isJavaSpace is Java regex \s without \x0B, i.e. RE2's \s.
func isJavaSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' }

// isNonWord is \W: anything but [A-Za-z0-9_] (ASCII, as in Java and RE2;
// every byte of a multi-byte UTF-8 character is a separator).
func isNonWord(c byte) bool {
	return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_')
}

// Separator tables for the scanners: a lookup per byte is what keeps
// tokenizing at memory speed.
var spaceSep, nonWordSep = func() (sp, nw [256]bool) {
	for c := 0; c < 256; c++ {
		sp[c] = isJavaSpace(byte(c))
		nw[c] = isNonWord(byte(c))
	}
	return
}()

// scanTokens returns the non-empty runs of bytes that are not separators.
// The tokens are substrings of s (no copies).
func scanTokens(s string, sep *[256]bool) []string {
	toks := make([]string, 0, len(s)/8+4)
	i := 0
	for i < len(s) {
		for i < len(s) && sep[s[i]] {
			i++
		}
		start := i
		for i < len(s) && !sep[s[i]] {
			i++
		}
		if i > start {
			toks = append(toks, s[start:i])
		}
	}
	return toks
}

// lowerTables maps a separator table to the byte tables of the
// branch-free lowercasing tokenizer: isTok[c] is 1 for token bytes, lower[c]
// is c lowercased.
type lowerTables struct {
	isTok [256]uint8
	lower [256]byte
}

var spaceLower, nonWordLower = makeLowerTables(&spaceSep), makeLowerTables(&nonWordSep)

func makeLowerTables(sep *[256]bool) *lowerTables {
	t := &lowerTables{}
	for c := 0; c < 256; c++ {
		if !sep[c] {
			t.isTok[c] = 1
		}
		t.lower[c] = byte(c)
		if 'A' <= c && c <= 'Z' {
			t.lower[c] = byte(c + 'a' - 'A')
		}
	}
	return t
}

// lowerTokensASCII splits ASCII text s into lowercased tokens. The first
// pass counts tokens and token bytes; the second copies the lowered token
// bytes back to back into one buffer and notes where each token starts,
// so the tokens are views of that buffer. Both loops are free of branches
// on the data (token boundaries are unpredictable, and mispredicted
// branches were the cost), which makes them run at a few bytes a cycle.
// It reports false for non-ASCII text.
func lowerTokensASCII(s string, tab *lowerTables) ([]string, bool) {
	var or byte
	var prev uint8
	n, size, upper := 0, 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		or |= c
		upper = upper || tab.lower[c] != c
		t := tab.isTok[c]
		n += int(t &^ prev)
		size += int(t)
		prev = t
	}
	if or >= utf8.RuneSelf {
		return nil, false
	}
	toks := make([]string, n)
	if n == 0 {
		return toks, true
	}
	if !upper {
		// Already lower case (e.g. after a lower() stage): the tokens are
		// substrings of s, with no copy of the text.
		k := 0
		for i := 0; i < len(s) && k < n; {
			for i < len(s) && tab.isTok[s[i]] == 0 {
				i++
			}
			start := i
			for i < len(s) && tab.isTok[s[i]] == 1 {
				i++
			}
			toks[k] = s[start:i]
			k++
		}
		return toks, true
	}
	buf := make([]byte, size+1)  // +1: the loop writes one byte past a trailing separator
	starts := make([]int32, n+1) // +1: likewise for the slot after the last start
	k, w := 0, 0
	prev = 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		t := tab.isTok[c]
		starts[k] = int32(w)
		k += int(t &^ prev)
		buf[w] = tab.lower[c]
		w += int(t)
		prev = t
	}
	starts[n] = int32(size)
	for j := range toks {
		toks[j] = unsafe.String(&buf[starts[j]], int(starts[j+1]-starts[j]))
	}
	return toks, true
}

// toLower is strings.ToLower with a faster path for ASCII text, which
// strings.ToLower lowercases one Builder.WriteByte at a time.
func toLower(s string) string {
	hasUpper := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return strings.ToLower(s)
		}
		hasUpper = hasUpper || ('A' <= c && c <= 'Z')
	}
	if !hasUpper {
		return s
	}
	b := make([]byte, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return unsafe.String(&b[0], len(b))
}

func splitOnSpaceChar(s string) [][2]int {
	var out [][2]int
	for i := 0; i < len(s); i++ {
		if isJavaSpace(s[i]) {
			out = append(out, [2]int{i, i + 1})
		}
	}
	return out
}

// javaSplit splits s at the separator spans sep returns, with Java's
// String.split semantics (limit 0): trailing empty strings are removed, an
// empty input gives [""].
func javaSplit(s string, sep func(string) [][2]int) []string {
	if s == "" {
		return []string{""}
	}
	var out []string
	prev := 0
	for _, m := range sep(s) {
		if m[1] == 0 { // a zero-width match at the start adds no leading ""
			continue
		}
		out = append(out, s[prev:m[0]])
		prev = m[1]
	}
	out = append(out, s[prev:])
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	if out == nil {
		out = []string{}
	}
	return out
}

func javaRegexSplit(re *regexp.Regexp, s string) []string {
	return javaSplit(s, func(s string) [][2]int {
		idx := re.FindAllStringIndex(s, -1)
		out := make([][2]int, len(idx))
		for i, m := range idx {
			out[i] = [2]int{m[0], m[1]}
		}
		return out
	})
}

// utf16Len is the length of s in UTF-16 code units (Java's String.length).
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r > 0xFFFF {
			n++
		}
	}
	return n
}

//go:embed stopwords/*.txt
var stopwordFiles embed.FS

// StopWordLanguages lists the languages DefaultStopWords knows.
var StopWordLanguages = []string{"danish", "dutch", "english", "finnish", "french", "german", "hungarian",
	"italian", "nepali", "norwegian", "portuguese", "russian", "spanish", "swedish", "turkish"}

// DefaultStopWords returns the stop word list of a language (Spark's
// StopWordsRemover.loadDefaultStopWords). The lists are Snowball's; see
// stopwords/README.md.
func DefaultStopWords(language string) ([]string, error) {
	data, err := stopwordFiles.ReadFile("stopwords/" + strings.ToLower(language) + ".txt")
	if err != nil {
		return nil, fmt.Errorf("no stop words for language %q (have: %s)", language, strings.Join(StopWordLanguages, ", "))
	}
	var words []string
	for _, w := range strings.Split(string(data), "\n") {
		if w = strings.TrimSpace(w); w != "" {
			words = append(words, w)
		}
	}
	return words, nil
}

// StopWordsRemover drops stop words from a list<string> column.
// Comparison ignores case unless CaseSensitive; null entries are kept.
type StopWordsRemover struct {
	InputCol  string `param:"nonempty"`
	OutputCol string `param:"nonempty"`
	// StopWords is the list to remove. If nil, it is the default list of
	// Language.
	StopWords []string `param:""`
	// Language picks the default list (see stopwords.Languages). If
	// empty, it is "english".
	Language string `param:"default=english,oneOf=danish|dutch|english|finnish|french|german|hungarian|italian|nepali|norwegian|portuguese|russian|spanish|swedish|turkish"`
	// CaseSensitive compares words exactly. Default false.
	CaseSensitive bool `param:"default=false"`
}

// InputColumns implements ml.ColumnReader.
func (s *StopWordsRemover) InputColumns() []string { return []string{s.InputCol} }

// KernelName implements engine.Kernel.
func (*StopWordsRemover) KernelName() string { return "feature.StopWordsRemover" }

func (s *StopWordsRemover) words() ([]string, error) {
	if s.StopWords != nil {
		return s.StopWords, nil
	}
	lang := s.Language
	if lang == "" {
		lang = "english"
	}
	return DefaultStopWords(lang)
}

// OutputSchema implements engine.Mapper.
func (s *StopWordsRemover) OutputSchema(in *table.Schema) (*table.Schema, error) {
	if _, err := s.words(); err != nil {
		return nil, fmt.Errorf("StopWordsRemover: %w", err)
	}
	if _, err := ml.InputColumn("StopWordsRemover", in, s.InputCol, table.StringList); err != nil {
		return nil, err
	}
	return ml.WithOutput("StopWordsRemover", in, s.OutputCol, table.StringList)
}

// MapPartition implements engine.Mapper.
func (s *StopWordsRemover) MapPartition(_ context.Context, _ engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	out, err := s.OutputSchema(b.Schema())
	if err != nil {
		return nil, err
	}
	words, _ := s.words()
	set := newWordSet(words, !s.CaseSensitive)
	c, err := table.ColumnAs[*table.StringListColumn](b, s.InputCol)
	if err != nil {
		return nil, err
	}
	res := make([][]string, len(c.Values))
	for i, toks := range c.Values {
		if !c.Valid.Valid(i) {
			continue
		}
		kept := make([]string, 0, len(toks))
		for _, t := range toks {
			if !set.has(t) {
				kept = append(kept, t)
			}
		}
		res[i] = kept
	}
	return ml.AppendColumn(out, b, table.NewStringListColumn(res, c.Valid))
}

// wordSet is a set of words with a cheap pre-filter: most tokens are not
// stop words, and a table of (first byte, length) pairs rejects them
// without hashing.
type wordSet struct {
	fold  bool
	words map[string]bool
	seen  [256]uint64 // bit l: an ASCII word of length l < 64 starts with that byte
}

func newWordSet(words []string, fold bool) *wordSet {
	ws := &wordSet{fold: fold, words: make(map[string]bool, len(words))}
	for _, w := range words {
		if fold {
			w = lowerFold(w)
		}
		ws.words[w] = true
		if len(w) > 0 && len(w) < 64 && isASCII(w) {
			ws.seen[w[0]] |= 1 << uint(len(w))
		}
	}
	return ws
}

// has reports whether t is in the set (after case folding, if folding).
// An ASCII token folds to an ASCII word of the same length, and keeps its
// first byte unless that is an upper-case letter, so the table answers
// "no" for most tokens exactly.
func (ws *wordSet) has(t string) bool {
	if l := len(t); l > 0 && l < 64 && !(ws.fold && 'A' <= t[0] && t[0] <= 'Z') && isASCII(t) {
		if ws.seen[t[0]]&(1<<uint(l)) == 0 {
			return false
		}
	}
	k := t
	if ws.fold {
		k = lowerFold(t)
	}
	return ws.words[k]
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// lowerFold lowercases s, without allocating when it is already lower
// case ASCII (the common case after a lowercasing tokenizer).
func lowerFold(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || unicode.IsUpper(rune(c)) {
			return strings.ToLower(s)
		}
	}
	return s
}

// NGram turns a list of tokens into the list of its n-grams, each the n
// tokens joined by a space (Spark's NGram). Fewer than N tokens give an
// empty list.
type NGram struct {
	InputCol  string `param:"nonempty"`
	OutputCol string `param:"nonempty"`
	// N is the gram length, ≥ 1. If 0, it is 2.
	N int `param:"default=2,min=1"`
}

// InputColumns implements ml.ColumnReader.
func (g *NGram) InputColumns() []string { return []string{g.InputCol} }

// KernelName implements engine.Kernel.
func (*NGram) KernelName() string { return "feature.NGram" }

func (g *NGram) n() int {
	if g.N == 0 {
		return 2
	}
	return g.N
}

// OutputSchema implements engine.Mapper.
func (g *NGram) OutputSchema(in *table.Schema) (*table.Schema, error) {
	if g.n() < 1 {
		return nil, fmt.Errorf("NGram: n must be ≥ 1, got %d", g.N)
	}
	if _, err := ml.InputColumn("NGram", in, g.InputCol, table.StringList); err != nil {
		return nil, err
	}
	return ml.WithOutput("NGram", in, g.OutputCol, table.StringList)
}

// MapPartition implements engine.Mapper.
func (g *NGram) MapPartition(_ context.Context, _ engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	out, err := g.OutputSchema(b.Schema())
	if err != nil {
		return nil, err
	}
	n := g.n()
	c, err := table.ColumnAs[*table.StringListColumn](b, g.InputCol)
	if err != nil {
		return nil, err
	}
	res := make([][]string, len(c.Values))
	for i, toks := range c.Values {
		if !c.Valid.Valid(i) {
			continue
		}
		grams := make([]string, 0, max(len(toks)-n+1, 0))
		for k := 0; k+n <= len(toks); k++ {
			grams = append(grams, strings.Join(toks[k:k+n], " "))
		}
		res[i] = grams
	}
	return ml.AppendColumn(out, b, table.NewStringListColumn(res, c.Valid))
}
