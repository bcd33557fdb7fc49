package pipeline

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/storage"
)

// FormatVersion is the saved-model format this build writes and reads.
const FormatVersion = 1

// Limits on what Load reads, so a corrupt or hostile directory cannot
// make it allocate without bound.
const (
	maxMetadataBytes = 1 << 20 // a metadata.json
	maxStageBytes    = 4 << 30 // a stage's data.gob
	maxStages        = 10_000
)

// SaveOptions configure Save.
type SaveOptions struct {
	// Overwrite replaces an existing model (Spark's write.overwrite()).
	Overwrite bool
	// SpindleVersion is recorded in the metadata.
	SpindleVersion string
	// RunID, if set, names the run that made the model (job.RunInfo).
	RunID string
	// Extra files (name → content) written into the model directory before
	// its _SUCCESS marker, e.g. the metrics the model was chosen by.
	Extra map[string][]byte
}

type modelMeta struct {
	Class          string      `json:"class"`
	FormatVersion  int         `json:"formatVersion"`
	SpindleVersion string      `json:"spindleVersion,omitempty"`
	RunID          string      `json:"runId,omitempty"`
	Stages         []stageMeta `json:"stages"`
}

type stageMeta struct {
	Class         string          `json:"class"`
	UID           string          `json:"uid"`
	Dir           string          `json:"dir,omitempty"`
	FormatVersion int             `json:"formatVersion,omitempty"`
	Params        json.RawMessage `json:"params,omitempty"`
}

// Save writes m to dir (a local path or s3:// prefix) atomically.
func Save(ctx context.Context, st *storage.Store, dir string, m *PipelineModel, o SaveOptions) error {
	loc, err := storage.Parse(dir)
	if err != nil {
		return err
	}
	if _, err := st.List(ctx, storage.Join(dir, "_SUCCESS")); err == nil {
		if !o.Overwrite {
			return fmt.Errorf("save %s: a model already exists there (use overwrite)", dir)
		}
	} else if !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("save %s: %w", dir, err)
	}
	target := dir
	var tmp string
	if loc.IsS3() && o.Overwrite {
		// S3 has no rename: retract the old marker first, so that while
		// the new files replace the old ones no mix of the two loads.
		if err := st.Delete(ctx, storage.Join(dir, "_SUCCESS")); err != nil {
			return fmt.Errorf("save %s: %w", dir, err)
		}
	}
	if !loc.IsS3() {
		// Build the whole model beside the target, then rename it in.
		tmp = strings.TrimSuffix(loc.Path, "/") + ".tmp-" + randomSuffix()
		target = tmp
		defer os.RemoveAll(tmp)
	}
	meta := modelMeta{Class: "PipelineModel", FormatVersion: FormatVersion, SpindleVersion: o.SpindleVersion, RunID: o.RunID}
	for i, t := range m.Stages {
		k, ok := t.(engine.Kernel)
		if !ok {
			return fmt.Errorf("save %s: stage %d (%T) cannot be saved: it is not a registered kernel", dir, i+1, t)
		}
		data, err := engine.Encode(k)
		if err != nil {
			return fmt.Errorf("save %s: stage %d: %w", dir, i+1, err)
		}
		params, err := json.Marshal(summarizeParams(ml.Params(t)))
		if err != nil {
			params = nil // not JSON-able: the data file still has it
		}
		kind := k.KernelName()
		sd := fmt.Sprintf("stages/%02d_%s", i, sanitize(kind))
		sm := stageMeta{Class: kind, UID: fmt.Sprintf("%s_%02d", sanitize(kind), i), Dir: sd, FormatVersion: FormatVersion, Params: params}
		sjs, _ := json.MarshalIndent(sm, "", "  ")
		if err := st.WriteFile(ctx, storage.Join(storage.Join(target, sd), "metadata.json"), sjs); err != nil {
			return fmt.Errorf("save %s: %w", dir, err)
		}
		if err := st.WriteFile(ctx, storage.Join(storage.Join(target, sd), "data.gob"), data); err != nil {
			return fmt.Errorf("save %s: %w", dir, err)
		}
		sm.Params = nil
		meta.Stages = append(meta.Stages, sm)
	}
	for name, data := range o.Extra {
		if name == "" || strings.ContainsAny(name, "/\\") || name == "metadata.json" || name == "_SUCCESS" {
			return fmt.Errorf("save %s: bad extra file name %q", dir, name)
		}
		if err := st.WriteFile(ctx, storage.Join(target, name), data); err != nil {
			return fmt.Errorf("save %s: %w", dir, err)
		}
	}
	mjs, _ := json.MarshalIndent(meta, "", "  ")
	if err := st.WriteFile(ctx, storage.Join(target, "metadata.json"), mjs); err != nil {
		return fmt.Errorf("save %s: %w", dir, err)
	}
	if err := st.WriteFile(ctx, storage.Join(target, "_SUCCESS"), nil); err != nil {
		return fmt.Errorf("save %s: %w", dir, err)
	}
	if tmp == "" {
		return nil
	}
	final := strings.TrimSuffix(loc.Path, "/")
	if o.Overwrite {
		old := final + ".old-" + randomSuffix()
		if err := os.Rename(final, old); err == nil {
			defer os.RemoveAll(old)
		}
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return fmt.Errorf("save %s: %w", dir, err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("save %s: %w", dir, err)
	}
	return nil
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

func sanitize(s string) string { return unsafeChars.ReplaceAllString(s, "_") }

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// validator is implemented by stages that can check their own state.
type validator interface {
	Validate() error
}

// readBounded reads a whole object, failing if it is larger than limit.
func readBounded(ctx context.Context, st *storage.Store, uri string, limit int64) ([]byte, error) {
	r, err := st.Open(ctx, uri)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", uri, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: larger than the %d-byte limit; not a Spindle model file", uri, limit)
	}
	return data, nil
}

// Load reads a model saved by Save.
func Load(ctx context.Context, st *storage.Store, dir string) (*PipelineModel, error) {
	m, err := readMeta(ctx, st, dir, "load")
	if err != nil {
		return nil, err
	}
	out := &PipelineModel{}
	for i, sm := range m.Stages {
		dataURI := storage.Join(storage.Join(dir, sm.Dir), "data.gob")
		raw, err := readBounded(ctx, st, dataURI, maxStageBytes)
		if err != nil {
			return nil, fmt.Errorf("load %s: stage %d: %w", dir, i+1, err)
		}
		t, err := decodeStage(dataURI, sm, raw)
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", dir, err)
		}
		out.Stages = append(out.Stages, t)
	}
	return out, nil
}

// readMeta checks a saved model's _SUCCESS marker and reads and validates
// its metadata.json; verb ("load", "inspect") starts the error messages.
func readMeta(ctx context.Context, st *storage.Store, dir, verb string) (*modelMeta, error) {
	if _, err := st.List(ctx, storage.Join(dir, "_SUCCESS")); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, fmt.Errorf("%s %s: no _SUCCESS marker: not a saved model, or its save did not finish", verb, dir)
		}
		return nil, fmt.Errorf("%s %s: %w", verb, dir, err)
	}
	metaURI := storage.Join(dir, "metadata.json")
	data, err := readBounded(ctx, st, metaURI, maxMetadataBytes)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", verb, dir, err)
	}
	return parseMeta(metaURI, data)
}

// parseMeta validates a model's metadata.json.
func parseMeta(uri string, data []byte) (*modelMeta, error) {
	var m modelMeta
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: not valid model metadata: %v", uri, err)
	}
	switch {
	case m.Class != "PipelineModel":
		return nil, fmt.Errorf("%s: class %q, want PipelineModel", uri, m.Class)
	case m.FormatVersion != FormatVersion:
		return nil, fmt.Errorf("%s: format version %d; this build reads version %d", uri, m.FormatVersion, FormatVersion)
	case len(m.Stages) == 0:
		return nil, fmt.Errorf("%s: the model has no stages", uri)
	case len(m.Stages) > maxStages:
		return nil, fmt.Errorf("%s: %d stages is more than the %d allowed", uri, len(m.Stages), maxStages)
	}
	for i, s := range m.Stages {
		if s.Class == "" || s.Dir == "" || strings.Contains(s.Dir, "..") || strings.HasPrefix(s.Dir, "/") {
			return nil, fmt.Errorf("%s: stage %d: missing class or bad directory %q", uri, i+1, s.Dir)
		}
	}
	return &m, nil
}

// decodeStage rebuilds one stage, checks it and that it is the class the
// metadata names.
func decodeStage(uri string, sm stageMeta, raw []byte) (ml.Transformer, error) {
	t, err := DecodeStage(uri, raw)
	if err != nil {
		return nil, err
	}
	if k := t.(engine.Kernel); k.KernelName() != sm.Class {
		return nil, fmt.Errorf("%s: holds a %s, the metadata says %s", uri, k.KernelName(), sm.Class)
	}
	return t, nil
}

// DecodeStage rebuilds one saved stage from its data file's bytes (named
// uri in errors) and checks its state, so that a corrupt file is an error,
// never a panic or a model that fails later.
func DecodeStage(uri string, raw []byte) (ml.Transformer, error) {
	k, err := engine.Decode(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", uri, err)
	}
	t, ok := k.(ml.Transformer)
	if !ok {
		return nil, fmt.Errorf("%s: %s is not a transformer", uri, k.KernelName())
	}
	if v, ok := t.(validator); ok {
		if err := v.Validate(); err != nil {
			return nil, fmt.Errorf("%s: invalid %s: %v", uri, k.KernelName(), err)
		}
	}
	return t, nil
}

// Info describes a saved model without decoding its stages.
type Info struct {
	Dir            string      `json:"dir"`
	FormatVersion  int         `json:"formatVersion"`
	SpindleVersion string      `json:"spindleVersion,omitempty"`
	Stages         []StageInfo `json:"stages"`
	// Metrics is the model directory's metrics.json, if it has one.
	Metrics json.RawMessage `json:"metrics,omitempty"`
}

// StageInfo describes one saved stage.
type StageInfo struct {
	Class     string          `json:"class"`
	Params    json.RawMessage `json:"params,omitempty"`
	DataBytes int64           `json:"dataBytes"`
}

// Inspect reads a saved model's metadata: its stages, their parameters and
// sizes, and its metrics when saved with them.
func Inspect(ctx context.Context, st *storage.Store, dir string) (*Info, error) {
	m, err := readMeta(ctx, st, dir, "inspect")
	if err != nil {
		return nil, err
	}
	info := &Info{Dir: dir, FormatVersion: m.FormatVersion, SpindleVersion: m.SpindleVersion}
	for i, sm := range m.Stages {
		sdir := storage.Join(dir, sm.Dir)
		si := StageInfo{Class: sm.Class}
		objs, err := st.List(ctx, storage.Join(sdir, "data.gob"))
		if err != nil {
			return nil, fmt.Errorf("inspect %s: stage %d: %w", dir, i+1, err)
		}
		si.DataBytes = objs[0].Size
		smURI := storage.Join(sdir, "metadata.json")
		raw, err := readBounded(ctx, st, smURI, maxMetadataBytes)
		if err != nil {
			return nil, fmt.Errorf("inspect %s: stage %d: %w", dir, i+1, err)
		}
		var full stageMeta
		if err := json.Unmarshal(raw, &full); err != nil {
			return nil, fmt.Errorf("%s: not valid stage metadata: %v", smURI, err)
		}
		si.Params = full.Params
		info.Stages = append(info.Stages, si)
	}
	if raw, err := readBounded(ctx, st, storage.Join(dir, "metrics.json"), maxMetadataBytes); err == nil && json.Valid(raw) {
		info.Metrics = raw
	}
	return info, nil
}

// summarizeParams shortens long lists (a model's weights) to their length,
// so the metadata stays small and readable; the data file has them all.
func summarizeParams(p ml.ParamMap) ml.ParamMap {
	for k, v := range p {
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice && rv.Len() > 32 {
			p[k] = fmt.Sprintf("<%d values>", rv.Len())
		}
	}
	return p
}
