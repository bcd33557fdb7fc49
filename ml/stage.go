package ml

import "github.com/spindle-ml/spindle/table"

// The stage contract, in one place.
//
// A stage is a pointer to a struct whose exported fields are its
// parameters, by their Spark names with the first letter raised
// (RegParam is regParam). The zero value of each field is Spark's
// default; where Spark gives zero a meaning of its own the field is a
// pointer and nil is the default. Each parameter's allowed values are in
// its `param` tag (see Validate).
//
// A stage is a Transformer or an Estimator. A row-wise transformer is an
// engine.Mapper — the value a worker runs and a saved model stores — and
// that is all it needs to be a Transformer (ml.Transform applies it). An
// Estimator's Fit returns a Model, which is a registered kernel too, so it
// can run on any engine and be saved. A stage registers itself once, with
// Register, in its own package.
//
// Optional parts, each an interface the stage asserts at compile time:
//
//   - ParamChecker: constraints between parameters (min below max);
//   - SchemaChecker: an estimator that checks its input schema before
//     fitting (so a spec's mistakes surface before any pass);
//   - ColumnReader: the input columns a stage reads (a run drops the
//     others early);
//   - ProgressReporter: an estimator that reports optimizer iterations;
//   - StateValidator: a model that checks its state after loading;
//   - Summarizer: a model that describes its fitted state for
//     `spindle inspect`.
//
// Adding a stage is one file (its type, its registration, its compile-time
// assertions), its test, and a line in the docs; see the README's "Adding
// a stage".

// SchemaChecker is implemented by estimators that can check the schema
// they will be fitted on and say what their model will output (and by
// every Transformer).
type SchemaChecker interface {
	OutputSchema(in *table.Schema) (*table.Schema, error)
}

// ColumnReader is implemented by stages that say which columns of their
// input they read. nil means every column (DropNullRows over all).
type ColumnReader interface {
	InputColumns() []string
}

// ProgressReporter is implemented by estimators that report progress (an
// optimizer's iterations). SetProgress changes the stage: call it on a
// copy (WithParams(stage, nil)) of a shared one.
type ProgressReporter interface {
	SetProgress(fn func(iter int, loss float64))
}

// StateValidator is implemented by models that can check their state —
// array lengths, finiteness — so that a corrupt saved model is an error at
// load, not a panic later.
type StateValidator interface {
	Validate() error
}

// Summarizer is implemented by models that describe their fitted state
// for `spindle inspect`: sizes, and what matters most in it (a tree
// model's top features). The values must marshal to JSON.
type Summarizer interface {
	Summary() map[string]any
}
