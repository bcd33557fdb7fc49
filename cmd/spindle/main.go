// Command spindle is the Spindle command line. See 'spindle --help'.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/spindle-ml/spindle/cli"
	"github.com/spindle-ml/spindle/engine/beam"

	// The stages a spec can name: each package registers its own
	// (ml.Register), as image formats register with package image.
	_ "github.com/spindle-ml/spindle/classification"
	_ "github.com/spindle-ml/spindle/clustering"
	_ "github.com/spindle-ml/spindle/feature"
	_ "github.com/spindle-ml/spindle/regression"
)

func main() {
	// A Beam runner starts this same binary as its worker.
	if beam.IsWorker(os.Args[1:]) {
		os.Exit(beam.RunWorker())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
