// Package beamtest starts what the distributed tests run against: a
// standalone prism job server (Apache Beam's Go runner, its cmd/prism) and
// the Go SDK's boot program as an EXTERNAL worker pool, each a separate
// process. The programs are built from the Beam module this project
// requires, once, into the tool cache (scripts/tools.sh builds them too).
package beamtest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"
)

// Module is the Beam Go SDK module the programs come from.
const Module = "github.com/apache/beam/sdks/v2"

// PoolAddr is where the boot program's worker pool listens (it always
// takes port 50000).
const PoolAddr = "localhost:50000"

// Version returns the Beam SDK version linked into this binary, or, for
// test binaries (which carry no module list), the one go.mod requires.
func Version() (string, error) {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == Module {
				if d.Replace != nil {
					return d.Replace.Version, nil
				}
				return d.Version, nil
			}
		}
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", Module).Output()
	if err != nil {
		return "", fmt.Errorf("beamtest: go list -m %s: %w", Module, err)
	}
	v := strings.TrimSpace(string(out))
	if v == "" {
		return "", errors.New("beamtest: no Beam version in go.mod")
	}
	return v, nil
}

// Programs returns the paths of prism and the boot program, building them
// into $SPINDLE_TOOLS/beam-<version>/ when missing (from within this
// module, so they match its go.sum).
func Programs() (prism, boot string, err error) {
	v, err := Version()
	if err != nil {
		return "", "", err
	}
	cache := os.Getenv("SPINDLE_TOOLS")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache", "spindle-tools")
	}
	dir := filepath.Join(cache, "beam-"+v)
	prism, boot = filepath.Join(dir, "prism"), filepath.Join(dir, "beam-boot")
	for _, p := range []struct{ out, pkg string }{{prism, Module + "/go/cmd/prism"}, {boot, Module + "/go/container"}} {
		if _, err := os.Stat(p.out); err == nil {
			continue
		}
		tmp := p.out + ".tmp"
		cmd := exec.Command("go", "build", "-o", tmp, p.pkg)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return "", "", fmt.Errorf("beamtest: go build %s: %v: %s", p.pkg, err, stderr.Bytes())
		}
		if err := os.Rename(tmp, p.out); err != nil {
			return "", "", err
		}
	}
	return prism, boot, nil
}

// Servers are a running prism job server and worker pool.
type Servers struct {
	// Endpoint is the job server's HOST:PORT.
	Endpoint string
	// Pool is the worker pool's HOST:PORT (the EXTERNAL environment's
	// config).
	Pool string
	// Logs holds the processes' output files.
	Logs  string
	procs []*exec.Cmd
}

// Start starts prism on a free port and, unless one already listens on
// PoolAddr, a worker pool; Stop ends what it started.
func Start() (*Servers, error) {
	prism, boot, err := Programs()
	if err != nil {
		return nil, err
	}
	logs, err := os.MkdirTemp("", "spindle-beamtest-")
	if err != nil {
		return nil, err
	}
	s := &Servers{Pool: PoolAddr, Logs: logs}
	l, err := net.Listen("tcp", "localhost:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s.Endpoint = fmt.Sprintf("localhost:%d", port)
	if err := s.start(prism, "prism.log", "--job_port", fmt.Sprint(port), "--serve_http=false", "--log_level", "warn"); err != nil {
		return nil, err
	}
	if !listening(PoolAddr) {
		if err := s.start(boot, "pool.log", "--worker_pool"); err != nil {
			s.Stop()
			return nil, err
		}
	}
	for _, addr := range []string{s.Endpoint, s.Pool} {
		if err := waitFor(addr, 30*time.Second); err != nil {
			s.Stop()
			return nil, err
		}
	}
	return s, nil
}

func (s *Servers) start(prog, log string, args ...string) error {
	f, err := os.Create(filepath.Join(s.Logs, log))
	if err != nil {
		return err
	}
	cmd := exec.Command(prog, args...)
	// The boot program writes pipeline_options.json into its working
	// directory.
	cmd.Dir = s.Logs
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("beamtest: start %s: %w", prog, err)
	}
	s.procs = append(s.procs, cmd)
	return nil
}

// Stop kills the processes Start started.
func (s *Servers) Stop() {
	for _, p := range s.procs {
		_ = p.Process.Kill()
		_ = p.Wait()
	}
	s.procs = nil
}

// Output returns the processes' logs, for a failing test's message.
func (s *Servers) Output() string {
	var b bytes.Buffer
	for _, n := range []string{"prism.log", "pool.log"} {
		data, _ := os.ReadFile(filepath.Join(s.Logs, n))
		if len(data) > 4000 {
			data = data[len(data)-4000:]
		}
		fmt.Fprintf(&b, "--- %s\n%s\n", n, data)
	}
	return b.String()
}

func listening(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func waitFor(addr string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if listening(addr) {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("beamtest: nothing listens on %s after %v", addr, d)
}
