// Command spindle is the Spindle command line. See 'spindle --help'.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/spindle-ml/spindle/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
