package cli

import (
	"context"
	"fmt"
	"os"
	"path"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/spindle-ml/spindle/storage"
)

// stageFlags are spindle stage's options.
type stageFlags struct {
	to, binary, boot, jobServer, certs string
}

func stageCmd(e *env) *cobra.Command {
	var f stageFlags
	cmd := &cobra.Command{
		Use:   "stage --to s3://BUCKET[/PREFIX] SPEC",
		Short: "Upload what a cluster run needs: the linux/amd64 binary, the Beam boot program, the spec",
		Long: `Stage checks SPEC and uploads, under --to (the artifacts bucket the Terraform
module made, deploy/terraform):

  spindle/bin/spindle        this binary (or --binary), linux/amd64
  spindle/bin/boot           the Beam Go SDK boot program (--boot)
  spindle/specs/<name>.yaml  the spec (overrides for the cluster run go in
                             the module's spindle_args)
  spindle/beam/…job-server.jar   with --job-server-jar
  security/emr-tls-certs.zip     with --tls-certs

and prints the keys as Terraform variables for the module.`,
		Example: `  spindle stage --to s3://demo-123456789012-eu-west-1-artifacts --boot ./boot examples/spam/pipeline.yaml`,
		Args:    exactArgs(1, "one SPEC path or URI"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runStage(cmd.Context(), e, args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.to, "to", "", "s3:// bucket and optional prefix to upload to (required)")
	fl.StringVar(&f.binary, "binary", "", "linux/amd64 spindle binary to upload (default: this one, when it is linux/amd64)")
	fl.StringVar(&f.boot, "boot", "", "Beam Go SDK boot program, linux/amd64 (required)")
	fl.StringVar(&f.jobServer, "job-server-jar", "", "Beam Flink 1.20 job server jar to upload")
	fl.StringVar(&f.certs, "tls-certs", "", "zip of PEM certificates for EMR in-transit encryption")
	return cmd
}

func runStage(ctx context.Context, e *env, specURI string, f stageFlags) error {
	if !strings.HasPrefix(f.to, "s3://") {
		return usagef("--to must be an s3:// bucket or prefix, got %q", f.to)
	}
	if f.boot == "" {
		return usagef("--boot is required: the Beam Go SDK boot program the cluster's workers start")
	}
	bin := f.binary
	if bin == "" {
		if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
			return usagef("this spindle is %s/%s; pass --binary with a linux/amd64 build", runtime.GOOS, runtime.GOARCH)
		}
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("find this binary: %w", err)
		}
		bin = exe
	}
	s, raw, err := loadSpec(ctx, e, specURI, nil)
	if err != nil {
		return err
	}
	name := s.Name
	if name == "" {
		name = strings.TrimSuffix(path.Base(specURI), path.Ext(specURI))
	}
	prefix := strings.TrimSuffix(f.to, "/")
	type upload struct {
		variable, key, from string
		data                []byte
	}
	ups := []upload{
		{"spindle_binary_key", "spindle/bin/spindle", bin, nil},
		{"boot_binary_key", "spindle/bin/boot", f.boot, nil},
		{"spec_key", "spindle/specs/" + name + ".yaml", "", raw},
	}
	if f.jobServer != "" {
		ups = append(ups, upload{"job_server_jar_key", "spindle/beam/beam-runners-flink-1.20-job-server.jar", f.jobServer, nil})
	}
	if f.certs != "" {
		ups = append(ups, upload{"tls_certificates_key", "security/emr-tls-certs.zip", f.certs, nil})
	}
	st := e.store()
	loc, err := storage.Parse(prefix)
	if err != nil {
		return usageError{err}
	}
	for _, u := range ups {
		data := u.data
		if data == nil {
			if data, err = os.ReadFile(u.from); err != nil {
				return fmt.Errorf("stage %s: %w", u.variable, err)
			}
		}
		uri := storage.Join(prefix, u.key)
		if err := st.WriteFile(ctx, uri, data); err != nil {
			return fmt.Errorf("stage %s: %w", u.variable, err)
		}
		e.log.Info("staged", "uri", uri, "bytes", len(data))
	}
	keyPrefix := strings.Trim(loc.Path, "/")
	for _, u := range ups {
		k := u.key
		if keyPrefix != "" {
			k = keyPrefix + "/" + k
		}
		fmt.Fprintf(e.stdout, "%s = %q\n", u.variable, k)
	}
	return nil
}
