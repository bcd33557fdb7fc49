// Package feature holds Spindle's feature stages with Spark ML's names,
// parameters, defaults and formulas, so the same input gives the same
// numbers as Spark:
//
// column functions (RegexReplace, Filter…), text (RegexTokenizer,
// HashingTF, IDF, Word2Vec…), categorical (StringIndexer, OneHotEncoder…),
// numeric (Imputer, Bucketizer…) and vector stages (VectorAssembler, the
// scalers). The README's "Feature stages" table lists them all; each
// registers itself (ml.Register) under its Spark name.
//
// Every stage is a value whose exported fields are its parameters; the
// zero value of each field is Spark's default. Where Spark gives a zero of
// its own meaning different from the default (maxIter 0, minCount 0, a max
// of 0), the field is a pointer and nil means the default; boolean
// parameters whose Spark default is true are *bool. Each parameter's
// allowed values are declared in its `param` tag (see ml.Validate) and
// checked wherever a value is set, so a written 0 that Spark refuses
// (numFeatures: 0) is an error, never the default. Row-wise stages are
// engine kernels themselves; estimators (IDF, StringIndexer, the scalers)
// compute their statistics with engine aggregators and return a model that
// is again a kernel. All are registered with the engine, so they run on
// any engine and can be saved.
//
// Nulls: a null input gives a null output in row-wise stages; estimators
// skip null rows when fitting unless a stage's doc says otherwise.
package feature
