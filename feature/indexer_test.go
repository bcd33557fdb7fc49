package feature

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

func TestStringIndexerOrder(t *testing.T) {
	// b and c tie at 2, a has 3, d has 1.
	tb := build(t, 3, []table.Field{{Name: "s", Type: table.String}}, strCol("c", "a", "b", "a", "c", "b", "a", "d"))
	tests := []struct {
		order string
		want  []string
	}{
		{"", []string{"a", "b", "c", "d"}},
		{FrequencyDesc, []string{"a", "b", "c", "d"}},
		{FrequencyAsc, []string{"d", "b", "c", "a"}},
		{AlphabetAsc, []string{"a", "b", "c", "d"}},
		{AlphabetDesc, []string{"d", "c", "b", "a"}},
	}
	for _, tt := range tests {
		m, err := (&StringIndexer{InputCol: "s", OutputCol: "i", StringOrderType: tt.order}).Fit(context.Background(), &local.Engine{}, mustDS(t, tb))
		if err != nil {
			t.Fatal(err)
		}
		if got := m.(*StringIndexerModel).Labels[0]; !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: labels %v, want %v", tt.order, got, tt.want)
		}
	}
	out, err := run(t, tb, &StringIndexer{InputCol: "s", OutputCol: "i"})
	if err != nil {
		t.Fatal(err)
	}
	if got := column(t, out, "i"); !reflect.DeepEqual(got, []any{2.0, 0.0, 1.0, 0.0, 2.0, 1.0, 0.0, 3.0}) {
		t.Fatalf("indices = %v", got)
	}
}

func TestStringIndexerHandleInvalid(t *testing.T) {
	ctx := context.Background()
	e := &local.Engine{}
	train := build(t, 0, []table.Field{{Name: "s", Type: table.String}, {Name: "n", Type: table.Int64}},
		strCol("x", "y", "x"), table.NewInt64Column([]int64{7, 7, 8}, nil))
	m, err := (&StringIndexer{InputCols: []string{"s", "n"}, OutputCols: []string{"si", "ni"}}).Fit(ctx, e, mustDS(t, train))
	if err != nil {
		t.Fatal(err)
	}
	sm := m.(*StringIndexerModel)
	if !reflect.DeepEqual(sm.Labels, [][]string{{"x", "y"}, {"7", "8"}}) {
		t.Fatalf("labels = %v", sm.Labels)
	}
	sc := strCol("x", "zzz", "y", "")
	sc.SetNull(3)
	test := build(t, 0, []table.Field{{Name: "s", Type: table.String}, {Name: "n", Type: table.Int64}}, sc, table.NewInt64Column([]int64{8, 7, 9, 7}, nil))
	apply := func(h string) (*table.Table, error) {
		mm := &StringIndexerModel{InputCols: sm.InputCols, OutputCols: sm.OutputCols, Labels: sm.Labels, HandleInvalid: h}
		ds, _ := ml.Transform(ctx, e, mustDS(t, test), mm)
		return e.Collect(ctx, ds)
	}
	if _, err := apply(HandleError); err == nil || !strings.Contains(err.Error(), `StringIndexer: column "s", row 2: unseen label "zzz" (set handleInvalid to skip or keep)`) {
		t.Fatalf("error mode: %v", err)
	}
	out, err := apply(HandleSkip)
	if err != nil || out.Count() != 1 || !reflect.DeepEqual(out.Rows()[0][2:], []any{0.0, 1.0}) {
		t.Fatalf("skip: %v %v", out.Rows(), err)
	}
	out, err = apply(HandleKeep)
	if err != nil {
		t.Fatal(err)
	}
	if got := column(t, out, "si"); !reflect.DeepEqual(got, []any{0.0, 2.0, 1.0, 2.0}) {
		t.Fatalf("keep si = %v", got)
	}
	if got := column(t, out, "ni"); !reflect.DeepEqual(got, []any{1.0, 0.0, 2.0, 0.0}) {
		t.Fatalf("keep ni = %v", got)
	}
	// Back to strings.
	back, err := run(t, out, &IndexToString{InputCol: "ni", OutputCol: "n2", Labels: []string{"7", "8", "other"}})
	if err != nil || !reflect.DeepEqual(column(t, back, "n2"), []any{"8", "7", "other", "7"}) {
		t.Fatalf("IndexToString: %v %v", back, err)
	}
	if _, err := run(t, out, &IndexToString{InputCol: "ni", OutputCol: "n2", Labels: []string{"7"}}); err == nil || !strings.Contains(err.Error(), "index 1 is not one of 0…0") {
		t.Fatalf("IndexToString bad index: %v", err)
	}
}

func TestVectorAssembler(t *testing.T) {
	f := table.NewFloat64Column([]float64{1.5, 0, math.NaN(), 2}, nil)
	i := table.NewInt64Column([]int64{0, 3, 1, 0}, nil)
	i.SetNull(3)
	b := table.NewBoolColumn([]bool{true, false, false, true}, nil)
	v := table.NewVectorColumn([]linalg.Vector{
		linalg.Dense([]float64{0, 9}), mustSparseV(2, []int32{1}, []float64{4}), linalg.Dense([]float64{1, 1}), linalg.Dense([]float64{0, 0}),
	}, nil)
	tb := build(t, 0, []table.Field{{Name: "f", Type: table.Float64}, {Name: "i", Type: table.Int64}, {Name: "b", Type: table.Bool}, {Name: "v", Type: table.Vector}}, f, i, b, v)
	_, err := run(t, tb, &VectorAssembler{InputCols: []string{"f", "i", "b", "v"}, OutputCol: "o"})
	if err == nil || !strings.Contains(err.Error(), `VectorAssembler: column "f", row 3: NaN value`) {
		t.Fatalf("error mode: %v", err)
	}
	out, err := run(t, tb, &VectorAssembler{InputCols: []string{"f", "i", "b", "v"}, OutputCol: "o", HandleInvalid: HandleSkip})
	if err != nil {
		t.Fatal(err)
	}
	got := column(t, out, "o")
	if len(got) != 2 || !reflect.DeepEqual(got[0].(linalg.Vector).ToDense().Values, []float64{1.5, 0, 1, 0, 9}) || !reflect.DeepEqual(got[1].(linalg.Vector).ToDense().Values, []float64{0, 3, 0, 0, 4}) {
		t.Fatalf("skip: %v", got)
	}
	out, err = run(t, tb, &VectorAssembler{InputCols: []string{"f", "i", "b", "v"}, OutputCol: "o", HandleInvalid: HandleKeep})
	if err != nil {
		t.Fatal(err)
	}
	last := column(t, out, "o")[3].(linalg.Vector).ToDense().Values
	if last[0] != 2 || !math.IsNaN(last[1]) || last[2] != 1 {
		t.Fatalf("keep: %v", last)
	}
	// Compressed: a mostly-zero row is stored sparse.
	wide := build(t, 0, []table.Field{{Name: "v", Type: table.Vector}, {Name: "f", Type: table.Float64}},
		table.NewVectorColumn([]linalg.Vector{linalg.Dense(make([]float64, 10))}, nil), table.NewFloat64Column([]float64{1}, nil))
	out, _ = run(t, wide, &VectorAssembler{InputCols: []string{"v", "f"}, OutputCol: "o"})
	if o := column(t, out, "o")[0].(linalg.Vector); !o.IsSparse() || o.Size != 11 || o.At(10) != 1 {
		t.Fatalf("compressed = %v", o)
	}
}

func mustSparseV(n int, idx []int32, vals []float64) linalg.Vector {
	v, err := linalg.Sparse(n, idx, vals)
	if err != nil {
		panic(err)
	}
	return v
}

func TestColumnFunctions(t *testing.T) {
	text := strCol("<br/>Hello,  WORLD! 42 <a/>", "  Spaces  ", "")
	text.SetNull(2)
	tb := build(t, 0, []table.Field{{Name: "text", Type: table.String}}, text)
	// The reference workload's cleanup.
	stages := []any{
		&RegexReplace{InputCol: "text", Pattern: `<.*/>`, Replacement: ""},
		&RegexReplace{InputCol: "text", Pattern: `[^A-Za-z ]+`, Replacement: ""},
		&RegexReplace{InputCol: "text", Pattern: ` +`, Replacement: " "},
		&StringFunction{InputCol: "text", Function: "lower"},
		&StringFunction{InputCol: "text", Function: "trim", OutputCol: "trimmed"},
	}
	out := tb
	for _, s := range stages {
		var err error
		if out, err = run(t, out, s); err != nil {
			t.Fatal(err)
		}
	}
	if got := column(t, out, "text"); !reflect.DeepEqual(got, []any{"", " spaces ", nil}) {
		t.Fatalf("cleaned = %q", got)
	}
	if got := column(t, out, "trimmed"); !reflect.DeepEqual(got, []any{"", "spaces", nil}) {
		t.Fatalf("trimmed = %q", got)
	}
	out, _ = run(t, build(t, 0, []table.Field{{Name: "t", Type: table.String}}, strCol("<b/>x<i/>y")), &RegexReplace{InputCol: "t", Pattern: `<(\w)/>`, Replacement: "[$1]"})
	if got := column(t, out, "t")[0]; got != "[b]x[i]y" {
		t.Fatalf("group replacement = %q", got)
	}

	nums := strCol("1", "2.5", "x", " 7 ")
	tb = build(t, 0, []table.Field{{Name: "s", Type: table.String}}, nums)
	out, err := run(t, tb, &Cast{InputCol: "s", OutputCol: "f", To: table.Float64})
	if err != nil || !reflect.DeepEqual(column(t, out, "f"), []any{1.0, 2.5, nil, 7.0}) {
		t.Fatalf("cast to float: %v %v", column(t, out, "f"), err)
	}
	out, _ = run(t, tb, &Cast{InputCol: "s", OutputCol: "i", To: table.Int64})
	if got := column(t, out, "i"); !reflect.DeepEqual(got, []any{int64(1), int64(2), nil, int64(7)}) {
		t.Fatalf("cast to int: %v", got)
	}
	// Text becomes a number under the number contract every reader
	// follows (package numtext): decimal only, no silent ±Inf from range.
	odd := build(t, 0, []table.Field{{Name: "s", Type: table.String}}, strCol("0x10", "Infinity", "1e400", "1e-400"))
	if got, err := run(t, odd, &Cast{InputCol: "s", OutputCol: "f", To: table.Float64}); err != nil || !reflect.DeepEqual(column(t, got, "f"), []any{nil, math.Inf(1), nil, 0.0}) {
		t.Fatalf("cast odd text to float: %v %v", column(t, got, "f"), err)
	}
	out, _ = run(t, out, &FillNull{Values: map[string]string{"i": "-1"}})
	if got := column(t, out, "i"); !reflect.DeepEqual(got, []any{int64(1), int64(2), int64(-1), int64(7)}) {
		t.Fatalf("fillna: %v", got)
	}
	out, _ = run(t, out, &Filter{Column: "i", Op: ">=", Value: "2"})
	if got := column(t, out, "s"); !reflect.DeepEqual(got, []any{"2.5", " 7 "}) {
		t.Fatalf("filter: %v", got)
	}
	withNull := build(t, 0, []table.Field{{Name: "a", Type: table.String}, {Name: "b", Type: table.String}}, strCol("x", "y"), func() *table.StringColumn {
		c := strCol("1", "")
		c.SetNull(1)
		return c
	}())
	out, _ = run(t, withNull, &DropNullRows{})
	if out.Count() != 1 {
		t.Fatalf("dropna kept %d", out.Count())
	}
	out, _ = run(t, withNull, &Filter{Column: "b", Op: "is null"})
	if got := column(t, out, "a"); !reflect.DeepEqual(got, []any{"y"}) {
		t.Fatalf("is null: %v", got)
	}
}

// TestStageErrors: every stage rejects bad input with a clear error.
func TestStageErrors(t *testing.T) {
	tb := build(t, 0, []table.Field{{Name: "text", Type: table.String}, {Name: "x", Type: table.Float64}},
		strCol("a b", "c"), table.NewFloat64Column([]float64{1, math.NaN()}, nil))
	vecs := build(t, 0, []table.Field{{Name: "v", Type: table.Vector}},
		table.NewVectorColumn([]linalg.Vector{linalg.Dense([]float64{1, 2}), linalg.Dense([]float64{1, 2, 3})}, nil))
	tests := []struct {
		name  string
		in    *table.Table
		stage any
		want  string
	}{
		{"missing column", tb, &RegexTokenizer{InputCol: "body", OutputCol: "w"}, `RegexTokenizer: input column "body" does not exist (columns: text, x)`},
		{"wrong type", tb, &HashingTF{InputCol: "text", OutputCol: "tf"}, `HashingTF: input column "text" is string, want list<string>`},
		{"output exists", tb, &Tokenizer{InputCol: "text", OutputCol: "x"}, `Tokenizer: output column "x" already exists`},
		{"bad pattern", tb, &RegexReplace{InputCol: "text", Pattern: "("}, "RegexReplace: parameter pattern: \"(\" is not a valid regular expression"},
		{"NaN in assembler", tb, &VectorAssembler{InputCols: []string{"x"}, OutputCol: "v"}, `column "x", row 2: NaN value`},
		{"mismatched sizes", vecs, &StandardScaler{InputCol: "v", OutputCol: "o"}, "vector of size 3, earlier rows have 2 (vectors of mismatched size)"},
		{"mismatched sizes IDF", vecs, &IDF{InputCol: "v", OutputCol: "o"}, "vectors of mismatched size"},
		{"unknown language", tb, &StopWordsRemover{InputCol: "text", OutputCol: "o", Language: "klingon"}, `StopWordsRemover: parameter language: must be one of danish, dutch, english`},
		{"bad handleInvalid", tb, &StringIndexer{InputCol: "text", OutputCol: "o", HandleInvalid: "ignore"}, `parameter handleInvalid: must be one of error, skip, keep, got "ignore"`},
		{"bad order", tb, &StringIndexer{InputCol: "text", OutputCol: "o", StringOrderType: "random"}, `parameter stringOrderType: must be one of frequencyDesc, frequencyAsc, alphabetDesc, alphabetAsc, got "random"`},
		{"bad cast", tb, &Cast{InputCol: "text", To: table.Vector}, "cast: cannot cast to vector"},
		{"bad fill", tb, &FillNull{Values: map[string]string{"x": "abc"}}, `fillna: column "x": value "abc" is not a valid float64`},
		{"bad filter op", tb, &Filter{Column: "x", Op: "~"}, `Filter: parameter op: must be one of ==, !=, <, <=, >, >=, is null, is not null, got "~"`},
		{"bad function", tb, &StringFunction{InputCol: "text", Function: "reverse"}, `StringFunction: parameter function: must be one of lower, upper, trim, ltrim, rtrim, got "reverse"`},
		{"minmax bounds", vecs, &MinMaxScaler{InputCol: "v", OutputCol: "o", Min: 2, Max: ml.Float(1)}, "MinMaxScaler: parameter min: must be below max (1), got 2"},
	}
	for _, tt := range tests {
		_, err := run(t, tt.in, tt.stage)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error = %v, want %q", tt.name, err, tt.want)
		}
	}
	// A model fitted on one size rejects another.
	m, _ := (&MaxAbsScaler{InputCol: "v", OutputCol: "o"}).Fit(context.Background(), &local.Engine{}, mustDS(t, vecTable(t, 0, [][]float64{{1, 2}}, false)))
	_, err := run(t, vecTable(t, 0, [][]float64{{1, 2, 3}}, false), m)
	if err == nil || !strings.Contains(err.Error(), "vector of size 3, the model was fitted on size 2") {
		t.Fatalf("size check: %v", err)
	}
}

// TestVectorAssemblerDenseBlock: numeric columns assemble into one dense
// block per partition (table.DenseBlock), as the linear models read it.
func TestVectorAssemblerDenseBlock(t *testing.T) {
	schema, _ := table.NewSchema(table.Field{Name: "a", Type: table.Float64}, table.Field{Name: "b", Type: table.Float64})
	b, err := table.NewBatch(schema, []table.Column{table.NewFloat64Column([]float64{1, 2, 3}, nil), table.NewFloat64Column([]float64{4, 0, 6}, nil)})
	if err != nil {
		t.Fatal(err)
	}
	tb, err := table.New(schema, b)
	if err != nil {
		t.Fatal(err)
	}
	out, err := run(t, tb, &VectorAssembler{InputCols: []string{"a", "b"}, OutputCol: "v"})
	if err != nil {
		t.Fatal(err)
	}
	p := out.Partitions()[0]
	x, dim, ok := table.DenseBlock(p.Column(p.Schema().Index("v")).(*table.VectorColumn))
	if !ok || dim != 2 || fmt.Sprint(x) != "[1 4 2 0 3 6]" {
		t.Fatalf("DenseBlock: %v %d %v", x, dim, ok)
	}
}
