package cli

// The stages a spec can name, registered as cmd/spindle registers them.
import (
	_ "github.com/spindle-ml/spindle/classification"
	_ "github.com/spindle-ml/spindle/clustering"
	_ "github.com/spindle-ml/spindle/feature"
	_ "github.com/spindle-ml/spindle/regression"
)
