package sched

import (
	"context"
	"fmt"

	"github.com/spindle-ml/spindle/engine"
)

// scratchOf is a wrapper's ScratchDir: its engine's, or an error naming
// the engine.
func scratchOf(ctx context.Context, e engine.Engine) (string, error) {
	dir, ok, err := engine.ScratchDir(ctx, e)
	if !ok {
		return "", fmt.Errorf("the %s engine has no scratch location shared by its workers", e.Name())
	}
	return dir, err
}
