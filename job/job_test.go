package job

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/engine/sched"
	"github.com/spindle-ml/spindle/runrecord"
	"github.com/spindle-ml/spindle/spec"
	"github.com/spindle-ml/spindle/storage"

	_ "github.com/spindle-ml/spindle/classification"
	_ "github.com/spindle-ml/spindle/feature"
)

const stepsSpec = `input: {uri: %s}
clean: {dropNulls: [label]}
label: label
stages:
  - {type: RegexTokenizer, inputCol: text, outputCol: words}
  - {type: StringFunction, inputCol: text, outputCol: shout, function: upper}
variants:
  - name: tf
    stages:
      - {type: HashingTF, inputCol: words, outputCol: tf, numFeatures: 16}
      - {type: IDF, inputCol: tf, outputCol: features}
models:
  - {name: lr, type: LogisticRegression, params: {weightCol: w}}
output: {dir: out}
`

// newRunner makes a runner over a small CSV, as Run would, without
// running it.
func newRunner(t *testing.T) *runner {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("text,label,w\n")
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&b, "win %d,spam,1\nlunch %d,ham,2\n", i, i)
	}
	b.WriteString("no label,,1\n")
	data := filepath.Join(dir, "d.csv")
	if err := os.WriteFile(data, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := spec.Parse(filepath.Join(dir, "s.yaml"), []byte(fmt.Sprintf(stepsSpec, data)), nil)
	if err != nil {
		t.Fatal(err)
	}
	passes := sched.NewCounter(&local.Engine{})
	return &runner{s: s, e: passes, passes: passes, st: storage.New(storage.Options{}), log: discard(), rep: &runrecord.Report{}, prog: func(Event) {}, mu: &sync.Mutex{}}
}

// TestSteps runs the steps before any output, one by one: each fills its
// part of the report.
func TestSteps(t *testing.T) {
	ctx := context.Background()
	r := newRunner(t)
	if err := r.prepare(); err != nil {
		t.Fatal(err)
	}
	if got := r.models[0]; !strings.Contains(fmt.Sprintf("%+v", got), "LabelCol:labelIndex") {
		t.Errorf("prepare: model %+v reads the wrong label", got)
	}
	ds, err := r.read(ctx)
	if err != nil || r.rep.Input.Rows != 81 || r.rep.Input.Format != "csv" {
		t.Fatalf("read: %v, %+v", err, r.rep.Input)
	}
	if ds, err = r.clean(ctx, ds); err != nil || r.rep.Input.RowsAfterClean != 80 || r.rep.Input.Nulls["label"] != 1 {
		t.Fatalf("clean: %v, %+v", err, r.rep.Input)
	}
	ds, labels, err := r.label(ctx, ds)
	if err != nil || !reflect.DeepEqual(labels, []string{"ham", "spam"}) || ds.Schema().Index("labelIndex") < 0 {
		t.Fatalf("label: %v, %v, %v", err, labels, ds.Schema())
	}
	if err := r.checkSchemas(ds.Schema()); err != nil {
		t.Fatal(err)
	}
	train, test, err := r.split(ctx, ds, true)
	if err != nil || r.rep.Split.Train+r.rep.Split.Test != 80 || train == nil || test == nil {
		t.Fatalf("split: %v, %+v", err, r.rep.Split)
	}
}

// TestColumnsNeeded: the columns kept after the shared stages are those
// the variants and models say they read, with the label's and a weight
// column, and not the shared stages' other outputs.
func TestColumnsNeeded(t *testing.T) {
	r := newRunner(t)
	if err := r.prepare(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for c := range r.columnsNeeded() {
		got = append(got, c)
	}
	sort.Strings(got)
	if want := []string{"features", "label", "labelIndex", "tf", "w", "words"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("columns %v, want %v", got, want)
	}
	r.s.Output.ProcessedData = true
	if r.columnsNeeded() != nil {
		t.Fatal("processed data keeps every column")
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
