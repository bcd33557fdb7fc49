package feature

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

func init() {
	engine.RegisterAggregator[*TermCounts](termCountKernel{})
	ml.Register(ml.Registration{Name: "CountVectorizer", New: func() any { return new(CountVectorizer) }, Model: &CountVectorizerModel{},
		Samples: []ml.Sample{
			{
				Columns: []ml.SampleColumn{{Name: "words", Type: table.StringList}},
				Params:  ml.ParamMap{"inputCol": "words", "outputCol": "out"},
			},
		}})
}

// Compile-time checks of the stage contract (see ml/stage.go).
var (
	_ ml.Estimator      = (*CountVectorizer)(nil)
	_ ml.SchemaChecker  = (*CountVectorizer)(nil)
	_ ml.ColumnReader   = (*CountVectorizer)(nil)
	_ ml.Model          = (*CountVectorizerModel)(nil)
	_ engine.Mapper     = (*CountVectorizerModel)(nil)
	_ ml.StateValidator = (*CountVectorizerModel)(nil)
)

// CountVectorizer learns a vocabulary from a list<string> column and maps
// documents to sparse term-count vectors over it (Spark's
// CountVectorizer). Terms in fewer than MinDF or more than MaxDF documents
// are left out (a value ≥ 1 counts documents, below 1 is a fraction of
// them); the VocabSize terms with the largest total counts are kept,
// ordered by count, most frequent first (ties by term, ascending).
type CountVectorizer struct {
	InputCol  string `param:"nonempty"`
	OutputCol string `param:"nonempty"`
	// VocabSize caps the vocabulary, ≥ 1. If 0, it is 2^18.
	VocabSize int `param:"default=262144,gt=0"`
	// MinDF is the minimum document frequency, ≥ 0. If nil, it is 1 (0
	// keeps the same terms: every term is in at least one document).
	MinDF *float64 `param:"default=1,min=0"`
	// MaxDF is the maximum document frequency, ≥ 0. If nil, there is
	// none.
	MaxDF *float64 `param:"default=9.223372036854775807e18,min=0"`
	// MinTF drops, per document, terms counted fewer times (≥ 1: a count;
	// below 1: a fraction of the document's tokens), ≥ 0. If nil, it is 1 (0
	// keeps the same terms).
	MinTF *float64 `param:"default=1,min=0"`
	// Binary sets non-zero counts to 1.
	Binary bool `param:"default=false"`
}

// InputColumns implements ml.ColumnReader.
func (cv *CountVectorizer) InputColumns() []string { return []string{cv.InputCol} }

// TermCounts is the vocabulary partial: documents, and per term its total
// count and document frequency.
type TermCounts struct {
	Docs  int64
	Count map[string]int64
	DF    map[string]int64
}

type termCountKernel struct{ InputCol string }

func (termCountKernel) KernelName() string { return "feature.TermCounts" }
func (termCountKernel) Zero() *TermCounts {
	return &TermCounts{Count: map[string]int64{}, DF: map[string]int64{}}
}

func (k termCountKernel) Fold(_ context.Context, _ engine.PartitionInfo, acc *TermCounts, b *table.Batch) (*TermCounts, error) {
	c, err := table.ColumnAs[*table.StringListColumn](b, k.InputCol)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for i, doc := range c.Values {
		if !c.Valid.Valid(i) {
			continue
		}
		acc.Docs++
		clear(seen)
		for _, t := range doc {
			acc.Count[t]++
			if !seen[t] {
				seen[t] = true
				acc.DF[t]++
			}
		}
	}
	return acc, nil
}

func (termCountKernel) Merge(a, b *TermCounts) (*TermCounts, error) {
	a.Docs += b.Docs
	if a.Count == nil {
		a.Count, a.DF = map[string]int64{}, map[string]int64{}
	}
	for t, n := range b.Count {
		a.Count[t] += n
	}
	for t, n := range b.DF {
		a.DF[t] += n
	}
	return a, nil
}

func docThreshold(v float64, docs int64, def float64) float64 {
	if v == 0 {
		v = def
	}
	if v < 1 {
		return v * float64(docs)
	}
	return v
}

// Fit implements ml.Estimator.
func (cv *CountVectorizer) Fit(ctx context.Context, e engine.Engine, ds engine.Dataset) (ml.Model, error) {
	if err := ml.Validate(cv); err != nil {
		return nil, err
	}
	vocab := cv.VocabSize
	if vocab == 0 {
		vocab = 1 << 18
	}
	m := &CountVectorizerModel{InputCol: cv.InputCol, OutputCol: cv.OutputCol, MinTF: ml.FloatOr(cv.MinTF, 1), Binary: cv.Binary}
	if _, err := m.OutputSchema(ds.Schema()); err != nil {
		return nil, err
	}
	tc, err := engine.Aggregate(ctx, e, ds, termCountKernel{InputCol: cv.InputCol})
	if err != nil {
		return nil, fmt.Errorf("CountVectorizer: %w", err)
	}
	minDF := docThreshold(ml.FloatOr(cv.MinDF, 1), tc.Docs, 1)
	maxDF := math.Inf(1)
	if cv.MaxDF != nil {
		maxDF = *cv.MaxDF
		if maxDF < 1 {
			maxDF *= float64(tc.Docs)
		}
	}
	if minDF > maxDF {
		return nil, fmt.Errorf("CountVectorizer: minDF (%v documents of %d) is above maxDF (%v documents): no term can pass", minDF, tc.Docs, maxDF)
	}
	terms := make([]string, 0, len(tc.Count))
	for t := range tc.Count {
		if df := float64(tc.DF[t]); df >= minDF && df <= maxDF {
			terms = append(terms, t)
		}
	}
	sort.Slice(terms, func(i, j int) bool {
		a, b := terms[i], terms[j]
		if tc.Count[a] != tc.Count[b] {
			return tc.Count[a] > tc.Count[b]
		}
		return a < b
	})
	if len(terms) > vocab {
		terms = terms[:vocab]
	}
	if len(terms) == 0 {
		return nil, fmt.Errorf("CountVectorizer: the vocabulary is empty (no term passes minDF %v / maxDF %v)", ml.FloatOr(cv.MinDF, 1), ml.FloatOr(cv.MaxDF, math.Inf(1)))
	}
	m.Vocabulary = terms
	return m, nil
}

// CountVectorizerModel maps documents to counts over a fixed vocabulary.
type CountVectorizerModel struct {
	InputCol, OutputCol string `param:"nonempty"`
	Vocabulary          []string
	MinTF               float64 `param:"min=0"`
	Binary              bool    `param:""`
}

// KernelName implements engine.Kernel.
func (*CountVectorizerModel) KernelName() string { return "feature.CountVectorizerModel" }

// OutputSchema implements engine.Mapper.
func (m *CountVectorizerModel) OutputSchema(in *table.Schema) (*table.Schema, error) {
	if _, err := ml.InputColumn("CountVectorizer", in, m.InputCol, table.StringList); err != nil {
		return nil, err
	}
	return ml.WithOutput("CountVectorizer", in, m.OutputCol, table.Vector)
}

// MapPartition implements engine.Mapper.
func (m *CountVectorizerModel) MapPartition(_ context.Context, _ engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	out, err := m.OutputSchema(b.Schema())
	if err != nil {
		return nil, err
	}
	index := make(map[string]int32, len(m.Vocabulary))
	for i, t := range m.Vocabulary {
		index[t] = int32(i)
	}
	c, err := table.ColumnAs[*table.StringListColumn](b, m.InputCol)
	if err != nil {
		return nil, err
	}
	vecs := make([]linalg.Vector, len(c.Values))
	var idx []int32
	for i, doc := range c.Values {
		if !c.Valid.Valid(i) {
			continue
		}
		idx = idx[:0]
		for _, t := range doc {
			if j, ok := index[t]; ok {
				idx = append(idx, j)
			}
		}
		v := countIndices(len(m.Vocabulary), idx, false)
		minTF := m.MinTF
		if minTF == 0 {
			minTF = 1
		} else if minTF < 1 {
			minTF *= float64(len(doc))
		}
		ki := 0
		for k, x := range v.Values {
			if x >= minTF {
				v.Indices[ki] = v.Indices[k]
				v.Values[ki] = x
				if m.Binary {
					v.Values[ki] = 1
				}
				ki++
			}
		}
		v.Indices, v.Values = v.Indices[:ki], v.Values[:ki]
		vecs[i] = v
	}
	return ml.AppendColumn(out, b, table.NewVectorColumn(vecs, c.Valid))
}
