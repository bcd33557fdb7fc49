package ml

import "github.com/spindle-ml/spindle/table"

// Sample says how the conformance suite (internal/conformance) feeds a
// stage: the columns to generate and the parameters that wire the stage
// to them. The suite then tries the stage with its defaults and with each
// parameter's other values (every enum value, both booleans, the ends of
// its range, zero where allowed, its default written out), on every
// engine, after saving and loading, and through the server.
type Sample struct {
	// Name tells several samples of one stage apart ("vector").
	Name string
	// Columns are the input columns to generate.
	Columns []SampleColumn
	// Params set what the stage needs on those columns: its column
	// parameters and any parameter without a default (a Bucketizer's
	// splits).
	Params ParamMap
	// Label, for a predictor, is the label to generate in column "label":
	// "binary" (0 and 1), "multiclass" (0, 1, 2) or "regression".
	Label string
	// Values adds, per parameter, values to try that its rule cannot
	// give: patterns, lists, free strings.
	Values map[string][]any
	// Fixed lists parameters the sweep leaves at Params, with the reason
	// (their other values need other data).
	Fixed map[string]string
}

// SampleColumn is one generated input column. Kind picks its values
// beyond what the type implies: for strings "text" (sentences with
// capitals, digits and punctuation, the default) or "category" (a few
// distinct values); for string lists "tokens" (the default); for vectors
// "dense" (the default: mixed signs, every row dense, as an assembler or
// Word2Vec makes them), "dense+sparse" (a quarter of the rows sparse),
// "counts" (non-negative counts, sparse), "binary" (0 and 1) or "mixed"
// (some features categorical); for numbers
// "normal" (the default), "positive" or "category" (a few small
// integers). With Nulls, about one value in eight is null.
type SampleColumn struct {
	Name  string
	Type  table.Type
	Kind  string
	Nulls bool
}
