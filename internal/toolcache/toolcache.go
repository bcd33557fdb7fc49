// Package toolcache locates the folder scripts/tools.sh builds the test
// tools into: $SPINDLE_TOOLS, or ~/.cache/spindle-tools, one subfolder per
// tool and version.
package toolcache

import (
	"os"
	"path/filepath"
)

// Dir returns the tool cache folder.
func Dir() string {
	if d := os.Getenv("SPINDLE_TOOLS"); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "spindle-tools")
}
