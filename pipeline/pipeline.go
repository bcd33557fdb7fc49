// Package pipeline chains stages into a Pipeline (Spark ML's Pipeline):
// fitting runs the stages in order, fitting each estimator on the output
// of the stages before it, and yields a PipelineModel of transformers. A
// PipelineModel saves to a directory, local or s3://, and loads back.
//
// # Saved format (version 3; docs/model-format.md)
//
//	DIR/metadata.json            {"class":"PipelineModel","formatVersion":3,
//	                              "spindleVersion":…, "runId":…, "input":[…], "stages":[…]}
//	DIR/stages/NN_Kind/metadata.json   class, uid, format version, and the
//	                                   parameters as Spark splits them:
//	                                   paramMap (set) and defaultParamMap
//	DIR/stages/NN_Kind/data.parquet    what a fitted model learned, one row
//	                                   (package internal/learned)
//	DIR/metrics.json …           extra files (SaveOptions.Extra)
//	DIR/_SUCCESS                 written last: the manifest, every other
//	                             file's size and SHA-256
//
// A model is written atomically: locally into a temporary directory renamed
// into place; on S3, objects under DIR with _SUCCESS last. Load refuses a
// directory without _SUCCESS, so a half-written model is never loaded, and
// checks every file: sizes bounded, each file against the manifest (a
// truncated, edited or swapped file is named), format versions, classes,
// every parameter against its rule, the learned data's columns against the
// class's, and each stage's state. Models of format versions 1 and 2
// (gob-encoded stages) are refused, naming their version and how to
// re-save them.
package pipeline

import (
	"context"
	"fmt"
	"slices"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

// Pipeline is an ordered list of stages, each an ml.Transformer or an
// ml.Estimator.
type Pipeline struct {
	Stages []any
	// Exclude lists columns a pattern in a stage's inputCols never
	// selects (ml.ExpandColumns): a run's label and the columns it derives
	// from it.
	Exclude []string
	// Progress, if set, is called as each stage starts.
	Progress func(stage int, name string)
}

// PipelineModel is a fitted pipeline: transformers applied in order.
type PipelineModel struct {
	Stages []ml.Transformer
	// Input, if known, is the schema of the columns the model reads
	// (InputColumns with their types). Save records it; Load restores it,
	// or works it out (InputSchema) for a model saved without it.
	Input *table.Schema
}

// stageName is a stage's kind for messages and file names.
func stageName(s any) string {
	if k, ok := s.(engine.Kernel); ok {
		return k.KernelName()
	}
	return ml.StageName(s)
}

// OutputSchema checks that the stages fit together on input schema in
// (before any data moves) and returns the final schema. Estimators are
// checked by their inputs only.
func (p *Pipeline) OutputSchema(in *table.Schema) (*table.Schema, error) {
	s := in
	for i, st := range p.Stages {
		st, _, err := ml.ExpandInputCols(st, s, p.Exclude...)
		if err != nil {
			return nil, fmt.Errorf("pipeline stage %d (%s): %w", i+1, stageName(st), err)
		}
		t, ok := st.(ml.Transformer)
		if !ok {
			if _, ok := st.(ml.Estimator); !ok {
				return nil, fmt.Errorf("pipeline stage %d (%T) is neither a Transformer nor an Estimator", i+1, st)
			}
			continue
		}
		next, err := t.OutputSchema(s)
		if err != nil {
			return nil, fmt.Errorf("pipeline stage %d (%s): %w", i+1, stageName(st), err)
		}
		s = next
	}
	return s, nil
}

// Fit fits the pipeline on ds.
func (p *Pipeline) Fit(ctx context.Context, e engine.Engine, ds engine.Dataset) (*PipelineModel, error) {
	m := &PipelineModel{}
	cur := ds
	for i, st := range p.Stages {
		name := stageName(st)
		if p.Progress != nil {
			p.Progress(i, name)
		}
		// Column patterns in inputCols ("pixel*") become the columns they
		// match here, so that the fitted model names its columns.
		st, _, err := ml.ExpandInputCols(st, cur.Schema(), p.Exclude...)
		if err != nil {
			return nil, fmt.Errorf("pipeline stage %d (%s): %w", i+1, name, err)
		}
		var t ml.Transformer
		switch s := st.(type) {
		case ml.Estimator:
			model, err := s.Fit(ctx, e, cur)
			if err != nil {
				return nil, fmt.Errorf("pipeline stage %d (%s): %w", i+1, name, err)
			}
			t = model
		case ml.Transformer:
			t = s
		default:
			return nil, fmt.Errorf("pipeline stage %d (%T) is neither a Transformer nor an Estimator", i+1, st)
		}
		m.Stages = append(m.Stages, t)
		if i == len(p.Stages)-1 {
			break // nothing after the last stage needs its output
		}
		next, err := ml.Transform(ctx, e, cur, t)
		if err != nil {
			return nil, fmt.Errorf("pipeline stage %d (%s): %w", i+1, stageName(t), err)
		}
		if _, isEst := st.(ml.Estimator); isEst {
			// An estimator's output feeds the next fits: keep it rather
			// than recompute the chain before it each pass.
			if next, err = e.Persist(ctx, next); err != nil {
				return nil, fmt.Errorf("pipeline stage %d (%s): %w", i+1, stageName(t), err)
			}
		}
		cur = next
	}
	return m, nil
}

// OutputSchema implements ml.Transformer. A stage that reads a column
// only a later stage makes is reported as stages out of order (a damaged
// model), not as input the data lacks.
func (m *PipelineModel) OutputSchema(in *table.Schema) (*table.Schema, error) {
	s := in
	for i, t := range m.Stages {
		next, err := t.OutputSchema(s)
		if err != nil {
			for _, col := range columnParams(t, "inputCol", "inputCols", "featuresCol") {
				if s.Index(col) >= 0 {
					continue
				}
				for j := i + 1; j < len(m.Stages); j++ {
					if slices.Contains(columnParams(m.Stages[j], "outputCol", "outputCols"), col) {
						return nil, fmt.Errorf("pipeline stage %d (%s) reads column %q, which stage %d (%s) makes after it: the model's stages are out of order (is the model damaged?)", i+1, stageName(t), col, j+1, stageName(m.Stages[j]))
					}
				}
			}
			return nil, fmt.Errorf("pipeline stage %d (%s): %w", i+1, stageName(t), err)
		}
		s = next
	}
	return s, nil
}

// columnParams returns the values of a stage's column-naming parameters.
func columnParams(stage any, names ...string) []string {
	var out []string
	p := ml.Params(stage)
	for _, n := range names {
		switch v := p[n].(type) {
		case string:
			out = append(out, v)
		case []string:
			out = append(out, v...)
		}
	}
	return out
}

// Transform implements ml.Transformer.
func (m *PipelineModel) Transform(ctx context.Context, e engine.Engine, ds engine.Dataset) (engine.Dataset, error) {
	if _, err := m.OutputSchema(ds.Schema()); err != nil {
		return nil, err
	}
	cur := ds
	for i, t := range m.Stages {
		next, err := ml.Transform(ctx, e, cur, t)
		if err != nil {
			return nil, fmt.Errorf("pipeline stage %d (%s): %w", i+1, stageName(t), err)
		}
		cur = next
	}
	return cur, nil
}
