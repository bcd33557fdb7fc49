// Package ml defines the stage interfaces every Spindle algorithm
// implements, with Spark ML's names: a Transformer maps a dataset to a
// dataset; an Estimator fits a Model (a Transformer) to a dataset. The
// contract a stage meets, and its optional parts, are in stage.go.
//
// Row-wise transformers are themselves engine kernels (engine.Mapper):
// their exported fields are their parameters, so the same value is what a
// worker runs, what a saved pipeline stores and what a spec configures.
// Estimators compute their statistics with engine aggregators, never by
// pulling a dataset into one goroutine.
package ml

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/table"
)

// Transformer maps a dataset to a new one, usually by adding a column.
// OutputSchema is Spark's transformSchema: it checks the input schema and
// returns the output schema, failing early (before any data moves) with a
// clear error. A row-wise transformer is an engine.Mapper — OutputSchema
// is then the mapper's own — and needs nothing more: Transform applies it
// partition by partition. A transformer that works on whole datasets (a
// PipelineModel, a tuned model) implements DatasetTransformer.
type Transformer interface {
	OutputSchema(in *table.Schema) (*table.Schema, error)
}

// DatasetTransformer is a Transformer that transforms a dataset itself
// rather than partition by partition.
type DatasetTransformer interface {
	Transformer
	Transform(ctx context.Context, e engine.Engine, ds engine.Dataset) (engine.Dataset, error)
}

// Estimator learns a Model from a dataset.
type Estimator interface {
	// Fit computes the model's state through the engine.
	Fit(ctx context.Context, e engine.Engine, ds engine.Dataset) (Model, error)
}

// Model is a fitted Transformer.
type Model interface {
	Transformer
}

// Transform applies t to ds: a DatasetTransformer by its own Transform, a
// row-wise one (an engine.Mapper) after checking its parameters and the
// schema, lazily, through the engine.
func Transform(ctx context.Context, e engine.Engine, ds engine.Dataset, t Transformer) (engine.Dataset, error) {
	switch t := t.(type) {
	case DatasetTransformer:
		return t.Transform(ctx, e, ds)
	case engine.Mapper:
		if err := Validate(t); err != nil {
			return nil, err
		}
		if _, err := t.OutputSchema(ds.Schema()); err != nil {
			return nil, err
		}
		return e.MapPartitions(ds, t)
	}
	return nil, fmt.Errorf("%s is neither row-wise (an engine.Mapper) nor a DatasetTransformer", StageName(t))
}

// InputColumn returns the index of column name in s after checking its type
// is one of types, with an error naming the stage, the column, what it is
// and what was expected.
func InputColumn(stage string, s *table.Schema, name string, types ...table.Type) (int, error) {
	if name == "" {
		return -1, fmt.Errorf("%s: input column not set", stage)
	}
	i := s.Index(name)
	if i < 0 {
		return -1, fmt.Errorf("%s: input column %q does not exist (columns: %s)", stage, name, strings.Join(s.Names(), ", "))
	}
	if len(types) > 0 && !slices.Contains(types, s.Fields[i].Type) {
		want := make([]string, len(types))
		for k, t := range types {
			want[k] = t.String()
		}
		return -1, fmt.Errorf("%s: input column %q is %v, want %s", stage, name, s.Fields[i].Type, strings.Join(want, " or "))
	}
	return i, nil
}

// WithOutput returns s with column name of type t appended, failing if a
// column of that name exists (Spark refuses to overwrite too).
func WithOutput(stage string, s *table.Schema, name string, t table.Type) (*table.Schema, error) {
	if name == "" {
		return nil, fmt.Errorf("%s: output column not set", stage)
	}
	if s.Index(name) >= 0 {
		return nil, fmt.Errorf("%s: output column %q already exists", stage, name)
	}
	return table.NewSchema(append(append([]table.Field(nil), s.Fields...), table.Field{Name: name, Type: t})...)
}

// AppendColumn returns b with column c appended under schema out.
func AppendColumn(out *table.Schema, b *table.Batch, c table.Column) (*table.Batch, error) {
	cols := append(append([]table.Column(nil), b.Columns()...), c)
	return b.Derive(out, cols)
}

// BoolOr returns *p, or def when p is nil. Boolean parameters whose Spark
// default is true are *bool, so that their zero value means the default.
func BoolOr(p *bool, def bool) bool {
	if p == nil {
		return def
	}
	return *p
}

// Bool returns a pointer to v, for setting *bool parameters.
func Bool(v bool) *bool { return &v }
