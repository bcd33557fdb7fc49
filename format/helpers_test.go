package format_test

import (
	"github.com/spindle-ml/spindle/format/csv"
	"github.com/spindle-ml/spindle/format/libsvm"
	"github.com/spindle-ml/spindle/table"
)

func csvOptions(schema map[string]table.Type) csv.Options { return csv.Options{Schema: schema} }

func libsvmOptions(n int) libsvm.Options { return libsvm.Options{NumFeatures: n} }
