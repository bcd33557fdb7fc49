package spec_test

import (
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/feature"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/spec"
	"github.com/spindle-ml/spindle/table"

	// The stages a spec may name register themselves.
	_ "github.com/spindle-ml/spindle/classification"
	_ "github.com/spindle-ml/spindle/clustering"
	_ "github.com/spindle-ml/spindle/feature"
	_ "github.com/spindle-ml/spindle/regression"
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

// TestClusteringSpec: a run whose models are clusterings needs no label,
// and its default metric is the silhouette.
func TestClusteringSpec(t *testing.T) {
	src := strings.NewReplacer("label: label\n", "", "type: LogisticRegression", "type: KMeans", "params: {regParam: 0.1}", "params: {k: 3}",
		"metrics: [accuracy, f1]\n", "").Replace(base)
	s, err := spec.Parse("t.yaml", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Label.Column != "" || s.Label.IndexedCol != "" || !slices.Equal(s.Metrics, []string{"silhouette"}) {
		t.Errorf("label %+v, metrics %v", s.Label, s.Metrics)
	}
	if ev := s.Models[0].Tuning.Evaluator; ev.Type != "clustering" || ev.MetricName != "silhouette" {
		t.Errorf("tuning evaluator %+v", ev)
	}
}

// prepBase is base without its models: a data-preparation run.
var prepBase = strings.Replace(base, "models:\n  - name: lr\n    type: LogisticRegression\n    params: {regParam: 0.1}\n    tuning:\n      numFolds: 2\n      grid: {maxIter: [10, 15]}\nmetrics: [accuracy, f1]\n", "", 1)

// TestDataPreparationSpec: a spec without models is a data-preparation
// run, which writes its rows; what it cannot use is an error at its
// line:column.
func TestDataPreparationSpec(t *testing.T) {
	if strings.Contains(prepBase, "models") {
		t.Fatal("prepBase still has models")
	}
	s, err := spec.Parse("t.yaml", []byte(prepBase), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Models) != 0 || !s.Output.ProcessedData || s.Metrics != nil {
		t.Errorf("models %v, processedData %v, metrics %v", s.Models, s.Output.ProcessedData, s.Metrics)
	}
	for _, c := range []struct{ name, src, want string }{
		{"nothing to run", "name: t\ninput: {uri: data.csv}\n", "t.yaml:1:1: the spec has no models and no stages: nothing to run"},
		{"metrics", prepBase + "metrics: [accuracy]\n", "t.yaml:14:10: metrics: a data-preparation run (no models) has nothing to score; remove metrics"},
		{"split", prepBase + "split: {trainRatio: 0.5}\n", "t.yaml:14:8: split: a data-preparation run fits its stages on every row"},
		{"processedData false", strings.Replace(prepBase, "output: {dir: out}", "output: {dir: out, processedData: false}", 1), "t.yaml:13:35: output.processedData: false leaves a data-preparation run nothing to write"},
		{"format of a training run", strings.Replace(base, "output: {dir: out}", "output: {dir: out, format: csv}", 1), "t.yaml:21:28: output.format is for a data-preparation run's rows"},
		{"unknown format", strings.Replace(prepBase, "output: {dir: out}", "output: {dir: out, format: xlsx}", 1), `output.format is "xlsx"; allowed: csv, jsonl, libsvm, parquet`},
		{"libsvm without a label", strings.Replace(strings.Replace(prepBase, "label: label\n", "", 1), "output: {dir: out}", "output: {dir: out, format: libsvm}", 1), "t.yaml:12:28: output.format: libsvm writes a label and features; name the label column with label:"},
		{"test input", strings.Replace(prepBase, "uri: data.csv", "uri: data.csv\n  test: t.csv", 1), "t.yaml:4:9: input.test: a data-preparation run reads one input"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := spec.Parse("t.yaml", []byte(c.src), nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v\nwant %q", err, c.want)
			}
		})
	}
}

// TestParseOtherExamples: the clustering and data-preparation examples
// parse as the kinds of run they are.
func TestParseOtherExamples(t *testing.T) {
	for _, c := range []struct {
		file                string
		models, metrics     int
		label, processed    bool
		evaluator, variants string
	}{
		{"../examples/cluster/pipeline.yaml", 1, 1, false, false, "clustering", "default"},
		{"../examples/prepare/pipeline.yaml", 0, 0, true, true, "", "tfidf"},
	} {
		data, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		s, err := spec.Parse(c.file, data, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Models) != c.models || len(s.Metrics) != c.metrics || (s.Label.Column != "") != c.label ||
			s.Output.ProcessedData != c.processed || len(s.Variants) != 1 || s.Variants[0].Name != c.variants {
			t.Errorf("%s: parsed %d models, metrics %v, label %q, processedData %v, variants %v", c.file, len(s.Models), s.Metrics, s.Label.Column, s.Output.ProcessedData, s.Variants)
		}
		if c.models > 0 && s.Models[0].Tuning.Evaluator.Type != c.evaluator {
			t.Errorf("%s: tuning evaluator %+v", c.file, s.Models[0].Tuning.Evaluator)
		}
	}
}

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
		if st.Value == nil || ml.StageName(st.Value) != st.Type {
			t.Fatalf("stage %s built as %T", st.Type, st.Value)
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

// TestMetricChecks: every model × metric × evaluator is checked before
// any work: a metric that needs a column the model does not make, or that
// scores another kind of model, is an error at its line:column.
func TestMetricChecks(t *testing.T) {
	cases := []struct {
		name string
		edit []string // old, new, old, new …
		want string
	}{
		{"logLoss of LinearSVC", []string{"type: LogisticRegression", "type: LinearSVC", "metrics: [accuracy, f1]", "metrics: [accuracy, logLoss]"},
			`t.yaml:20:21: metrics: model lr: logLoss reads the probability column, which LinearSVC does not make (its metrics: areaUnderROC, areaUnderPR, f1, accuracy, hammingLoss, weightedPrecision, weightedRecall)`},
		{"tuning by logLoss of LinearSVC", []string{"type: LogisticRegression", "type: LinearSVC", "grid: {maxIter: [10, 15]}", "grid: {maxIter: [10, 15]}\n      evaluator: {metricName: logLoss}"},
			`t.yaml:20:31: models[0].tuning.evaluator: logLoss reads the probability column, which LinearSVC does not make`},
		{"regression metric of a classifier", []string{"metrics: [accuracy, f1]", "metrics: [accuracy, rmse]"},
			`t.yaml:20:21: metrics: model lr: rmse is a regression metric, which cannot score LogisticRegression (a multiclass model; its metrics: areaUnderROC, areaUnderPR, f1, accuracy, hammingLoss, weightedPrecision, weightedRecall, logLoss)`},
		{"classification metrics of a regressor", []string{"type: LogisticRegression", "type: LinearRegression", "    tuning:\n      numFolds: 2\n      grid: {maxIter: [10, 15]}\n", ""},
			`t.yaml:17:11: metrics: model lr: accuracy is a multiclass metric, which cannot score LinearRegression (a regression model; its metrics: rmse, mse, mae, r2, var)`},
		{"binary evaluator for a regressor", []string{"type: LogisticRegression", "type: LinearRegression", "grid: {maxIter: [10, 15]}", "grid: {maxIter: [10, 15]}\n      evaluator: {type: binary}", "metrics: [accuracy, f1]", "metrics: [rmse]"},
			`models[0].tuning.evaluator: areaUnderROC is a binary metric, which cannot score LinearRegression`},
		{"models of two kinds", []string{"metrics: [accuracy, f1]", "  - {name: lin, type: LinearRegression}\nmetrics: [accuracy, f1]"},
			`models: lr and lin are models of different kinds (multiclass and regression): a run's models are all classifiers, all regressors or all clusterings`},
		{"a label for a clustering", []string{"type: LogisticRegression", "type: KMeans", "params: {regParam: 0.1}", "params: {k: 3}", "metrics: [accuracy, f1]", "metrics: [silhouette]"},
			`t.yaml:6:8: label: the models lr (KMeans) are clustering models, which use no label; remove label`},
		{"no label for a classifier", []string{"label: label\n", ""},
			`t.yaml:13:3: the spec has no label, which the models lr (LogisticRegression) need (they are multiclass models); name the label column with label:`},
		{"clustering metric of a classifier", []string{"metrics: [accuracy, f1]", "metrics: [silhouette]"},
			`t.yaml:20:11: metrics: model lr: silhouette is a clustering metric, which cannot score LogisticRegression (a multiclass model;`},
		{"stratified clustering", []string{"label: label\n", "", "type: LogisticRegression", "type: KMeans", "params: {regParam: 0.1}", "params: {k: 3}", "metrics: [accuracy, f1]", "metrics: [silhouette]", "numFolds: 2", "numFolds: 2\n      stratify: true"},
			`models[0].tuning.stratify: a clustering model has no label classes to stratify by`},
		{"a label for a topic model", []string{"type: LogisticRegression", "type: LDA", "params: {regParam: 0.1}", "params: {k: 3}", "metrics: [accuracy, f1]", "metrics: [logPerplexity]"},
			`t.yaml:6:8: label: the models lr (LDA) are topics models, which use no label; remove label`},
		{"silhouette of a topic model", []string{"label: label\n", "", "type: LogisticRegression", "type: LDA", "params: {regParam: 0.1}", "params: {k: 3}", "metrics: [accuracy, f1]", "metrics: [silhouette]"},
			`metrics: model lr: silhouette is a clustering metric, which cannot score LDA (a topics model; its metrics: logPerplexity, logLikelihood)`},
		{"topic model metric of a clustering", []string{"label: label\n", "", "type: LogisticRegression", "type: KMeans", "params: {regParam: 0.1}", "params: {k: 3}", "metrics: [accuracy, f1]", "metrics: [logPerplexity]"},
			`metrics: model lr: logPerplexity is a topics metric, which cannot score KMeans (a clustering model; its metrics: silhouette)`},
		{"classification metric of a clustering", []string{"label: label\n", "", "type: LogisticRegression", "type: KMeans", "params: {regParam: 0.1}", "params: {k: 3}"},
			`metrics: model lr: accuracy is a multiclass metric, which cannot score KMeans (a clustering model; its metrics: silhouette)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := base
			for i := 0; i < len(c.edit); i += 2 {
				if !strings.Contains(src, c.edit[i]) {
					t.Fatalf("no %q", c.edit[i])
				}
				src = strings.Replace(src, c.edit[i], c.edit[i+1], 1)
			}
			_, err := spec.Parse("t.yaml", []byte(src), nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v\nwant %q", err, c.want)
			}
		})
	}
	// A regression spec without metrics gets the regression metrics.
	src := strings.Replace(strings.Replace(base, "type: LogisticRegression", "type: LinearRegression", 1), "metrics: [accuracy, f1]\n", "", 1)
	s, err := spec.Parse("t.yaml", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(s.Metrics, ",") != "rmse,mse,mae,r2" || s.Models[0].Tuning.Evaluator.MetricName != "rmse" {
		t.Fatalf("metrics %v, tuning by %s", s.Metrics, s.Models[0].Tuning.Evaluator.MetricName)
	}
}

// TestSpecErrors: each mistake gives one error at its line:column that
// says what is allowed.
func TestSpecErrors(t *testing.T) {
	cases := []struct {
		name, old, new, want string
	}{
		{"unknown top key", "name: t", "nme: t", `t.yaml:1:1: unknown key "nme" in the spec (allowed: name, input,`},
		{"unknown stage", "type: RegexTokenizer", "type: RegexTokeniser", `t.yaml:8:12: stages[0]: unknown stage type "RegexTokeniser" (allowed: `},
		{"unknown param", "pattern: '\\W'", "patern: '\\W'", `t.yaml:8:62: stages[0]: RegexTokenizer: unknown parameter "patern" (parameters: gaps, inputCol, minTokenLength, outputCol, pattern, toLowercase)`},
		{"wrong param type", "numFeatures: 250", "numFeatures: many", `t.yaml:12:78: variants[0].stages[0]: HashingTF: parameter numFeatures: want an integer, got "many"`},
		{"missing models", "models:", "modelz:", `unknown key "modelz"`},
		{"bad metric", "metrics: [accuracy, f1]", "metrics: [accuracy, f2]", `t.yaml:20:21: unknown metric "f2" (allowed: areaUnderROC, areaUnderPR, silhouette, f1, accuracy,`},

		{"bad tuning key", "numFolds: 2", "folds: 2", `t.yaml:18:7: unknown key "folds" in models[0].tuning (allowed: method, numFolds,`},
		{"one fold", "numFolds: 2", "numFolds: 1", `t.yaml:18:17: models[0].tuning.numFolds must be at least 2, got 1`},
		{"bad refit", "numFolds: 2", "refit: later", `t.yaml:18:14: models[0].tuning.refit`},
		{"bad grid value", "maxIter: [10, 15]", "maxIter: [10, 1.5]", `t.yaml:19:28: models[0].tuning.grid.maxIter: LogisticRegression: parameter maxIter: want an integer, got 1.5`},
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

// TestAliasesAndMergeKeys: anchors, aliases and merge keys reuse blocks
// as YAML defines them; an override changes one use only.
func TestAliasesAndMergeKeys(t *testing.T) {
	src := `name: t
input: {uri: data.csv}
label: label
stages:
  - &tok {type: RegexTokenizer, inputCol: text, outputCol: words, pattern: '\W'}
variants:
  - name: a
    stages:
      - &hash {type: HashingTF, inputCol: words, outputCol: features, numFeatures: 64}
  - name: b
    stages:
      - *hash
models:
  - name: lr1
    type: LogisticRegression
    params: &common {regParam: 0.1, maxIter: 20}
  - name: lr2
    type: LogisticRegression
    params:
      <<: *common
      regParam: 0.5
  - name: lr3
    type: LogisticRegression
    params:
      <<: [{elasticNetParam: 1.0}, *common]
output: {dir: out}
`
	s, err := spec.Parse("t.yaml", []byte(src), []string{"variants.b.stages.0.numFeatures=128"})
	if err != nil {
		t.Fatal(err)
	}
	if a, b := s.Variants[0].Stages[0].Params["numFeatures"], s.Variants[1].Stages[0].Params["numFeatures"]; a != 64 || b != 128 {
		t.Errorf("numFeatures a=%v b=%v, want 64 and 128", a, b)
	}
	p1, p2, p3 := s.Models[0].Stage.Params, s.Models[1].Stage.Params, s.Models[2].Stage.Params
	if p1["regParam"] != 0.1 || p2["regParam"] != 0.5 || p2["maxIter"] != 20 || p3["elasticNetParam"] != 1.0 || p3["regParam"] != 0.1 {
		t.Errorf("params %v / %v / %v", p1, p2, p3)
	}

	bomb := "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n" +
		"d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
	if _, err := spec.Parse("bomb.yaml", []byte(bomb), nil); err == nil || !strings.Contains(err.Error(), "aliases expand to more than") {
		t.Errorf("alias bomb: %v", err)
	}
	if _, err := spec.Parse("t.yaml", []byte("name: t\ninput: {uri: x.csv}\nlabel: y\nmodels:\n  - {<<: 3, type: LogisticRegression}\n"), nil); err == nil || !strings.Contains(err.Error(), "t.yaml:5:6: a merge key (<<) takes a mapping") {
		t.Errorf("bad merge: %v", err)
	}
}

// TestSetErrorsNameTheOverride: a mistake in a --set value is reported
// against that --set, not a line of the file.
func TestSetErrorsNameTheOverride(t *testing.T) {
	cases := []struct{ set, want string }{
		{"split.sed=3", `--set split.sed=3: unknown key "sed" in split (allowed: trainRatio, seed)`},
		{"split.seed=abc", `--set split.seed=abc: split.seed must be an integer, got "abc"`},
		{"split={trainRatio: 2}", `--set split={trainRatio: 2}: split.trainRatio must lie strictly between 0 and 1, got 2`},
		{"variants.tf.stages.0.numFeatures=-5", `--set variants.tf.stages.0.numFeatures=-5: variants[0].stages[0]: HashingTF: parameter numFeatures: must be in (0, 2147483647], got -5`},
		{"models.0.params.regParam=-1", `--set models.0.params.regParam=-1: models[0]: LogisticRegression: parameter regParam: must be ≥ 0, got -1`},
		{"models.0.tuning.grid.maxIter=[5, -1]", `--set models.0.tuning.grid.maxIter=[5, -1]: models[0].tuning.grid.maxIter: LogisticRegression: parameter maxIter: must be ≥ 0, got -1`},
		{"metrics=[accurcy]", `--set metrics=[accurcy]: unknown metric "accurcy"`},
		{"nokey", `--set nokey: want key.path=value`},
	}
	for _, c := range cases {
		_, err := spec.Parse("t.yaml", []byte(base), []string{c.set})
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("--set %s: %v\nwant %s", c.set, err, c.want)
		}
	}
}

// TestParamRangesAtSpecTime: every value out of its range is reported at
// its line:column, all of them at once, before anything is read.
func TestParamRangesAtSpecTime(t *testing.T) {
	src := strings.Replace(base, "params: {regParam: 0.1}", "params: {regParam: -1, elasticNetParam: 2, tol: -1, threshold: 5, maxIter: -3}", 1)
	src = strings.Replace(src, "numFeatures: 250}", "numFeatures: 0}\n      - {type: Word2Vec, inputCol: words, outputCol: w2v, vectorSize: -3}\n      - {type: MinMaxScaler, inputCol: w2v, outputCol: mm, min: 2, max: 1}", 1)
	_, err := spec.Parse("t.yaml", []byte(src), nil)
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{
		"t.yaml:12:78: variants[0].stages[0]: HashingTF: parameter numFeatures: must be in (0, 2147483647], got 0",
		"t.yaml:13:71: variants[0].stages[1]: Word2Vec: parameter vectorSize: must be > 0, got -3",
		"t.yaml:14:65: variants[0].stages[2]: MinMaxScaler: parameter min: must be below max (1), got 2",
		"t.yaml:18:24: models[0]: LogisticRegression: parameter regParam: must be ≥ 0, got -1",
		"t.yaml:18:45: models[0]: LogisticRegression: parameter elasticNetParam: must be in [0, 1], got 2",
		"t.yaml:18:53: models[0]: LogisticRegression: parameter tol: must be ≥ 0, got -1",
		"t.yaml:18:68: models[0]: LogisticRegression: parameter threshold: must be in [0, 1], got 5",
		"t.yaml:18:80: models[0]: LogisticRegression: parameter maxIter: must be ≥ 0, got -3",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in\n%v", want, err)
		}
	}
	if n := strings.Count(err.Error(), "\n") + 1; n != 8 {
		t.Errorf("%d messages, want 8:\n%v", n, err)
	}
	for _, bad := range []string{"regParam: .nan", "regParam: .inf", "regParam: 1e400"} {
		src := strings.Replace(base, "regParam: 0.1", bad, 1)
		if _, err := spec.Parse("t.yaml", []byte(src), nil); err == nil || !strings.Contains(err.Error(), "parameter regParam:") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

// TestRelativePaths: relative paths written in a spec are relative to the
// spec's directory (local or S3); --set values and absolute paths are
// used as given.
func TestRelativePaths(t *testing.T) {
	cases := []struct {
		file     string
		sets     []string
		uri, out string
	}{
		{"jobs/spam.yaml", nil, "jobs/data.csv", "jobs/out"},
		{"spam.yaml", nil, "data.csv", "out"},
		{"/etc/jobs/spam.yaml", nil, "/etc/jobs/data.csv", "/etc/jobs/out"},
		{"s3://b/specs/spam.yaml", nil, "s3://b/specs/data.csv", "s3://b/specs/out"},
		{"jobs/spam.yaml", []string{"input.uri=data/x.csv", "output.dir=o"}, "data/x.csv", "o"},
		{"jobs/spam.yaml", []string{"input.uri=/abs/x.csv", "output.dir=s3://b/o"}, "/abs/x.csv", "s3://b/o"},
	}
	for _, c := range cases {
		s, err := spec.Parse(c.file, []byte(base), c.sets)
		if err != nil {
			t.Fatal(err)
		}
		if s.Input.URI != c.uri || s.Output.Dir != c.out {
			t.Errorf("%s %v: uri %q out %q, want %q %q", c.file, c.sets, s.Input.URI, s.Output.Dir, c.uri, c.out)
		}
	}
}

// TestCastAndFillNull: Cast's target type and FillNull's values per
// column are written in a spec like any parameter; a wrong one names its
// line.
func TestCastAndFillNull(t *testing.T) {
	text := strings.Replace(base, "stages:\n  - {type: RegexTokenizer", `stages:
  - {type: FillNull, values: {text: "(empty)", n: 0, ok: true}}
  - {type: Cast, inputCol: n, outputCol: nf, to: double}
  - {type: RegexTokenizer`, 1)
	s, err := spec.Parse("t.yaml", []byte(text), nil)
	if err != nil {
		t.Fatal(err)
	}
	fill, ok := s.Stages[0].Value.(*feature.FillNull)
	if !ok || !reflect.DeepEqual(fill.Values, map[string]string{"text": "(empty)", "n": "0", "ok": "true"}) {
		t.Fatalf("FillNull %#v", s.Stages[0].Value)
	}
	cast, ok := s.Stages[1].Value.(*feature.Cast)
	if !ok || cast.To != table.Float64 || cast.InputCol != "n" || cast.OutputCol != "nf" {
		t.Fatalf("Cast %#v", s.Stages[1].Value)
	}
	if p := ml.Params(cast); p["to"] != "float64" {
		t.Fatalf("Cast's params %v", p)
	}
	for _, c := range []struct{ stage, msg string }{
		{`{type: Cast, inputCol: n, to: decimal}`, `unknown column type "decimal"`},
		{`{type: Cast, inputCol: n, to: 3}`, "want a column type"},
		{`{type: FillNull, values: [a, b]}`, "want a mapping of names to values"},
		{`{type: FillNull, values: {a: [1]}}`, "a: want a string"},
	} {
		bad := strings.Replace(base, "stages:\n  - {type: RegexTokenizer, inputCol: text, outputCol: words, pattern: '\\W'}", "stages:\n  - "+c.stage, 1)
		_, err := spec.Parse("t.yaml", []byte(bad), nil)
		if err == nil || !strings.Contains(err.Error(), c.msg) || !strings.Contains(err.Error(), "t.yaml:8:") {
			t.Errorf("%s: %v, want t.yaml:8: … %q", c.stage, err, c.msg)
		}
	}
}
