package spec_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/spec"
)

const base = `name: t
input:
  uri: data.csv
  options: {header: true}
clean: {dropNulls: any}
label: label
stages:
  - {type: RegexTokenizer, inputCol: text, outputCol: words, pattern: '\W'}
variants:
  - name: tf
    stages:
      - {type: HashingTF, inputCol: words, outputCol: features, numFeatures: 250}
models:
  - name: lr
    type: LogisticRegression
    params: {regParam: 0.1}
    tuning:
      numFolds: 2
      grid: {maxIter: [10, 15]}
metrics: [accuracy, f1]
output: {dir: out}
`

func TestParseExample(t *testing.T) {
	data, err := os.ReadFile("../examples/spam/pipeline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s, err := spec.Parse("pipeline.yaml", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Stages) != 6 || len(s.Variants) != 3 || len(s.Models) != 1 || s.Split.TrainRatio != 0.7 || s.Split.Seed != 11 {
		t.Fatalf("parsed %+v", s)
	}
	tu := s.Models[0].Tuning
	if tu.Method != "crossValidator" || tu.NumFolds != 2 || len(tu.Grid) != 1 || len(tu.Grid[0].Values) != 3 || tu.Evaluator.MetricName != "f1" {
		t.Fatalf("tuning %+v", tu)
	}
	if s.Label.IndexedCol != "labelIndex" || s.Variants[2].Stages[0].Params["vectorSize"] != 250 {
		t.Fatalf("%+v %+v", s.Label, s.Variants[2].Stages[0])
	}
	for _, st := range append(append([]spec.Stage{}, s.Stages...), s.Variants[1].Stages...) {
		if _, err := spec.NewStage(st); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOverrides(t *testing.T) {
	s, err := spec.Parse("t.yaml", []byte(base), []string{
		"split.seed=7",
		"variants.tf.stages.0.numFeatures=262144",
		"models.0.tuning.grid.maxIter=[1, 2, 3]",
		"output.dir=s3://b/out",
		"input.options.delimiter=;",
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.Split.Seed != 7 || s.Variants[0].Stages[0].Params["numFeatures"] != 262144 || len(s.Models[0].Tuning.Grid[0].Values) != 3 ||
		s.Output.Dir != "s3://b/out" || s.Input.Options.CSV.Delimiter != ';' {
		t.Fatalf("overrides not applied: %+v", s)
	}
	for _, bad := range []string{"nokey", "variants.nope.stages.0.x=1", "models.5.type=x", "name.x=1"} {
		if _, err := spec.Parse("t.yaml", []byte(base), []string{bad}); err == nil || !strings.Contains(err.Error(), "--set "+bad) {
			t.Errorf("--set %s: %v", bad, err)
		}
	}
}

// TestSpecErrors: each mistake gives one error at its line:column that
// says what is allowed.
func TestSpecErrors(t *testing.T) {
	cases := []struct {
		name, old, new, want string
	}{
		{"unknown top key", "name: t", "nme: t", `t.yaml:1:1: unknown key "nme" in the spec (allowed: name, input,`},
		{"unknown stage", "type: RegexTokenizer", "type: RegexTokeniser", `t.yaml:8:12: stages[0]: unknown stage type "RegexTokeniser" (allowed: Bucketizer, Cast,`},
		{"unknown param", "pattern: '\\W'", "patern: '\\W'", `t.yaml:8:62: stages[0]: RegexTokenizer: unknown parameter "patern" (parameters: gaps, inputCol, minTokenLength, outputCol, pattern, toLowercase)`},
		{"wrong param type", "numFeatures: 250", "numFeatures: many", `t.yaml:12:65: variants[0].stages[0]: HashingTF: parameter numFeatures: want an integer, got "many"`},
		{"missing models", "models:", "modelz:", `unknown key "modelz"`},
		{"bad metric", "metrics: [accuracy, f1]", "metrics: [accuracy, f2]", `t.yaml:20:21: unknown metric "f2" (allowed: f1, accuracy,`},
		{"bad tuning key", "numFolds: 2", "folds: 2", `t.yaml:18:7: unknown key "folds" in models[0].tuning (allowed: method, numFolds,`},
		{"one fold", "numFolds: 2", "numFolds: 1", `t.yaml:18:17: models[0].tuning.numFolds must be at least 2, got 1`},
		{"bad grid value", "maxIter: [10, 15]", "maxIter: [10, 1.5]", `t.yaml:19:28: models[0].tuning.grid: LogisticRegression: parameter maxIter: want an integer, got 1.5`},
		{"bad model type", "type: LogisticRegression", "type: RandomForest", `t.yaml:15:11: models[0]: unknown stage type "RandomForest" (allowed: `},
		{"bad dropNulls", "dropNulls: any", "dropNulls: some", `t.yaml:5:20: clean.dropNulls is "some"; allowed: any, none`},
		{"bad yaml", "label: label", "label: [label", `t.yaml: not valid YAML`},
		{"duplicate variant", "  - name: tf\n", "  - name: tf\n    stages: []\n  - name: tf\n", `variants[1].name "tf" must be unique`},
		{"bad format", "uri: data.csv", "uri: data.csv\n  format: xls", `t.yaml:4:11: input.format:`},
		{"model params not mapping", "params: {regParam: 0.1}", "params: 0.1", `t.yaml:16:13: models[0].params must be a mapping, got "0.1"`},
		{"bad evaluator metric", "grid: {maxIter: [10, 15]}", "grid: {maxIter: [10, 15]}\n      evaluator: {metricName: rmse}", `models[0].tuning.evaluator.metricName is "rmse"; allowed: f1, accuracy`},
		{"empty", base, "", "t.yaml: the spec is empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(base, c.old) {
				t.Fatalf("base has no %q", c.old)
			}
			src := strings.Replace(base, c.old, c.new, 1)
			_, err := spec.Parse("t.yaml", []byte(src), nil)
			var se *spec.Error
			if err == nil || !errors.As(err, &se) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v\nwant %q", err, c.want)
			}
		})
	}
}

// FuzzParse: any bytes give a spec or an error, never a panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(base))
	if data, err := os.ReadFile("../examples/spam/pipeline.yaml"); err == nil {
		f.Add(data)
	}
	f.Add([]byte("models: [{type: LogisticRegression, tuning: {grid: {maxIter: []}}}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = spec.Parse("fuzz.yaml", data, nil)
	})
}
