package feature

import (
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

// The estimators' TransformSchema methods tell, before fitting, the
// schema their fitted model will produce, so that a pipeline or spec is
// checked end to end before any data moves (a model's output columns do
// not depend on what it learns).

// TransformSchema checks the input and returns the fitted model's schema.
func (s *StringIndexer) TransformSchema(in *table.Schema) (*table.Schema, error) {
	ins, outs, err := s.cols()
	if err != nil {
		return nil, err
	}
	return (&StringIndexerModel{InputCols: ins, OutputCols: outs, HandleInvalid: s.HandleInvalid}).OutputSchema(in)
}

// TransformSchema checks the input and returns the fitted model's schema.
func (cv *CountVectorizer) TransformSchema(in *table.Schema) (*table.Schema, error) {
	return (&CountVectorizerModel{InputCol: cv.InputCol, OutputCol: cv.OutputCol}).OutputSchema(in)
}

// TransformSchema checks the input and returns the fitted model's schema.
func (f *IDF) TransformSchema(in *table.Schema) (*table.Schema, error) {
	return vectorOutputSchema("IDF", in, f.InputCol, f.OutputCol)
}

// TransformSchema checks the input and returns the fitted model's schema.
func (w *Word2Vec) TransformSchema(in *table.Schema) (*table.Schema, error) {
	if _, err := ml.InputColumn("Word2Vec", in, w.InputCol, table.StringList); err != nil {
		return nil, err
	}
	return ml.WithOutput("Word2Vec", in, w.OutputCol, table.Vector)
}

// TransformSchema checks the input and returns the fitted model's schema.
func (s *StandardScaler) TransformSchema(in *table.Schema) (*table.Schema, error) {
	return vectorOutputSchema("StandardScaler", in, s.InputCol, s.OutputCol)
}

// TransformSchema checks the input and returns the fitted model's schema.
func (s *MinMaxScaler) TransformSchema(in *table.Schema) (*table.Schema, error) {
	return vectorOutputSchema("MinMaxScaler", in, s.InputCol, s.OutputCol)
}

// TransformSchema checks the input and returns the fitted model's schema.
func (s *MaxAbsScaler) TransformSchema(in *table.Schema) (*table.Schema, error) {
	return vectorOutputSchema("MaxAbsScaler", in, s.InputCol, s.OutputCol)
}

// TransformSchema checks the input and returns the fitted model's schema.
func (im *Imputer) TransformSchema(in *table.Schema) (*table.Schema, error) {
	ins, outs := singleOrMany(im.InputCol, im.OutputCol, im.InputCols, im.OutputCols)
	return (&ImputerModel{InputCols: ins, OutputCols: outs}).OutputSchema(in)
}

// TransformSchema checks the input and returns the fitted model's schema.
func (o *OneHotEncoder) TransformSchema(in *table.Schema) (*table.Schema, error) {
	ins, outs := singleOrMany(o.InputCol, o.OutputCol, o.InputCols, o.OutputCols)
	return (&OneHotEncoderModel{InputCols: ins, OutputCols: outs, HandleInvalid: o.HandleInvalid}).OutputSchema(in)
}
