package conformance_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/spindle-ml/spindle/classification"
	_ "github.com/spindle-ml/spindle/clustering"
	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/engine/beam"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/engine/sched"
	_ "github.com/spindle-ml/spindle/feature"
	"github.com/spindle-ml/spindle/internal/conformance"
	"github.com/spindle-ml/spindle/ml"
	_ "github.com/spindle-ml/spindle/regression"
	"github.com/spindle-ml/spindle/table"
)

// The prism leg runs a sample of the cases in `go test` (every stage's
// defaults, and prismShare of the rest, drawn with a seed the failure
// prints); SPINDLE_CONFORMANCE=full runs them all (.ci/run sets it), and
// SPINDLE_CONFORMANCE_SEED=N draws the sample of a failed run again.
const prismShare = 0.12

func TestMain(m *testing.M) {
	if beam.IsWorker(os.Args[1:]) {
		os.Exit(beam.RunWorker())
	}
	os.Exit(m.Run())
}

// registrations returns every registered stage, feature stages first.
func registrations(t *testing.T) []ml.Registration {
	var out []ml.Registration
	for _, predictors := range []bool{false, true} {
		for _, n := range ml.StageNames(predictors) {
			r, _ := ml.Lookup(n)
			out = append(out, r)
		}
	}
	if len(out) < 30 {
		t.Fatalf("only %d stages registered", len(out))
	}
	return out
}

// stageRun is one stage's cases and their embedded results.
type stageRun struct {
	reg      ml.Registration
	cases    []conformance.Case
	data     []*table.Table
	embedded []*conformance.Result
}

// TestConformance: every registered stage, every setting: fitted on the
// embedded engine; its model encoded and decoded as a worker gets it;
// saved, loaded and applied again; scored through the server; a written
// default behaves as the default; metrics the up-front check accepts
// compute; and, for a sample of the settings (all with
// SPINDLE_CONFORMANCE=full), fitted on prism in process with the same
// model, output and metrics bit for bit.
func TestConformance(t *testing.T) {
	ctx := context.Background()
	start := time.Now()
	regs := registrations(t)
	var runs []*stageRun
	var notFed, notRun []string
	total, refused, failed := 0, 0, 0
	for _, reg := range regs {
		if len(reg.Samples) == 0 {
			if reg.NoSample == "" {
				t.Errorf("%s: no Samples and no NoSample reason in its registration", reg.Name)
			}
			notFed = append(notFed, reg.Name+": "+reg.NoSample)
			continue
		}
		sr := &stageRun{reg: reg, cases: conformance.Cases(reg)}
		for si := range reg.Samples {
			d, err := conformance.Data(reg, si)
			if err != nil {
				t.Fatalf("%s: %v", reg.Name, err)
			}
			sr.data = append(sr.data, d)
		}
		runs = append(runs, sr)
	}
	e := &local.Engine{}
	for _, sr := range runs {
		defaults := map[int]*conformance.Result{}
		for _, c := range sr.cases {
			total++
			data := sr.data[c.Sample]
			ds, err := e.FromTable(ctx, data)
			if err != nil {
				t.Fatal(err)
			}
			r := conformance.Fit(ctx, e, c, ds)
			sr.embedded = append(sr.embedded, r)
			if c.Setting == "defaults" {
				defaults[c.Sample] = r
			}
			switch {
			case r.Refused != nil:
				refused++
				notRun = append(notRun, fmt.Sprintf("refused %s: %v", c.Name(), r.Refused))
				continue
			case r.Err != nil:
				failed++
				notRun = append(notRun, fmt.Sprintf("fails %s: %v", c.Name(), r.Err))
				continue
			}
			fail := func(leg string, err error) { t.Errorf("%s: %s: %v", c.Name(), leg, err) }
			if err := conformance.FromSpec(c); err != nil {
				fail("spec", err)
			}
			if err := conformance.CheckMetrics(r); err != nil {
				fail("metrics", err)
			}
			if err := conformance.Slots(r, data, conformance.SlotNames(data)); err != nil {
				fail("feature names", err)
			}
			if err := conformance.Wire(r); err != nil {
				fail("kernel encoding", err)
			}
			dir := filepath.Join(t.TempDir(), "model")
			if _, err := conformance.Saved(ctx, e, r, data, dir); err != nil {
				fail("save and load", err)
			} else {
				if err := conformance.ReadBack(dir, r.Model); err != nil {
					fail("saved form", err)
				}
				if len(r.Out.Schema().Fields) > len(data.Schema().Fields) {
					if err := conformance.Served(ctx, r, data, dir); err != nil {
						fail("server", err)
					}
				}
			}
			if c.Default {
				if err := conformance.SameAsDefault(r, defaults[c.Sample]); err != nil {
					fail("written default", err)
				}
			}
		}
	}
	embeddedTime := time.Since(start)

	// The prism leg: each stage's chosen cases fit together, in lockstep,
	// so that one Beam job serves every case's pass.
	full := os.Getenv("SPINDLE_CONFORMANCE") == "full"
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("SPINDLE_CONFORMANCE_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("SPINDLE_CONFORMANCE_SEED: %v", err)
		}
	}
	pick := rand.New(rand.NewPCG(seed, 1))
	prism := &beam.Engine{Staging: t.TempDir()}
	defer prism.Close()
	prismCases := 0
	for _, sr := range runs {
		var idx []int
		for i, c := range sr.cases {
			r := sr.embedded[i]
			if r.Refused != nil {
				continue
			}
			if full || c.Setting == "defaults" && c.Sample == 0 || pick.Float64() < prismShare {
				idx = append(idx, i)
			}
		}
		prismCases += len(idx)
		datasets := make([]engine.Dataset, len(sr.data))
		for si, d := range sr.data {
			ds, err := prism.FromTable(ctx, d)
			if err != nil {
				t.Fatalf("%s: prism: %v", sr.reg.Name, err)
			}
			datasets[si] = ds
		}
		results := make([]*conformance.Result, len(idx))
		var mu sync.Mutex
		sched.Lockstep(ctx, prism, len(idx), func(ctx context.Context, k int, e engine.Engine) error {
			c := sr.cases[idx[k]]
			r := conformance.Fit(ctx, e, c, datasets[c.Sample])
			mu.Lock()
			results[k] = r
			mu.Unlock()
			return nil
		})
		for k, i := range idx {
			if err := conformance.Same("embedded against prism", sr.embedded[i], results[k]); err != nil {
				t.Errorf("%s: %v (prism sample seed %d: SPINDLE_CONFORMANCE_SEED=%d reruns it)", sr.cases[i].Name(), err, seed, seed)
			}
		}
	}
	var stages []string
	for _, sr := range runs {
		stages = append(stages, sr.reg.Name)
	}
	slices.Sort(stages)
	t.Logf("conformance: %d stages, %d cases (%d refused by their parameter checks, %d failing alike everywhere); legs: spec, embedded, metrics, feature names, kernel encoding, save+load, saved form read back, server, written defaults; prism: %d cases (full=%v, seed %d); embedded legs %.1fs, total %.1fs",
		len(runs), total, refused, failed, prismCases, full, seed, embeddedTime.Seconds(), time.Since(start).Seconds())
	// The settings that do not run, with why (a failing one must fail
	// alike on prism, which the prism leg checks).
	t.Logf("settings refused by their checks or failing everywhere:\n  %s", strings.Join(notRun, "\n  "))
	if len(notFed) > 0 {
		t.Logf("stages the generator cannot feed:\n  %s", strings.Join(notFed, "\n  "))
	}
}
