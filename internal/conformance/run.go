package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"go.yaml.in/yaml/v3"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/evaluation"
	"github.com/spindle-ml/spindle/format/jsonl"
	"github.com/spindle-ml/spindle/internal/learned"
	"github.com/spindle-ml/spindle/jsonnum"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/pipeline"
	"github.com/spindle-ml/spindle/serve"
	"github.com/spindle-ml/spindle/spec"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

// Result is what one case gives on one engine.
type Result struct {
	Case Case
	// Refused is the parameter check's error: the setting is not a valid
	// one, and nothing ran.
	Refused error
	// Err is the fit's or the transform's error.
	Err error
	// Model is the fitted model (the stage itself for a transformer).
	Model ml.Transformer
	// Out is the input with the model's columns.
	Out *table.Table
	// Metrics are the test metrics of a predictor's output, by name;
	// MetricErrs the metrics that could not be computed.
	Metrics    map[string]float64
	MetricErrs map[string]string
}

// Stage makes the case's stage with its parameters, checked as a spec's
// are (each value against its rule, then the stage's constraints).
func (c Case) Stage() (any, error) {
	st, err := ml.New(c.Reg.Name, c.Params)
	if err != nil {
		return nil, err
	}
	if err := ml.Validate(st); err != nil {
		return nil, err
	}
	return st, nil
}

// Fit runs a case on engine e over ds (a dataset of the case's sample
// made by e): fit (an estimator), transform and collect, then the
// metrics a predictor's output allows.
func Fit(ctx context.Context, e engine.Engine, c Case, ds engine.Dataset) *Result {
	r := &Result{Case: c}
	st, err := c.Stage()
	if err != nil {
		r.Refused = err
		return r
	}
	switch s := st.(type) {
	case ml.Estimator:
		m, err := s.Fit(ctx, e, ds)
		if err != nil {
			r.Err = fmt.Errorf("fit: %w", err)
			return r
		}
		r.Model = m
	case ml.Transformer:
		r.Model = s
	default:
		r.Err = fmt.Errorf("%T is neither an estimator nor a transformer", st)
		return r
	}
	out, err := ml.Transform(ctx, e, ds, r.Model)
	if err == nil {
		r.Out, err = e.Collect(ctx, out)
	}
	if err != nil {
		r.Err = fmt.Errorf("transform: %w", err)
		return r
	}
	if c.Reg.Evaluator != "" {
		r.Metrics, r.MetricErrs = map[string]float64{}, map[string]string{}
		for _, name := range Metrics(c, st) {
			v, err := metric(ctx, e, out, name, st, r.Model)
			if err != nil {
				r.MetricErrs[name] = err.Error()
				continue
			}
			r.Metrics[name] = v
		}
	}
	return r
}

// Metrics are the metrics the up-front check of a run
// (evaluation.CheckModel, which the spec applies to every model) accepts
// for the case's stage, each of which must then compute. Binary metrics
// need a two-class label.
func Metrics(c Case, stage any) []string {
	var out []string
	for _, m := range evaluation.MetricNames() {
		info, _ := evaluation.LookupMetric(m)
		if info.Evaluator == "binary" && c.Reg.Samples[c.Sample].Label != "binary" {
			continue
		}
		if evaluation.CheckModel(m, stage, c.Reg.Evaluator) == nil {
			out = append(out, m)
		}
	}
	return out
}

func metric(ctx context.Context, e engine.Engine, ds engine.Dataset, name string, stage any, model ml.Transformer) (float64, error) {
	ev, err := evaluation.ForModel(name, stage, "label")
	if err == nil {
		ev, err = evaluation.Bind(ev, model) // as a tuner binds each fit
	}
	if err != nil {
		return 0, err
	}
	return ev.Evaluate(ctx, e, ds)
}

// Same compares two results of one case (two engines, or a model and its
// reloaded copy): both refused, both failed, or the same model, output
// and metrics, bit for bit.
func Same(what string, a, b *Result) error {
	switch {
	case (a.Refused == nil) != (b.Refused == nil):
		return fmt.Errorf("%s: refused %v against %v", what, a.Refused, b.Refused)
	case a.Refused != nil:
		return nil
	case (a.Err == nil) != (b.Err == nil):
		return fmt.Errorf("%s: error %v against %v", what, a.Err, b.Err)
	case a.Err != nil:
		return nil
	}
	if d := Diff(a.Model, b.Model); d != "" {
		return fmt.Errorf("%s: the models differ: %s", what, d)
	}
	if d := Diff(a.Out, b.Out); d != "" {
		return fmt.Errorf("%s: the outputs differ: %s", what, d)
	}
	if d := Diff(a.Metrics, b.Metrics); d != "" {
		return fmt.Errorf("%s: the metrics differ: %s", what, d)
	}
	// (Errors are compared by which metrics fail: a worker's message
	// carries the job's.)
	if d := Diff(slices.Sorted(mapsKeys(a.MetricErrs)), slices.Sorted(mapsKeys(b.MetricErrs))); d != "" {
		return fmt.Errorf("%s: the metrics that fail differ: %s", what, d)
	}
	return nil
}

// SameAsDefault checks that a case writing a parameter's default gives
// what the defaults give: the same learned data, output and metrics (the
// stage itself differs: the parameter is set).
func SameAsDefault(r, defaults *Result) error {
	a, b := *r, *defaults
	a.Model, b.Model = nil, nil
	if err := Same("written default against the defaults", &a, &b); err != nil {
		return err
	}
	if r.Model != nil && defaults.Model != nil {
		if d := Diff(ml.Data(r.Model), ml.Data(defaults.Model)); d != "" {
			return fmt.Errorf("written default against the defaults: the learned data differ: %s", d)
		}
	}
	return nil
}

// CheckMetrics fails when a metric the up-front check accepted could not
// be computed.
func CheckMetrics(r *Result) error {
	for _, name := range slices.Sorted(mapsKeys(r.MetricErrs)) {
		return fmt.Errorf("metric %s passes the up-front check but fails after the fit: %s", name, r.MetricErrs[name])
	}
	return nil
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// Wire checks the model as a worker receives it: encoded by the engine,
// decoded, it is the same value.
func Wire(r *Result) error {
	k, ok := r.Model.(engine.Kernel)
	if !ok {
		return fmt.Errorf("%T is not a kernel", r.Model)
	}
	data, err := engine.Encode(k)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	back, err := engine.Decode(data)
	if err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	if d := Diff(r.Model, back); d != "" {
		return fmt.Errorf("the model as a worker decodes it differs: %s", d)
	}
	return nil
}

// Saved saves the model as a one-stage pipeline under dir, loads it, and
// checks the loaded stage is the same and transforms data (on engine e)
// to the same output. It returns the loaded pipeline.
func Saved(ctx context.Context, e engine.Engine, r *Result, data *table.Table, dir string) (*pipeline.PipelineModel, error) {
	st := storage.New(storage.Options{})
	pm := &pipeline.PipelineModel{Stages: []ml.Transformer{r.Model}}
	if in, err := data.Select(pm.InputColumns()...); err == nil {
		pm.Input = in.Schema()
	}
	if err := pipeline.Save(ctx, st, dir, pm, pipeline.SaveOptions{SpindleVersion: "conformance"}); err != nil {
		return nil, fmt.Errorf("save: %w", err)
	}
	back, err := pipeline.Load(ctx, st, dir)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	if len(back.Stages) != 1 {
		return nil, fmt.Errorf("load: %d stages", len(back.Stages))
	}
	if d := Diff(r.Model, back.Stages[0]); d != "" {
		return nil, fmt.Errorf("the loaded model differs: %s", d)
	}
	ds, err := e.FromTable(ctx, data)
	if err != nil {
		return nil, err
	}
	out, err := ml.Transform(ctx, e, ds, back.Stages[0])
	if err != nil {
		return nil, fmt.Errorf("transform with the loaded model: %w", err)
	}
	got, err := e.Collect(ctx, out)
	if err != nil {
		return nil, fmt.Errorf("transform with the loaded model: %w", err)
	}
	if d := Diff(r.Out, got); d != "" {
		return nil, fmt.Errorf("the loaded model's output differs: %s", d)
	}
	return back, nil
}

// Served loads the saved model dir into the server and scores data's
// rows in one request: the answer must be what the output holds, each
// value as 'spindle predict' writes it.
func Served(ctx context.Context, r *Result, data *table.Table, dir string) error {
	srv, err := serve.New(ctx, storage.New(storage.Options{}), []serve.ModelSource{{Name: "m", Dir: dir}}, serve.Options{})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	var info struct {
		Input []struct{ Name string }
	}
	if err := get(srv, "/v1/models/m", &info); err != nil {
		return err
	}
	in := data.Concat()
	var body []byte
	body = append(body, '[')
	for i := range in.NumRows() {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, '{')
		first := true
		for _, f := range info.Input {
			c, err := in.ColumnByName(f.Name)
			if err != nil {
				return fmt.Errorf("serve: the model reads %q: %w", f.Name, err)
			}
			if !first {
				body = append(body, ',')
			}
			first = false
			key, _ := json.Marshal(f.Name)
			body = append(append(body, key...), ':')
			if c.IsNull(i) {
				body = append(body, "null"...)
			} else if body, err = jsonl.AppendValue(body, c, i); err != nil {
				return err
			}
		}
		body = append(body, '}')
	}
	body = append(body, ']')
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequestWithContext(ctx, http.MethodPost, "/v1/models/m:predict", bytes.NewReader(body)))
	if rec.Code != http.StatusOK {
		return fmt.Errorf("serve: status %d: %s", rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	var resp struct {
		Predictions []map[string]json.RawMessage
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		return fmt.Errorf("serve: answer: %w", err)
	}
	out := r.Out.Concat()
	if len(resp.Predictions) != out.NumRows() {
		return fmt.Errorf("serve: %d answers for the %d rows the model outputs", len(resp.Predictions), out.NumRows())
	}
	added := out.Schema().Fields[len(data.Schema().Fields):]
	if pred := pipeline.PredictionColumns(); slices.ContainsFunc(added, func(f table.Field) bool { return slices.Contains(pred, f.Name) }) {
		added = slices.DeleteFunc(slices.Clone(added), func(f table.Field) bool { return !slices.Contains(pred, f.Name) })
	}
	for i, p := range resp.Predictions {
		for _, f := range added {
			c, _ := out.ColumnByName(f.Name)
			got, ok := p[f.Name]
			if c.IsNull(i) {
				if ok {
					return fmt.Errorf("serve: row %d: %s is %s, the output has null", i+1, f.Name, got)
				}
				continue
			}
			want, err := jsonl.AppendValue(nil, c, i)
			if err != nil {
				return err
			}
			if !bytes.Equal(got, want) {
				return fmt.Errorf("serve: row %d: %s is %s, the output has %s", i+1, f.Name, got, want)
			}
		}
	}
	return nil
}

func get(h http.Handler, path string, v any) error {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	if rec.Code != http.StatusOK {
		return fmt.Errorf("GET %s: status %d: %s", path, rec.Code, rec.Body.String())
	}
	return json.Unmarshal(rec.Body.Bytes(), v)
}

// ReadBack reads a one-stage model saved under dir as another program
// would: its metadata.json must hold the stage's parameters as
// ml.SplitParams splits them, and its data.parquet — read by Arrow's
// Parquet reader, column by column — exactly what the stage learned.
func ReadBack(dir string, model ml.Transformer) error {
	matches, _ := filepath.Glob(filepath.Join(dir, "stages", "00_*", "metadata.json"))
	if len(matches) != 1 {
		return fmt.Errorf("read back: %d stage metadata files", len(matches))
	}
	raw, err := os.ReadFile(matches[0])
	if err != nil {
		return err
	}
	var meta struct {
		ParamMap, DefaultParamMap map[string]any
		Data                      *struct{ File string }
	}
	if err := unmarshalNumbers(raw, &meta); err != nil {
		return fmt.Errorf("read back %s: %w", matches[0], err)
	}
	set, defaults := ml.SplitParams(model)
	for _, p := range []struct {
		name      string
		got, want any
	}{{"paramMap", meta.ParamMap, set}, {"defaultParamMap", meta.DefaultParamMap, defaults}} {
		want, err := json.Marshal(jsonnum.Value(p.want))
		if err != nil {
			return err
		}
		var w any
		if err := unmarshalNumbers(want, &w); err != nil {
			return err
		}
		if d := Diff(p.got, w); d != "" {
			return fmt.Errorf("read back %s: %s: %s", matches[0], p.name, d)
		}
	}
	values := learned.Values(model, 0)
	if len(values) == 0 {
		if meta.Data != nil {
			return fmt.Errorf("read back %s: data listed for a stage that learned nothing", matches[0])
		}
		return nil
	}
	if meta.Data == nil {
		return fmt.Errorf("read back %s: no data listed", matches[0])
	}
	path := filepath.Join(filepath.Dir(matches[0]), meta.Data.File)
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	pf, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("read back %s: %w", path, err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.NewGoAllocator())
	if err != nil {
		return err
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		return fmt.Errorf("read back %s: %w", path, err)
	}
	defer tbl.Release()
	if tbl.NumRows() != 1 || int(tbl.NumCols()) != len(values) {
		return fmt.Errorf("read back %s: %d rows, %d columns; the stage learned %d", path, tbl.NumRows(), tbl.NumCols(), len(values))
	}
	for i := range int(tbl.NumCols()) {
		col := tbl.Column(i)
		var arr arrow.Array
		for _, c := range col.Data().Chunks() {
			if c.Len() == 1 {
				arr = c
			}
		}
		if arr == nil {
			return fmt.Errorf("read back %s: column %s has no value", path, col.Name())
		}
		got, err := json.Marshal(arrowValue(arr, 0))
		if err != nil {
			return err
		}
		want, err := json.Marshal(values[col.Name()])
		if err != nil {
			return err
		}
		if !bytes.Equal(got, want) {
			return fmt.Errorf("read back %s: column %s holds %.200s, the stage learned %.200s", path, col.Name(), got, want)
		}
	}
	return nil
}

func unmarshalNumbers(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}

// arrowValue is element i of arr as JSON shows a model's learned data
// (learned.Values): a test oracle written against Arrow's arrays, apart
// from the decoder under test.
func arrowValue(arr arrow.Array, i int) any {
	if arr.IsNull(i) {
		return nil
	}
	switch a := arr.(type) {
	case *array.Boolean:
		return a.Value(i)
	case *array.Int64:
		return a.Value(i)
	case *array.Int32:
		return a.Value(i)
	case *array.Uint8:
		return a.Value(i)
	case *array.Uint64:
		return a.Value(i)
	case *array.Float32:
		return jsonnum.Float(a.Value(i))
	case *array.Float64:
		return jsonnum.Float(a.Value(i))
	case *array.String:
		return a.Value(i)
	case *array.Binary:
		return a.Value(i)
	case *array.Map:
		lo, hi := a.ValueOffsets(i)
		out := map[string]any{}
		for k := lo; k < hi; k++ {
			out[fmt.Sprint(arrowValue(a.Keys(), int(k)))] = arrowValue(a.Items(), int(k))
		}
		return out
	case *array.List:
		lo, hi := a.ValueOffsets(i)
		out := make([]any, 0, hi-lo)
		for k := lo; k < hi; k++ {
			out = append(out, arrowValue(a.ListValues(), int(k)))
		}
		return out
	case *array.Struct:
		st := a.DataType().(*arrow.StructType)
		out := map[string]any{}
		for k := range a.NumField() {
			out[st.Field(k).Name] = arrowValue(a.Field(k), i)
		}
		return out
	}
	return fmt.Sprintf("<%s>", arr.DataType())
}

// Slots checks the names a report gives the slots of each vector column
// the model adds (namer: how the job names a model's features): one name
// per slot of every vector, and, for slots that copy their inputs (an
// assembler's), a slot named after an input column — x, or v[k] for an
// input vector v — holds that column's value.
func Slots(r *Result, data *table.Table, namer func(stages []ml.Transformer, col string) *ml.Slots) error {
	out := r.Out.Concat()
	in := data.Schema()
	for _, f := range out.Schema().Fields[in.Len():] {
		if f.Type != table.Vector {
			continue
		}
		slots := namer([]ml.Transformer{r.Model}, f.Name)
		if slots == nil {
			continue
		}
		c, _ := out.ColumnByName(f.Name)
		vc := c.(*table.VectorColumn)
		for i, v := range vc.Values {
			if vc.IsNull(i) {
				continue
			}
			if v.Size != slots.Size {
				return fmt.Errorf("column %s has %d slots, %d named", f.Name, v.Size, slots.Size)
			}
			for j := range min(slots.Size, 1000) {
				if !slots.Copies {
					break
				}
				name := slots.Name(j)
				want, ok, err := slotValue(out, name, i)
				if err != nil {
					return fmt.Errorf("column %s, row %d, slot %d (%s): %w", f.Name, i+1, j, name, err)
				}
				if ok && math.Float64bits(want) != math.Float64bits(v.At(j)) {
					return fmt.Errorf("column %s, row %d: slot %d is named %s, which holds %v, but the slot holds %v", f.Name, i+1, j, name, want, v.At(j))
				}
			}
		}
	}
	return nil
}

// SlotNames is how a report names the slots of a vector column the
// stages make from data (ml.SlotsOf), the slots of data's own vector
// columns named v[0] … v[n-1] after their size.
func SlotNames(data *table.Table) func(stages []ml.Transformer, col string) *ml.Slots {
	in := data.Concat()
	raw := func(col string) *ml.Slots {
		c, err := in.ColumnByName(col)
		if err != nil {
			return nil
		}
		vc, ok := c.(*table.VectorColumn)
		if !ok {
			return nil
		}
		for i, v := range vc.Values {
			if !vc.IsNull(i) {
				s := ml.IndexedSlots(col, v.Size)
				s.Copies = true
				return s
			}
		}
		return nil
	}
	return func(stages []ml.Transformer, col string) *ml.Slots {
		return ml.SlotsOf(data.Schema(), stages, col, raw)
	}
}

// slotValue is the value a slot named name would hold in row i: input
// column name's, or element k of input vector v for "v[k]"; ok is false
// for a name of neither form.
func slotValue(b *table.Batch, name string, i int) (float64, bool, error) {
	col, k := name, -1
	if open := strings.LastIndex(name, "["); open > 0 && strings.HasSuffix(name, "]") {
		n, err := strconv.Atoi(name[open+1 : len(name)-1])
		if err == nil {
			col, k = name[:open], n
		}
	}
	c, err := b.ColumnByName(col)
	if err != nil || c.IsNull(i) {
		return 0, false, nil
	}
	switch c := c.(type) {
	case *table.Float64Column:
		return c.Values[i], k < 0, nil
	case *table.Int64Column:
		return float64(c.Values[i]), k < 0, nil
	case *table.BoolColumn:
		if c.Values[i] {
			return 1, k < 0, nil
		}
		return 0, k < 0, nil
	case *table.VectorColumn:
		if k < 0 {
			return 0, false, fmt.Errorf("names a whole vector column, not one of its slots")
		}
		if k >= c.Values[i].Size {
			return 0, false, fmt.Errorf("%s has %d slots", col, c.Values[i].Size)
		}
		return c.Values[i].At(k), true, nil
	}
	return 0, false, nil
}

// FromSpec checks the spec → struct boundary: the case's parameters
// written in a YAML spec (as a user writes them: numbers, .nan and .inf,
// lists, mappings) and read back by package spec give the very stage
// ml.New builds from them.
func FromSpec(c Case) error {
	want, err := c.Stage()
	if err != nil {
		return nil // refused settings are checked where they are made
	}
	st := map[string]any{"type": c.Reg.Name}
	for k, v := range c.Params {
		st[k] = v
	}
	doc := map[string]any{"input": map[string]any{"uri": "data.csv"}, "label": "label"}
	if c.Reg.Evaluator != "" && !evaluation.NeedsLabel(c.Reg.Evaluator) {
		delete(doc, "label") // a clustering or topic model uses none
	}
	if c.Reg.Evaluator != "" {
		params := map[string]any{}
		for k, v := range c.Params {
			params[k] = v
		}
		doc["models"] = []any{map[string]any{"name": "m", "type": c.Reg.Name, "params": params}}
	} else {
		doc["stages"] = []any{st}
		doc["models"] = []any{map[string]any{"name": "m", "type": "LogisticRegression"}}
	}
	src, err := yaml.Marshal(doc)
	if err != nil {
		return fmt.Errorf("spec: %w", err)
	}
	s, err := spec.Parse("conformance.yaml", src, nil)
	if err != nil {
		return fmt.Errorf("spec: %v\n%s", err, src)
	}
	got := s.Models[0].Stage.Value
	if c.Reg.Evaluator == "" {
		got = s.Stages[0].Value
	}
	if d := Diff(want, got); d != "" {
		return fmt.Errorf("spec: the stage read from the spec differs: %s\n%s", d, src)
	}
	return nil
}
