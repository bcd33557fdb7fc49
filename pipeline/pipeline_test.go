package pipeline_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/classification"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/feature"
	"github.com/spindle-ml/spindle/internal/s3test"
	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/pipeline"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

var server *s3test.Server

// TestMain starts the S3 server (not in a fuzz worker), and doubles as a fresh process that
// loads a saved model and prints its predictions (SPINDLE_TEST_PREDICT).
func TestMain(m *testing.M) {
	if dir := os.Getenv("SPINDLE_TEST_PREDICT"); dir != "" {
		if err := predictMain(dir); err != nil {
			fmt.Fprintln(os.Stderr, "predict:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	// A fuzz worker needs no S3 server, and must not start one: the
	// server would inherit the worker's pipes to the fuzz coordinator
	// and outlive it, and the coordinator would wait on them forever.
	flag.Parse()
	if f := flag.Lookup("test.fuzzworker"); f != nil && f.Value.String() == "true" {
		os.Exit(m.Run())
	}
	var err error
	server, err = s3test.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "s3 server:", err)
		os.Exit(1)
	}
	code := m.Run()
	server.Stop()
	os.Exit(code)
}

// corpus is a small labelled text table.
func corpus(t testing.TB) *table.Table {
	tb, err := makeCorpus()
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

func makeCorpus() (*table.Table, error) {
	spam := []string{"win money now", "free offer click here", "cheap pills free", "click to win a prize", "money back offer now"}
	ham := []string{"meeting at noon tomorrow", "the linux kernel patch", "lunch with the team", "review my patch please", "see you at the meeting"}
	var text, label []string
	for i := 0; i < 40; i++ {
		text = append(text, spam[i%len(spam)], ham[i%len(ham)])
		label = append(label, "spam", "ham")
	}
	schema, _ := table.NewSchema(table.Field{Name: "text", Type: table.String}, table.Field{Name: "label", Type: table.String})
	b, err := table.NewBatch(schema, []table.Column{table.NewStringColumn(text, nil), table.NewStringColumn(label, nil)})
	if err != nil {
		return nil, err
	}
	tb, err := table.New(schema, b)
	if err != nil {
		return nil, err
	}
	return tb.Repartition(13)
}

func textPipeline() *pipeline.Pipeline {
	return &pipeline.Pipeline{Stages: []any{
		&feature.StringIndexer{InputCol: "label", OutputCol: "y"},
		&feature.RegexTokenizer{InputCol: "text", OutputCol: "words", Pattern: `\W+`},
		&feature.StopWordsRemover{InputCol: "words", OutputCol: "filtered"},
		&feature.HashingTF{InputCol: "filtered", OutputCol: "tf", NumFeatures: 64},
		&feature.IDF{InputCol: "tf", OutputCol: "features"},
		&classification.LogisticRegression{LabelCol: "y", MaxIter: ml.Int(50), RegParam: 0.01},
	}}
}

// predictions runs m over the corpus and returns the prediction and
// probability columns as text, to compare bit for bit.
func predictions(ctx context.Context, m *pipeline.PipelineModel, tb *table.Table) (string, error) {
	e := &local.Engine{}
	ds, err := e.FromTable(ctx, tb)
	if err != nil {
		return "", err
	}
	out, err := ml.Transform(ctx, e, ds, m)
	if err != nil {
		return "", err
	}
	res, err := e.Collect(ctx, out)
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	pi, qi := res.Schema().Index("prediction"), res.Schema().Index("probability")
	for _, r := range res.Rows() {
		fmt.Fprintf(&sb, "%v %v\n", r[pi], r[qi])
	}
	return sb.String(), nil
}

func predictMain(dir string) error {
	ctx := context.Background()
	m, err := pipeline.Load(ctx, storage.New(storage.Options{}), dir)
	if err != nil {
		return err
	}
	tb, err := makeCorpus()
	if err != nil {
		return err
	}
	s, err := predictions(ctx, m, tb)
	if err != nil {
		return err
	}
	fmt.Print(s)
	return nil
}

func fit(t testing.TB) *pipeline.PipelineModel {
	t.Helper()
	ctx := context.Background()
	e := &local.Engine{}
	ds := tabletest.Dataset(t, e, corpus(t))
	var seen []string
	p := textPipeline()
	p.Progress = func(i int, name string) { seen = append(seen, name) }
	m, err := p.Fit(ctx, e, ds)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Stages) != 6 || len(seen) != 6 {
		t.Fatalf("%d fitted stages, %d progress calls; want 6", len(m.Stages), len(seen))
	}
	return m
}

// TestSaveLoadFreshProcess saves a fitted pipeline locally and on S3, and
// checks that a separate process loading it predicts identically.
func TestSaveLoadFreshProcess(t *testing.T) {
	ctx := context.Background()
	m := fit(t)
	want, err := predictions(ctx, m, corpus(t))
	if err != nil {
		t.Fatal(err)
	}
	// The model must have learnt the corpus, or identical output is no proof.
	if strings.Count(want, "\n") != 80 || !strings.Contains(want, "0 ") || !strings.Contains(want, "1 ") {
		t.Fatalf("predictions look degenerate:\n%s", want)
	}
	if err := server.CreateBucket(ctx, "models"); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{filepath.Join(t.TempDir(), "model"), "s3://models/text/v1"} {
		t.Run(dir[:2], func(t *testing.T) {
			st := storage.New(storage.Options{})
			server.Setenv()
			if err := pipeline.Save(ctx, st, dir, m, pipeline.SaveOptions{SpindleVersion: "test"}); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "SPINDLE_TEST_PREDICT="+dir)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			got, err := cmd.Output()
			if err != nil {
				t.Fatalf("fresh process: %v\n%s", err, stderr.String())
			}
			if string(got) != want {
				t.Fatalf("fresh process predicts differently:\ngot:\n%s\nwant:\n%s", got, want)
			}
			// Saving again without overwrite is refused; with it, works.
			err = pipeline.Save(ctx, st, dir, m, pipeline.SaveOptions{})
			if err == nil || !strings.Contains(err.Error(), "already exists") {
				t.Fatalf("second save: %v, want a refusal", err)
			}
			if err := pipeline.Save(ctx, st, dir, m, pipeline.SaveOptions{Overwrite: true}); err != nil {
				t.Fatal(err)
			}
			loaded, err := pipeline.Load(ctx, st, dir)
			if err != nil {
				t.Fatal(err)
			}
			for i := range m.Stages {
				// Exported state only: caches built on first use differ.
				a, _ := json.Marshal(loaded.Stages[i])
				b, _ := json.Marshal(m.Stages[i])
				if string(a) != string(b) || reflect.TypeOf(loaded.Stages[i]) != reflect.TypeOf(m.Stages[i]) {
					t.Errorf("stage %d differs after load:\n%s\n%s", i+1, a, b)
				}
			}
		})
	}
}

// TestLoadErrors damages a saved model in each way a disk, an interrupted
// copy or a hand edit can, and checks each gives an error naming the file
// — from Load and from Inspect, which loads what it shows. Edits that
// also rewrite the manifest (resealed) reach the checks of what the files
// say: parameters known, typed and in range; learned data of this class.
func TestLoadErrors(t *testing.T) {
	ctx := context.Background()
	m := fit(t)
	st := storage.New(storage.Options{})
	base := t.TempDir()
	lrDir := "stages/05_classification.LogisticRegressionModel"
	lrData := lrDir + "/data.parquet"
	hashMeta := "stages/03_feature.HashingTF/metadata.json"
	both := func(fs ...func(string) error) func(string) error {
		return func(d string) error {
			for _, f := range fs {
				if err := f(d); err != nil {
					return err
				}
			}
			return reseal(d)
		}
	}
	cases := []struct {
		name   string
		damage func(dir string) error
		want   string
	}{
		{"no marker", func(d string) error { return os.Remove(filepath.Join(d, "_SUCCESS")) }, "no _SUCCESS marker"},
		{"missing dir", func(d string) error { return os.RemoveAll(d) }, "no such model (nothing is there)"},
		{"metadata not json", both(func(d string) error {
			return os.WriteFile(filepath.Join(d, "metadata.json"), []byte("{\"class\": "), 0o644)
		}), "metadata.json: not valid model metadata"},
		{"wrong version", both(func(d string) error {
			return rewrite(filepath.Join(d, "metadata.json"), `"formatVersion": 3`, `"formatVersion": 99`)
		}), "format version 99; this build reads version 3"},
		{"old version", func(d string) error {
			return rewrite(filepath.Join(d, "metadata.json"), `"formatVersion": 3`, `"formatVersion": 2`)
		}, "metadata.json: format version 2: this build reads saved models of format version 3 only (versions 1 and 2 stored each stage gob-encoded, which loses parameters set to zero); re-save the model by running its spec again with this build (spindle run SPEC)"},
		{"path escape", both(func(d string) error {
			return rewrite(filepath.Join(d, "metadata.json"), `"dir": "stages/00_`, `"dir": "../00_`)
		}), "bad directory"},
		{"truncated data", func(d string) error {
			p := filepath.Join(d, lrData)
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(p, b[:len(b)/2], 0o644)
		}, lrData + ": "},
		{"flipped byte", func(d string) error {
			p := filepath.Join(d, lrData)
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			b[len(b)/2] ^= 1
			return os.WriteFile(p, b, 0o644)
		}, lrData + ": checksum differs from the manifest's"},
		{"missing data", func(d string) error { return os.Remove(filepath.Join(d, lrData)) }, "data.parquet"},
		{"edited metadata", func(d string) error {
			return rewrite(filepath.Join(d, "metadata.json"), `"class": "feature.IDFModel"`, `"class": "feature.HashingTF"`)
		}, "the file was truncated or changed after the model was saved"},
		{"swapped stages", func(d string) error {
			return rewrite(filepath.Join(d, "metadata.json"), `"dir": "stages/01_feature.RegexTokenizer"`, `"dir": "stages/02_feature.StopWordsRemover"`)
		}, "the file was truncated or changed after the model was saved"},
		{"edited metrics", func(d string) error {
			return os.WriteFile(filepath.Join(d, "metrics.json"), []byte(`{"accuracy": 1}`), 0o644)
		}, "metrics.json: "},
		{"bad manifest", func(d string) error { return os.WriteFile(filepath.Join(d, "_SUCCESS"), []byte("{"), 0o644) }, "_SUCCESS: not a valid manifest"},
		// Resealed edits: what the files say is checked too.
		{"unknown param", both(func(d string) error {
			return rewrite(filepath.Join(d, hashMeta), `"numFeatures": 64`, `"numFeaturez": 64`)
		}), hashMeta + `: feature.HashingTF: unknown parameter "numFeaturez" (parameters: binary, inputCol, numFeatures, outputCol)`},
		{"param of the wrong type", both(func(d string) error {
			return rewrite(filepath.Join(d, hashMeta), `"numFeatures": 64`, `"numFeatures": "64"`)
		}), hashMeta + `: feature.HashingTF: paramMap: parameter numFeatures: want an integer, got "64"`},
		{"param out of range", both(func(d string) error {
			return rewrite(filepath.Join(d, hashMeta), `"numFeatures": 64`, `"numFeatures": 0`)
		}), hashMeta + `: feature.HashingTF: paramMap: parameter numFeatures: must be in (0, 2147483647], got 0`},
		{"a null default", both(func(d string) error {
			return rewrite(filepath.Join(d, hashMeta), `"binary": false`, `"binary": null`)
		}), hashMeta + `: feature.HashingTF: defaultParamMap: parameter binary: want true or false, got null`},
		{"a missing parameter without a default", both(func(d string) error {
			return rewrite(filepath.Join(d, hashMeta), `"inputCol": "filtered",`, ``)
		}), hashMeta + `: feature.HashingTF: paramMap: parameter inputCol is missing`},
		{"one stage directory listed twice", both(func(d string) error {
			return rewrite(filepath.Join(d, "metadata.json"), `"dir": "stages/02_feature.StopWordsRemover"`, `"dir": "stages/01_feature.RegexTokenizer"`)
		}), `metadata.json: stage 3: directory "stages/01_feature.RegexTokenizer" and uid "feature.StopWordsRemover_02", want "stages/02_feature.StopWordsRemover" and "feature.StopWordsRemover_02"`},
		{"unknown metadata key", both(func(d string) error {
			return rewrite(filepath.Join(d, hashMeta), `"paramMap": {`, `"params": {}, "paramMap": {`)
		}), hashMeta + `: not valid stage metadata: json: unknown field "params"`},
		{"unknown class", both(func(d string) error {
			// Renamed consistently: class, uid, directory.
			for _, f := range []string{hashMeta, "metadata.json"} {
				b, err := os.ReadFile(filepath.Join(d, f))
				if err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(d, f), []byte(strings.ReplaceAll(string(b), "HashingTF", "HashingTG")), 0o644); err != nil {
					return err
				}
			}
			return os.Rename(filepath.Join(d, "stages/03_feature.HashingTF"), filepath.Join(d, "stages/03_feature.HashingTG"))
		}), `stages/03_feature.HashingTG/metadata.json: class "feature.HashingTG" is not a stage this build knows`},
		{"truncated data, resealed", both(func(d string) error {
			p := filepath.Join(d, lrData)
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(p, b[:len(b)-20], 0o644)
		}), lrData + ": classification.LogisticRegressionModel: not a readable Parquet file"},
		{"data of another stage", both(func(d string) error {
			b, err := os.ReadFile(filepath.Join(d, "stages/04_feature.IDFModel/data.parquet"))
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(d, lrData), b, 0o644)
		}), lrData + ": classification.LogisticRegressionModel: column idf is not one this model has (its columns: numClasses, numFeatures, multinomial, coefficients, intercepts, objectiveHistory, totalIterations): the file belongs to another stage"},
		{"inconsistent data", both(func(d string) error {
			return rewrite(filepath.Join(d, lrDir, "metadata.json"), `"thresholds": null`, `"thresholds": [0.5]`)
		}), lrData + ": invalid classification.LogisticRegressionModel: LogisticRegressionModel: 2 classes"},
		{"data listed for a stage that learns none", both(func(d string) error {
			return rewrite(filepath.Join(d, hashMeta), `"paramMap": {`, `"data": {"file": "data.parquet", "columns": []}, "paramMap": {`)
		}), hashMeta + ": feature.HashingTF learns nothing, but the metadata lists learned data"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(base, fmt.Sprint(i))
			if err := pipeline.Save(ctx, st, dir, m, pipeline.SaveOptions{Extra: map[string][]byte{"metrics.json": []byte(`{"accuracy": 0.9}`)}}); err != nil {
				t.Fatal(err)
			}
			if err := c.damage(dir); err != nil {
				t.Fatal(err)
			}
			_, err := pipeline.Load(ctx, st, dir)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Load: %v, want an error containing %q", err, c.want)
			}
			if _, err := pipeline.Inspect(ctx, st, dir); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Inspect: %v, want an error containing %q", err, c.want)
			}
		})
	}
}

// reseal rewrites a saved model's manifest for its files as they are now,
// as a tool rewriting a model consistently would.
func reseal(dir string) error {
	files := map[string]any{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "_SUCCESS" {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		sum := sha256.Sum256(b)
		files[filepath.ToSlash(rel)] = map[string]any{"size": len(b), "sha256": hex.EncodeToString(sum[:])}
		return nil
	})
	if err != nil {
		return err
	}
	js, err := json.Marshal(map[string]any{"files": files})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "_SUCCESS"), js, 0o644)
}

func rewrite(path, old, new string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if !strings.Contains(string(b), old) {
		return fmt.Errorf("%s has no %q:\n%s", path, old, b)
	}
	return os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644)
}

// TestSchemaErrors checks a pipeline whose stages do not fit together
// fails before any data moves, naming the stage.
func TestSchemaErrors(t *testing.T) {
	p := &pipeline.Pipeline{Stages: []any{
		&feature.RegexTokenizer{InputCol: "body", OutputCol: "words"},
	}}
	_, err := p.OutputSchema(corpus(t).Schema())
	if err == nil || !strings.Contains(err.Error(), `stage 1`) || !strings.Contains(err.Error(), `"body" does not exist`) {
		t.Fatalf("got %v", err)
	}
	p = &pipeline.Pipeline{Stages: []any{42}}
	if _, err := p.OutputSchema(corpus(t).Schema()); err == nil {
		t.Fatal("a non-stage was accepted")
	}
}

// FuzzDecodeStage feeds arbitrary stage metadata and learned data to the
// model loader's stage decoder: it must return an error, or a stage that
// is valid — its parameters pass their rules and constraints, and saving
// it again gives the same files, which decode to the same stage.
func FuzzDecodeStage(f *testing.F) {
	m := fit(f)
	for _, s := range m.Stages {
		meta, data, err := pipeline.EncodeStage(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(meta, data)
	}
	f.Fuzz(func(t *testing.T, meta, data []byte) {
		if len(data) == 0 {
			data = nil
		}
		st, err := pipeline.DecodeStage("fuzz", meta, data)
		if err != nil {
			return
		}
		if err := ml.Validate(st); err != nil {
			t.Fatalf("decoded an invalid stage: %v", err)
		}
		meta2, data2, err := pipeline.EncodeStage(st)
		if err != nil {
			t.Fatalf("a decoded stage does not encode: %v", err)
		}
		st2, err := pipeline.DecodeStage("fuzz", meta2, data2)
		if err != nil {
			t.Fatalf("a decoded stage, encoded again, does not decode: %v", err)
		}
		meta3, data3, err := pipeline.EncodeStage(st2)
		if err != nil || string(meta3) != string(meta2) || string(data3) != string(data2) {
			t.Fatalf("encoding is not stable: %v", err)
		}
	})
}

// TestStagesOutOfOrder: a model whose stages were reordered names the
// stage that makes the missing column instead of blaming the input.
func TestStagesOutOfOrder(t *testing.T) {
	m := fit(t)
	m.Stages[1], m.Stages[2] = m.Stages[2], m.Stages[1] // StopWordsRemover before RegexTokenizer
	_, err := m.OutputSchema(corpus(t).Schema())
	want := `pipeline stage 2 (feature.StopWordsRemover) reads column "words", which stage 3 (feature.RegexTokenizer) makes after it: the model's stages are out of order`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}
