package classification

import (
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

// labelInput checks a classifier's label (and weight) columns are numeric.
func labelInput(stage string, in *table.Schema, labelCol, weightCol string) error {
	if _, err := ml.InputColumn(stage, in, orDefault(labelCol, "label"), table.Float64, table.Int64); err != nil {
		return err
	}
	if weightCol != "" {
		if _, err := ml.InputColumn(stage, in, weightCol, table.Float64, table.Int64); err != nil {
			return err
		}
	}
	return nil
}

// OutputSchema checks the training columns and returns the schema the
// fitted model produces, before any data moves.
func (lr *LogisticRegression) OutputSchema(in *table.Schema) (*table.Schema, error) {
	if err := labelInput("LogisticRegression", in, lr.LabelCol, lr.WeightCol); err != nil {
		return nil, err
	}
	return probabilisticSchema("LogisticRegression", in, orDefault(lr.FeaturesCol, "features"), orDefault(lr.RawPredictionCol, "rawPrediction"),
		orDefault(lr.ProbabilityCol, "probability"), orDefault(lr.PredictionCol, "prediction"))
}

// OutputSchema checks the training columns and returns the schema the
// fitted model produces, before any data moves.
func (nb *NaiveBayes) OutputSchema(in *table.Schema) (*table.Schema, error) {
	if err := labelInput("NaiveBayes", in, nb.LabelCol, nb.WeightCol); err != nil {
		return nil, err
	}
	return probabilisticSchema("NaiveBayes", in, orDefault(nb.FeaturesCol, "features"), orDefault(nb.RawPredictionCol, "rawPrediction"),
		orDefault(nb.ProbabilityCol, "probability"), orDefault(nb.PredictionCol, "prediction"))
}

// OutputSchema checks the training columns and returns the schema the
// fitted model produces, before any data moves.
func (s *LinearSVC) OutputSchema(in *table.Schema) (*table.Schema, error) {
	if err := labelInput("LinearSVC", in, s.LabelCol, s.WeightCol); err != nil {
		return nil, err
	}
	return probabilisticSchema("LinearSVC", in, orDefault(s.FeaturesCol, "features"), orDefault(s.RawPredictionCol, "rawPrediction"),
		"", orDefault(s.PredictionCol, "prediction"))
}
