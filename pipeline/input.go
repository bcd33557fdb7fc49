package pipeline

import (
	"context"
	"fmt"
	"slices"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

// InputColumns returns the columns the model reads from its input, in the
// order the stages first read them: the columns each stage says it reads
// (ml.ColumnReader) or else names as inputCol, inputCols or featuresCol,
// less those an earlier stage makes. Those are what a scoring
// request must supply.
func (m *PipelineModel) InputColumns() []string {
	made := map[string]bool{}
	var out []string
	for _, t := range m.Stages {
		reads := columnParams(t, "inputCol", "inputCols", "featuresCol")
		if cr, ok := t.(ml.ColumnReader); ok && cr.InputColumns() != nil {
			reads = cr.InputColumns()
		}
		for _, c := range reads {
			if c != "" && !made[c] && !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
		for _, c := range columnParams(t, "outputCol", "outputCols", "predictionCol", "probabilityCol", "rawPredictionCol") {
			made[c] = true
		}
	}
	return out
}

// InputSchema returns the schema of the columns the model reads: the one
// saved with it (Save writes PipelineModel.Input), or, for a model saved
// without one, the first assignment of column types under which the
// stages accept the input (tried over string, float64, vector,
// list<string>, bool and int64 for up to four columns).
func (m *PipelineModel) InputSchema() (*table.Schema, error) {
	if m.Input != nil {
		return m.Input, nil
	}
	cols := m.InputColumns()
	if len(cols) == 0 {
		return nil, fmt.Errorf("the model's stages read no input column")
	}
	if len(cols) > 4 {
		return nil, fmt.Errorf("the model was saved without its input schema and reads %d columns (%v): save it again with this version", len(cols), cols)
	}
	kinds := []table.Type{table.String, table.Float64, table.Vector, table.StringList, table.Bool, table.Int64}
	fields := make([]table.Field, len(cols))
	idx := make([]int, len(cols))
	var first error
	for {
		for i, c := range cols {
			fields[i] = table.Field{Name: c, Type: kinds[idx[i]]}
		}
		s, err := table.NewSchema(fields...)
		if err != nil {
			return nil, err
		}
		if _, err := m.OutputSchema(s); err == nil {
			return s, nil
		} else if first == nil {
			first = err
		}
		// Next assignment, as an odometer over the candidate types.
		i := 0
		for ; i < len(idx); i++ {
			if idx[i]++; idx[i] < len(kinds) {
				break
			}
			idx[i] = 0
		}
		if i == len(idx) {
			return nil, fmt.Errorf("no column types for %v fit the model's stages: %w", cols, first)
		}
	}
}

// Rowwise checks that every stage of the model transforms row by row (an
// engine.Mapper) with valid parameters, so that TransformBatch can run
// it; Load's models from 'spindle run' always do.
func (m *PipelineModel) Rowwise() error {
	for i, t := range m.Stages {
		if _, ok := t.(engine.Mapper); !ok {
			return fmt.Errorf("pipeline stage %d (%s) does not transform row by row", i+1, stageName(t))
		}
		if err := ml.Validate(t); err != nil {
			return fmt.Errorf("pipeline stage %d (%s): %w", i+1, stageName(t), err)
		}
	}
	return nil
}

// TransformBatch applies the model to one in-memory batch, stage after
// stage in this goroutine, without an engine: the path for scoring a few
// rows at low latency ('spindle serve'), where an engine's planning and
// scheduling would cost more than the work. The result is what Transform
// computes for the same rows. Call Rowwise once first; b's schema must
// fit (OutputSchema).
func (m *PipelineModel) TransformBatch(ctx context.Context, b *table.Batch) (*table.Batch, error) {
	for i, t := range m.Stages {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		mp, ok := t.(engine.Mapper)
		if !ok {
			return nil, fmt.Errorf("pipeline stage %d (%s) does not transform row by row", i+1, stageName(t))
		}
		next, err := mp.MapPartition(ctx, engine.PartitionInfo{}, b)
		if err != nil {
			return nil, fmt.Errorf("pipeline stage %d (%s): %w", i+1, stageName(t), err)
		}
		b = next
	}
	return b, nil
}

// PredictionColumns returns the columns a fitted pipeline adds that
// scoring keeps ('spindle predict' writes them after the input columns;
// 'spindle serve' answers with them): rawPrediction, probability,
// prediction, predictedLabel and a topic model's topicDistribution, those
// the model makes.
func PredictionColumns() []string {
	return []string{"rawPrediction", "probability", "prediction", "predictedLabel", "topicDistribution"}
}
