package beam_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/engine/beam"
	"github.com/spindle-ml/spindle/engine/local"
)

// TestEngineRegistry: engines are chosen by name from the registry, the
// embedded one by default, each with the settings it declares; a setting
// or name that does not fit is a SettingError saying what would.
func TestEngineRegistry(t *testing.T) {
	ctx := context.Background()
	if got, want := engine.EngineNames(), []string{"local", "prism", "universal", "flink", "spark", "dataflow"}; !slices.Equal(got, want) {
		t.Fatalf("names %v, want %v", got, want)
	}
	// A default written out, or a false flag, asks nothing of an engine
	// that does not take it.
	defaults := []engine.SettingValue{{Name: "spindle-pool", Value: "false"}, {Name: "worker-cache-mib", Value: "10240"}}
	for _, name := range []string{"", "local"} {
		e, err := engine.OpenEngine(ctx, name, defaults, engine.Env{})
		if _, ok := e.(*local.Engine); !ok || err != nil {
			t.Fatalf("%q: %T, %v", name, e, err)
		}
	}
	staging := t.TempDir()
	e, err := engine.OpenEngine(ctx, "prism", []engine.SettingValue{
		{Name: "staging", Value: staging}, {Name: "worker-cache-mib", Value: "3"}, {Name: "spindle-pool", Value: "false"},
		{Name: "beam", Value: "job_name=a"}, {Name: "beam", Value: "--parallelism=4"},
	}, engine.Env{Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	be := e.(*beam.Engine)
	if be.Runner.Name != "prism" || be.Staging != staging || be.Cache.MaxBytes != 3<<20 || be.Storage.Region != "eu-west-1" ||
		be.Runner.Flags["job_name"] != "a" || be.Runner.Flags["parallelism"] != "4" {
		t.Fatalf("opened %+v", be)
	}
	if be, _ := engine.OpenEngine(ctx, "prism", nil, engine.Env{}); be.(*beam.Engine).Cache.MaxBytes != 10240<<20 {
		t.Fatalf("default worker cache %d", be.(*beam.Engine).Cache.MaxBytes)
	}
	for _, c := range []struct {
		name string
		set  []engine.SettingValue
		want string
	}{
		{"storm", nil, `--runner "storm": allowed: local, prism, universal, flink, spark, dataflow`},
		{"local", []engine.SettingValue{{Name: "staging", Value: "/x"}}, "--staging needs a Beam runner (--runner prism|universal|flink|spark|dataflow)"},
		{"local", []engine.SettingValue{{Name: "colour", Value: "x"}}, "--colour: no engine takes this setting"},
		{"prism", []engine.SettingValue{{Name: "worker-cache-mib", Value: "-1"}}, "--worker-cache-mib -1: want 0 (off) or more MiB"},
		{"prism", []engine.SettingValue{{Name: "beam", Value: "novalue"}}, `--beam "novalue": want name=value`},
		{"flink", nil, "runner flink needs the job server's endpoint"},
		{"prism", []engine.SettingValue{{Name: "staging", Value: "/proc/no/such"}}, "--staging /proc/no/such"},
	} {
		_, err := engine.OpenEngine(ctx, c.name, c.set, engine.Env{})
		var se *engine.SettingError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: %v, want a SettingError with %q", c.name, c.set, err, c.want)
		}
	}
}
