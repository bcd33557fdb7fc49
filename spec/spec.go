// Package spec reads a pipeline spec: a YAML file describing a whole
// run — input, cleaning, label, split, shared stages, named
// feature variants, models with their tuning, metrics and outputs. Every
// mistake is reported at its line:column with what is allowed there.
//
// A spec, with every key (see examples/spam/pipeline.yaml):
//
//	name: spam
//	input:
//	  uri: data/spam.csv            # local path, glob, directory or s3://
//	  test: data/test.csv           # optional: the test rows, instead of a split
//	  format: csv                   # default: from the extension
//	  options: {header: true, delimiter: ",", nullValues: [""],
//	            schema: {age: int64}, onMalformed: fail}
//	clean:
//	  dropNulls: any                # any (all columns) | none | [col, …]
//	label:
//	  column: label                 # string labels are indexed (StringIndexer)
//	  indexedCol: labelIndex        # default: <column>Index
//	split: {trainRatio: 0.7, seed: 11}
//	stages:                         # shared by every variant
//	  - {type: RegexTokenizer, inputCol: text, outputCol: words, pattern: '\W'}
//	variants:
//	  - name: tf
//	    stages:
//	      - {type: HashingTF, inputCol: words, outputCol: features, numFeatures: 250}
//	models:
//	  - name: lr
//	    type: LogisticRegression
//	    params: {regParam: 0.0}
//	    tuning:
//	      method: crossValidator     # crossValidator | trainValidationSplit
//	      numFolds: 2
//	      seed: 11
//	      stratify: false            # true: every fold keeps the class balance
//	      grid: {maxIter: [10, 15, 20]}
//	      evaluator: {type: multiclass, metricName: f1}
//	metrics: [accuracy, f1]
//	output: {dir: out/spam, processedData: false, saveModels: true}
//
// The run's kind follows from its models: classifiers or regressors need
// a label; clusterings (KMeans) use none, and naming one is an error; a
// spec with stages and no models is a data-preparation run, which fits
// its stages on every row and writes them (output.format: parquet, the
// default, csv, jsonl or libsvm) with the fitted feature pipeline, and
// has no split, test input or metrics (see examples/cluster and
// examples/prepare).
//
// With input.test, the data comes with its own split: the models train on
// input.uri and are scored on input.test (same format and options, same
// columns), and a split section is an error.
//
// Relative paths (input.uri, input.test, output.dir) are relative to the spec's own
// directory. YAML anchors, aliases and merge keys (<<: *base) work. Each
// parameter is checked against its range (see ml.Validate) where it is
// written, and all such mistakes are reported together.
package spec

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/spindle-ml/spindle/evaluation"
	"github.com/spindle-ml/spindle/format"
	"github.com/spindle-ml/spindle/format/csv"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

// Pos is a place in the spec file, 1-based; for a value that a --set
// override gave, Set holds that override ("split.seed=7") instead.
type Pos struct {
	Line, Column int
	Set          string
}

// Error is a spec mistake at a place in the file.
type Error struct {
	File string
	Pos  Pos
	Msg  string
	// Err is the cause, when Msg describes another error.
	Err error
}

func (e *Error) Unwrap() error { return e.Err }

func (e *Error) Error() string {
	switch {
	case e.Pos.Set != "":
		return fmt.Sprintf("--set %s: %s", e.Pos.Set, e.Msg)
	case e.Pos.Line == 0:
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Pos.Line, e.Pos.Column, e.Msg)
}

// Spec is a parsed, checked spec.
type Spec struct {
	// File is the spec's name, for messages.
	File     string
	Name     string
	Input    Input
	Clean    Clean
	Label    Label
	Split    Split
	Stages   []Stage
	Variants []Variant
	Models   []Model
	// Metrics are computed on the test split for every variant and model.
	Metrics []string
	Output  Output
	// Digest is the SHA-256 (hex) of the spec's text and overrides: two
	// runs with the same digest ran the same spec.
	Digest string
}

// Input is what to read.
type Input struct {
	URI string
	// Test, if set, is the test data's URI: it replaces the random split.
	Test    string
	TestPos Pos
	Options format.Options
	Pos     Pos
	// SchemaPos holds the place of each input.options.schema entry.
	SchemaPos map[string]Pos
}

// Clean is the null policy applied after reading.
type Clean struct {
	// DropNulls is "none", "any" (a null in any column drops the row) or
	// "columns" (a null in one of Columns drops it).
	DropNulls string
	Columns   []string
	Pos       Pos
}

// Label names the label column.
type Label struct {
	Column string
	// IndexedCol receives the label's index when Column holds strings
	// (StringIndexer, frequencyDesc); default Column + "Index".
	IndexedCol string
	Pos        Pos
}

// Split is the train/test split.
type Split struct {
	TrainRatio float64
	Seed       int64
}

// Stage is one pipeline stage: its type and parameters by Spark name, and
// the stage itself, built and checked once.
type Stage struct {
	Type   string
	Params ml.ParamMap
	Pos    Pos
	// ParamPos holds each parameter's place.
	ParamPos map[string]Pos
	// Value is the stage (a pointer to its struct) with Params set; treat
	// it as read-only (ml.WithParams makes modified copies).
	Value any
	// evaluator is a predictor's default evaluator type.
	evaluator string
}

// Variant is a named list of stages making the features after the shared
// stages.
type Variant struct {
	Name   string
	Stages []Stage
	Pos    Pos
}

// Model is an estimator trained on every variant, optionally tuned.
type Model struct {
	Name   string
	Stage  Stage
	Tuning *Tuning
}

// Tuning configures parameter search for a model.
type Tuning struct {
	// Method is "crossValidator" (the default) or "trainValidationSplit".
	Method string
	// NumFolds, TrainRatio, Seed, Parallelism and FoldCol are as written
	// (zero when not): package tuning holds their defaults.
	NumFolds    int
	TrainRatio  float64
	Seed        int64
	Parallelism int
	FoldCol     string
	// NumFoldsPos and FoldColPos are where those are set (zero if not).
	NumFoldsPos, FoldColPos Pos
	// Stratify deals each class evenly over the folds.
	Stratify bool
	// Refit is when the best map is refitted on all the training rows:
	// "auto" (the default: "eager" on a cluster engine, "best" on the
	// embedded one), "eager" (every map is refitted while the folds are
	// fitted, in the same passes, and the best one kept) or "best" (the
	// best map alone, after the folds).
	Refit string
	// Grid lists the parameters to search, in file order.
	Grid      []GridParam
	Evaluator Evaluator
	Pos       Pos
}

// GridParam is one searched parameter.
type GridParam struct {
	Name   string
	Values []any
	Pos    Pos
}

// Evaluator names an evaluator and its metric.
type Evaluator struct {
	// Type is "multiclass", "binary" or "regression".
	Type       string
	MetricName string
}

// Output says what to write and where.
type Output struct {
	// DirPos is where output.dir is set in the spec (zero if it is not).
	DirPos Pos
	Dir    string
	// ProcessedData writes the processed rows (always, in a
	// data-preparation run); ProcessedSet says the spec wrote the key.
	ProcessedData, ProcessedSet bool
	ProcessedPos                Pos
	// Format is a data-preparation run's output format (default parquet).
	Format     format.Format
	FormatPos  Pos
	SaveModels bool
}

// metricsOf returns the metrics of evaluator typ (package evaluation's
// registry), its default first.
func metricsOf(typ string) []string {
	ev, _ := evaluation.LookupEvaluator(typ)
	var out []string
	for _, m := range ev.Metrics {
		out = append(out, m.Name)
	}
	return out
}

// MetricType returns the evaluator that computes metric, or "".
func MetricType(metric string) string {
	m, _ := evaluation.LookupMetric(metric)
	return m.Evaluator
}

// Parse reads a spec from data (file names it in messages, and relative
// paths in it resolve against file's directory), applying overrides
// ("key.path=value", as `spindle run --set` gives them) first.
//
// YAML anchors, aliases and merge keys (<<: *base) work as YAML defines
// them. Relative input.uri and output.dir values written in the spec are
// relative to the spec's own directory (local or s3://), as in
// docker-compose files; values given by --set are used as given (relative
// to the working directory), since they were typed there.
//
// Parameter values out of their range are all reported, one line each;
// other mistakes stop at the first.
func Parse(file string, data []byte, overrides []string) (*Spec, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &Error{File: file, Msg: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, &Error{File: file, Msg: "the spec is empty"}
	}
	d := &decoder{file: file, set: map[*yaml.Node]string{}}
	root, err := d.expand(doc.Content[0])
	if err != nil {
		return nil, err
	}
	for _, o := range overrides {
		if err := override(root, o, d.set); err != nil {
			return nil, &Error{File: file, Pos: Pos{Set: o}, Msg: err.Error()}
		}
	}
	s := d.spec(root)
	if d.err != nil {
		return nil, d.err
	}
	if len(d.soft) > 0 {
		return nil, errors.Join(d.soft...)
	}
	h := sha256.New()
	h.Write(data)
	for _, o := range overrides {
		fmt.Fprintf(h, "\x00--set %s", o)
	}
	s.Digest = hex.EncodeToString(h.Sum(nil))
	return s, nil
}

// decoder walks the YAML tree, keeping the first structural error and
// every parameter-value error.
type decoder struct {
	file string
	err  error
	// soft are parameter values out of range: reported together.
	soft []error
	// set maps the nodes --set overrides made to the override's text.
	set map[*yaml.Node]string
	// nodes counts nodes made by alias expansion (see expand).
	nodes int
}

// pos is where n is: its line and column, or the --set that made it.
func (d *decoder) pos(n *yaml.Node) Pos {
	if s, ok := d.set[n]; ok {
		return Pos{Set: s}
	}
	return Pos{Line: n.Line, Column: n.Column}
}

// failAt is failf at a position kept from the node.
func (d *decoder) failAt(p Pos, format string, args ...any) {
	if d.err == nil {
		d.err = &Error{File: d.file, Pos: p, Msg: fmt.Sprintf(format, args...)}
	}
}

func (d *decoder) failf(n *yaml.Node, format string, args ...any) {
	if d.err == nil {
		p := Pos{}
		if n != nil {
			p = d.pos(n)
		}
		d.err = &Error{File: d.file, Pos: p, Msg: fmt.Sprintf(format, args...)}
	}
}

// softf records a parameter-value error and lets decoding go on.
func (d *decoder) softf(n *yaml.Node, format string, args ...any) {
	d.soft = append(d.soft, &Error{File: d.file, Pos: d.pos(n), Msg: fmt.Sprintf(format, args...)})
}

// maxExpandedNodes bounds what aliases may expand to: a spec is small,
// and a "billion laughs" document (aliases of aliases) would otherwise
// grow without bound.
const maxExpandedNodes = 200_000

// expand returns n with every alias replaced by a copy of its anchor's
// node and every merge key (<<: *base, <<: [*a, *b]) merged into its
// mapping: explicit keys win over merged ones, and earlier merged mappings
// over later ones, as YAML's merge key type says. Copies keep the anchor's
// line and column.
func (d *decoder) expand(n *yaml.Node) (*yaml.Node, error) {
	d.nodes++
	if d.nodes > maxExpandedNodes {
		return nil, &Error{File: d.file, Pos: Pos{Line: n.Line, Column: n.Column}, Msg: fmt.Sprintf("aliases expand to more than %d nodes; is an alias nested in itself?", maxExpandedNodes)}
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, &Error{File: d.file, Pos: Pos{Line: n.Line, Column: n.Column}, Msg: "alias without an anchor"}
		}
		return d.expand(n.Alias)
	case yaml.MappingNode, yaml.SequenceNode, yaml.DocumentNode:
	default:
		c := *n
		c.Anchor = ""
		return &c, nil
	}
	c := *n
	c.Anchor = ""
	c.Content = make([]*yaml.Node, 0, len(n.Content))
	var merged [][]*yaml.Node
	for i, child := range n.Content {
		if n.Kind == yaml.MappingNode && i%2 == 0 && child.Tag == "!!merge" && i+1 < len(n.Content) {
			v, err := d.expand(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			srcs := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				srcs = v.Content
			}
			for _, src := range srcs {
				if src.Kind != yaml.MappingNode {
					return nil, &Error{File: d.file, Pos: Pos{Line: child.Line, Column: child.Column}, Msg: fmt.Sprintf("a merge key (<<) takes a mapping or a list of mappings, got %s", kindName(src))}
				}
				merged = append(merged, src.Content)
			}
			continue
		}
		if n.Kind == yaml.MappingNode && i%2 == 1 && n.Content[i-1].Tag == "!!merge" {
			continue
		}
		e, err := d.expand(child)
		if err != nil {
			return nil, err
		}
		c.Content = append(c.Content, e)
	}
	for _, pairs := range merged {
		for i := 0; i+1 < len(pairs); i += 2 {
			if !hasKey(&c, pairs[i].Value) {
				c.Content = append(c.Content, pairs[i], pairs[i+1])
			}
		}
	}
	return &c, nil
}

func hasKey(m *yaml.Node, key string) bool {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return true
		}
	}
	return false
}

// path resolves a relative local path written in the spec against the
// spec's directory; absolute paths, URIs and --set values stay as given.
func (d *decoder) path(n *yaml.Node, p string) string {
	if p == "" || strings.Contains(p, "://") || filepath.IsAbs(p) {
		return p
	}
	if _, fromSet := d.set[n]; fromSet {
		return p
	}
	base := d.file
	if loc, err := storage.Parse(base); err == nil && loc.IsS3() {
		i := strings.LastIndex(loc.Path, "/")
		loc.Path = loc.Path[:i+1]
		return loc.Join(p).String()
	}
	return filepath.Join(filepath.Dir(base), p)
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "something else"
}

// mapping checks n is a mapping with keys among allowed (and the required
// ones present) and returns its values by key, and the key nodes.
func (d *decoder) mapping(n *yaml.Node, what string, allowed []string, required ...string) (map[string]*yaml.Node, map[string]*yaml.Node) {
	vals, keys := map[string]*yaml.Node{}, map[string]*yaml.Node{}
	if d.err != nil {
		return vals, keys
	}
	if n.Kind != yaml.MappingNode {
		d.failf(n, "%s must be a mapping, got %s", what, kindName(n))
		return vals, keys
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if allowed != nil && !slices.Contains(allowed, k.Value) {
			d.failf(k, "unknown key %q in %s (allowed: %s)", k.Value, what, strings.Join(allowed, ", "))
			return vals, keys
		}
		if _, dup := vals[k.Value]; dup {
			d.failf(k, "key %q appears twice in %s", k.Value, what)
			return vals, keys
		}
		vals[k.Value], keys[k.Value] = v, k
	}
	for _, r := range required {
		if _, ok := vals[r]; !ok {
			d.failf(n, "%s needs %q", what, r)
			return vals, keys
		}
	}
	return vals, keys
}

func (d *decoder) str(n *yaml.Node, what string) string {
	if d.err != nil || n == nil {
		return ""
	}
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.failf(n, "%s must be a string, got %s", what, kindName(n))
		return ""
	}
	return n.Value
}

func (d *decoder) oneOf(n *yaml.Node, what string, allowed ...string) string {
	s := d.str(n, what)
	if d.err == nil && !slices.Contains(allowed, s) {
		d.failf(n, "%s is %q; allowed: %s", what, s, strings.Join(allowed, ", "))
	}
	return s
}

func (d *decoder) integer(n *yaml.Node, what string) int64 {
	if d.err != nil || n == nil {
		return 0
	}
	i, err := strconv.ParseInt(n.Value, 0, 64)
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || err != nil {
		d.failf(n, "%s must be an integer, got %s", what, kindName(n))
	}
	return i
}

func (d *decoder) number(n *yaml.Node, what string) float64 {
	if d.err != nil || n == nil {
		return 0
	}
	f, err := strconv.ParseFloat(n.Value, 64)
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") || err != nil {
		d.failf(n, "%s must be a number, got %s", what, kindName(n))
	}
	return f
}

func (d *decoder) boolean(n *yaml.Node, what string) bool {
	if d.err != nil || n == nil {
		return false
	}
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		d.failf(n, "%s must be true or false, got %s", what, kindName(n))
		return false
	}
	return n.Value == "true"
}

func (d *decoder) strList(n *yaml.Node, what string) []string {
	if d.err != nil || n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		return []string{n.Value}
	}
	if n.Kind != yaml.SequenceNode {
		d.failf(n, "%s must be a list of strings, got %s", what, kindName(n))
		return nil
	}
	out := make([]string, len(n.Content))
	for i, c := range n.Content {
		out[i] = d.str(c, what+" items")
	}
	return out
}

// value decodes any YAML value into plain Go values (bool, int, float64,
// string, []any, map[string]any).
func (d *decoder) value(n *yaml.Node) any {
	if d.err != nil {
		return nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		d.failf(n, "%v", err)
	}
	return v
}

var topKeys = []string{"name", "input", "clean", "label", "split", "stages", "variants", "models", "metrics", "output"}

func (d *decoder) spec(root *yaml.Node) *Spec {
	s := &Spec{File: d.file}
	top, _ := d.mapping(root, "the spec", topKeys, "input")
	if n := top["name"]; n != nil {
		s.Name = d.str(n, "name")
	}
	s.Input = d.input(top["input"])
	s.Clean = d.clean(top["clean"])
	s.Label = d.label(top["label"])
	s.Split = d.split(top["split"])
	if n := top["split"]; n != nil && s.Input.Test != "" && d.err == nil {
		d.failf(n, "split: the input has its own test data (input.test); remove split or input.test")
	}
	if n := top["stages"]; n != nil {
		s.Stages = d.stages(n, "stages")
	}
	s.Variants = d.variants(top["variants"])
	s.Models = d.models(top["models"])
	s.Metrics = d.metrics(top["metrics"], s.Models, top["models"])
	d.needLabel(s, top["label"], top["models"])
	s.Output = d.output(top["output"])
	if top["models"] == nil {
		d.prepareOnly(s, root, top)
	} else if s.Output.Format != "" && d.err == nil {
		d.failAt(s.Output.FormatPos, "output.format is for a data-preparation run's rows (a spec without models); a training run writes its processed data as Parquet")
	}
	return s
}

var inputKeys = []string{"uri", "test", "format", "options"}

func (d *decoder) input(n *yaml.Node) Input {
	in := Input{}
	if n == nil {
		return in
	}
	in.Pos = d.pos(n)
	m, _ := d.mapping(n, "input", inputKeys, "uri")
	in.URI = d.path(m["uri"], d.str(m["uri"], "input.uri"))
	if t := m["test"]; t != nil {
		in.Test = d.path(t, d.str(t, "input.test"))
		in.TestPos = d.pos(t)
	}
	if f := m["format"]; f != nil {
		ff, err := format.Parse(d.str(f, "input.format"))
		if err != nil && d.err == nil {
			d.failf(f, "input.format: %v", err)
		}
		in.Options.Format = ff
	}
	if o := m["options"]; o != nil {
		in.SchemaPos = d.readOptions(o, &in.Options)
	}
	return in
}

var optionKeys = []string{"header", "delimiter", "quote", "escape", "nullValues", "schema", "onMalformed"}

// readOptions reads input.options into o and returns where each schema
// entry is.
func (d *decoder) readOptions(n *yaml.Node, o *format.Options) map[string]Pos {
	var where map[string]Pos
	m, _ := d.mapping(n, "input.options", optionKeys)
	if v := m["header"]; v != nil {
		o.CSV.NoHeader = !d.boolean(v, "input.options.header")
	}
	oneByte := func(key string) byte {
		v := m[key]
		if v == nil {
			return 0
		}
		s := d.str(v, "input.options."+key)
		if s == `\t` {
			s = "\t"
		}
		if d.err == nil && len(s) != 1 {
			d.failf(v, "input.options.%s must be one byte, got %q", key, s)
			return 0
		}
		if d.err != nil {
			return 0
		}
		return s[0]
	}
	o.CSV.Delimiter, o.CSV.Quote, o.CSV.Escape = oneByte("delimiter"), oneByte("quote"), oneByte("escape")
	if v := m["nullValues"]; v != nil {
		o.CSV.NullValues = d.strList(v, "input.options.nullValues")
	}
	if v := m["onMalformed"]; v != nil {
		o.CSV.OnMalformed = csv.Policy(d.oneOf(v, "input.options.onMalformed", "fail", "drop"))
	}
	if v := m["schema"]; v != nil {
		types, keys := d.mapping(v, "input.options.schema", nil)
		sch := map[string]table.Type{}
		where = map[string]Pos{}
		for name, tn := range types {
			where[name] = d.pos(keys[name])
			t, err := table.ParseType(d.str(tn, "a column type"))
			if err != nil && d.err == nil {
				d.failf(tn, "input.options.schema.%s: %v", keys[name].Value, err)
			}
			sch[name] = t
		}
		o.CSV.Schema, o.JSONL.Schema = sch, sch
	}
	return where
}

func (d *decoder) clean(n *yaml.Node) Clean {
	c := Clean{DropNulls: "none"}
	if n == nil {
		return c
	}
	c.Pos = d.pos(n)
	m, _ := d.mapping(n, "clean", []string{"dropNulls"})
	v := m["dropNulls"]
	switch {
	case v == nil:
	case v.Kind == yaml.SequenceNode:
		c.DropNulls, c.Columns = "columns", d.strList(v, "clean.dropNulls")
	default:
		c.DropNulls = d.oneOf(v, "clean.dropNulls", "any", "none")
	}
	return c
}

func (d *decoder) label(n *yaml.Node) Label {
	l := Label{}
	if n == nil {
		return l
	}
	l.Pos = d.pos(n)
	if n.Kind == yaml.ScalarNode {
		l.Column = d.str(n, "label")
	} else {
		m, _ := d.mapping(n, "label", []string{"column", "indexedCol"}, "column")
		l.Column = d.str(m["column"], "label.column")
		l.IndexedCol = d.str(m["indexedCol"], "label.indexedCol")
	}
	if l.IndexedCol == "" {
		l.IndexedCol = l.Column + "Index"
	}
	return l
}

// prepareOnly checks a data-preparation run, a spec with stages and no
// models: it fits its stages on every row and writes them all, so it has
// no split, no test input and no metrics, and writes the processed data.
func (d *decoder) prepareOnly(s *Spec, root *yaml.Node, top map[string]*yaml.Node) {
	if d.err != nil {
		return
	}
	stages := len(s.Stages)
	for _, v := range s.Variants {
		stages += len(v.Stages)
	}
	switch {
	case stages == 0:
		d.failf(root, "the spec has no models and no stages: nothing to run (a training run lists models; a data-preparation run, stages)")
	case top["metrics"] != nil:
		d.failf(top["metrics"], "metrics: a data-preparation run (no models) has nothing to score; remove metrics")
	case top["split"] != nil:
		d.failf(top["split"], "split: a data-preparation run fits its stages on every row and writes them all; remove split")
	case s.Input.Test != "":
		d.failAt(s.Input.TestPos, "input.test: a data-preparation run reads one input; remove input.test")
	case s.Output.ProcessedSet && !s.Output.ProcessedData:
		d.failAt(s.Output.ProcessedPos, "output.processedData: false leaves a data-preparation run nothing to write")
	case s.Output.Format == format.LibSVM && s.Label.Column == "":
		d.failAt(s.Output.FormatPos, "output.format: libsvm writes a label and features; name the label column with label:")
	}
	s.Output.ProcessedData = true
}

// needLabel checks the label against the run's kind, which follows from
// its models: a kind whose evaluator says NoLabel (clusterings, topic
// models) uses no label, every other kind needs one.
func (d *decoder) needLabel(s *Spec, label, models *yaml.Node) {
	if d.err != nil || len(s.Models) == 0 {
		return
	}
	var names []string
	for _, m := range s.Models {
		names = append(names, m.Name+" ("+m.Stage.Type+")")
	}
	switch kind := s.Models[0].Stage.evaluator; {
	case !evaluation.NeedsLabel(kind) && label != nil:
		d.failf(label, "label: the models %s are %s models, which use no label; remove label", strings.Join(names, ", "), kind)
	case evaluation.NeedsLabel(kind) && label == nil:
		d.failf(models, "the spec has no label, which the models %s need (they are %s models); name the label column with label:", strings.Join(names, ", "), kind)
	}
}

func (d *decoder) split(n *yaml.Node) Split {
	s := Split{TrainRatio: 0.7, Seed: 11}
	if n == nil {
		return s
	}
	m, _ := d.mapping(n, "split", []string{"trainRatio", "seed"})
	if v := m["trainRatio"]; v != nil {
		s.TrainRatio = d.number(v, "split.trainRatio")
		if d.err == nil && !(s.TrainRatio > 0 && s.TrainRatio < 1) {
			d.failf(v, "split.trainRatio must lie strictly between 0 and 1, got %v", s.TrainRatio)
		}
	}
	if v := m["seed"]; v != nil {
		s.Seed = d.integer(v, "split.seed")
	}
	return s
}

// stages reads a list of feature stages.
func (d *decoder) stages(n *yaml.Node, what string) []Stage {
	if d.err != nil {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.failf(n, "%s must be a list of stages, got %s", what, kindName(n))
		return nil
	}
	var out []Stage
	for i, sn := range n.Content {
		out = append(out, d.stage(sn, fmt.Sprintf("%s[%d]", what, i), false, nil))
	}
	return out
}

// stage reads {type: T, param: value, …} into a built stage; with m, the
// parameters are those given (models: {type, params: {…}}). Types are the
// registered stages (ml.Register): predictors under models:, the others
// elsewhere.
func (d *decoder) stage(n *yaml.Node, what string, predictors bool, m map[string]*yaml.Node) Stage {
	st := Stage{Params: ml.ParamMap{}, ParamPos: map[string]Pos{}}
	if d.err != nil {
		return st
	}
	st.Pos = d.pos(n)
	var keys map[string]*yaml.Node
	if m == nil {
		m, keys = d.mapping(n, what, nil, "type")
	}
	tn := m["type"]
	if tn == nil {
		d.failf(n, "%s needs \"type\"", what)
		return st
	}
	st.Type = d.str(tn, what+".type")
	reg, ok := ml.Lookup(st.Type)
	if d.err == nil && (!ok || (reg.Evaluator != "") != predictors) {
		d.failf(tn, "%s: unknown stage type %q (allowed: %s)", what, st.Type, strings.Join(ml.StageNames(predictors), ", "))
		return st
	}
	if d.err != nil {
		return st
	}
	st.evaluator = reg.Evaluator
	proto := reg.New()
	// Parameters in file order, each checked on its own for its place;
	// every value out of range is reported.
	var names []string
	for k := range m {
		if k != "type" {
			names = append(names, k)
		}
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := m[names[i]], m[names[j]]
		return a.Line < b.Line || a.Line == b.Line && a.Column < b.Column
	})
	allSet := true
	for _, k := range names {
		v := d.value(m[k])
		if d.err != nil {
			return st
		}
		at := m[k]
		if keys != nil {
			at = keys[k]
		}
		next, err := ml.WithParams(proto, ml.ParamMap{k: v})
		switch {
		case errors.Is(err, ml.ErrUnknownParam):
			d.failf(at, "%s: %v", what, err)
			return st
		case err != nil: // a value of the wrong type or out of range
			d.softf(m[k], "%s: %v", what, err)
			allSet = false
			continue
		}
		proto = next
		st.Params[k] = v
		st.ParamPos[k] = d.pos(m[k])
	}
	// Constraints between parameters (min below max …), at the place of
	// the parameter at fault.
	if allSet {
		if err := ml.Validate(proto); err != nil {
			at := n
			if pe, isParam := ml.AsParamError(err); isParam && m[pe.Param] != nil {
				at = m[pe.Param]
			}
			d.softf(at, "%s: %v", what, err)
		}
	}
	st.Value = proto
	return st
}

func (d *decoder) variants(n *yaml.Node) []Variant {
	if n == nil || d.err != nil {
		return []Variant{{Name: "default"}}
	}
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		d.failf(n, "variants must be a non-empty list, got %s", kindName(n))
		return nil
	}
	var out []Variant
	seen := map[string]bool{}
	for i, vn := range n.Content {
		what := fmt.Sprintf("variants[%d]", i)
		m, _ := d.mapping(vn, what, []string{"name", "stages"}, "name")
		v := Variant{Name: d.str(m["name"], what+".name"), Pos: d.pos(vn)}
		if d.err == nil && (v.Name == "" || strings.ContainsAny(v.Name, "/\\ ") || seen[v.Name]) {
			d.failf(m["name"], "%s.name %q must be unique, non-empty, without spaces or slashes (it names a directory)", what, v.Name)
		}
		seen[v.Name] = true
		if s := m["stages"]; s != nil {
			v.Stages = d.stages(s, what+".stages")
		}
		out = append(out, v)
	}
	return out
}

func (d *decoder) models(n *yaml.Node) []Model {
	if d.err != nil || n == nil {
		return nil
	}
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		d.failf(n, "models must be a non-empty list, got %s", kindName(n))
		return nil
	}
	var out []Model
	seen := map[string]bool{}
	for i, mn := range n.Content {
		what := fmt.Sprintf("models[%d]", i)
		m, _ := d.mapping(mn, what, []string{"name", "type", "params", "tuning"}, "type")
		mod := Model{Name: d.str(m["name"], what+".name")}
		params := map[string]*yaml.Node{"type": m["type"]}
		if p := m["params"]; p != nil {
			pm, _ := d.mapping(p, what+".params", nil)
			for k, v := range pm {
				params[k] = v
			}
		}
		mod.Stage = d.stage(mn, what, true, params)
		if mod.Name == "" {
			mod.Name = mod.Stage.Type
		}
		if d.err == nil && (strings.ContainsAny(mod.Name, "/\\ ") || seen[mod.Name]) {
			d.failf(mn, "%s.name %q must be unique, without spaces or slashes", what, mod.Name)
		}
		seen[mod.Name] = true
		if t := m["tuning"]; t != nil {
			mod.Tuning = d.tuning(t, what+".tuning", mod.Stage)
		}
		out = append(out, mod)
	}
	return out
}

// MaxGridPoints bounds a tuning grid's parameter maps.
const MaxGridPoints = 100_000

var tuningKeys = []string{"method", "numFolds", "trainRatio", "seed", "parallelism", "foldCol", "stratify", "refit", "grid", "evaluator"}

func (d *decoder) tuning(n *yaml.Node, what string, model Stage) *Tuning {
	t := &Tuning{Method: "crossValidator", Refit: "auto", Pos: d.pos(n)} // the other defaults are package tuning's
	m, _ := d.mapping(n, what, tuningKeys, "grid")
	if v := m["method"]; v != nil {
		t.Method = d.oneOf(v, what+".method", "crossValidator", "trainValidationSplit")
	}
	if v := m["numFolds"]; v != nil {
		t.NumFolds, t.NumFoldsPos = int(d.integer(v, what+".numFolds")), d.pos(v)
		if d.err == nil && t.NumFolds < 2 {
			d.failf(v, "%s.numFolds must be at least 2, got %d", what, t.NumFolds)
		}
	}
	if v := m["trainRatio"]; v != nil {
		t.TrainRatio = d.number(v, what+".trainRatio")
		if d.err == nil && !(t.TrainRatio > 0 && t.TrainRatio < 1) {
			d.failf(v, "%s.trainRatio must lie strictly between 0 and 1, got %v", what, t.TrainRatio)
		}
	}
	if v := m["seed"]; v != nil {
		t.Seed = d.integer(v, what+".seed")
	}
	if v := m["parallelism"]; v != nil {
		t.Parallelism = int(d.integer(v, what+".parallelism"))
		if d.err == nil && t.Parallelism < 1 {
			d.failf(v, "%s.parallelism must be at least 1", what)
		}
	}
	if v := m["foldCol"]; v != nil {
		t.FoldCol, t.FoldColPos = d.str(v, what+".foldCol"), d.pos(v)
	}
	if v := m["refit"]; v != nil {
		t.Refit = d.oneOf(v, what+".refit", "auto", "eager", "best")
	}
	if v := m["stratify"]; v != nil {
		t.Stratify = d.boolean(v, what+".stratify")
		if d.err == nil && t.Stratify && t.FoldCol != "" {
			d.failf(v, "%s: set foldCol or stratify, not both", what)
		}
		if d.err == nil && t.Stratify && !evaluation.NeedsLabel(model.evaluator) {
			d.failf(v, "%s.stratify: a %s model has no label classes to stratify by", what, model.evaluator)
		}
	}
	if g := m["grid"]; g != nil && d.err == nil {
		d.mapping(g, what+".grid", nil) // shape and duplicate keys
		proto := model.Value
		for i := 0; d.err == nil && i+1 < len(g.Content); i += 2 {
			kn, vn := g.Content[i], g.Content[i+1]
			gp := GridParam{Name: kn.Value, Pos: d.pos(kn)}
			if vn.Kind != yaml.SequenceNode || len(vn.Content) == 0 {
				d.failf(vn, "%s.grid.%s must be a non-empty list of values, got %s", what, kn.Value, kindName(vn))
				break
			}
			for _, x := range vn.Content {
				v := d.value(x)
				if d.err != nil {
					break
				}
				if proto != nil {
					if _, err := ml.WithParams(proto, ml.ParamMap{kn.Value: v}); err != nil {
						if errors.Is(err, ml.ErrUnknownParam) {
							d.failf(kn, "%s.grid: %v", what, err)
							break
						}
						d.softf(x, "%s.grid.%s: %v", what, kn.Value, err)
					}
				}
				gp.Values = append(gp.Values, v)
			}
			t.Grid = append(t.Grid, gp)
		}
		// Every combination is a fit per fold: refuse a grid no run
		// could finish (or a builder could hold).
		points := 1.0
		for _, gp := range t.Grid {
			points *= float64(len(gp.Values))
		}
		if d.err == nil && points > MaxGridPoints {
			d.failf(g, "%s.grid has %.0f parameter maps (the product of its lists' lengths); at most %d", what, points, MaxGridPoints)
		}
	}
	t.Evaluator = Evaluator{Type: model.evaluator}
	if t.Evaluator.Type == "" {
		t.Evaluator.Type = "multiclass"
	}
	t.Evaluator.MetricName = metricsOf(t.Evaluator.Type)[0]
	if v := m["evaluator"]; v != nil {
		em, _ := d.mapping(v, what+".evaluator", []string{"type", "metricName"})
		at := v
		if x := em["type"]; x != nil {
			t.Evaluator.Type = d.oneOf(x, what+".evaluator.type", evaluation.EvaluatorNames()...)
			if d.err != nil {
				return t
			}
			t.Evaluator.MetricName = metricsOf(t.Evaluator.Type)[0]
			at = x
		}
		if x := em["metricName"]; x != nil {
			t.Evaluator.MetricName = d.oneOf(x, what+".evaluator.metricName", metricsOf(t.Evaluator.Type)...)
			at = x
		}
		// The tuning metric must score the model: every fold is judged
		// by it.
		if err := evaluation.CheckModel(t.Evaluator.MetricName, model.Value, model.evaluator); err != nil && d.err == nil {
			d.failf(at, "%s.evaluator: %v", what, err)
		}
	}
	return t
}

// metrics reads the test metrics, or gives the defaults of the models'
// kind, and checks every metric against every model before any work: a
// metric must score each model (evaluation.CheckModel: a classifier's
// metric for a classifier, and only of columns the model makes).
func (d *decoder) metrics(n *yaml.Node, models []Model, modelsNode *yaml.Node) []string {
	if d.err != nil {
		return nil
	}
	kinds := map[string][]string{}
	var order []string
	for _, m := range models {
		if _, seen := kinds[m.Stage.evaluator]; !seen {
			order = append(order, m.Stage.evaluator)
		}
		kinds[m.Stage.evaluator] = append(kinds[m.Stage.evaluator], m.Name)
	}
	if len(order) > 1 {
		d.failf(modelsNode, "models: %s and %s are models of different kinds (%s and %s): a run's models are all classifiers, all regressors or all clusterings",
			kinds[order[0]][0], kinds[order[1]][0], order[0], order[1])
		return nil
	}
	if n == nil {
		if len(order) == 0 {
			return nil
		}
		ev, _ := evaluation.LookupEvaluator(order[0])
		ms := ev.RunDefaults
		for _, m := range models {
			for _, name := range ms {
				if err := evaluation.CheckModel(name, m.Stage.Value, m.Stage.evaluator); err != nil {
					d.failf(modelsNode, "the default metrics (%s) cannot score model %s: %v; list the metrics to report", strings.Join(ms, ", "), m.Name, err)
					return nil
				}
			}
		}
		return ms
	}
	ms := d.strList(n, "metrics")
	for i, name := range ms {
		at := n
		if n.Kind == yaml.SequenceNode {
			at = n.Content[i]
		}
		if d.err == nil && MetricType(name) == "" {
			d.failf(at, "unknown metric %q (allowed: %s)", name, strings.Join(evaluation.MetricNames(), ", "))
			return ms
		}
		for _, m := range models {
			if err := evaluation.CheckModel(name, m.Stage.Value, m.Stage.evaluator); err != nil && d.err == nil {
				d.failf(at, "metrics: model %s: %v", m.Name, err)
			}
		}
	}
	return ms
}

func (d *decoder) output(n *yaml.Node) Output {
	o := Output{SaveModels: true}
	if n == nil {
		return o
	}
	m, _ := d.mapping(n, "output", []string{"dir", "processedData", "format", "saveModels"})
	o.Dir = d.path(m["dir"], d.str(m["dir"], "output.dir"))
	if n := m["dir"]; n != nil {
		o.DirPos = d.pos(n)
	}
	if v := m["processedData"]; v != nil {
		o.ProcessedData, o.ProcessedSet, o.ProcessedPos = d.boolean(v, "output.processedData"), true, d.pos(v)
	}
	if v := m["format"]; v != nil {
		var names []string
		for _, f := range format.Formats() {
			names = append(names, string(f))
		}
		o.Format, o.FormatPos = format.Format(d.oneOf(v, "output.format", names...)), d.pos(v)
	}
	if v := m["saveModels"]; v != nil {
		o.SaveModels = d.boolean(v, "output.saveModels")
	}
	return o
}

// override applies one "a.b.c=value" to the tree: path segments are
// mapping keys, list indexes, or the name of a list item that has one.
// Every node it makes (keys and values, at any depth) is recorded in set,
// so that messages about them name the override, not a place in the file.
func override(root *yaml.Node, kv string, set map[*yaml.Node]string) error {
	key, val, ok := strings.Cut(kv, "=")
	if !ok || key == "" {
		return errors.New("want key.path=value")
	}
	var v yaml.Node
	if err := yaml.Unmarshal([]byte(val), &v); err != nil {
		return fmt.Errorf("value: %v", err)
	}
	newVal := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: ""}
	if len(v.Content) > 0 {
		newVal = v.Content[0]
	}
	if hasAlias(newVal) {
		return errors.New("value: aliases are not allowed in --set")
	}
	mark(newVal, kv, set)
	n := root
	segs := strings.Split(key, ".")
	for i, s := range segs {
		last := i == len(segs)-1
		switch n.Kind {
		case yaml.MappingNode:
			found := false
			for j := 0; j+1 < len(n.Content); j += 2 {
				if n.Content[j].Value == s {
					if last {
						n.Content[j+1] = newVal
					}
					n, found = n.Content[j+1], true
					break
				}
			}
			if !found {
				k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
				child := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
				if last {
					child = newVal
				}
				set[k], set[child] = kv, kv
				n.Content = append(n.Content, k, child)
				n = child
			}
		case yaml.SequenceNode:
			idx, err := strconv.Atoi(s)
			if err != nil {
				idx = -1
				for j, c := range n.Content {
					if c.Kind == yaml.MappingNode {
						for k := 0; k+1 < len(c.Content); k += 2 {
							if c.Content[k].Value == "name" && c.Content[k+1].Value == s {
								idx = j
							}
						}
					}
				}
			}
			if idx < 0 || idx >= len(n.Content) {
				return fmt.Errorf("%q: no list item %q", strings.Join(segs[:i+1], "."), s)
			}
			if last {
				n.Content[idx] = newVal
			}
			n = n.Content[idx]
		default:
			return fmt.Errorf("%q is not a mapping or list", strings.Join(segs[:i], "."))
		}
	}
	return nil
}

// mark records n and everything under it as made by override kv.
func mark(n *yaml.Node, kv string, set map[*yaml.Node]string) {
	set[n] = kv
	for _, c := range n.Content {
		mark(c, kv, set)
	}
}

func hasAlias(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode {
		return true
	}
	for _, c := range n.Content {
		if hasAlias(c) {
			return true
		}
	}
	return false
}
