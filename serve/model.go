package serve

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spindle-ml/spindle/jsonnum"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/pipeline"
	"github.com/spindle-ml/spindle/runrecord"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

// ModelSource names a saved model to serve: Name is the {name} of its
// URLs, Dir its directory or s3:// prefix.
type ModelSource struct {
	Name string
	Dir  string
}

// ParseModelSource reads the --model form "[NAME=]DIR". Without NAME, the
// name is DIR's last path element ("out/spam/models/tfidf" → "tfidf").
func ParseModelSource(s string) (ModelSource, error) {
	name, dir, ok := strings.Cut(s, "=")
	if !ok || strings.Contains(name, "/") {
		name, dir = "", s
	}
	if dir == "" {
		return ModelSource{}, fmt.Errorf("model %q: no directory", s)
	}
	if name == "" {
		name = dir[strings.LastIndex(strings.TrimRight(dir, "/"), "/")+1:]
		name = strings.TrimRight(name, "/")
	}
	if !validName(name) {
		return ModelSource{}, fmt.Errorf("model %q: name %q must be 1 to 128 letters, digits, '.', '_' or '-'", s, name)
	}
	return ModelSource{Name: name, Dir: dir}, nil
}

func validName(s string) bool {
	if s == "" || len(s) > 128 || s == "." || s == ".." {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// model is one loaded model, immutable once made: a reload makes a new one
// and swaps it in.
type model struct {
	src    ModelSource
	pm     *pipeline.PipelineModel
	input  *table.Schema
	output []outCol
	info   *pipeline.Info
	// marker is the SHA-256 of the model's _SUCCESS manifest: it changes
	// whenever any file of the model does.
	marker   [32]byte
	loadedAt time.Time
	// described is the model's entry in GET /v1/models, encoded once.
	described json.RawMessage
}

// outCol is a prediction column a response carries: its name, position
// in the model's output and JSON key.
type outCol struct {
	name  string
	index int
	key   []byte
}

// readMarker returns the digest of dir's _SUCCESS manifest.
func readMarker(ctx context.Context, st *storage.Store, dir string) ([32]byte, error) {
	data, err := st.ReadFile(ctx, storage.Join(dir, "_SUCCESS"))
	if err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256(data), nil
}

// loadModel loads and checks src and prepares it for row-wise scoring.
func loadModel(ctx context.Context, st *storage.Store, src ModelSource) (*model, error) {
	// The marker is read first: a save that lands between the two reads
	// then shows as a change at the next poll.
	marker, err := readMarker(ctx, st, src.Dir)
	if err != nil {
		if _, _, lerr := pipeline.LoadWithInfo(ctx, st, src.Dir); lerr != nil {
			err = lerr // says what is there instead of a model
		}
		return nil, fmt.Errorf("model %s: %w", src.Name, err)
	}
	pm, info, err := pipeline.LoadWithInfo(ctx, st, src.Dir)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", src.Name, err)
	}
	if err := pm.Rowwise(); err != nil {
		return nil, fmt.Errorf("model %s (%s): %w", src.Name, src.Dir, err)
	}
	in, err := pm.InputSchema()
	if err != nil {
		return nil, fmt.Errorf("model %s (%s): %w", src.Name, src.Dir, err)
	}
	out, err := pm.OutputSchema(in)
	if err != nil {
		return nil, fmt.Errorf("model %s (%s): %w", src.Name, src.Dir, err)
	}
	m := &model{src: src, pm: pm, input: in, info: info, marker: marker, loadedAt: time.Now()}
	add := func(c string, j int) {
		key, _ := json.Marshal(c)
		m.output = append(m.output, outCol{name: c, index: j, key: key})
	}
	for _, c := range pipeline.PredictionColumns() {
		if j := out.Index(c); j >= 0 && in.Index(c) < 0 {
			add(c, j)
		}
	}
	if len(m.output) == 0 {
		// A pipeline without a predictor (feature stages only) answers
		// with every column it adds.
		for j, f := range out.Fields {
			if in.Index(f.Name) < 0 {
				add(f.Name, j)
			}
		}
	}
	if len(m.output) == 0 {
		return nil, fmt.Errorf("model %s (%s): adds no column to its input", src.Name, src.Dir)
	}
	if m.described, err = json.Marshal(m.describe()); err != nil {
		return nil, fmt.Errorf("model %s: %w", src.Name, err)
	}
	return m, nil
}

// modelInfo is a model's entry in GET /v1/models.
type modelInfo struct {
	Name     string                 `json:"name"`
	Dir      string                 `json:"dir"`
	RunID    string                 `json:"runId,omitempty"`
	Loaded   time.Time              `json:"loaded"`
	Input    []pipeline.InputColumn `json:"input"`
	Output   []string               `json:"output"`
	Stages   []string               `json:"stages"`
	Metrics  json.RawMessage        `json:"metrics,omitempty"`
	Predict  string                 `json:"predict"`
	Manifest string                 `json:"manifestSha256"`
}

func (m *model) describe() modelInfo {
	d := modelInfo{Name: m.src.Name, Dir: m.src.Dir, RunID: m.info.RunID, Loaded: m.loadedAt.UTC(),
		Input: m.info.Input, Metrics: summaryOf(m.info.Metrics), Predict: "/v1/models/" + m.src.Name + ":predict",
		Manifest: fmt.Sprintf("%x", m.marker)}
	for _, c := range m.output {
		d.Output = append(d.Output, c.name)
	}
	for _, s := range m.info.Stages {
		d.Stages = append(d.Stages, s.Class)
	}
	return d
}

// modelSummary is the part of a model's metrics.json GET /v1/models
// shows; curves, histories and fold metrics stay in the file.
type modelSummary struct {
	RunID      string                     `json:"runId,omitempty"`
	Variant    string                     `json:"variant,omitempty"`
	Label      string                     `json:"label,omitempty"`
	Name       string                     `json:"name,omitempty"`
	Type       string                     `json:"type,omitempty"`
	Params     ml.ParamMap                `json:"params,omitempty"`
	Test       map[string]jsonnum.Float   `json:"test,omitempty"`
	Confusion  *runrecord.ConfusionReport `json:"confusion,omitempty"`
	FitSeconds float64                    `json:"fitSeconds,omitempty"`
	BestParams ml.ParamMap                `json:"bestParams,omitempty"`
}

// summaryOf keeps the modelSummary of a model's metrics.json (nil when
// there is none, or it cannot be read).
func summaryOf(metrics json.RawMessage) json.RawMessage {
	mm, err := runrecord.ParseModelMetrics(metrics)
	if len(metrics) == 0 || err != nil {
		return nil
	}
	r := mm.ModelReport
	sum := modelSummary{RunID: mm.RunID, Variant: mm.Variant, Label: mm.Label, Name: r.Name, Type: r.Type,
		Params: r.Params, Test: r.Test, Confusion: r.Confusion, FitSeconds: r.FitSeconds}
	if r.Tuning != nil {
		sum.BestParams = r.Tuning.Best
	}
	out, err := json.Marshal(sum)
	if err != nil {
		return nil
	}
	return out
}
