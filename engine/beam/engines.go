package beam

import (
	"context"
	"strconv"
	"strings"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/storage"
)

// defaultCacheMiB is --worker-cache-mib's default.
const defaultCacheMiB = 10240

func init() {
	engine.RegisterEngine(engine.EngineInfo{
		Names: Runners, Kind: "a Beam runner",
		Settings: []engine.Setting{
			{Name: "endpoint", Usage: "with a Beam runner: the job server, HOST:PORT (prism without it runs in this process)"},
			{Name: "environment-type", Usage: "with a Beam runner: how workers start: " + strings.Join(EnvironmentTypes, ", ") + " (default: LOOPBACK in process, DOCKER on a job server)"},
			{Name: "environment-config", Usage: `with a Beam runner: the worker pool's HOST:PORT for EXTERNAL, {"command": "/path/to/beam-boot"} for PROCESS, the image for DOCKER`},
			{Name: "staging", Usage: "with a Beam runner: directory or s3:// prefix for staged data, reachable by the workers (default: a temporary directory)"},
			{Name: "worker-cache", Usage: "with a Beam runner and s3:// staging: the directory on each worker node that keeps the staged partitions it fetched, for later passes (default: spindle-cache in the worker's temporary directory)"},
			{Name: "worker-cache-mib", Type: "int64", Default: strconv.Itoa(defaultCacheMiB), Usage: "with a Beam runner and s3:// staging: the most MiB --worker-cache holds (least recently used go first); 0 turns it off"},
			{Name: "spindle-pool", Bool: true, Usage: "with a Beam runner: the EXTERNAL worker pool at --environment-config is a `spindle worker-pool` of this build (jobs stage a placeholder, not this executable)"},
			{Name: "beam", Repeatable: true, Usage: "with a Beam runner: another Beam pipeline option, as name=value with the Go SDK's name (job_name, parallelism, project, region, …; repeatable)"},
		},
		Open: open,
	})
}

// open makes the Beam engine for runner name from its settings, and
// checks its staging location before any work.
func open(ctx context.Context, name string, set []engine.SettingValue, env engine.Env) (engine.Engine, error) {
	r := Runner{Name: name}
	e := &Engine{Storage: storage.Options{S3Endpoint: env.S3Endpoint, Region: env.Region}, Log: env.Log}
	cacheMiB := int64(defaultCacheMiB)
	for _, sv := range set {
		switch sv.Name {
		case "endpoint":
			r.Endpoint = sv.Value
		case "environment-type":
			r.EnvironmentType = sv.Value
		case "environment-config":
			r.EnvironmentConfig = sv.Value
		case "staging":
			e.Staging = sv.Value
		case "worker-cache":
			e.Cache.Dir = sv.Value
		case "worker-cache-mib":
			n, err := strconv.ParseInt(sv.Value, 10, 64)
			if err != nil || n < 0 {
				return nil, engine.SettingErrorf("--worker-cache-mib %s: want 0 (off) or more MiB", sv.Value)
			}
			cacheMiB = n
		case "spindle-pool":
			b, err := strconv.ParseBool(sv.Value)
			if err != nil {
				return nil, engine.SettingErrorf("--spindle-pool %s: want true or false", sv.Value)
			}
			r.SpindlePool = b
		case "beam":
			k, v, ok := strings.Cut(sv.Value, "=")
			if !ok || k == "" {
				return nil, engine.SettingErrorf("--beam %q: want name=value", sv.Value)
			}
			if r.Flags == nil {
				r.Flags = map[string]string{}
			}
			r.Flags[strings.TrimLeft(k, "-")] = v
		}
	}
	if err := r.Validate(); err != nil {
		return nil, &engine.SettingError{Msg: err.Error()}
	}
	e.Runner = r
	e.Cache.MaxBytes = cacheMiB << 20
	if e.Staging != "" {
		// Before any work, not at the first pass.
		if err := storage.New(e.Storage).CheckWritable(ctx, e.Staging); err != nil {
			return nil, engine.SettingErrorf("--staging %s: %v", e.Staging, err)
		}
	}
	return e, nil
}
