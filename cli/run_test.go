package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spindle-ml/spindle/format"
	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/job"
	"github.com/spindle-ml/spindle/runrecord"
	"github.com/spindle-ml/spindle/serve"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

// smallCSV is a labelled text table with a null in each column.
func smallCSV(t *testing.T) string {
	var b strings.Builder
	b.WriteString("text,label,n\n")
	spam := []string{"win money now", "free offer click here", "cheap pills free", "click to win a prize"}
	ham := []string{"meeting at noon", "the linux kernel patch", "lunch with the team", "review my patch"}
	for i := 0; i < 60; i++ {
		fmt.Fprintf(&b, "%s,spam,%d\n%s,ham,%d\n", spam[i%4], i, ham[i%4], i)
	}
	b.WriteString(",ham,1\nsome text,,2\n")
	return writeFile(t, "small.csv", b.String())
}

const smallSpec = `name: small
input: {uri: %s}
clean: {dropNulls: any}
label: label
stages:
  - {type: RegexTokenizer, inputCol: text, outputCol: words, pattern: '\W+'}
variants:
  - name: tf
    stages:
      - {type: HashingTF, inputCol: words, outputCol: features, numFeatures: 64}
models:
  - {name: lr, type: LogisticRegression, tuning: {numFolds: 2, grid: {maxIter: [5, 10]}}}
metrics: [accuracy, f1, logLoss]
output: {dir: %s}
`

func readMetrics(t *testing.T, uri string) *runrecord.Report {
	t.Helper()
	r, err := storage.New(storage.Options{}).Open(context.Background(), uri)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	data, _ := io.ReadAll(r)
	var rep runrecord.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("%s: %v", uri, err)
	}
	return &rep
}

// TestRunSmall runs a spec to local and s3:// outputs, then scores with
// the saved model and inspects it.
func TestRunSmall(t *testing.T) {
	ctx := context.Background()
	if err := server.CreateBucket(ctx, "runs"); err != nil {
		t.Fatal(err)
	}
	data := smallCSV(t)
	for _, out := range []string{filepath.Join(t.TempDir(), "out"), "s3://runs/small"} {
		t.Run(out[:2], func(t *testing.T) {
			specPath := writeFile(t, "spec.yaml", fmt.Sprintf(smallSpec, data, "unused"))
			code, stdout, stderr := run("run", specPath, "--out", out, "--set", "output.processedData=true")
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !strings.Contains(stdout, "tf ") || !strings.Contains(stdout, "{maxIter:") {
				t.Fatalf("no comparison table:\n%s", stdout)
			}
			rep := readMetrics(t, storage.Join(out, "metrics.json"))
			in := rep.Input
			if in.Rows != 122 || in.RowsAfterClean != 120 || in.Nulls["text"] != 1 || in.Nulls["label"] != 1 || len(in.Classes) != 2 {
				t.Fatalf("input report %+v", in)
			}
			if rep.Split.Train+rep.Split.Test != 120 || len(rep.Variants) != 1 {
				t.Fatalf("split %+v", rep.Split)
			}
			// Passes per phase: the embedded engine reads the CSV in splits
			// as Beam's workers do (a scan pass and a parse pass), and
			// writes what it holds in memory already.
			for _, ph := range []string{job.PhaseStats, job.PhaseFeaturize, job.PhaseTune, job.PhaseFit, job.PhaseEvaluate} {
				if rep.Passes[ph] == 0 {
					t.Fatalf("no %s passes: %v", ph, rep.Passes)
				}
			}
			if rep.Passes[job.PhaseRead] != 2 || rep.Passes[job.PhaseWrite] != 0 {
				t.Fatalf("passes %v", rep.Passes)
			}
			m := rep.Variants[0].Models[0]
			if len(m.Tuning.FoldMetrics) != 2 || len(m.Tuning.FoldMetrics[0]) != 2 || m.Test["accuracy"] < 0.95 || m.Test["logLoss"] <= 0 ||
				len(m.Confusion.Labels) != 2 || m.Model != "models/tf" {
				t.Fatalf("model report %+v", m)
			}
			st := storage.New(storage.Options{})
			// Processed data: the training rows and the scored test rows.
			var rows int64
			for _, name := range []string{"train", "test"} {
				tb, _, err := format.Read(ctx, st, storage.Join(out, "processed/tf/"+name+".parquet"), format.Options{})
				if err != nil {
					t.Fatal(err)
				}
				if tb.Schema().Index("features") < 0 || (name == "test" && tb.Schema().Index("prediction") < 0) {
					t.Fatalf("processed %s: %v", name, tb.Schema())
				}
				rows += tb.Count()
			}
			if rows != 120 || len(m.Processed) != 2 {
				t.Fatalf("processed data: %d rows, %v", rows, m.Processed)
			}
			r, err := st.Open(ctx, storage.Join(out, "run.log"))
			if err != nil {
				t.Fatal(err)
			}
			log, _ := io.ReadAll(r)
			r.Close()
			if !strings.Contains(string(log), `"msg":"run finished"`) {
				t.Fatalf("run.log:\n%s", log)
			}
			// The report page, written by the run and rebuilt on demand.
			page, err := st.ReadFile(ctx, storage.Join(out, "report.html"))
			if err != nil || !strings.Contains(string(page), "Models compared") || strings.Count(string(page), `<svg class="chart"`) < 5 {
				t.Fatalf("report.html (%v):\n%.500s", err, page)
			}
			if err := st.Delete(ctx, storage.Join(out, "report.html")); err != nil {
				t.Fatal(err)
			}
			if code, _, stderr := run("report", out); code != ExitOK {
				t.Fatalf("report: exit %d: %s", code, stderr)
			}
			if again, err := st.ReadFile(ctx, storage.Join(out, "report.html")); err != nil || len(again) != len(page) {
				t.Fatalf("rebuilt report.html: %d bytes (was %d), %v", len(again), len(page), err)
			}

			// Batch scoring with the saved model, back to the same store. A
			// null text cannot be scored: the error names the row.
			code, _, stderr = run("predict", "--model", storage.Join(out, "models/tf"), "--input", data, "--out", storage.Join(out, "bad.csv"))
			if code != ExitFailure || !strings.Contains(stderr, "small.csv:122: null features") {
				t.Fatalf("predict with a null text: exit %d: %s", code, stderr)
			}
			raw, _ := os.ReadFile(data)
			clean := writeFile(t, "clean.csv", strings.Join(strings.Split(string(raw), "\n")[:121], "\n")+"\n")
			scored := storage.Join(out, "scored.csv")
			code, _, stderr = run("predict", "--model", storage.Join(out, "models/tf"), "--input", clean, "--out", scored)
			if code != ExitOK {
				t.Fatalf("predict: exit %d: %s", code, stderr)
			}
			r, err = st.Open(ctx, scored)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(r)
			r.Close()
			lines := strings.Split(strings.TrimSpace(string(got)), "\n")
			if lines[0] != "text,label,n,rawPrediction,probability,prediction,predictedLabel" || len(lines) != 121 {
				t.Fatalf("scored header %q, %d lines", lines[0], len(lines))
			}
			right := 0
			for _, l := range lines[1:121] {
				f := strings.Split(l, ",")
				if f[1] == f[len(f)-1] {
					right++
				}
			}
			if right < 114 {
				t.Fatalf("predictedLabel right on %d of 120 rows", right)
			}
			code, stdout, stderr = run("inspect", storage.Join(out, "models/tf"))
			if code != ExitOK || !strings.Contains(stdout, "classification.LogisticRegressionModel") || !strings.Contains(stdout, "accuracy=") {
				t.Fatalf("inspect: exit %d\n%s%s", code, stdout, stderr)
			}
		})
	}
}

// TestRunErrors: spec and data mistakes each give one clear error; spec
// mistakes exit 2; a mistake the checks find before any work leaves the
// output directory as it was (a previous run there is not replaced).
func TestRunErrors(t *testing.T) {
	data := smallCSV(t)
	oneClass := writeFile(t, "one.csv", "text,label,n\nwin money,spam,1\nfree offer,spam,2\n")
	allNull := writeFile(t, "nulls.csv", "text,label,n\n,spam,1\nfree offer,,2\n")
	cases := []struct {
		name, old, new string
		input          string
		code           int
		want           string
	}{
		{"missing column", "inputCol: text", "inputCol: body", data, ExitUsage, `spec.yaml:6:5: stage RegexTokenizer: input column "body" does not exist (columns: text, label, n, labelIndex)`},
		{"wrong column type", "inputCol: words, outputCol: features", "inputCol: text, outputCol: features", data, ExitUsage, `spec.yaml:10:9: stage HashingTF: input column "text" is string, want list<string>`},
		{"missing label", "label: label", "label: class", data, ExitUsage, `spec.yaml:4:8: label column "class" is not in the input`},
		{"one class", "", "", oneClass, ExitUsage, `label column "label" has only one class ("spam")`},
		{"empty after dropna", "", "", allNull, ExitUsage, `no rows are left after dropping nulls (2 rows read`},
		{"unknown stage", "RegexTokenizer", "RegexTokenzer", data, ExitUsage, `spec.yaml:6:12: stages[0]: unknown stage type "RegexTokenzer"`},
		{"missing input", "", "", "/nonexistent/x.csv", ExitFailure, `/nonexistent/x.csv`},
		{"label with nulls kept", "dropNulls: any", "dropNulls: [text]", data, ExitUsage, `label column "label" has 1 nulls; drop them with clean.dropNulls`},
		{"bad dropNulls column", "dropNulls: any", "dropNulls: [txt]", data, ExitUsage, `clean.dropNulls: column "txt" is not in the input`},
		{"model features column", "type: LogisticRegression, tuning", "type: LogisticRegression, params: {featuresCol: feats}, tuning", data, ExitUsage,
			`spec.yaml:12:5: model lr on variant tf: LogisticRegression: input column "feats" does not exist`},
		{"stage after an estimator", "outputCol: features, numFeatures: 64}", "outputCol: tf, numFeatures: 64}\n      - {type: IDF, inputCol: tf, outputCol: idf}\n      - {type: Normalizer, inputCol: tfidf, outputCol: features}", data, ExitUsage,
			`spec.yaml:12:9: stage Normalizer: input column "tfidf" does not exist`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			previous := filepath.Join(out, "metrics.json")
			writeFileAt(t, previous, `{"name": "the previous run"}`)
			src := fmt.Sprintf(smallSpec, c.input, out)
			if c.old != "" {
				src = strings.Replace(src, c.old, c.new, 1)
			}
			specPath := writeFile(t, "spec.yaml", src)
			code, _, stderr := run("run", specPath)
			if code != c.code || !strings.Contains(stderr, c.want) || strings.Count(stderr, "spindle: ") != 1 || strings.Contains(stderr, "panic") {
				t.Fatalf("exit %d, want %d; stderr:\n%s\nwant %q", code, c.code, stderr, c.want)
			}
			entries, _ := os.ReadDir(out)
			if got, _ := os.ReadFile(previous); string(got) != `{"name": "the previous run"}` || len(entries) != 1 {
				t.Fatalf("the output directory changed: %v, metrics.json %q", entries, got)
			}
		})
	}
}

// TestRunExample is the reference workload on the SpamAssassin corpus
// (Word2Vec at 100 dimensions to keep the suite quick; the README's run
// uses 250): TF-IDF must reach 0.92 test accuracy with 250 features.
func TestRunExample(t *testing.T) {
	csvPath := tabletest.ExampleCSV(t)
	out := filepath.Join(t.TempDir(), "spam")
	code, stdout, stderr := run("run", "../examples/spam/pipeline.yaml", "--out", out,
		"--set", "input.uri="+csvPath, "--set", "variants.word2vec.stages.0.vectorSize=100")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	t.Log(stdout)
	rep := readMetrics(t, filepath.Join(out, "metrics.json"))
	if rep.Input.Rows != 6046 || rep.Split.Train+rep.Split.Test != 6046 {
		t.Fatalf("rows %d, split %+v", rep.Input.Rows, rep.Split)
	}
	acc := map[string]float64{}
	for _, v := range rep.Variants {
		acc[v.Name] = float64(v.Models[0].Test["accuracy"])
		if len(v.Models[0].Tuning.AvgMetrics) != 3 {
			t.Fatalf("%s: %d grid points", v.Name, len(v.Models[0].Tuning.AvgMetrics))
		}
	}
	if acc["tfidf"] < 0.92 || acc["tf"] < 0.9 || acc["word2vec"] < 0.9 {
		t.Fatalf("test accuracies %v", acc)
	}
	servedAsPredicted(t, filepath.Join(out, "models", "tfidf"), csvPath)
}

// servedAsPredicted checks that 'spindle serve' answers, for every row of
// the data, byte for byte what 'spindle predict' writes: the whole corpus
// in batches of 500 rows as JSON, then the first 50 rows one at a time.
func servedAsPredicted(t *testing.T, model, data string) {
	scored := filepath.Join(t.TempDir(), "scored.jsonl")
	if code, _, stderr := run("predict", "--model", model, "--input", data, "--out", scored); code != ExitOK {
		t.Fatalf("predict: exit %d: %s", code, stderr)
	}
	want := jsonRows(t, string(must(os.ReadFile(scored))))
	srv, err := serve.New(context.Background(), storage.New(storage.Options{}), []serve.ModelSource{{Name: "tfidf", Dir: model}}, serve.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	var got []map[string]json.RawMessage
	post := func(body string) []map[string]json.RawMessage {
		code, ans := httpDo(t, "POST", hs.URL+"/v1/models/tfidf:predict", "application/json", body)
		var a struct{ Predictions []map[string]json.RawMessage }
		if err := json.Unmarshal([]byte(ans), &a); code != 200 || err != nil {
			t.Fatalf("serve: %d %.300s", code, ans)
		}
		return a.Predictions
	}
	for lo := 0; lo < len(want); lo += 500 {
		var rows []string
		for _, r := range want[lo:min(lo+500, len(want))] {
			rows = append(rows, `{"text":`+string(r["text"])+`}`)
		}
		got = append(got, post("["+strings.Join(rows, ",")+"]")...)
	}
	samePredictions(t, "batches", want, got)
	for i, r := range want[:50] {
		samePredictions(t, fmt.Sprintf("row %d alone", i+1), want[i:i+1], post(`{"text":`+string(r["text"])+`}`))
	}
	t.Logf("serve and predict agree byte for byte on %d rows", len(want))
}

// TestStage uploads the artifacts of a cluster run to S3 and prints the
// Terraform variables naming them.
func TestStage(t *testing.T) {
	ctx := context.Background()
	if err := server.CreateBucket(ctx, "artifacts"); err != nil {
		t.Fatal(err)
	}
	boot := writeFile(t, "boot", "#!/bin/sh\necho boot\n")
	bin := writeFile(t, "spindle", "binary")
	specPath := writeFile(t, "spec.yaml", fmt.Sprintf(smallSpec, "s3://data/in.csv", "s3://data/out"))
	code, stdout, stderr := run("stage", "--to", "s3://artifacts/team", "--boot", boot, "--binary", bin, specPath)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{`spindle_binary_key = "team/spindle/bin/spindle"`, `boot_binary_key = "team/spindle/bin/boot"`, `spec_key = "team/spindle/specs/small.yaml"`} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %s:\n%s", want, stdout)
		}
	}
	r, err := storage.New(storage.Options{}).Open(ctx, "s3://artifacts/team/spindle/bin/boot")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || string(got) != "#!/bin/sh\necho boot\n" {
		t.Fatalf("staged boot program: %q %v", got, err)
	}
	// A bad spec is refused before anything is uploaded.
	bad := writeFile(t, "bad.yaml", "models: []\n")
	if code, _, stderr := run("stage", "--to", "s3://artifacts/x", "--boot", boot, "--binary", bin, bad); code != ExitUsage {
		t.Fatalf("bad spec: exit %d: %s", code, stderr)
	}
	if code, _, _ := run("stage", "--to", "/tmp/x", "--boot", boot, specPath); code != ExitUsage {
		t.Fatalf("local --to accepted")
	}
}

// TestRunPrism runs a spec on Apache Beam (prism, in process) and checks
// it gives exactly the metrics the embedded engine gives.
func TestRunPrism(t *testing.T) {
	data := smallCSV(t)
	var reps []*runrecord.Report
	processed := map[string][]*table.Table{}
	var outs []string
	for _, runner := range []string{"local", "prism"} {
		out := filepath.Join(t.TempDir(), runner)
		outs = append(outs, out)
		specPath := writeFile(t, "spec.yaml", fmt.Sprintf(smallSpec, data, out))
		args := []string{"run", specPath, "--runner", runner, "--set", "output.processedData=true"}
		if runner != "local" {
			args = append(args, "--staging", t.TempDir())
		}
		code, _, stderr := run(args...)
		if code != ExitOK {
			t.Fatalf("%s: exit %d: %s", runner, code, stderr)
		}
		reps = append(reps, readMetrics(t, filepath.Join(out, "metrics.json")))
		// Processed data: one file from the embedded engine; from Beam's
		// workers, a directory of part files that _SUCCESS lists. Either
		// reads back as the same rows.
		for _, name := range []string{"train", "test"} {
			path := filepath.Join(out, "processed/tf", name+".parquet")
			tb, _, err := format.Read(context.Background(), storage.New(storage.Options{}), path, format.Options{})
			if err != nil {
				t.Fatal(err)
			}
			processed[name] = append(processed[name], tb)
			fi, err := os.Stat(path)
			if err != nil || fi.IsDir() != (runner != "local") {
				t.Fatalf("%s: %s: %v %v", runner, path, fi, err)
			}
			if runner == "local" {
				continue
			}
			var m format.PartsManifest
			data, err := os.ReadFile(filepath.Join(path, "_SUCCESS"))
			if err != nil || json.Unmarshal(data, &m) != nil || m.Rows != tb.Count() || len(m.Files) == 0 {
				t.Fatalf("%s/_SUCCESS: %s %v (%d rows read)", path, data, err, tb.Count())
			}
		}
	}
	// Batch scoring through Beam: the workers write part files; the rows
	// are the embedded engine's, in the same order.
	clean := filepath.Join(t.TempDir(), "clean.csv")
	raw, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	var keep []string
	for _, l := range strings.SplitAfter(string(raw), "\n") {
		if l != "" && !strings.HasPrefix(l, ",") && !strings.Contains(l, ",,") {
			keep = append(keep, l)
		}
	}
	if err := os.WriteFile(clean, []byte(strings.Join(keep, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	var scored []*table.Table
	for _, runner := range []string{"local", "prism"} {
		dst := filepath.Join(t.TempDir(), "scored.parquet")
		args := []string{"predict", "--model", filepath.Join(outs[1], reps[1].Variants[0].Models[0].Model), "--input", clean, "--out", dst, "--runner", runner}
		if runner != "local" {
			args = append(args, "--staging", t.TempDir())
		}
		for range 2 { // the second write replaces the first
			if code, _, stderr := run(args...); code != ExitOK {
				t.Fatalf("predict on %s: exit %d: %s", runner, code, stderr)
			}
		}
		tb, _, err := format.Read(context.Background(), storage.New(storage.Options{}), dst, format.Options{})
		if err != nil {
			t.Fatal(err)
		}
		scored = append(scored, tb)
	}
	if scored[0].Count() != int64(len(keep)-1) || !scored[0].Schema().Equal(scored[1].Schema()) || scored[0].Count() != scored[1].Count() {
		t.Fatalf("predict: local %v (%d rows), prism %v (%d rows), input %d rows", scored[0].Schema(), scored[0].Count(), scored[1].Schema(), scored[1].Count(), len(keep)-1)
	}
	for name, tbs := range processed {
		if !tbs[0].Schema().Equal(tbs[1].Schema()) || tbs[0].Count() != tbs[1].Count() {
			t.Fatalf("processed %s: local %v (%d rows), prism %v (%d rows)", name, tbs[0].Schema(), tbs[0].Count(), tbs[1].Schema(), tbs[1].Count())
		}
	}
	// Both engines read the CSV in splits: a scan pass and a parse pass.
	// Beam runs fewer tuning passes: it finds those that repeat an
	// earlier one's computation done.
	if reps[1].Passes[job.PhaseRead] != 2 || reps[0].Passes[job.PhaseRead] != 2 || reps[1].Passes[job.PhaseTune] == 0 ||
		reps[1].Passes[job.PhaseTune] > reps[0].Passes[job.PhaseTune] || reps[1].Passes[job.PhaseWrite] != 2 {
		t.Fatalf("passes: local %v, prism %v", reps[0].Passes, reps[1].Passes)
	}
	a, b := reps[0].Variants[0].Models[0], reps[1].Variants[0].Models[0]
	if !reflect.DeepEqual(a.Test, b.Test) || !reflect.DeepEqual(a.Tuning.FoldMetrics, b.Tuning.FoldMetrics) || reps[1].Engine != "beam-prism" {
		t.Fatalf("local %v %v\nprism %v %v (%s)", a.Test, a.Tuning.FoldMetrics, b.Test, b.Tuning.FoldMetrics, reps[1].Engine)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--runner", "storm"}, "allowed: local, prism, universal, flink, spark, dataflow"},
		{[]string{"--runner", "flink"}, "needs the job server's endpoint"},
		{[]string{"--staging", "/tmp/x"}, "--staging needs a Beam runner"},
		{[]string{"--runner", "prism", "--beam", "nope"}, "want name=value"},
		{[]string{"--runner", "prism", "--beam", "no_such=1"}, "not an option of the Beam Go SDK"},
		{[]string{"--runner", "prism", "--environment-type", "VM"}, "allowed: LOOPBACK, EXTERNAL, PROCESS, DOCKER"},
	} {
		if code, _, stderr := run(append([]string{"run", "x.yaml"}, tc.args...)...); code != ExitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d: %s", tc.args, code, stderr)
		}
	}
}

// TestKillAndRerun kills a Beam run (SIGKILL) part-way through and reruns
// it with the same --staging: the rerun picks up the passes the killed run
// had completed and ends with the model an uninterrupted run makes.
func TestKillAndRerun(t *testing.T) {
	csvPath := tabletest.ExampleCSV(t)
	dir := t.TempDir()
	staging := filepath.Join(dir, "staging")
	// The reference pipeline without its Word2Vec variant, to keep it short.
	ref, err := os.ReadFile("../examples/spam/pipeline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	specText := string(ref[:strings.Index(string(ref), "  - name: word2vec")]) + string(ref[strings.Index(string(ref), "\nmodels:"):])
	specPath := writeFile(t, "spam.yaml", specText)
	args := func(out string, beam bool) []string {
		a := []string{"run", specPath, "--out", out, "--set", "input.uri=" + csvPath}
		if beam {
			a = append(a, "--runner", "prism", "--staging", staging, "-v")
		}
		return a
	}
	// The uninterrupted run, on the embedded engine (TestRunPrism shows
	// both engines agree).
	refOut := filepath.Join(dir, "ref")
	if code, _, stderr := run(args(refOut, false)...); code != ExitOK {
		t.Fatalf("reference run: exit %d: %s", code, stderr)
	}
	// The run to kill, in a child process.
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childArgs+"="+strings.Join(args(filepath.Join(dir, "killed"), true), "\x1f"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Minute)
	for {
		done, _ := filepath.Glob(filepath.Join(staging, "agg-*", "_SUCCESS"))
		if len(done) >= 30 {
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("only %d passes after 5 minutes", len(done))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil {
		t.Fatal("the run finished before it was killed")
	}
	// The killed run's directory says it did not finish.
	killed := readMetrics(t, filepath.Join(dir, "killed", "metrics.json"))
	if killed.Status != runrecord.StatusRunning {
		t.Fatalf("killed run's metrics.json status %q", killed.Status)
	}
	if _, err := os.Stat(filepath.Join(dir, "killed", runrecord.RunningFile)); err != nil {
		t.Fatalf("killed run left no %s: %v", runrecord.RunningFile, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "killed", runrecord.SuccessFile)); err == nil {
		t.Fatalf("killed run has %s", runrecord.SuccessFile)
	}
	// The rerun goes into the same directory and replaces it whole.
	out := filepath.Join(dir, "killed")
	code, _, stderr := run(args(out, true)...)
	if code != ExitOK {
		t.Fatalf("rerun: exit %d: %s", code, stderr)
	}
	reused, ran := strings.Count(stderr, "beam pass reused"), strings.Count(stderr, "msg=\"beam job\"")
	if reused < 30 || ran == 0 {
		t.Fatalf("rerun reused %d passes and ran %d jobs", reused, ran)
	}
	a, b := readMetrics(t, filepath.Join(refOut, "metrics.json")), readMetrics(t, filepath.Join(out, "metrics.json"))
	m, err := runrecord.ReadManifest(context.Background(), storage.New(storage.Options{}), out)
	if err != nil || b.Status != runrecord.StatusSucceeded || b.RunID == killed.RunID || m.RunID != b.RunID {
		t.Fatalf("rerun: status %q, run %s (killed %s), manifest %+v, %v", b.Status, b.RunID, killed.RunID, m, err)
	}
	if _, err := os.Stat(filepath.Join(out, runrecord.RunningFile)); err == nil {
		t.Fatalf("rerun left %s", runrecord.RunningFile)
	}
	for i := range a.Variants {
		ma, mb := a.Variants[i].Models[0], b.Variants[i].Models[0]
		if !reflect.DeepEqual(ma.Test, mb.Test) || !reflect.DeepEqual(ma.Tuning.FoldMetrics, mb.Tuning.FoldMetrics) {
			t.Fatalf("%s: uninterrupted %v %v\nkilled and rerun %v %v", a.Variants[i].Name, ma.Test, ma.Tuning.FoldMetrics, mb.Test, mb.Tuning.FoldMetrics)
		}
	}
	t.Logf("rerun: %d passes reused, %d jobs run", reused, ran)
}

// TestColumnPatterns: inputCols may name columns by a glob or a regular
// expression; the saved model lists the columns they matched.
func TestColumnPatterns(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,p1,p2,p10,label\n")
	for i := range 100 {
		y := i % 2
		fmt.Fprintf(&b, "%d,%d.5,%d,%d,%c\n", i, y*3+i%3, y*2-i%2, i%5, "ny"[y])
	}
	data := writeFile(t, "p.csv", b.String())
	spec := `name: p
input: {uri: %s}
label: label
variants:
  - name: v
    stages:
      - {type: VectorAssembler, inputCols: [%s], outputCol: features}
models:
  - {name: lr, type: LogisticRegression}
metrics: [accuracy]
output: {dir: %s}
`
	for _, c := range []struct{ pattern, cols, err string }{
		{"'p*'", `["p1","p2","p10"]`, ""},
		{"'/p[0-9]/'", `["p1","p2"]`, ""},
		{"id, 'p1?'", `["id","p10"]`, ""},
		{"'q*'", "", `spec.yaml:7:9: stage VectorAssembler: inputCols: column pattern "q*" matches no column`},
	} {
		out := filepath.Join(t.TempDir(), "out")
		code, _, stderr := run("run", writeFile(t, "spec.yaml", fmt.Sprintf(spec, data, c.pattern, out)))
		if c.err != "" {
			if code != ExitUsage || !strings.Contains(stderr, c.err) {
				t.Errorf("%s: exit %d %s", c.pattern, code, stderr)
			}
			continue
		}
		if code != ExitOK {
			t.Fatalf("%s: exit %d %s", c.pattern, code, stderr)
		}
		_, stdout, _ := run("inspect", filepath.Join(out, "models", "v"))
		if !strings.Contains(stdout, `{"inputCols":`+c.cols+`,"outputCol":"features"}`) {
			t.Errorf("%s: the model's assembler:\n%s", c.pattern, stdout)
		}
	}
}

// TestPredictEvaluate: predict --evaluate prints the run's metrics for the
// scored rows; accuracy agrees with the written predictions.
func TestPredictEvaluate(t *testing.T) {
	data := smallCSV(t)
	raw, _ := os.ReadFile(data)
	lines := strings.Split(string(raw), "\n")
	// The clean rows, with a third of the labels flipped so that the
	// accuracy is not 1.
	for i := 1; i < 121; i += 3 {
		if strings.Contains(lines[i], ",spam,") {
			lines[i] = strings.Replace(lines[i], ",spam,", ",ham,", 1)
		} else {
			lines[i] = strings.Replace(lines[i], ",ham,", ",spam,", 1)
		}
	}
	clean := writeFile(t, "clean.csv", strings.Join(lines[:121], "\n")+"\n")
	out := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := run("run", writeFile(t, "spec.yaml", fmt.Sprintf(smallSpec, data, "unused")), "--out", out); code != ExitOK {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	model := filepath.Join(out, "models", "tf")
	scored := filepath.Join(t.TempDir(), "scored.csv")
	code, stdout, stderr := run("predict", "--model", model, "--input", clean, "--out", scored, "--evaluate")
	if code != ExitOK {
		t.Fatalf("predict --evaluate: exit %d: %s", code, stderr)
	}
	right := 0
	rows := strings.Split(strings.TrimSpace(string(must(os.ReadFile(scored)))), "\n")[1:]
	for _, l := range rows {
		f := strings.Split(l, ",")
		if f[1] == f[len(f)-1] {
			right++
		}
	}
	want := fmt.Sprintf("accuracy  %.6f", float64(right)/float64(len(rows)))
	for _, s := range []string{"against its column label", want, "f1 ", "logLoss ", "confusion matrix", " ham  spam"} {
		if !strings.Contains(stdout, s) {
			t.Fatalf("predict --evaluate printed no %q:\n%s", s, stdout)
		}
	}
	if right == len(rows) || right < len(rows)/2 {
		t.Fatalf("%d of %d right: the flipped labels did not count", right, len(rows))
	}
	code, stdout, _ = run("predict", "--model", model, "--input", clean, "--out", scored, "--evaluate", "--metrics", "areaUnderROC")
	if code != ExitOK || !strings.Contains(stdout, "areaUnderROC  0.") || strings.Contains(stdout, "accuracy") {
		t.Fatalf("--metrics areaUnderROC: exit %d\n%s", code, stdout)
	}
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--label", "nope"}, ExitFailure, `has no label column "nope"`},
		{[]string{"--metrics", "bogus"}, ExitUsage, `unknown metric "bogus"`},
		{[]string{"--label", "n"}, ExitFailure, "StringIndexer"},
		{[]string{"--evaluate=false", "--label", "label"}, ExitUsage, "--label and --metrics go with --evaluate"},
	} {
		code, _, stderr := run(append([]string{"predict", "--model", model, "--input", clean, "--out", scored, "--evaluate"}, c.args...)...)
		if code != c.code || !strings.Contains(stderr, c.msg) {
			t.Errorf("%v: exit %d %s", c.args, code, stderr)
		}
	}
}

// TestInputTest: data that comes with its own test file trains on the
// input and is scored on input.test, on both engines alike; mismatched
// test data is refused with the spec's line.
func TestInputTest(t *testing.T) {
	var train, test strings.Builder
	train.WriteString("text,label\n")
	test.WriteString("text,label\n")
	spam := []string{"win money now", "free offer click here", "cheap pills free", "click to win a prize"}
	ham := []string{"meeting at noon", "the linux kernel patch", "lunch with the team", "review my patch"}
	for i := range 40 {
		fmt.Fprintf(&train, "%s,spam\n%s,ham\n", spam[i%4], ham[i%4])
	}
	for i := range 7 {
		fmt.Fprintf(&test, "%s now,spam\n%s today,ham\n", spam[i%4], ham[i%4])
	}
	trainCSV := writeFile(t, "train.csv", train.String())
	testCSV := writeFile(t, "test.csv", test.String())
	spec := `name: t
input: {uri: %s, test: %s}
label: label
stages:
  - {type: RegexTokenizer, inputCol: text, outputCol: words, pattern: '\W+'}
variants:
  - name: tf
    stages:
      - {type: HashingTF, inputCol: words, outputCol: features, numFeatures: 64}
models:
  - {name: lr, type: LogisticRegression}
metrics: [accuracy]
%s`
	var accs []float64
	for _, runner := range []string{"local", "prism"} {
		out := filepath.Join(t.TempDir(), "out")
		args := []string{"run", writeFile(t, "spec.yaml", fmt.Sprintf(spec, trainCSV, testCSV, "")), "--out", out}
		if runner != "local" {
			args = append(args, "--runner", runner, "--staging", filepath.Join(t.TempDir(), "st"))
		}
		code, stdout, stderr := run(args...)
		if code != ExitOK {
			t.Fatalf("%s: exit %d: %s", runner, code, stderr)
		}
		rep := readMetrics(t, filepath.Join(out, "metrics.json"))
		if rep.Split.Train != 80 || rep.Split.Test != 14 || rep.Split.TestInput != testCSV || rep.Split.TrainRatio != 0 ||
			rep.Input.Test == nil || rep.Input.Test.Rows != 14 || !strings.Contains(stdout, "test from "+testCSV) {
			t.Fatalf("%s: split %+v, test input %+v\n%s", runner, rep.Split, rep.Input.Test, stdout)
		}
		accs = append(accs, float64(rep.Variants[0].Models[0].Test["accuracy"]))
	}
	if accs[0] != accs[1] || accs[0] < 0.9 {
		t.Fatalf("test accuracy local %v, prism %v", accs[0], accs[1])
	}
	other := writeFile(t, "other.csv", "body,label\nx,spam\n")
	unseen := writeFile(t, "unseen.csv", "text,label\nwin now,spam\nhello,eggs\n")
	for _, c := range []struct {
		test, extra string
		code        int
		msg         string
	}{
		{other, "", ExitUsage, "spec.yaml:2:"},
		{testCSV, "split: {trainRatio: 0.8}\n", ExitUsage, "split: the input has its own test data (input.test)"},
		{unseen, "", ExitFailure, "unseen.csv:3"},
	} {
		code, _, stderr := run("run", writeFile(t, "spec.yaml", fmt.Sprintf(spec, trainCSV, c.test, c.extra)), "--out", filepath.Join(t.TempDir(), "out"))
		if code != c.code || !strings.Contains(stderr, c.msg) {
			t.Errorf("test %s: exit %d: %s", c.test, code, stderr)
		}
	}
}

// TestPredictEvaluateClustering: a clustering run's model is scored by
// predict --evaluate with no label, by the model's own distance: the
// silhouette of all rows, near the run's test figure.
func TestPredictEvaluateClustering(t *testing.T) {
	var b strings.Builder
	b.WriteString("x,y\n")
	for i := range 240 {
		c := float64(i % 3)
		fmt.Fprintf(&b, "%v,%v\n", 1+c*3+0.3*float64(i%7)/7, 1+(2-c)*3+0.3*float64(i%5)/5)
	}
	data := writeFile(t, "blobs.csv", b.String())
	spec := fmt.Sprintf(`input: {uri: %s}
stages:
  - {type: VectorAssembler, inputCols: [x, y], outputCol: features}
models:
  - {name: km, type: KMeans, params: {k: 3, distanceMeasure: cosine}}
`, data)
	out := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := run("run", writeFile(t, "spec.yaml", spec), "--out", out); code != ExitOK {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	code, stdout, stderr := run("predict", "--model", filepath.Join(out, "models", "default"), "--input", data, "--out", filepath.Join(t.TempDir(), "p.csv"), "--evaluate")
	if code != ExitOK || !strings.Contains(stdout, "silhouette  0.") {
		t.Fatalf("predict --evaluate: exit %d\n%s\n%s", code, stdout, stderr)
	}
	var sil float64
	fmt.Sscanf(stdout[strings.Index(stdout, "silhouette")+len("silhouette"):], "%g", &sil)
	if sil < 0.5 {
		t.Fatalf("silhouette %v of three separate blobs:\n%s", sil, stdout)
	}
}
