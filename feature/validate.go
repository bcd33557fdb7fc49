package feature

import (
	"fmt"
	"math"

	"github.com/spindle-ml/spindle/internal/learned"
)

// Validate methods check a fitted stage's own state, so that a model
// loaded from disk is rejected with an error rather than failing (or
// panicking) later on an index out of range.

// Validate checks that the idf weights and document frequencies agree.
func (m *IDFModel) Validate() error {
	if len(m.IDF) == 0 || (m.DocFreq != nil && len(m.DocFreq) != len(m.IDF)) {
		return fmt.Errorf("IDFModel: %d idf weights and %d document frequencies", len(m.IDF), len(m.DocFreq))
	}
	return nil
}

// Validate checks the mean and deviation vectors.
func (m *StandardScalerModel) Validate() error {
	if len(m.Std) == 0 || len(m.Mean) != len(m.Std) {
		return fmt.Errorf("StandardScalerModel: %d means and %d deviations", len(m.Mean), len(m.Std))
	}
	return nil
}

// Validate checks the fitted bounds.
func (m *MinMaxScalerModel) Validate() error {
	if len(m.OriginalMin) == 0 || len(m.OriginalMin) != len(m.OriginalMax) || !(m.Min < m.Max) {
		return fmt.Errorf("MinMaxScalerModel: %d minima, %d maxima, range [%v, %v]", len(m.OriginalMin), len(m.OriginalMax), m.Min, m.Max)
	}
	return nil
}

// Validate checks the fitted maxima.
func (m *MaxAbsScalerModel) Validate() error {
	if len(m.MaxAbs) == 0 {
		return fmt.Errorf("MaxAbsScalerModel: no maxima")
	}
	return nil
}

// Validate checks labels against columns.
func (m *StringIndexerModel) Validate() error {
	if len(m.InputCols) == 0 || len(m.InputCols) != len(m.OutputCols) || len(m.Labels) != len(m.InputCols) {
		return fmt.Errorf("StringIndexerModel: %d input columns, %d output columns, %d label lists", len(m.InputCols), len(m.OutputCols), len(m.Labels))
	}
	_, err := checkHandleInvalid("StringIndexerModel", m.HandleInvalid)
	return err
}

// Validate checks the vocabulary.
func (m *CountVectorizerModel) Validate() error {
	if len(m.Vocabulary) == 0 {
		return fmt.Errorf("CountVectorizerModel: empty vocabulary")
	}
	return nil
}

// Validate checks the category sizes.
func (m *OneHotEncoderModel) Validate() error {
	if len(m.InputCols) == 0 || len(m.InputCols) != len(m.OutputCols) || len(m.CategorySizes) != len(m.InputCols) {
		return fmt.Errorf("OneHotEncoderModel: %d input columns, %d output columns, %d category sizes", len(m.InputCols), len(m.OutputCols), len(m.CategorySizes))
	}
	for _, n := range m.CategorySizes {
		if n < 1 || n > math.MaxInt32 {
			return fmt.Errorf("OneHotEncoderModel: category size %d", n)
		}
	}
	_, err := checkHandleInvalid("OneHotEncoderModel", m.HandleInvalid)
	return err
}

// Validate checks the surrogates.
func (m *ImputerModel) Validate() error {
	if len(m.InputCols) == 0 || len(m.InputCols) != len(m.OutputCols) || len(m.Surrogates) != len(m.InputCols) {
		return fmt.Errorf("ImputerModel: %d input columns, %d output columns, %d surrogates", len(m.InputCols), len(m.OutputCols), len(m.Surrogates))
	}
	return nil
}

// Validate checks the vectors against the vocabulary.
func (m *Word2VecModel) Validate() error {
	if m.VectorSize < 1 || len(m.Words) == 0 || !learned.IsMatrix(len(m.Vectors), len(m.Words), m.VectorSize) {
		return fmt.Errorf("Word2VecModel: %d vector values for %d words of size %d", len(m.Vectors), len(m.Words), m.VectorSize)
	}
	return nil
}

// Validate checks the splits.
func (bz *Bucketizer) Validate() error {
	if len(bz.Splits) < 3 {
		return fmt.Errorf("Bucketizer: %d splits", len(bz.Splits))
	}
	for i := 1; i < len(bz.Splits); i++ {
		if !(bz.Splits[i] > bz.Splits[i-1]) {
			return fmt.Errorf("Bucketizer: splits not strictly increasing")
		}
	}
	return nil
}
