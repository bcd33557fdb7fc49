package cli

import (
	"context"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/spindle-ml/spindle/engine/beam"
)

// poolCmd runs a Spindle worker pool.
func poolCmd(e *env) *cobra.Command {
	var port int
	c := &cobra.Command{
		Use:   "worker-pool",
		Short: "Serve Beam workers from this process, for jobs that run with --spindle-pool",
		Long: `Run a Beam external worker pool on localhost:PORT whose workers run inside
this process: a job then stages a placeholder of a few bytes instead of
the spindle executable, and its workers start in milliseconds. Start one
per worker node with the same spindle binary as the driver (the EMR
bootstrap does), and run jobs with

  spindle run spec.yaml --runner flink --endpoint HOST:8099 \
    --environment-type EXTERNAL --environment-config localhost:PORT --spindle-pool

A worker refuses work from a driver of another build. The pool runs
until it is interrupted (SIGINT or SIGTERM).`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if port < 1 || port > 65535 {
				return usagef("--port %d: want a TCP port", port)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			e.log.Info("spindle worker pool", "addr", "localhost", "port", port)
			return beam.ServePool(context.WithoutCancel(ctx), port, ctx.Done())
		},
	}
	c.Flags().IntVar(&port, "port", 50000, "the TCP port on localhost the pool listens on")
	return c
}
