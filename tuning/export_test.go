package tuning

import "github.com/spindle-ml/spindle/engine"

// ClassCounterForTest exposes the class-count pass to tests.
func ClassCounterForTest(label string) engine.Aggregator[map[int]map[float64]int64] {
	return classCounter{LabelCol: label}
}

// StratifiedOffsetsForTest exposes stratifiedOffsets to tests.
var StratifiedOffsetsForTest = stratifiedOffsets
