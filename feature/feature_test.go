package feature

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/internal/approx"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

// build makes a table from columns, cut into partitions of per rows.
func build(t testing.TB, per int, fields []table.Field, cols ...table.Column) *table.Table {
	t.Helper()
	schema, err := table.NewSchema(fields...)
	if err != nil {
		t.Fatal(err)
	}
	b, err := table.NewBatch(schema, cols)
	if err != nil {
		t.Fatal(err)
	}
	tb, _ := table.New(schema, b)
	if per > 0 {
		tb, _ = tb.Repartition(per)
	}
	return tb
}

func strCol(vals ...string) *table.StringColumn { return table.NewStringColumn(vals, nil) }

func vecTable(t testing.TB, per int, rows [][]float64, sparse bool) *table.Table {
	vecs := make([]linalg.Vector, len(rows))
	for i, r := range rows {
		vecs[i] = linalg.Dense(r)
		if sparse {
			var idx []int32
			var vals []float64
			for j, x := range r {
				if x != 0 {
					idx, vals = append(idx, int32(j)), append(vals, x)
				}
			}
			vecs[i] = tabletest.MustSparse(len(r), idx, vals)
		}
	}
	return build(t, per, []table.Field{{Name: "v", Type: table.Vector}}, table.NewVectorColumn(vecs, nil))
}

// run applies a transformer or fits and applies an estimator on the local
// engine and returns the rows.
func run(t testing.TB, tb *table.Table, stage any) (*table.Table, error) {
	t.Helper()
	ctx := context.Background()
	e := &local.Engine{}
	ds := tabletest.Dataset(t, e, tb)
	var tr ml.Transformer
	switch s := stage.(type) {
	case ml.Estimator:
		m, err := s.Fit(ctx, e, ds)
		if err != nil {
			return nil, err
		}
		tr = m
		checkKernelRoundTrip(t, m)
	case ml.Transformer:
		tr = s
	}
	if k, ok := tr.(engine.Kernel); ok {
		checkKernelRoundTrip(t, k)
	}
	out, err := ml.Transform(ctx, e, ds, tr)
	if err != nil {
		return nil, err
	}
	return e.Collect(ctx, out)
}

// checkKernelRoundTrip: every stage must survive encoding for a worker.
func checkKernelRoundTrip(t testing.TB, k any) {
	t.Helper()
	kern, ok := k.(engine.Kernel)
	if !ok {
		t.Fatalf("%T is not a kernel", k)
	}
	data, err := engine.Encode(kern)
	if err != nil {
		t.Fatal(err)
	}
	back, err := engine.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if reflect.TypeOf(back) != reflect.TypeOf(kern) {
		t.Fatalf("decoded %T, want %T", back, kern)
	}
}

func column(t testing.TB, tb *table.Table, name string) []any {
	t.Helper()
	j := tb.Schema().Index(name)
	if j < 0 {
		t.Fatalf("no column %q in %v", name, tb.Schema())
	}
	var out []any
	for _, r := range tb.Rows() {
		out = append(out, r[j])
	}
	return out
}

func golden(t testing.TB, name string, v any) {
	t.Helper()
	data, err := os.ReadFile("testdata/golden/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
}

func TestHashingTFGolden(t *testing.T) {
	var cases []struct {
		Term   string `json:"term"`
		Signed int32  `json:"murmur3_signed"`
		I18    int    `json:"index_262144"`
		I250   int    `json:"index_250"`
		I1000  int    `json:"index_1000"`
	}
	golden(t, "hashing.json", &cases)
	if len(cases) < 30 {
		t.Fatalf("only %d golden terms", len(cases))
	}
	for _, c := range cases {
		if got := int32(Murmur3([]byte(c.Term), HashingSeed)); got != c.Signed {
			t.Errorf("murmur3(%q) = %d, want %d", c.Term, got, c.Signed)
		}
		for n, want := range map[int]int{1 << 18: c.I18, 250: c.I250, 1000: c.I1000} {
			if got := TermIndex(c.Term, n); got != want {
				t.Errorf("TermIndex(%q, %d) = %d, want %d", c.Term, n, got, want)
			}
		}
	}
	// The stage counts terms into those indices.
	tb := build(t, 0, []table.Field{{Name: "w", Type: table.StringList}},
		table.NewStringListColumn([][]string{{"spark", "spindle", "spark"}, {}}, nil))
	out, err := run(t, tb, &HashingTF{InputCol: "w", OutputCol: "tf", NumFeatures: 1000})
	if err != nil {
		t.Fatal(err)
	}
	v := column(t, out, "tf")[0].(linalg.Vector)
	if v.Size != 1000 || v.At(TermIndex("spark", 1000)) != 2 || v.At(TermIndex("spindle", 1000)) != 1 || len(v.Indices) != 2 {
		t.Fatalf("tf = %v", v)
	}
	out, _ = run(t, tb, &HashingTF{InputCol: "w", OutputCol: "tf", Binary: true})
	if v := column(t, out, "tf")[0].(linalg.Vector); v.Size != 1<<18 || v.At(TermIndex("spark", 1<<18)) != 1 {
		t.Fatalf("binary tf = %v", v)
	}
}

type stageGolden struct {
	X, TF                   [][]float64
	IDF                     []float64   `json:"idf"`
	TFIDF                   [][]float64 `json:"tfidf"`
	IDFMin2                 []float64   `json:"idf_min_doc_freq_2"`
	Std                     []float64   `json:"std"`
	StandardWithStd         [][]float64 `json:"standard_with_std"`
	StandardWithMeanWithStd [][]float64 `json:"standard_with_mean_with_std"`
	MinMax01                [][]float64 `json:"minmax_0_1"`
	MinMaxM11               [][]float64 `json:"minmax_-1_1"`
	MaxAbs                  [][]float64 `json:"maxabs"`
	NormalizeL2             [][]float64 `json:"normalize_l2"`
	NormalizeL1             [][]float64 `json:"normalize_l1"`
	NormalizeMax            [][]float64 `json:"normalize_max"`
}

// vectorsClose compares a vector column with expected dense rows.
func vectorsClose(t *testing.T, what string, got []any, want [][]float64) {
	t.Helper()
	approx.Cases(t, what, len(want))
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, want %d", what, len(got), len(want))
	}
	for i, g := range got {
		v := g.(linalg.Vector).ToDense()
		if r, j := approx.MaxRel(v.Values, want[i]); r > 1e-12 {
			if j < 0 {
				t.Fatalf("%s: row %d has %d features, want %d", what, i, len(v.Values), len(want[i]))
			}
			t.Fatalf("%s: row %d feature %d = %.17g, want %.17g", what, i, j, v.Values[j], want[i][j])
		}
	}
}

func TestIDFGolden(t *testing.T) {
	var g stageGolden
	golden(t, "stages.json", &g)
	for _, sparse := range []bool{false, true} {
		tb := vecTable(t, 3, g.TF, sparse) // 2 partitions
		out, err := run(t, tb, &IDF{InputCol: "v", OutputCol: "o"})
		if err != nil {
			t.Fatal(err)
		}
		vectorsClose(t, "tfidf", column(t, out, "o"), g.TFIDF)
		if v := column(t, out, "o")[0].(linalg.Vector); v.IsSparse() != sparse {
			t.Errorf("sparse=%v input gave sparse=%v output", sparse, v.IsSparse())
		}
		m, err := (&IDF{InputCol: "v", OutputCol: "o", MinDocFreq: 2}).Fit(context.Background(), &local.Engine{}, mustDS(t, tb))
		if err != nil {
			t.Fatal(err)
		}
		if got := m.(*IDFModel).IDF; !floatsClose(got, g.IDFMin2) {
			t.Errorf("idf with minDocFreq 2 = %v, want %v", got, g.IDFMin2)
		}
	}
}

func mustDS(t testing.TB, tb *table.Table) engine.Dataset {
	ds, err := (&local.Engine{}).FromTable(context.Background(), tb)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func floatsClose(a, b []float64) bool {
	r, _ := approx.MaxRel(a, b)
	return len(b) > 0 && r <= 1e-12
}

func TestScalersGolden(t *testing.T) {
	var g stageGolden
	golden(t, "stages.json", &g)
	tests := []struct {
		name  string
		stage any
		want  [][]float64
	}{
		{"StandardScaler", &StandardScaler{InputCol: "v", OutputCol: "o"}, g.StandardWithStd},
		{"StandardScaler withMean", &StandardScaler{InputCol: "v", OutputCol: "o", WithMean: true}, g.StandardWithMeanWithStd},
		{"MinMaxScaler", &MinMaxScaler{InputCol: "v", OutputCol: "o"}, g.MinMax01},
		{"MinMaxScaler [-1,1]", &MinMaxScaler{InputCol: "v", OutputCol: "o", Min: -1, Max: ml.Float(1)}, g.MinMaxM11},
		{"MaxAbsScaler", &MaxAbsScaler{InputCol: "v", OutputCol: "o"}, g.MaxAbs},
		{"Normalizer", &Normalizer{InputCol: "v", OutputCol: "o"}, g.NormalizeL2},
		{"Normalizer p=1", &Normalizer{InputCol: "v", OutputCol: "o", P: 1}, g.NormalizeL1},
		{"Normalizer p=inf", &Normalizer{InputCol: "v", OutputCol: "o", P: math.Inf(1)}, g.NormalizeMax},
	}
	for _, tt := range tests {
		for _, sparse := range []bool{false, true} {
			for _, per := range []int{1, 4, 6} {
				out, err := run(t, vecTable(t, per, g.X, sparse), tt.stage)
				if err != nil {
					t.Fatalf("%s: %v", tt.name, err)
				}
				vectorsClose(t, tt.name, column(t, out, "o"), tt.want)
			}
		}
	}
	// Sparse input stays sparse where Spark keeps it sparse.
	out, _ := run(t, vecTable(t, 0, g.X, true), &StandardScaler{InputCol: "v", OutputCol: "o"})
	if !column(t, out, "o")[1].(linalg.Vector).IsSparse() {
		t.Error("StandardScaler without mean made sparse input dense")
	}
	m, _ := (&StandardScaler{InputCol: "v", OutputCol: "o"}).Fit(context.Background(), &local.Engine{}, mustDS(t, vecTable(t, 2, g.X, true)))
	if !floatsClose(m.(*StandardScalerModel).Std, g.Std) {
		t.Errorf("std = %v, want %v", m.(*StandardScalerModel).Std, g.Std)
	}
}

func TestRegexTokenizer(t *testing.T) {
	texts := []string{"Hello, World! It's  a TEST", "", "  leading and trailing  ", "naïve café—ok", "tab\there\nnew", "one"}
	tb := build(t, 2, []table.Field{{Name: "t", Type: table.String}}, strCol(texts...))
	tests := []struct {
		stage *RegexTokenizer
		want  [][]string
	}{
		{&RegexTokenizer{InputCol: "t", OutputCol: "o"},
			[][]string{{"hello,", "world!", "it's", "a", "test"}, {}, {"leading", "and", "trailing"}, {"naïve", "café—ok"}, {"tab", "here", "new"}, {"one"}}},
		{&RegexTokenizer{InputCol: "t", OutputCol: "o", Pattern: `\W`},
			[][]string{{"hello", "world", "it", "s", "a", "test"}, {}, {"leading", "and", "trailing"}, {"na", "ve", "caf", "ok"}, {"tab", "here", "new"}, {"one"}}},
		{&RegexTokenizer{InputCol: "t", OutputCol: "o", Pattern: `\w+`, Gaps: ml.Bool(false), ToLowercase: ml.Bool(false)},
			[][]string{{"Hello", "World", "It", "s", "a", "TEST"}, {}, {"leading", "and", "trailing"}, {"na", "ve", "caf", "ok"}, {"tab", "here", "new"}, {"one"}}},
		{&RegexTokenizer{InputCol: "t", OutputCol: "o", Pattern: `\W`, MinTokenLength: ml.Int(3)},
			[][]string{{"hello", "world", "test"}, {}, {"leading", "and", "trailing"}, {"caf"}, {"tab", "here", "new"}, {"one"}}},
		// minTokenLength 0 (written, not the default 1) keeps the empty
		// tokens between adjacent separators, as Spark does.
		{&RegexTokenizer{InputCol: "t", OutputCol: "o", Pattern: `\W`, MinTokenLength: ml.Int(0)},
			[][]string{{"hello", "", "world", "", "it", "s", "", "a", "test"}, {""}, {"", "", "leading", "and", "trailing"}, {"na", "ve", "caf", "", "ok"}, {"tab", "here", "new"}, {"one"}}},
	}
	for i, tt := range tests {
		out, err := run(t, tb, tt.stage)
		if err != nil {
			t.Fatal(err)
		}
		for r, got := range column(t, out, "o") {
			if !reflect.DeepEqual(got, tt.want[r]) {
				t.Errorf("case %d row %d: %q, want %q", i, r, got, tt.want[r])
			}
		}
	}
}

// TestTokenizerFastPathMatchesRegexp: the hand-written scanners give the
// same tokens as the regexp on random text.
func TestTokenizerFastPathMatchesRegexp(t *testing.T) {
	alphabet := []string{"a", "B", "z", "Q", "0", "_", " ", "K", "  ", "\t", "\n", ",", "!", "é", "☃", "\r", "'", "\v"}
	seed := uint64(1)
	next := func() uint64 { seed = seed*6364136223846793005 + 1442695040888963407; return seed >> 33 }
	for _, pat := range []string{`\s+`, `\W`, `\W+`, `\s`} {
		fast := (&RegexTokenizer{Pattern: pat, ToLowercase: ml.Bool(false)}).tokenizer()
		slow := (&RegexTokenizer{Pattern: pat + "()", ToLowercase: ml.Bool(false)}).tokenizer() // defeats the fast path
		fastLower := (&RegexTokenizer{Pattern: pat}).tokenizer()
		slowLower := (&RegexTokenizer{Pattern: pat + "()"}).tokenizer()
		for i := 0; i < 20000; i++ {
			var b strings.Builder
			for n := int(next() % 12); n > 0; n-- {
				b.WriteString(alphabet[next()%uint64(len(alphabet))])
			}
			s := b.String()
			if f, r := fast(s), slow(s); !reflect.DeepEqual(f, r) {
				t.Fatalf("pattern %s on %q: fast %q, regexp %q", pat, s, f, r)
			}
			if f, r := fastLower(s), slowLower(s); !reflect.DeepEqual(f, r) {
				t.Fatalf("pattern %s lowercased on %q: fast %q, regexp %q", pat, s, f, r)
			}
		}
	}
}

func TestTokenizerJavaSplit(t *testing.T) {
	tb := build(t, 0, []table.Field{{Name: "t", Type: table.String}}, strCol("A  b ", "", " x"))
	out, err := run(t, tb, &Tokenizer{InputCol: "t", OutputCol: "o"})
	if err != nil {
		t.Fatal(err)
	}
	want := []any{[]string{"a", "", "b"}, []string{""}, []string{"", "x"}}
	if got := column(t, out, "o"); !reflect.DeepEqual(got, want) {
		t.Fatalf("tokens = %q, want %q", got, want)
	}
}

func TestStopWordsRemover(t *testing.T) {
	en, err := DefaultStopWords("english")
	if err != nil {
		t.Fatal(err)
	}
	if len(en) != 153 {
		t.Errorf("english has %d words, Spark's list has 153", len(en))
	}
	for _, l := range StopWordLanguages {
		if w, err := DefaultStopWords(l); err != nil || len(w) < 50 {
			t.Errorf("%s: %d words, %v", l, len(w), err)
		}
	}
	tokens := [][]string{{"I", "saw", "The", "red", "BALLOON"}, {"Mary", "had", "A", "little", "lamb", "don", "t"}, {}}
	tb := build(t, 0, []table.Field{{Name: "w", Type: table.StringList}}, table.NewStringListColumn(tokens, nil))
	out, err := run(t, tb, &StopWordsRemover{InputCol: "w", OutputCol: "o"})
	if err != nil {
		t.Fatal(err)
	}
	want := []any{[]string{"saw", "red", "BALLOON"}, []string{"Mary", "little", "lamb"}, []string{}}
	if got := column(t, out, "o"); !reflect.DeepEqual(got, want) {
		t.Fatalf("case-insensitive: %q, want %q", got, want)
	}
	out, _ = run(t, tb, &StopWordsRemover{InputCol: "w", OutputCol: "o", CaseSensitive: true})
	want = []any{[]string{"I", "saw", "The", "red", "BALLOON"}, []string{"Mary", "A", "little", "lamb"}, []string{}}
	if got := column(t, out, "o"); !reflect.DeepEqual(got, want) {
		t.Fatalf("case-sensitive: %q, want %q", got, want)
	}
	out, _ = run(t, tb, &StopWordsRemover{InputCol: "w", OutputCol: "o", StopWords: []string{"red", "LAMB"}})
	if got := column(t, out, "o")[1]; !reflect.DeepEqual(got, []string{"Mary", "had", "A", "little", "don", "t"}) {
		t.Fatalf("custom list: %q", got)
	}
	out, _ = run(t, tb, &StopWordsRemover{InputCol: "w", OutputCol: "o", Language: "french"})
	if got := column(t, out, "o")[0]; !reflect.DeepEqual(got, tokens[0]) {
		t.Fatalf("french removed english words: %q", got)
	}
}

func TestNGram(t *testing.T) {
	tb := build(t, 0, []table.Field{{Name: "w", Type: table.StringList}}, table.NewStringListColumn([][]string{{"a", "b", "c"}, {"x"}}, nil))
	out, err := run(t, tb, &NGram{InputCol: "w", OutputCol: "o"})
	if err != nil {
		t.Fatal(err)
	}
	if got := column(t, out, "o"); !reflect.DeepEqual(got, []any{[]string{"a b", "b c"}, []string{}}) {
		t.Fatalf("bigrams = %q", got)
	}
	out, _ = run(t, tb, &NGram{InputCol: "w", OutputCol: "o", N: 3})
	if got := column(t, out, "o")[0]; !reflect.DeepEqual(got, []string{"a b c"}) {
		t.Fatalf("trigrams = %q", got)
	}
}
