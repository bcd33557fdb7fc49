package beam_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/spindle-ml/spindle/classification"
	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/engine/beam"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/engine/sched"
	"github.com/spindle-ml/spindle/feature"
	"github.com/spindle-ml/spindle/format"
	"github.com/spindle-ml/spindle/internal/beamtest"
	"github.com/spindle-ml/spindle/internal/linmodel"
	"github.com/spindle-ml/spindle/internal/s3test"
	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
	"github.com/spindle-ml/spindle/tree"
)

var (
	server     *s3test.Server
	standalone *beamtest.Servers
)

// TestMain runs the test binary as a Beam worker when a runner starts it
// so; otherwise it starts an S3-compatible server, a standalone prism job
// server and a worker pool (the Go SDK's boot program) for the tests.
func TestMain(m *testing.M) {
	if beam.IsWorker(os.Args[1:]) {
		os.Exit(beam.RunWorker())
	}
	var err error
	if standalone, err = beamtest.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := s3test.Main(m, &server)
	standalone.Stop()
	os.Exit(code)
}

// external is an engine whose jobs go to the standalone prism job server,
// run by workers the boot program's pool starts (EXTERNAL environment).
func external(t testing.TB) *beam.Engine {
	return &beam.Engine{
		Runner:  beam.Runner{Name: "prism", Endpoint: standalone.Endpoint, EnvironmentType: "EXTERNAL", EnvironmentConfig: standalone.Pool},
		Staging: t.TempDir(),
	}
}

func data(t *testing.T) ([][]float64, []float64) {
	r := rand.New(rand.NewPCG(3, 4))
	x := make([][]float64, 500)
	y := make([]float64, len(x))
	for i := range x {
		x[i] = []float64{r.NormFloat64(), r.NormFloat64() * 3, r.Float64()}
		if x[i][0]-0.5*x[i][1]+0.3*r.NormFloat64() > 0 {
			y[i] = 1
		}
	}
	return x, y
}

// TestSameResultsAsLocal: the same kernels give the same results on the
// Beam engine (prism in process, staging on a local directory and on
// s3://; a standalone prism with workers in other processes) as on the
// embedded engine, bit for bit.
func TestSameResultsAsLocal(t *testing.T) {
	ctx := context.Background()
	if err := server.CreateBucket(ctx, "staging"); err != nil {
		t.Fatal(err)
	}
	x, y := data(t)
	tb := tabletest.Labeled(t, x, y, 64, false)
	engines := []engine.Engine{&local.Engine{}, &beam.Engine{Staging: t.TempDir()}, &beam.Engine{Staging: "s3://staging/test"}, external(t)}
	var counts []int64
	var splits [][][]any
	var coefs [][]float64
	for _, e := range engines {
		ds, err := e.FromTable(ctx, tb)
		if err != nil {
			t.Fatal(err)
		}
		n, err := engine.Aggregate(ctx, e, ds, engine.Count{})
		if err != nil {
			t.Fatal(err)
		}
		counts = append(counts, n)
		// A positional split after a row filter: offsets must be exact.
		kept, _ := e.MapPartitions(ds, &feature.Filter{Column: "label", Op: "==", Value: "1"})
		part, err := e.MapPartitions(kept, engine.SplitPart{Weights: []float64{0.5, 0.5}, Seed: 7, Part: 0})
		if err != nil {
			t.Fatal(err)
		}
		out, err := e.Collect(ctx, part)
		if err != nil {
			t.Fatal(err)
		}
		splits = append(splits, out.Rows())
		m, err := (&classification.LogisticRegression{RegParam: 0.01}).Fit(ctx, e, ds)
		if err != nil {
			t.Fatal(err)
		}
		lr := m.(*classification.LogisticRegressionModel)
		coefs = append(coefs, append(append([]float64(nil), lr.Coefficients...), lr.Intercepts...))
	}
	for i := 1; i < len(engines); i++ {
		if counts[i] != 500 || counts[0] != 500 {
			t.Fatalf("counts %v", counts)
		}
		if len(splits[0]) == 0 || !tabletest.RowsEqual(splits[0], splits[i]) {
			t.Fatalf("engine %d: splits differ: %d vs %d rows", i, len(splits[0]), len(splits[i]))
		}
		if !reflect.DeepEqual(coefs[0], coefs[i]) {
			t.Fatalf("engine %d: coefficients differ:\nlocal %v\nbeam  %v", i, coefs[0], coefs[i])
		}
	}
	if jobs, _ := engines[3].(*beam.Engine).Stats(); jobs < 5 {
		t.Fatalf("the standalone engine ran %d jobs", jobs)
	}
}

// TestWorkerErrorSurfaces: a kernel failing inside the job reports its own
// error text, in process and from a worker process.
func TestWorkerErrorSurfaces(t *testing.T) {
	ctx := context.Background()
	x, y := data(t)
	y[100] = 0.5 // not a class index
	for _, e := range []*beam.Engine{{Staging: t.TempDir()}, external(t)} {
		ds, err := e.FromTable(ctx, tabletest.Labeled(t, x, y, 64, false))
		if err != nil {
			t.Fatal(err)
		}
		_, err = (&classification.LogisticRegression{}).Fit(ctx, e, ds)
		if err == nil || !strings.Contains(err.Error(), "row 101: label 0.5") {
			t.Fatalf("%s: got %v", e.Runner.Endpoint, err)
		}
	}
}

// TestSetupErrors: a job server nobody serves, a staging location that
// cannot be written and bad runner settings fail at once, naming what is
// wrong.
func TestSetupErrors(t *testing.T) {
	ctx := context.Background()
	x, y := data(t)
	tb := tabletest.Labeled(t, x, y, 64, false)
	l, err := net.Listen("tcp", "localhost:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		e    *beam.Engine
		want []string
	}{
		{"unreachable job server", &beam.Engine{Runner: beam.Runner{Name: "flink", Endpoint: closed}, Staging: t.TempDir()}, []string{"job server " + closed, "unreachable"}},
		{"staging under a file", &beam.Engine{Staging: filepath.Join(file, "stage")}, []string{"staging location " + filepath.Join(file, "stage"), "not writable"}},
		{"missing bucket", &beam.Engine{Staging: "s3://no-such-bucket/x"}, []string{"staging location s3://no-such-bucket/x", "not writable"}},
		{"unknown runner", &beam.Engine{Runner: beam.Runner{Name: "storm"}}, []string{`runner "storm"`, "allowed: prism"}},
		{"flink without endpoint", &beam.Engine{Runner: beam.Runner{Name: "flink"}}, []string{"needs the job server's endpoint"}},
		{"bad environment", &beam.Engine{Runner: beam.Runner{Name: "prism", EnvironmentType: "VM"}}, []string{`environment type "VM"`}},
		{"unknown Beam flag", &beam.Engine{Runner: beam.Runner{Flags: map[string]string{"no_such_flag": "1"}}}, []string{`"no_such_flag"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := tc.e.FromTable(ctx, tb)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// TestRerunReusesPasses: a second engine on the same staging location
// finds every pass the first one completed and runs none of them again;
// passes whose _SUCCESS is missing (a run killed before it finished them)
// run again, and the model is the same bit for bit.
func TestRerunReusesPasses(t *testing.T) {
	ctx := context.Background()
	x, y := data(t)
	tb := tabletest.Labeled(t, x, y, 64, false)
	staging := t.TempDir()
	fit := func() (*beam.Engine, []float64) {
		e := &beam.Engine{Staging: staging}
		ds, err := e.FromTable(ctx, tb)
		if err != nil {
			t.Fatal(err)
		}
		m, err := (&classification.LogisticRegression{RegParam: 0.01, MaxIter: ml.Int(30)}).Fit(ctx, e, ds)
		if err != nil {
			t.Fatal(err)
		}
		lr := m.(*classification.LogisticRegressionModel)
		return e, append(append([]float64(nil), lr.Coefficients...), lr.Intercepts...)
	}
	first, want := fit()
	jobs, _ := first.Stats()
	if jobs < 5 {
		t.Fatalf("first fit ran %d jobs", jobs)
	}
	second, got := fit()
	if j, reused := second.Stats(); j != 0 || reused < jobs {
		t.Fatalf("rerun: %d jobs, %d passes reused (first run: %d jobs)", j, reused, jobs)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rerun: %v, want %v", got, want)
	}
	// Forget the last three passes, as if the run had been killed before
	// them.
	marks, err := filepath.Glob(filepath.Join(staging, "agg-*", "_SUCCESS"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(marks, func(i, j int) bool { return mtime(t, marks[i]).Before(mtime(t, marks[j])) })
	for _, m := range marks[len(marks)-3:] {
		if err := os.Remove(m); err != nil {
			t.Fatal(err)
		}
	}
	// And lose the partials of the first gradient pass, as a machine
	// crash could (workers do not wait for the disk): that pass runs again.
	partials, err := filepath.Glob(filepath.Join(filepath.Dir(marks[1]), "group-*"))
	if err != nil || len(partials) == 0 {
		t.Fatalf("no partials next to %s: %v", marks[1], err)
	}
	if err := os.Remove(partials[len(partials)/2]); err != nil {
		t.Fatal(err)
	}
	third, got := fit()
	if j, _ := third.Stats(); j != 4 {
		t.Fatalf("after losing 3 passes and a partial, the rerun ran %d jobs", j)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("resumed: %v, want %v", got, want)
	}
}

func mtime(t *testing.T, path string) time.Time {
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.ModTime()
}

// TestWorkerCache: with S3 staging, workers keep the partitions they
// fetched in the node-local cache and later passes read them there (they
// still succeed with the staged objects gone from S3); the cache stays
// within its size bound.
func TestWorkerCache(t *testing.T) {
	ctx := context.Background()
	if err := server.CreateBucket(ctx, "cached"); err != nil {
		t.Fatal(err)
	}
	x, y := data(t)
	tb := tabletest.Labeled(t, x, y, 64, false)
	dir := t.TempDir()
	e := &beam.Engine{Staging: "s3://cached/run", Cache: beam.Cache{Dir: dir, MaxBytes: 1 << 30}, NoReuse: true}
	ds, err := e.FromTable(ctx, tb)
	if err != nil {
		t.Fatal(err)
	}
	files := func() (n int, size int64) {
		_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				fi, _ := d.Info()
				n, size = n+1, size+fi.Size()
			}
			return nil
		})
		return n, size
	}
	if n, err := engine.Aggregate(ctx, e, ds, engine.Count{}); err != nil || n != 500 {
		t.Fatalf("count %d, %v", n, err)
	}
	n, size := files()
	if n != len(tb.Partitions()) {
		t.Fatalf("%d files cached, want one per partition (%d)", n, len(tb.Partitions()))
	}
	// The staged partitions go; the cache still serves the next pass.
	st := storage.New(storage.Options{})
	objs, err := st.ListAll(ctx, "s3://cached/run")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if strings.HasSuffix(o.URI, ".arrow") {
			if err := st.Delete(ctx, o.URI); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n, err := engine.Aggregate(ctx, e, ds, engine.Count{}); err != nil || n != 500 {
		t.Fatalf("count from the cache: %d, %v", n, err)
	}
	// A bound of a third of the data keeps at most that much.
	e2 := &beam.Engine{Staging: "s3://cached/run2", Cache: beam.Cache{Dir: t.TempDir(), MaxBytes: size / 3}, NoReuse: true}
	dir = e2.Cache.Dir
	ds2, err := e2.FromTable(ctx, tb)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := engine.Aggregate(ctx, e2, ds2, engine.Count{}); err != nil {
		t.Fatal(err)
	}
	if n, got := files(); got > size/3 || n == 0 {
		t.Fatalf("cache holds %d files, %d bytes; bound %d", n, got, size/3)
	}
}

// TestRerunRedoesOnlyMissingGroups: a pass that a killed run left half
// done runs again on a rerun, but only for the groups of partitions whose
// output is missing; the result is the same.
func TestRerunRedoesOnlyMissingGroups(t *testing.T) {
	ctx := context.Background()
	x, y := data(t)
	tb := tabletest.Labeled(t, x, y, 10, false) // 50 partitions: 4 groups
	staging := t.TempDir()
	persist := func() (*beam.Engine, [][]any) {
		e := &beam.Engine{Staging: staging}
		ds, err := e.FromTable(ctx, tb)
		if err != nil {
			t.Fatal(err)
		}
		kept, err := e.MapPartitions(ds, &feature.Filter{Column: "label", Op: "==", Value: "1"})
		if err != nil {
			t.Fatal(err)
		}
		p, err := e.Persist(ctx, kept)
		if err != nil {
			t.Fatal(err)
		}
		out, err := e.Collect(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		return e, out.Rows()
	}
	_, want := persist()
	groups, err := filepath.Glob(filepath.Join(staging, "ds-*", "group-*.cbor"))
	if err != nil || len(groups) != 4 {
		t.Fatalf("group files %v %v", groups, err)
	}
	// As if killed while the third group ran: no _SUCCESS, no group file.
	if err := os.Remove(filepath.Join(filepath.Dir(groups[0]), "_SUCCESS")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(groups[2]); err != nil {
		t.Fatal(err)
	}
	before := map[string]time.Time{}
	for _, g := range groups {
		if g != groups[2] {
			before[g] = mtime(t, g)
		}
	}
	time.Sleep(20 * time.Millisecond)
	e, got := persist()
	if jobs, _ := e.Stats(); jobs != 1 {
		t.Fatalf("rerun ran %d jobs, want the one interrupted pass", jobs)
	}
	if _, err := os.Stat(groups[2]); err != nil {
		t.Fatalf("missing group not redone: %v", err)
	}
	for g, m := range before {
		if !mtime(t, g).Equal(m) {
			t.Fatalf("%s was written again", filepath.Base(g))
		}
	}
	if !tabletest.RowsEqual(got, want) {
		t.Fatalf("rerun gave %d rows, want %d", len(got), len(want))
	}
}

// TestAggregateBatch: aggregations over several datasets — stored data,
// a view of it through a positional split and a filter, the same request
// twice — run as one pass (one job) and give, on every engine, what each
// gives alone on the embedded engine.
func TestAggregateBatch(t *testing.T) {
	ctx := context.Background()
	x, y := data(t)
	tb := tabletest.Labeled(t, x, y, 64, false)
	type result struct {
		res    []any
		passes int64
	}
	var results []result
	for _, e := range []engine.Engine{&local.Engine{}, &beam.Engine{Staging: t.TempDir()}, external(t)} {
		ds, err := e.FromTable(ctx, tb)
		if err != nil {
			t.Fatal(err)
		}
		part, _ := e.MapPartitions(ds, engine.SplitPart{Weights: []float64{0.3, 0.7}, Seed: 7, Part: 1})
		view, _ := e.MapPartitions(part, &feature.Filter{Column: "label", Op: "==", Value: "1"})
		stats := engine.Erase[*linmodel.Moments](momentsOf{})
		reqs := []engine.Request{{Dataset: ds, Agg: engine.Erase[int64](engine.Count{})}, {Dataset: view, Agg: engine.Erase[int64](engine.Count{})},
			{Dataset: view, Agg: stats}, {Dataset: ds, Agg: stats}, {Dataset: view, Agg: stats}}
		before := e.(sched.PassCounter).Passes()
		res, err := engine.AggregateBatch(ctx, e, reqs)
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, result{res, e.(sched.PassCounter).Passes() - before})
		alone := &local.Engine{}
		ads, _ := alone.FromTable(ctx, tb)
		ap, _ := alone.MapPartitions(ads, engine.SplitPart{Weights: []float64{0.3, 0.7}, Seed: 7, Part: 1})
		av, _ := alone.MapPartitions(ap, &feature.Filter{Column: "label", Op: "==", Value: "1"})
		for k, r := range reqs {
			d := ads
			if r.Dataset == view {
				d = av
			}
			want, err := alone.AggregateAny(ctx, d, r.Agg)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(res[k], want) {
				t.Fatalf("%s: request %d: %v, want %v", e.Name(), k, res[k], want)
			}
		}
	}
	for i, r := range results {
		if r.passes != 1 {
			t.Errorf("engine %d: %d passes, want 1", i, r.passes)
		}
	}
}

func init() { engine.RegisterAggregator[*linmodel.Moments](momentsOf{}) }

// momentsOf sums the features' moments (a vector-valued partial).
type momentsOf struct{}

func (momentsOf) KernelName() string      { return "beam_test.momentsOf" }
func (momentsOf) Zero() *linmodel.Moments { return linmodel.NewMoments() }
func (momentsOf) Merge(a, b *linmodel.Moments) (*linmodel.Moments, error) {
	return a.Merge(b)
}
func (momentsOf) Fold(_ context.Context, _ engine.PartitionInfo, acc *linmodel.Moments, b *table.Batch) (*linmodel.Moments, error) {
	c, err := linmodel.Read(b, "features", "label", "")
	if err != nil {
		return nil, err
	}
	for i := range b.NumRows() {
		x, y, w, err := c.Row(i, engine.PartitionInfo{})
		if err != nil {
			return nil, err
		}
		if err := acc.Add(x, y, w); err != nil {
			return nil, err
		}
	}
	return acc, nil
}

// TestSpindlePool: jobs sent to a Spindle worker pool (ServePool, here in
// this process) stage a placeholder, not this executable, and give the
// embedded engine's results; a worker refuses a driver of another build.
func TestSpindlePool(t *testing.T) {
	ctx := context.Background()
	e := spindlePool(t)
	x, y := data(t)
	tb := tabletest.Labeled(t, x, y, 64, false)
	var coefs [][]float64
	for _, eng := range []engine.Engine{&local.Engine{}, e} {
		ds, err := eng.FromTable(ctx, tb)
		if err != nil {
			t.Fatal(err)
		}
		m, err := (&classification.LogisticRegression{RegParam: 0.01}).Fit(ctx, eng, ds)
		if err != nil {
			t.Fatal(err)
		}
		lr := m.(*classification.LogisticRegressionModel)
		coefs = append(coefs, append(append([]float64(nil), lr.Coefficients...), lr.Intercepts...))
	}
	if !reflect.DeepEqual(coefs[0], coefs[1]) {
		t.Fatalf("coefficients differ: local %v, spindle pool %v", coefs[0], coefs[1])
	}
	if jobs, _ := e.Stats(); jobs < 3 {
		t.Fatalf("%d jobs", jobs)
	}
	digest, err := beam.BuildDigest()
	if err != nil || len(digest) != 32 {
		t.Fatalf("build digest %q, %v", digest, err)
	}
	if err := beam.CheckBuild("0123"); err == nil || !strings.Contains(err.Error(), "build 0123") || !strings.Contains(err.Error(), digest) {
		t.Fatalf("another build: %v", err)
	}
	if err := beam.CheckBuild(digest); err != nil {
		t.Fatal(err)
	}
	if err := (beam.Runner{Name: "prism", Endpoint: "x:1", SpindlePool: true}).Validate(); err == nil {
		t.Fatal("a Spindle pool without EXTERNAL and its address passed validation")
	}
}

// TestRelativeInputOnWorkers: a relative local input path names the
// driver's file on workers that run in another directory (the boot
// program's pool).
func TestRelativeInputOnWorkers(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "in.csv"), []byte("a,b\n1,2\n3,4\n5,6\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	e := external(t)
	ds, rep, err := format.Load(ctx, e, storage.New(storage.Options{}), "in.csv", format.Options{Format: format.CSV})
	if err != nil {
		t.Fatal(err)
	}
	n, err := engine.Aggregate(ctx, e, ds, engine.Count{})
	if err != nil || n != 3 || rep.Rows != 3 {
		t.Fatalf("%d rows (report %d), %v", n, rep.Rows, err)
	}
}

// TestTreesSameAsLocal: gradient-boosted trees (Spark's and Newton
// boosting) and a random forest fitted on Beam (prism in process, and the
// standalone server's external workers for the boosted trees) are the
// embedded engine's, bit for bit: the level passes' histograms merge in
// the same fixed order, and the embedded engine's row cache (absent on
// Beam's workers) changes nothing.
func TestTreesSameAsLocal(t *testing.T) {
	ctx := context.Background()
	x, y := data(t)
	tb := tabletest.Labeled(t, x, y, 64, false)
	depth, iters := 3, 3
	fits := []struct {
		name    string
		engines []engine.Engine
		fit     func(e engine.Engine, ds engine.Dataset) (any, string, error)
	}{
		{"GBT", []engine.Engine{&local.Engine{}, &beam.Engine{Staging: t.TempDir()}, external(t)}, func(e engine.Engine, ds engine.Dataset) (any, string, error) {
			m, st, err := (&classification.GBTClassifier{Params: tree.Params{MaxDepth: &depth}, BoostParams: tree.BoostParams{MaxIter: &iters}}).FitStats(ctx, e, ds)
			if err != nil {
				return nil, "", err
			}
			return m.Ensemble, fmt.Sprintf("%d passes, %.1f per round", st.Passes, float64(st.TreePasses)/float64(st.Rounds)), nil
		}},
		{"GBT newton", []engine.Engine{&local.Engine{}, &beam.Engine{Staging: t.TempDir()}}, func(e engine.Engine, ds engine.Dataset) (any, string, error) {
			m, st, err := (&classification.GBTClassifier{Params: tree.Params{MaxDepth: &depth}, BoostParams: tree.BoostParams{MaxIter: &iters, NewtonLeaves: true}}).FitStats(ctx, e, ds)
			if err != nil {
				return nil, "", err
			}
			return m.Ensemble, fmt.Sprintf("%d passes", st.Passes), nil
		}},
		{"RandomForest", []engine.Engine{&local.Engine{}, &beam.Engine{Staging: t.TempDir()}}, func(e engine.Engine, ds engine.Dataset) (any, string, error) {
			m, err := (&classification.RandomForestClassifier{Params: tree.Params{MaxDepth: &depth}, ForestParams: tree.ForestParams{NumTrees: 4}}).Fit(ctx, e, ds)
			if err != nil {
				return nil, "", err
			}
			return m.(*classification.RandomForestClassificationModel).Ensemble, "", nil
		}},
	}
	for _, f := range fits {
		t.Run(f.name, func(t *testing.T) {
			var models []any
			for i, e := range f.engines {
				ds, err := e.FromTable(ctx, tb)
				if err != nil {
					t.Fatal(err)
				}
				m, info, err := f.fit(e, ds)
				if err != nil {
					t.Fatalf("engine %d: %v", i, err)
				}
				t.Logf("%s: %s", e.Name(), info)
				models = append(models, m)
			}
			for i := 1; i < len(models); i++ {
				if !reflect.DeepEqual(models[0], models[i]) {
					t.Fatalf("engine %d: the trees differ from the embedded engine's", i)
				}
			}
		})
	}
}

// TestWideTreesSameAsLocal: on rows wide enough that the embedded engine
// builds histograms from columns, a partition's features shared among
// its cores (one partition of 4,500 rows × 50 features of 256 values),
// softmax boosting on Beam grows the same trees, bit for bit: Beam's
// workers add row by row.
func TestWideTreesSameAsLocal(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(5, 6))
	n, nf := 4500, 50
	x, y := make([][]float64, n), make([]float64, n)
	for i := range x {
		x[i] = make([]float64, nf)
		for j := range x[i] {
			x[i][j] = float64(r.IntN(256))
		}
		s := x[i][0] - x[i][1] + 0.5*x[i][7] + 40*r.NormFloat64()
		y[i] = float64(min(max(int(s/100)+1, 0), 2))
	}
	tb := tabletest.Labeled(t, x, y, n, false)
	depth, iters, bins := 3, 2, 256
	var models []tree.Ensemble
	for i, e := range []engine.Engine{&local.Engine{}, &beam.Engine{Staging: t.TempDir()}} {
		ds, err := e.FromTable(ctx, tb)
		if err != nil {
			t.Fatal(err)
		}
		m, err := (&classification.GBTClassifier{Params: tree.Params{MaxDepth: &depth, MaxBins: bins},
			BoostParams: tree.BoostParams{MaxIter: &iters, NewtonLeaves: true}}).Fit(ctx, e, ds)
		if err != nil {
			t.Fatalf("engine %d: %v", i, err)
		}
		models = append(models, m.(*classification.GBTClassificationModel).Ensemble)
	}
	if got := len(models[0].Trees); got != 3*iters {
		t.Fatalf("%d trees, want %d (3 classes × %d rounds)", got, 3*iters, iters)
	}
	if !reflect.DeepEqual(models[0], models[1]) {
		t.Fatal("the trees differ from the embedded engine's")
	}
}

// TestCompressedInputsOnWorkers: gzip and zstd files of every format are
// decompressed by the (external) workers into the staging location, then
// read in splits, giving the rows the plain files give.
func TestCompressedInputsOnWorkers(t *testing.T) {
	ctx := context.Background()
	st := storage.New(storage.Options{})
	dir := t.TempDir()
	x, y := data(t)
	tb := tabletest.Labeled(t, x[:50], y[:50], 7, false)
	e := external(t)
	for _, f := range format.Formats() {
		o := format.Options{Format: f}
		if f == format.LibSVM {
			o.LabelCol, o.FeaturesCol = "label", "features"
		}
		plain := filepath.Join(dir, "data."+string(f))
		if err := format.Write(ctx, st, plain, tb, o); err != nil {
			t.Fatal(err)
		}
		want, _, err := format.Read(ctx, st, plain, o)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := os.ReadFile(plain)
		var gz bytes.Buffer
		w := gzip.NewWriter(&gz)
		w.Write(raw)
		w.Close()
		for _, name := range []string{"data." + string(f) + ".gz", "magic-" + string(f)} {
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, gz.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			ds, rep, err := format.Load(ctx, e, st, path, o)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			got, err := e.Collect(ctx, ds)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Rows != 50 || !tabletest.RowsEqual(got.Rows(), want.Rows()) {
				t.Fatalf("%s: %d rows, differ from the plain file's", name, rep.Rows)
			}
		}
	}
}
