package cli

// The engines this program can run on: each registers itself
// (engine.RegisterEngine) under the names --runner takes, with its
// settings, which become flags of run and predict.
import (
	_ "github.com/spindle-ml/spindle/engine/beam"
	_ "github.com/spindle-ml/spindle/engine/local"
)
