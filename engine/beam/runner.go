package beam

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	beamsdk "github.com/apache/beam/sdks/v2/go/pkg/beam"
	beamruntime "github.com/apache/beam/sdks/v2/go/pkg/beam/core/runtime"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/runtime/harness"
	beamlog "github.com/apache/beam/sdks/v2/go/pkg/beam/log"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/options/jobopts"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/dataflow"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/universal"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/util/grpcx"
)

// Runners lists the values Runner.Name takes.
var Runners = []string{"prism", "universal", "flink", "spark", "dataflow"}

// EnvironmentTypes lists the values Runner.EnvironmentType takes (Beam's
// names; empty means the runner's default: LOOPBACK for prism in process,
// DOCKER otherwise).
var EnvironmentTypes = []string{"LOOPBACK", "EXTERNAL", "PROCESS", "DOCKER"}

// Runner says where a Beam engine's jobs run.
//
//   - prism: with no Endpoint, a prism runner inside this process, the
//     workers being this process too (LOOPBACK); with an Endpoint, a
//     standalone prism job server.
//   - universal, flink, spark: a portable job server at Endpoint (Beam's
//     Flink or Spark job server, or prism); workers are started as
//     EnvironmentType says: EXTERNAL (a worker pool at EnvironmentConfig,
//     such as the Go SDK's boot program run with --worker_pool), PROCESS
//     (EnvironmentConfig is {"command": "/path/to/beam-boot"}) or DOCKER
//     (the apache/beam_go_sdk image).
//   - dataflow: Google Cloud Dataflow; Flags must give at least project,
//     region and staging_location.
//
// The worker binary is the running spindle executable (it is staged with
// each job and started with --worker=true; see IsWorker), unless Flags
// names another as worker_binary.
type Runner struct {
	Name              string
	Endpoint          string
	EnvironmentType   string
	EnvironmentConfig string
	// Flags are further Beam pipeline options by their Go SDK flag names
	// (job_name, parallelism, experiments, project, region, …).
	Flags map[string]string
	// SpindlePool says the EXTERNAL worker pool at EnvironmentConfig is
	// a Spindle pool (ServePool) of this build: jobs stage a placeholder
	// instead of this executable, and the pool's workers check the build.
	SpindlePool bool
}

// Validate checks the runner's names and flags without contacting
// anything.
func (r Runner) Validate() error {
	name := r.name()
	if !slices.Contains(Runners, name) {
		return fmt.Errorf("runner %q: allowed: %s", r.Name, strings.Join(Runners, ", "))
	}
	if r.EnvironmentType != "" && !slices.Contains(EnvironmentTypes, strings.ToUpper(r.EnvironmentType)) {
		return fmt.Errorf("environment type %q: allowed: %s", r.EnvironmentType, strings.Join(EnvironmentTypes, ", "))
	}
	switch name {
	case "universal", "flink", "spark":
		if r.Endpoint == "" {
			return fmt.Errorf("runner %s needs the job server's endpoint (HOST:PORT)", name)
		}
	}
	if r.SpindlePool && (!strings.EqualFold(r.EnvironmentType, "EXTERNAL") || r.EnvironmentConfig == "") {
		return fmt.Errorf("a Spindle worker pool (--spindle-pool) is an EXTERNAL environment: give --environment-type EXTERNAL and the pool's address as --environment-config HOST:PORT")
	}
	for k := range r.Flags {
		switch k {
		case "runner", "endpoint", "environment_type", "environment_config":
			return fmt.Errorf("beam flag %q: give it as its own option", k)
		}
		if flag.Lookup(k) == nil {
			return fmt.Errorf("beam flag %q: not an option of the Beam Go SDK", k)
		}
	}
	return nil
}

func (r Runner) name() string {
	if r.Name == "" {
		return "prism"
	}
	return strings.ToLower(r.Name)
}

// inProcess reports whether jobs run on a prism inside this process.
func (r Runner) inProcess() bool { return r.name() == "prism" && r.Endpoint == "" }

// key identifies the process-wide option values r needs.
func (r Runner) key() string {
	keys := make([]string, 0, len(r.Flags))
	for k := range r.Flags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%s|%s|%s", r.name(), r.Endpoint, r.EnvironmentType, r.EnvironmentConfig)
	for _, k := range keys {
		fmt.Fprintf(&b, "|%s=%s", k, r.Flags[k])
	}
	return b.String()
}

// The Beam Go SDK keeps its pipeline options in the process's flag set,
// so they are process-wide. The gate lets jobs of one runner run
// concurrently and makes a job of another runner wait until they are done
// before it sets the options its way.
type gate struct {
	mu      sync.Mutex
	cond    *sync.Cond
	cur     string
	running int
	set     []string // the Flags names the current options changed
	inproc  string   // the endpoint of the prism job server in this process
}

var sdk = func() *gate { g := &gate{}; g.cond = sync.NewCond(&g.mu); return g }()

var initOnce sync.Once

// initSDK runs the SDK's process-wide set-up once.
func initSDK() {
	initOnce.Do(func() {
		// The SDK and prism log each job's every step at INFO through the
		// default logger; keep only warnings and errors.
		beamlog.LogLevel = "warn"
		beamsdk.Init()
	})
}

// enter waits until r's options can be in force, sets them and counts a
// job in; leave counts it out.
func (g *gate) enter(ctx context.Context, r Runner) error {
	initSDK()
	key := r.key()
	g.mu.Lock()
	defer g.mu.Unlock()
	for g.running > 0 && g.cur != key {
		g.cond.Wait()
	}
	if g.cur != key {
		if err := g.apply(ctx, r); err != nil {
			g.cur = ""
			return err
		}
		g.cur = key
	}
	g.running++
	return nil
}

func (g *gate) leave() {
	g.mu.Lock()
	g.running--
	if g.running == 0 {
		g.cond.Broadcast()
	}
	g.mu.Unlock()
}

// apply sets the SDK's options for r (called with g.mu held and no job
// running).
func (g *gate) apply(ctx context.Context, r Runner) error {
	for _, k := range g.set {
		if f := flag.Lookup(k); f != nil {
			_ = f.Value.Set(f.DefValue)
		}
	}
	g.set = g.set[:0]
	endpoint, envType := r.Endpoint, strings.ToUpper(r.EnvironmentType)
	if r.inProcess() {
		if g.inproc == "" {
			ep, err := startPrism(ctx)
			if err != nil {
				return err
			}
			g.inproc = ep
		}
		endpoint = g.inproc
		if envType == "" {
			envType = "LOOPBACK"
		}
	}
	*jobopts.Endpoint = endpoint
	*jobopts.EnvironmentType = envType
	*jobopts.EnvironmentConfig = r.EnvironmentConfig
	// The worker binary is this executable: the SDK would otherwise
	// compile the program's source for every job (it never treats the
	// running binary as one).
	*jobopts.WorkerBinary = ""
	switch {
	case r.SpindlePool:
		// The pool runs its own copy of this build: a job stages a few
		// bytes, not the executable (tens of MB, every job).
		exe, err := placeholder()
		if err != nil {
			return err
		}
		*jobopts.WorkerBinary = exe
	case envType != "LOOPBACK":
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("beam worker binary: %w", err)
		}
		*jobopts.WorkerBinary = exe
	}
	for k, v := range r.Flags {
		if err := flag.Set(k, v); err != nil {
			return fmt.Errorf("beam flag %s=%q: %w", k, v, err)
		}
		g.set = append(g.set, k)
	}
	return nil
}

// startPrism starts a prism job server inside this process and returns its
// endpoint.
func startPrism(ctx context.Context) (string, error) {
	l, err := net.Listen("tcp", "localhost:0")
	if err != nil {
		return "", fmt.Errorf("start prism: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	if _, err := prism.CreateJobServer(ctx, prism.Options{Port: port}); err != nil {
		return "", fmt.Errorf("start prism: %w", err)
	}
	return fmt.Sprintf("localhost:%d", port), nil
}

// prismJobs makes the jobs this process sends to a prism job server run
// one at a time: prism (Beam 2.77) stages a job's artifacts into a map
// it does not lock (jobservices/artifact.go, ReverseArtifactRetrievalService),
// so two jobs submitted at once can crash the server ("concurrent map
// writes"). Each job already runs its partitions on every core. It is a
// one-slot semaphore so a job waiting for its turn still sees its
// context end.
var prismJobs = make(chan struct{}, 1)

// execute runs one pipeline on r.
func execute(ctx context.Context, r Runner, p *beamsdk.Pipeline) error {
	if err := sdk.enter(ctx, r); err != nil {
		return err
	}
	defer sdk.leave()
	if r.name() == "prism" {
		select {
		case prismJobs <- struct{}{}:
			defer func() { <-prismJobs }()
		case <-ctx.Done():
			return fmt.Errorf("waiting for the prism job before this one: %w", ctx.Err())
		}
	}
	var err error
	if r.name() == "dataflow" {
		_, err = dataflow.Execute(ctx, p)
	} else {
		// flink and spark are the portable runner with their job servers
		// (the SDK's own flink and spark runners forward to it too).
		_, err = universal.Execute(ctx, p)
	}
	if *jobopts.EnvironmentType == "LOOPBACK" {
		sweepLoopbackFiles(time.Now().Add(-time.Minute))
	}
	return err
}

// sweepLoopbackFiles removes the empty beamloopbackworker-* files the SDK
// creates in the temporary directory for every LOOPBACK job and never
// removes (it needs a file name, not a file). Only those older than
// before go, so a job starting in another process keeps its own.
func sweepLoopbackFiles(before time.Time) {
	names, _ := filepath.Glob(filepath.Join(os.TempDir(), "beamloopbackworker-*"))
	for _, n := range names {
		if fi, err := os.Lstat(n); err == nil && fi.Mode().IsRegular() && fi.Size() == 0 && fi.ModTime().Before(before) {
			_ = os.Remove(n)
		}
	}
}

// checkEndpoint fails fast, with a clear message, when nothing listens at
// the job server's endpoint (the SDK itself would retry for two minutes).
func checkEndpoint(ctx context.Context, r Runner) error {
	if r.Endpoint == "" || r.name() == "dataflow" {
		return nil
	}
	d := net.Dialer{Timeout: 10 * time.Second}
	c, err := d.DialContext(ctx, "tcp", r.Endpoint)
	if err != nil {
		return fmt.Errorf("beam: job server %s (runner %s) is unreachable: %w", r.Endpoint, r.name(), err)
	}
	return c.Close()
}

// IsWorker reports whether the command line (os.Args[1:]) starts this
// process as a Beam worker: the SDK's boot program runs the staged worker
// binary — spindle itself — with --worker=true.
func IsWorker(args []string) bool {
	for _, a := range args {
		switch a {
		case "--worker=true", "-worker=true", "--worker", "-worker":
			return true
		}
	}
	return false
}

// RunWorker runs this process as a Beam SDK worker: it reads the SDK's
// flags (--id, --logging_endpoint, --control_endpoint, …) and pipeline
// options from the command line and environment the boot program sets, and
// serves the runner until it closes the control stream. It returns the
// process's exit code.
//
// It runs the SDK harness itself instead of through beam.Init: the SDK's
// own worker hook never exits after a successful run (it waits to be
// killed), and the boot program's pool kills only the boot process, so
// every finished worker would stay behind.
func RunWorker() int {
	removeBootCopy()
	beamlog.LogLevel = "warn"
	flag.Parse()
	get := func(name string) string {
		if f := flag.Lookup(name); f != nil {
			return f.Value.String()
		}
		return ""
	}
	id, logging, control, options := get("id"), get("logging_endpoint"), get("control_endpoint"), get("options")
	if id == "" || control == "" {
		fmt.Fprintln(os.Stderr, "spindle worker: --id and --control_endpoint are required")
		return 2
	}
	if file := os.Getenv("PIPELINE_OPTIONS_FILE"); file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			fmt.Fprintf(os.Stderr, "spindle worker: pipeline options: %v\n", err)
			return 1
		}
		options = string(data)
	}
	if options != "" {
		var w beamruntime.RawOptionsWrapper
		if err := json.Unmarshal([]byte(options), &w); err != nil {
			fmt.Fprintf(os.Stderr, "spindle worker: pipeline options: %v\n", err)
			return 1
		}
		beamruntime.GlobalOptions.Import(w.Options)
	}
	// The SDK's other init hooks run; its worker hook stays idle.
	_ = flag.Set("worker", "false")
	beamsdk.Init()
	ctx := grpcx.WriteWorkerID(context.Background(), id)
	opts := harness.Options{StatusEndpoint: os.Getenv("STATUS_ENDPOINT")}
	if c := os.Getenv("RUNNER_CAPABILITIES"); c != "" {
		opts.RunnerCapabilities = strings.Fields(c)
	}
	if err := harness.MainWithOptions(ctx, logging, control, opts); err != nil {
		fmt.Fprintf(os.Stderr, "spindle worker %s: %v\n", id, err)
		return 1
	}
	return 0
}

// removeBootCopy deletes the copy of the worker binary the Go SDK's boot
// program makes for each worker (/tmp/bin…/worker) and never removes: the
// running process keeps its image, and a worker pool serving many jobs no
// longer fills /tmp with a 100 MB copy per job.
func removeBootCopy() {
	exe, err := os.Executable()
	if err != nil {
		return
	}
	dir := filepath.Dir(exe)
	if filepath.Base(exe) == "worker" && filepath.Dir(dir) == "/tmp" && strings.HasPrefix(filepath.Base(dir), "bin") {
		_ = os.RemoveAll(dir)
	}
}
