package job

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/clustering"
	"github.com/spindle-ml/spindle/engine/local"
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
