package feature

import (
	"context"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

type numericGolden struct {
	X       []*float64           `json:"x"`
	Mean    float64              `json:"mean"`
	Median  float64              `json:"median"`
	Mode    float64              `json:"mode"`
	Y       []float64            `json:"y"`
	Splits  map[string][]any     `json:"splits"`
	Buckets map[string][]float64 `json:"buckets"`
	Docs    [][]string           `json:"docs"`
	Vocab   []string             `json:"sklearn_vocabulary"`
	Counts  [][]float64          `json:"sklearn_counts"`
}

func TestImputerGolden(t *testing.T) {
	var g numericGolden
	golden(t, "numeric.json", &g)
	// Missing as NaN and as null, in two partitions.
	vals := make([]float64, len(g.X))
	col := table.NewFloat64Column(vals, nil)
	for i, p := range g.X {
		switch {
		case p != nil:
			vals[i] = *p
		case i%2 == 0:
			col.SetNull(i)
		default:
			vals[i] = math.NaN()
		}
	}
	tb := build(t, 5, []table.Field{{Name: "x", Type: table.Float64}}, col)
	for strategy, want := range map[string]float64{"": g.Mean, "mean": g.Mean, "median": g.Median, "mode": g.Mode} {
		out, err := run(t, tb, &Imputer{InputCol: "x", OutputCol: "o", Strategy: strategy})
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range column(t, out, "o") {
			exp := want
			if g.X[i] != nil {
				exp = *g.X[i]
			}
			if v.(float64) != exp {
				t.Fatalf("%s: row %d = %v, want %v", strategy, i, v, exp)
			}
		}
	}
	// A custom missing value on an int column; the int output truncates.
	ic := table.NewInt64Column([]int64{1, -1, 4, -1, 2}, nil)
	it := build(t, 0, []table.Field{{Name: "n", Type: table.Int64}}, ic)
	mv := -1.0
	out, err := run(t, it, &Imputer{InputCols: []string{"n"}, OutputCols: []string{"n"}, MissingValue: &mv})
	if err != nil || !reflect.DeepEqual(column(t, out, "n"), []any{int64(1), int64(2), int64(4), int64(2), int64(2)}) {
		t.Fatalf("int imputer: %v %v", column(t, out, "n"), err)
	}
	out, _ = run(t, it, &Imputer{InputCol: "n", OutputCol: "m", MissingValue: &mv, Strategy: "median"})
	if got := column(t, out, "m"); !reflect.DeepEqual(got, []any{int64(1), int64(2), int64(4), int64(2), int64(2)}) {
		t.Fatalf("int median: %v", got)
	}
	allMissing := build(t, 0, []table.Field{{Name: "z", Type: table.Float64}}, table.NewFloat64Column([]float64{math.NaN()}, nil))
	if _, err := run(t, allMissing, &Imputer{InputCol: "z", OutputCol: "o"}); err == nil || !strings.Contains(err.Error(), `column "z" has only missing values`) {
		t.Fatalf("all missing: %v", err)
	}
}

func TestQuantileDiscretizerGolden(t *testing.T) {
	var g numericGolden
	golden(t, "numeric.json", &g)
	tb := build(t, 37, []table.Field{{Name: "y", Type: table.Float64}}, table.NewFloat64Column(g.Y, nil))
	for _, nb := range []int{2, 4, 5} {
		key := map[int]string{2: "2", 4: "4", 5: "5"}[nb]
		m, err := (&QuantileDiscretizer{InputCol: "y", OutputCol: "b", NumBuckets: nb}).Fit(context.Background(), &local.Engine{}, mustDS(t, tb))
		if err != nil {
			t.Fatal(err)
		}
		splits := m.(*Bucketizer).Splits
		want := g.Splits[key]
		if len(splits) != len(want) {
			t.Fatalf("%d buckets: splits %v, want %v", nb, splits, want)
		}
		for i, w := range want {
			wf, ok := w.(float64)
			if !ok {
				wf = math.Inf(1)
				if w == "-inf" {
					wf = math.Inf(-1)
				}
			}
			if splits[i] != wf {
				t.Fatalf("%d buckets: split %d = %v, want %v", nb, i, splits[i], wf)
			}
		}
		out, err := run(t, tb, &QuantileDiscretizer{InputCol: "y", OutputCol: "b", NumBuckets: nb})
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range column(t, out, "b") {
			if v.(float64) != g.Buckets[key][i] {
				t.Fatalf("%d buckets: row %d in bucket %v, want %v", nb, i, v, g.Buckets[key][i])
			}
		}
	}
}

func TestBucketizer(t *testing.T) {
	x := table.NewFloat64Column([]float64{-0.5, 0, 0.5, 1, math.NaN(), 2}, nil)
	tb := build(t, 0, []table.Field{{Name: "x", Type: table.Float64}}, x)
	bz := &Bucketizer{InputCol: "x", OutputCol: "b", Splits: []float64{-1, 0, 1}, HandleInvalid: HandleKeep}
	if _, err := run(t, tb, bz); err == nil || !strings.Contains(err.Error(), "row 6: 2 is outside the splits [-1, 1]") {
		t.Fatalf("outside: %v", err)
	}
	bz.HandleInvalid = HandleSkip
	out, err := run(t, tb, bz)
	if err != nil || !reflect.DeepEqual(column(t, out, "b"), []any{0.0, 1.0, 1.0, 1.0}) {
		t.Fatalf("skip: %v %v", column(t, out, "b"), err)
	}
	bz.Splits = []float64{math.Inf(-1), 0, math.Inf(1)}
	bz.HandleInvalid = HandleKeep
	out, err = run(t, tb, bz)
	if err != nil || !reflect.DeepEqual(column(t, out, "b"), []any{0.0, 1.0, 1.0, 1.0, 2.0, 1.0}) {
		t.Fatalf("keep: %v %v", column(t, out, "b"), err)
	}
	if _, err := run(t, tb, &Bucketizer{InputCol: "x", OutputCol: "b", Splits: []float64{0, 0, 1}}); err == nil || !strings.Contains(err.Error(), "strictly increasing") {
		t.Fatalf("bad splits: %v", err)
	}
}

func TestOneHotEncoder(t *testing.T) {
	train := build(t, 0, []table.Field{{Name: "c", Type: table.Float64}}, table.NewFloat64Column([]float64{0, 1, 2, 1}, nil))
	test := build(t, 0, []table.Field{{Name: "c", Type: table.Float64}}, table.NewFloat64Column([]float64{0, 2, 3}, nil))
	ctx := context.Background()
	e := &local.Engine{}
	for _, tt := range []struct {
		enc  *OneHotEncoder
		want [][]float64
		err  string
	}{
		{&OneHotEncoder{InputCol: "c", OutputCol: "v"}, nil, "3 is not a category index in [0, 3)"},
		{&OneHotEncoder{InputCol: "c", OutputCol: "v", HandleInvalid: HandleKeep}, [][]float64{{1, 0, 0}, {0, 0, 1}, {0, 0, 0}}, ""},
		{&OneHotEncoder{InputCol: "c", OutputCol: "v", HandleInvalid: HandleKeep, DropLast: ml.Bool(false)}, [][]float64{{1, 0, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}}, ""},
	} {
		m, err := tt.enc.Fit(ctx, e, mustDS(t, train))
		if err != nil {
			t.Fatal(err)
		}
		ds, _ := ml.Transform(ctx, e, mustDS(t, test), m)
		out, err := e.Collect(ctx, ds)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("error = %v, want %q", err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range column(t, out, "v") {
			if got := v.(linalg.Vector).ToDense().Values; !reflect.DeepEqual(got, tt.want[i]) {
				t.Fatalf("row %d = %v, want %v", i, got, tt.want[i])
			}
		}
	}
	// Default dropLast: 3 categories → size 2.
	out, _ := run(t, train, &OneHotEncoder{InputCol: "c", OutputCol: "v"})
	if v := column(t, out, "v")[2].(linalg.Vector); v.Size != 2 || len(v.Indices) != 0 {
		t.Fatalf("dropLast: %v", v)
	}
	bad := build(t, 0, []table.Field{{Name: "c", Type: table.Float64}}, table.NewFloat64Column([]float64{0.5}, nil))
	if _, err := run(t, bad, &OneHotEncoder{InputCol: "c", OutputCol: "v"}); err == nil || !strings.Contains(err.Error(), "0.5 is not a category index") {
		t.Fatalf("fractional index: %v", err)
	}
}

func TestCountVectorizerGolden(t *testing.T) {
	var g numericGolden
	golden(t, "numeric.json", &g)
	tb := build(t, 2, []table.Field{{Name: "w", Type: table.StringList}}, table.NewStringListColumn(g.Docs, nil))
	m, err := (&CountVectorizer{InputCol: "w", OutputCol: "v"}).Fit(context.Background(), &local.Engine{}, mustDS(t, tb))
	if err != nil {
		t.Fatal(err)
	}
	vocab := m.(*CountVectorizerModel).Vocabulary
	// Counts: a 4, b 3, c 2, d 1.
	if !reflect.DeepEqual(vocab, []string{"a", "b", "c", "d"}) {
		t.Fatalf("vocabulary = %v", vocab)
	}
	out, err := run(t, tb, &CountVectorizer{InputCol: "w", OutputCol: "v"})
	if err != nil {
		t.Fatal(err)
	}
	pos := map[string]int{}
	for i, w := range g.Vocab {
		pos[w] = i
	}
	for r, v := range column(t, out, "v") {
		d := v.(linalg.Vector).ToDense().Values
		for i, w := range vocab {
			if d[i] != g.Counts[r][pos[w]] {
				t.Fatalf("doc %d term %q: %v, scikit-learn %v", r, w, d[i], g.Counts[r][pos[w]])
			}
		}
	}
	m, _ = (&CountVectorizer{InputCol: "w", OutputCol: "v", MinDF: ml.Float(2), VocabSize: 2}).Fit(context.Background(), &local.Engine{}, mustDS(t, tb))
	if got := m.(*CountVectorizerModel).Vocabulary; !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Fatalf("minDF 2, vocabSize 2: %v", got)
	}
	out, _ = run(t, tb, &CountVectorizer{InputCol: "w", OutputCol: "v", MinTF: ml.Float(2), Binary: true})
	if d := column(t, out, "v")[0].(linalg.Vector).ToDense().Values; !reflect.DeepEqual(d, []float64{1, 0, 0, 0}) {
		t.Fatalf("minTF 2 binary: %v", d)
	}
}
