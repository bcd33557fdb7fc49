package feature

import (
	"context"
	"fmt"
	"math"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/internal/linmodel"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

func init() {
	engine.RegisterAggregator[*DocFreq](docFreqKernel{})
	ml.Register(ml.Registration{Name: "IDF", New: func() any { return new(IDF) }, Model: &IDFModel{},
		Samples: []ml.Sample{
			{
				Columns: []ml.SampleColumn{{Name: "tf", Type: table.Vector, Kind: "counts"}},
				Params:  ml.ParamMap{"inputCol": "tf", "outputCol": "out"},
			},
		}})
}

// Compile-time checks of the stage contract (see ml/stage.go).
var (
	_ ml.Estimator      = (*IDF)(nil)
	_ ml.SchemaChecker  = (*IDF)(nil)
	_ ml.ColumnReader   = (*IDF)(nil)
	_ ml.Model          = (*IDFModel)(nil)
	_ engine.Mapper     = (*IDFModel)(nil)
	_ ml.StateValidator = (*IDFModel)(nil)
)

// IDF fits inverse document frequencies on a vector column of term counts
// (Spark's IDF): with m non-null documents and df the number that have a
// positive count of a term,
//
//	idf = ln((m + 1) / (df + 1)),   and 0 when df < MinDocFreq.
//
// The model multiplies each term frequency by its idf.
type IDF struct {
	InputCol  string `param:"nonempty"`
	OutputCol string `param:"nonempty"`
	// MinDocFreq zeroes the idf of terms in fewer documents. Default 0.
	MinDocFreq int `param:"default=0,min=0"`
}

// InputColumns implements ml.ColumnReader.
func (f *IDF) InputColumns() []string { return []string{f.InputCol} }

// DocFreq is the document-frequency partial: documents seen and, per
// term, how many had it.
type DocFreq struct {
	M  int64
	DF []int64
}

type docFreqKernel struct{ InputCol string }

func (docFreqKernel) KernelName() string { return "feature.DocFreq" }
func (docFreqKernel) Zero() *DocFreq     { return &DocFreq{} }

func (k docFreqKernel) Fold(_ context.Context, info engine.PartitionInfo, acc *DocFreq, b *table.Batch) (*DocFreq, error) {
	c, err := table.ColumnAs[*table.VectorColumn](b, k.InputCol)
	if err != nil {
		return nil, err
	}
	for i, v := range c.Values {
		if !c.Valid.Valid(i) {
			continue
		}
		if acc.DF == nil {
			if err := linmodel.CheckFeatures("IDF document frequencies", v.Size, 1); err != nil {
				return nil, err
			}
			acc.DF = make([]int64, v.Size)
		}
		if v.Size != len(acc.DF) {
			return nil, fmt.Errorf("column %q, %s: vector of size %d, earlier rows have %d (vectors of mismatched size)", k.InputCol, engine.RowName(info, b, i), v.Size, len(acc.DF))
		}
		acc.M++
		for p, x := range v.Values {
			if x > 0 {
				j := p
				if v.IsSparse() {
					j = int(v.Indices[p])
				}
				acc.DF[j]++
			}
		}
	}
	return acc, nil
}

func (docFreqKernel) Merge(a, b *DocFreq) (*DocFreq, error) {
	if b.DF == nil {
		return a, nil
	}
	if a.DF == nil {
		return b, nil
	}
	if len(a.DF) != len(b.DF) {
		return nil, fmt.Errorf("vectors of mismatched size: %d and %d", len(a.DF), len(b.DF))
	}
	a.M += b.M
	for j, d := range b.DF {
		a.DF[j] += d
	}
	return a, nil
}

// Fit implements ml.Estimator.
func (f *IDF) Fit(ctx context.Context, e engine.Engine, ds engine.Dataset) (ml.Model, error) {
	if err := ml.Validate(f); err != nil {
		return nil, err
	}
	if f.MinDocFreq < 0 {
		return nil, fmt.Errorf("IDF: minDocFreq must be ≥ 0, got %d", f.MinDocFreq)
	}
	if _, err := vectorOutputSchema("IDF", ds.Schema(), f.InputCol, f.OutputCol); err != nil {
		return nil, err
	}
	df, err := engine.Aggregate(ctx, e, ds, docFreqKernel{InputCol: f.InputCol})
	if err != nil {
		return nil, fmt.Errorf("IDF: %w", err)
	}
	if df.M == 0 {
		return nil, fmt.Errorf("IDF: no non-null rows in column %q to fit on", f.InputCol)
	}
	idf := make([]float64, len(df.DF))
	for j, d := range df.DF {
		if d >= int64(f.MinDocFreq) {
			idf[j] = math.Log(float64(df.M+1) / float64(d+1))
		}
	}
	return &IDFModel{InputCol: f.InputCol, OutputCol: f.OutputCol, IDF: idf, DocFreq: df.DF, NumDocs: df.M}, nil
}

// IDFModel scales term frequencies by fitted idf weights.
type IDFModel struct {
	InputCol, OutputCol string `param:"nonempty"`
	IDF                 []float64
	DocFreq             []int64
	NumDocs             int64
}

// KernelName implements engine.Kernel.
func (*IDFModel) KernelName() string { return "feature.IDFModel" }

// OutputSchema implements engine.Mapper.
func (m *IDFModel) OutputSchema(in *table.Schema) (*table.Schema, error) {
	return vectorOutputSchema("IDFModel", in, m.InputCol, m.OutputCol)
}

// MapPartition implements engine.Mapper.
func (m *IDFModel) MapPartition(_ context.Context, info engine.PartitionInfo, b *table.Batch) (*table.Batch, error) {
	return mapVectors("IDFModel", m.InputCol, m.OutputCol, len(m.IDF), info, b, func(v linalg.Vector) linalg.Vector {
		out := v
		out.Values = make([]float64, len(v.Values))
		for k, x := range v.Values {
			j := k
			if v.IsSparse() {
				j = int(v.Indices[k])
			}
			out.Values[k] = x * m.IDF[j]
		}
		return out
	})
}
