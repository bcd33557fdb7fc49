package beam

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/universal/extworker"
)

// ServePool runs a Spindle worker pool on localhost:port until stop:
// Beam's external worker pool service (what an EXTERNAL environment's
// config names), whose workers run inside this process, as the Go SDK's
// LOOPBACK workers do, instead of a boot program downloading and starting
// a staged worker binary for every job. One pool per node (started with
// the node, e.g. by the EMR bootstrap) serves every job of every run of
// the same Spindle build: a job then stages a placeholder of a few bytes
// (Runner.SpindlePool), its workers start in milliseconds, and a worker
// refuses work from a driver of another build (the DoFns carry the
// driver's BuildDigest).
//
// The workers run under ctx; the pool stops (and its workers with it)
// when stop is closed.
func ServePool(ctx context.Context, port int, stop <-chan struct{}) error {
	if _, err := BuildDigest(); err != nil {
		return err
	}
	lb, err := extworker.StartLoopback(ctx, port)
	if err != nil {
		return fmt.Errorf("spindle worker pool on port %d: %w", port, err)
	}
	<-stop
	return lb.Stop(ctx)
}

// build is this executable's digest, computed once (the file does not
// change while it runs).
var build = sync.OnceValues(func() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("spindle build digest: %w", err)
	}
	f, err := os.Open(exe)
	if err != nil {
		return "", fmt.Errorf("spindle build digest: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("spindle build digest: %s: %w", exe, err)
	}
	return hex.EncodeToString(h.Sum(nil))[:32], nil
})

// BuildDigest returns a digest of the running executable: a driver and a
// worker pool with the same digest run the same kernels.
func BuildDigest() (string, error) { return build() }

// checkBuild fails when the driver's build (want, empty when the job was
// not sent to a Spindle pool) is not this worker's.
func checkBuild(want string) error {
	if want == "" {
		return nil
	}
	got, err := BuildDigest()
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("this Spindle worker pool runs build %s, the driver build %s: start the pool from the driver's spindle binary", got, want)
	}
	return nil
}

// placeholder returns a file of a few bytes to stage as the worker binary
// of a job a Spindle pool runs (the pool never starts it), made once per
// process.
var placeholder = sync.OnceValues(func() (string, error) {
	digest, err := BuildDigest()
	if err != nil {
		return "", err
	}
	path := filepath.Join(os.TempDir(), "spindle-pool-worker-"+digest)
	body := []byte("#!/bin/sh\necho 'spindle: this job needs a Spindle worker pool (spindle worker-pool) of build " + digest + "' >&2\nexit 1\n")
	if err := os.WriteFile(path, body, 0o755); err != nil {
		return "", fmt.Errorf("spindle pool placeholder: %w", err)
	}
	return path, nil
})
