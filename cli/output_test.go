package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/runrecord"
	"github.com/spindle-ml/spindle/storage"
)

// twoModels trains lr, then a NaiveBayes that fails at fit time
// (standardized features are negative).
const twoModels = `name: two
input: {uri: %s}
clean: {dropNulls: any}
label: label
stages:
  - {type: RegexTokenizer, inputCol: text, outputCol: words, pattern: '\W+'}
variants:
  - name: tf
    stages:
      - {type: HashingTF, inputCol: words, outputCol: tf, numFeatures: 64}
      - {type: StandardScaler, inputCol: tf, outputCol: features, withMean: true}
models:
  - {name: lr, type: LogisticRegression}
  - {name: nb, type: NaiveBayes}
`

// TestOutputIsOneUnit: a run's output directory belongs to one run. A
// failure after work began keeps what was finished (metrics.json "failed"
// with the first model, that model saved) and run.log; a rerun replaces
// the whole directory (stale temporary files too) and ends with a
// manifest; a directory holding other files, or one a live run is
// writing, is refused before any work, naming the flag.
func TestOutputIsOneUnit(t *testing.T) {
	data := smallCSV(t)
	out := filepath.Join(t.TempDir(), "out")
	failing := writeFile(t, "two.yaml", fmt.Sprintf(twoModels, data))
	code, _, stderr := run("run", failing, "--out", out)
	if code != ExitFailure || !strings.Contains(stderr, "variant tf, model nb:") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rep := readMetrics(t, filepath.Join(out, "metrics.json"))
	if rep.Status != runrecord.StatusFailed || !strings.Contains(rep.Error, "model nb") || len(rep.Variants) != 1 || len(rep.Variants[0].Models) != 1 || rep.Variants[0].Models[0].Name != "lr" {
		t.Fatalf("metrics.json after failure: status %q error %q variants %+v", rep.Status, rep.Error, rep.Variants)
	}
	for _, f := range []string{"run.log", "models/tf.lr/_SUCCESS"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("after failure: %v", err)
		}
	}
	for _, f := range []string{runrecord.RunningFile, runrecord.SuccessFile} {
		if _, err := os.Stat(filepath.Join(out, f)); err == nil {
			t.Errorf("a failed run left %s", f)
		}
	}
	firstRun := rep.RunID

	// Leftovers of an interrupted model save, then a successful rerun.
	writeFileAt(t, filepath.Join(out, "models", "tf.lr.tmp-0123", "data.gob"), "half")
	writeFileAt(t, filepath.Join(out, ".metrics.json.tmp-99"), "half")
	ok := writeFile(t, "ok.yaml", strings.Replace(fmt.Sprintf(twoModels, data), "  - {name: nb, type: NaiveBayes}\n", "", 1))
	code, _, stderr = run("run", ok, "--out", out)
	if code != ExitOK || !strings.Contains(stderr, "replacing the previous run's output") || !strings.Contains(stderr, "run "+firstRun) {
		t.Fatalf("rerun: exit %d: %s", code, stderr)
	}
	rep = readMetrics(t, filepath.Join(out, "metrics.json"))
	m, err := runrecord.ReadManifest(context.Background(), storage.New(storage.Options{}), out)
	if err != nil || rep.Status != runrecord.StatusSucceeded || m.RunID != rep.RunID || rep.RunID == firstRun || m.SpecDigest != rep.SpecDigest {
		t.Fatalf("rerun: status %q run %s, manifest %+v, %v", rep.Status, rep.RunID, m, err)
	}
	var files []string
	for _, f := range m.Files {
		files = append(files, f.Path)
	}
	got := strings.Join(files, " ")
	if strings.Contains(got, "tmp-") || strings.Contains(got, "tf.lr/") || !strings.Contains(got, "models/tf/_SUCCESS") || !strings.Contains(got, "run.log") {
		t.Fatalf("manifest files: %s", got)
	}
	if entries, _ := os.ReadDir(filepath.Join(out, "models")); len(entries) != 1 {
		t.Fatalf("models/ holds %v", entries)
	}
	meta, _ := os.ReadFile(filepath.Join(out, "models", "tf", "metadata.json"))
	if !strings.Contains(string(meta), rep.RunID) {
		t.Fatalf("model metadata does not carry the run id: %s", meta)
	}
	log, _ := os.ReadFile(filepath.Join(out, "run.log"))
	if n := strings.Count(string(log), "\n"); n == 0 || strings.Count(string(log), `"runId":"`+rep.RunID+`"`) != n {
		t.Fatalf("run.log lines without the run id:\n%s", log)
	}

	// On S3 the same: the second run replaces the first.
	ctx := context.Background()
	if err := server.CreateBucket(ctx, "unit"); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := 0; i < 2; i++ {
		if code, _, stderr := run("run", ok, "--out", "s3://unit/run"); code != ExitOK {
			t.Fatalf("s3 run %d: exit %d: %s", i, code, stderr)
		}
		m, err := runrecord.ReadManifest(ctx, storage.New(storage.Options{}), "s3://unit/run")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.RunID)
	}
	if all, _ := storage.New(storage.Options{}).ListAll(ctx, "s3://unit/run"); ids[0] == ids[1] || len(all) != len(m.Files)+1 {
		t.Fatalf("s3 runs %v: %d objects, manifest lists %d", ids, len(all), len(m.Files))
	}

	// A directory with someone else's files is refused, naming --out.
	foreign := filepath.Join(t.TempDir(), "mine")
	writeFileAt(t, filepath.Join(foreign, "notes.txt"), "keep me")
	code, _, stderr = run("run", ok, "--out", foreign)
	if code != ExitUsage || !strings.Contains(stderr, "--out "+foreign+": the directory holds notes.txt, which no Spindle run wrote") {
		t.Fatalf("foreign directory: exit %d: %s", code, stderr)
	}
	// So is one a live run is writing (here: a sleeping process's).
	sleeper := exec.Command("sleep", "30")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	defer sleeper.Process.Kill()
	host, _ := os.Hostname()
	busy := filepath.Join(t.TempDir(), "busy")
	writeFileAt(t, filepath.Join(busy, runrecord.RunningFile), fmt.Sprintf(`{"runId": "r1", "host": %q, "pid": %d}`, host, sleeper.Process.Pid))
	code, _, stderr = run("run", ok, "--out", busy)
	if code != ExitUsage || !strings.Contains(stderr, "run r1 (process") || !strings.Contains(stderr, "is still writing there") {
		t.Fatalf("busy directory: exit %d: %s", code, stderr)
	}
}
