package feature

import (
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

// The estimators' OutputSchema methods tell, before fitting, the
// schema their fitted model will produce, so that a pipeline or spec is
// checked end to end before any data moves (a model's output columns do
// not depend on what it learns).

// OutputSchema checks the input and returns the fitted model's schema.
func (s *StringIndexer) OutputSchema(in *table.Schema) (*table.Schema, error) {
	ins, outs, err := s.cols()
	if err != nil {
		return nil, err
	}
	return (&StringIndexerModel{InputCols: ins, OutputCols: outs, HandleInvalid: s.HandleInvalid}).OutputSchema(in)
}

// OutputSchema checks the input and returns the fitted model's schema.
func (cv *CountVectorizer) OutputSchema(in *table.Schema) (*table.Schema, error) {
	return (&CountVectorizerModel{InputCol: cv.InputCol, OutputCol: cv.OutputCol}).OutputSchema(in)
}

// OutputSchema checks the input and returns the fitted model's schema.
func (f *IDF) OutputSchema(in *table.Schema) (*table.Schema, error) {
	return vectorOutputSchema("IDF", in, f.InputCol, f.OutputCol)
}

// OutputSchema checks the input and returns the fitted model's schema.
func (w *Word2Vec) OutputSchema(in *table.Schema) (*table.Schema, error) {
	if _, err := ml.InputColumn("Word2Vec", in, w.InputCol, table.StringList); err != nil {
		return nil, err
	}
	return ml.WithOutput("Word2Vec", in, w.OutputCol, table.Vector)
}

// OutputSchema checks the input and returns the fitted model's schema.
func (s *StandardScaler) OutputSchema(in *table.Schema) (*table.Schema, error) {
	return vectorOutputSchema("StandardScaler", in, s.InputCol, s.OutputCol)
}

// OutputSchema checks the input and returns the fitted model's schema.
func (s *MinMaxScaler) OutputSchema(in *table.Schema) (*table.Schema, error) {
	return vectorOutputSchema("MinMaxScaler", in, s.InputCol, s.OutputCol)
}

// OutputSchema checks the input and returns the fitted model's schema.
func (s *MaxAbsScaler) OutputSchema(in *table.Schema) (*table.Schema, error) {
	return vectorOutputSchema("MaxAbsScaler", in, s.InputCol, s.OutputCol)
}

// OutputSchema checks the input and returns the fitted model's schema.
func (im *Imputer) OutputSchema(in *table.Schema) (*table.Schema, error) {
	ins, outs := singleOrMany(im.InputCol, im.OutputCol, im.InputCols, im.OutputCols)
	return (&ImputerModel{InputCols: ins, OutputCols: outs}).OutputSchema(in)
}

// OutputSchema checks the input and returns the fitted model's schema.
func (o *OneHotEncoder) OutputSchema(in *table.Schema) (*table.Schema, error) {
	ins, outs := singleOrMany(o.InputCol, o.OutputCol, o.InputCols, o.OutputCols)
	return (&OneHotEncoderModel{InputCols: ins, OutputCols: outs, HandleInvalid: o.HandleInvalid}).OutputSchema(in)
}
