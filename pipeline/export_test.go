package pipeline

import (
	"encoding/json"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/ml"
)

// EncodeStage returns a stage's metadata.json and data.parquet bytes as
// Save writes them (for tests).
func EncodeStage(t ml.Transformer) (meta, data []byte, err error) {
	kind := t.(engine.Kernel).KernelName()
	sm, data, err := encodeStage(t, stageRefOf(0, kind), "test")
	if err != nil {
		return nil, nil, err
	}
	meta, err = json.Marshal(sm)
	return meta, data, err
}
