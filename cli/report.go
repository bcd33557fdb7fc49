package cli

import (
	"github.com/spf13/cobra"

	"github.com/spindle-ml/spindle/report"
	"github.com/spindle-ml/spindle/storage"
)

func reportCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "report RUN_DIR",
		Short: "Rebuild a run's report.html from its metrics.json",
		Long: `Report renders the metrics.json of a run's output directory (local or
s3://) as report.html beside it: one self-contained page (charts inline as
SVG, no script, no network) with the models compared, ROC and
precision-recall curves, confusion matrices, every fold's metric per grid
point, objective histories, top features, the input's classes, nulls and
profile, and timings and engine passes. 'spindle run' writes it too.`,
		Example: `  spindle report out/spam
  spindle report s3://bucket/runs/1`,
		Args: exactArgs(1, "one RUN_DIR (a run's output directory or s3:// prefix)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := report.Write(cmd.Context(), e.store(), args[0]); err != nil {
				return err
			}
			e.log.Info("wrote", "uri", storage.Join(args[0], "report.html"))
			return nil
		},
	}
}
