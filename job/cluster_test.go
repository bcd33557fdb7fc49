package job

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/clustering"
	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/engine/beam"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/format"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/pipeline"
	"github.com/spindle-ml/spindle/spec"
	"github.com/spindle-ml/spindle/storage"
)

const clusterSpec = `input: {uri: %s}
stages:
  - {type: VectorAssembler, inputCols: [x, y], outputCol: features}
models:
  - name: km
    type: KMeans
    params: {seed: 3}
    tuning:
      method: trainValidationSplit
      grid: {k: [2, 3, 5]}
output: {dir: %s}
`

// TestClusteringRun runs a spec with no label whose model is a KMeans
// tuned over k: the run profiles its input without classes, picks k by
// the silhouette (3, the blobs the data has), scores the test rows, and
// saves a model that loads.
func TestClusteringRun(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	b.WriteString("x,y\n")
	for i := range 300 {
		c := float64(i % 3)
		fmt.Fprintf(&b, "%v,%v\n", 10*c+rng.NormFloat64(), -7*c+rng.NormFloat64())
	}
	data, out := filepath.Join(dir, "d.csv"), filepath.Join(dir, "out")
	if err := os.WriteFile(data, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := spec.Parse(filepath.Join(dir, "s.yaml"), []byte(fmt.Sprintf(clusterSpec, data, out)), nil)
	if err != nil {
		t.Fatal(err)
	}
	st := storage.New(storage.Options{})
	rep, err := Run(context.Background(), s, Options{Store: st, Engine: &local.Engine{}, Log: discard()})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Input.Label != "" || rep.Input.Classes != nil || len(rep.Input.Profile) != 2 {
		t.Errorf("input report: label %q, classes %v, %d profiled columns", rep.Input.Label, rep.Input.Classes, len(rep.Input.Profile))
	}
	mr := rep.Variants[0].Models[0]
	if sil := float64(mr.Test["silhouette"]); !(sil > 0.9) || len(mr.Test) != 1 {
		t.Errorf("test metrics %v, want a silhouette above 0.9", mr.Test)
	}
	if mr.Tuning == nil || fmt.Sprint(mr.Tuning.Best) != "{k: 3}" || mr.Confusion != nil {
		t.Errorf("tuning %+v, confusion %v", mr.Tuning, mr.Confusion)
	}
	pm, err := pipeline.Load(context.Background(), st, filepath.Join(out, mr.Model))
	if err != nil {
		t.Fatal(err)
	}
	if km, ok := pm.Stages[len(pm.Stages)-1].(*clustering.KMeansModel); !ok || km.K != 3 {
		t.Fatalf("saved model's last stage %T %+v", pm.Stages[len(pm.Stages)-1], pm.Stages[len(pm.Stages)-1])
	}
}

const prepareSpec = `input: {uri: %s}
label: label
stages:
  - {type: RegexTokenizer, inputCol: text, outputCol: words}
variants:
  - name: counts
    stages:
      - {type: HashingTF, inputCol: words, outputCol: features, numFeatures: 16}
  - name: scaled
    stages:
      - {type: HashingTF, inputCol: words, outputCol: tf, numFeatures: 16}
      - {type: IDF, inputCol: tf, outputCol: features}
output: {dir: %s, format: %s}
`

// TestDataPreparationRun runs a spec with stages and no models in every
// output format: every row is written once per variant, with the indexed
// label and the features, the fitted feature pipeline is saved and loads,
// and metrics.json profiles what was written.
func TestDataPreparationRun(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("text,label\n")
	for i := range 50 {
		fmt.Fprintf(&b, "win money %d now,spam\nlunch at %d,ham\n", i, i)
	}
	data := filepath.Join(dir, "d.csv")
	if err := os.WriteFile(data, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		f     string
		prism bool
	}{{"parquet", false}, {"csv", false}, {"jsonl", false}, {"libsvm", false}, {"parquet", true}} {
		f := c.f
		name := f
		var e engine.Engine = &local.Engine{}
		if c.prism {
			// Beam's portable runner in process: the workers write part files.
			name = "prism"
			pe := &beam.Engine{Staging: t.TempDir()}
			defer pe.Close()
			e = pe
		}
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(dir, "out-"+name)
			s, err := spec.Parse(filepath.Join(dir, "s.yaml"), []byte(fmt.Sprintf(prepareSpec, data, out, f)), nil)
			if err != nil {
				t.Fatal(err)
			}
			st := storage.New(storage.Options{})
			rep, err := Run(context.Background(), s, Options{Store: st, Engine: e, Log: discard()})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Variants) != 2 {
				t.Fatalf("%d variants", len(rep.Variants))
			}
			for _, v := range rep.Variants {
				want := "processed/" + v.Name + "." + f
				if c.prism {
					want = "processed/" + v.Name // a directory of part files
				}
				if v.Rows != 100 || v.Processed != want || len(v.Models) != 0 || v.Model != "models/"+v.Name {
					t.Errorf("variant %+v", v)
				}
				var cols []string
				for _, p := range v.Profile {
					cols = append(cols, p.Name)
				}
				if !slices.Contains(cols, "features") || !slices.Contains(cols, "labelIndex") {
					t.Errorf("%s: profiled columns %v", v.Name, cols)
				}
				in := filepath.Join(out, v.Processed)
				if c.prism {
					in += "/*.parquet"
				}
				tb, _, err := format.Read(context.Background(), st, in, format.Options{})
				if err != nil {
					t.Fatal(err)
				}
				if tb.Count() != 100 || tb.Schema().Index("features") < 0 {
					t.Errorf("%s: read back %d rows, columns %v", v.Name, tb.Count(), tb.Schema().Names())
				}
				pm, err := pipeline.Load(context.Background(), st, filepath.Join(out, v.Model))
				if err != nil {
					t.Fatal(err)
				}
				if n := len(pm.Stages); n != 1+strings.Count(v.Name, "scaled")+1 {
					t.Errorf("%s: saved %d stages", v.Name, n)
				}
				// The rows written are the input through the saved
				// pipeline, in order (libsvm keeps the features only, as
				// sparse vectors of the same values).
				raw, _, err := format.Read(context.Background(), st, data, format.Options{})
				if err != nil {
					t.Fatal(err)
				}
				le := &local.Engine{}
				rds, err := le.FromTable(context.Background(), raw)
				if err != nil {
					t.Fatal(err)
				}
				scored, err := pm.Transform(context.Background(), le, rds)
				if err != nil {
					t.Fatal(err)
				}
				ref, err := le.Collect(context.Background(), scored)
				if err != nil {
					t.Fatal(err)
				}
				gotRows, wantRows := tb.Rows(), ref.Rows()
				gi, wi := tb.Schema().Index("features"), ref.Schema().Index("features")
				for r := range wantRows {
					w := wantRows[r][wi].(linalg.Vector)
					g, ok := gotRows[r][gi].(linalg.Vector)
					if !ok {
						// CSV holds vectors as text, read back as strings.
						if g, err = linalg.Parse(gotRows[r][gi].(string)); err != nil {
							t.Fatal(err)
						}
					}
					if !slices.Equal(g.ToDense().Values, w.ToDense().Values) {
						t.Fatalf("%s: row %d: written features %v, the saved pipeline gives %v", v.Name, r+1, g, w)
					}
				}
			}
		})
	}
}

const patternSpec = `input: {uri: %s}
label: y
stages:
  - {type: VectorAssembler, inputCols: ['*'], outputCol: features}
models:
  - {name: lr, type: LogisticRegression}
metrics: [accuracy]
output: {dir: %s}
`

// TestPatternLeavesOutLabel: inputCols ['*'] assembles the features, not
// the label or its index, which would score 1.0 on the test rows and make
// a model that cannot score new data.
func TestPatternLeavesOutLabel(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	var b strings.Builder
	b.WriteString("a,b,y\n")
	for range 200 {
		fmt.Fprintf(&b, "%v,%v,%d\n", rng.NormFloat64(), rng.NormFloat64(), rng.IntN(2)) // y is noise
	}
	data, out := filepath.Join(dir, "d.csv"), filepath.Join(dir, "out")
	if err := os.WriteFile(data, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := spec.Parse(filepath.Join(dir, "s.yaml"), []byte(fmt.Sprintf(patternSpec, data, out)), nil)
	if err != nil {
		t.Fatal(err)
	}
	st := storage.New(storage.Options{})
	rep, err := Run(context.Background(), s, Options{Store: st, Engine: &local.Engine{}, Log: discard()})
	if err != nil {
		t.Fatal(err)
	}
	mr := rep.Variants[0].Models[0]
	if acc := float64(mr.Test["accuracy"]); acc > 0.8 {
		t.Errorf("accuracy %v on a noise label: the label leaked into the features", acc)
	}
	pm, err := pipeline.Load(context.Background(), st, filepath.Join(out, mr.Model))
	if err != nil {
		t.Fatal(err)
	}
	if got := pm.Input.Names(); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("the saved model reads %v, want [a b]", got)
	}
}
