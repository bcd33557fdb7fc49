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

	"github.com/spindle-ml/spindle/internal/toolcache"
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
	dir := filepath.Join(toolcache.Dir(), "beam-"+v)
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
	pools []chan struct{} // closed when a started pool has exited
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
	if err := s.startPool(boot); err != nil {
		s.Stop()
		return nil, err
	}
	if err := waitFor(s.Endpoint, 30*time.Second); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// startPool makes sure a worker pool listens on PoolAddr: one already
// there is used; otherwise one is started, and started again if it exits
// at once (the port can still be held for a moment by a pool that was just
// stopped).
func (s *Servers) startPool(boot string) error {
	for try := 0; try < 10; try++ {
		if listening(PoolAddr) {
			return nil
		}
		cmd, err := s.startCmd(boot, "pool.log", "--worker_pool")
		if err != nil {
			return err
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		deadline := time.After(30 * time.Second)
		for up := false; !up; {
			select {
			case <-exited:
				up = true
				cmd = nil
			case <-deadline:
				_ = cmd.Process.Kill()
				return fmt.Errorf("beamtest: the worker pool does not listen on %s after 30 s", PoolAddr)
			case <-time.After(50 * time.Millisecond):
				up = listening(PoolAddr)
			}
		}
		if cmd != nil {
			s.pools = append(s.pools, exited)
			s.procs = append(s.procs, cmd)
			return nil
		}
		time.Sleep(time.Second)
	}
	return fmt.Errorf("beamtest: no worker pool could listen on %s; see %s", PoolAddr, filepath.Join(s.Logs, "pool.log"))
}

func (s *Servers) start(prog, log string, args ...string) error {
	cmd, err := s.startCmd(prog, log, args...)
	if err != nil {
		return err
	}
	s.procs = append(s.procs, cmd)
	return nil
}

func (s *Servers) startCmd(prog, log string, args ...string) (*exec.Cmd, error) {
	f, err := os.OpenFile(filepath.Join(s.Logs, log), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(prog, args...)
	// The boot program writes pipeline_options.json into its working
	// directory.
	cmd.Dir = s.Logs
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("beamtest: start %s: %w", prog, err)
	}
	return cmd, nil
}

// Stop kills the processes Start started and waits for them to exit.
func (s *Servers) Stop() {
	for _, p := range s.procs {
		_ = p.Process.Kill()
	}
	for _, p := range s.procs[:len(s.procs)-len(s.pools)] {
		_ = p.Wait()
	}
	for _, done := range s.pools {
		<-done
	}
	s.procs, s.pools = nil, nil
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
