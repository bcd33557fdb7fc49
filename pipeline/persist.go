package pipeline

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"syscall"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

// FormatVersion is the saved-model format this build writes. Version 2
// adds the _SUCCESS manifest (every file's size and SHA-256); version 1
// models, without it, still load.
const FormatVersion = 2

// stageFormatVersion is the layout of one stage's directory.
const stageFormatVersion = 1

// Limits on what Load reads, so a corrupt or hostile directory cannot
// make it allocate without bound.
const (
	maxMetadataBytes = 1 << 20 // a metadata.json or the _SUCCESS manifest
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
	Class          string `json:"class"`
	FormatVersion  int    `json:"formatVersion"`
	SpindleVersion string `json:"spindleVersion,omitempty"`
	RunID          string `json:"runId,omitempty"`
	// Input is the schema of the columns the model reads, when known.
	Input  []InputColumn `json:"input,omitempty"`
	Stages []stageMeta   `json:"stages"`
}

// InputColumn is one column a saved model reads, as its metadata.json and
// Info show it.
type InputColumn struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

type stageMeta struct {
	Class         string          `json:"class"`
	UID           string          `json:"uid"`
	Dir           string          `json:"dir,omitempty"`
	FormatVersion int             `json:"formatVersion,omitempty"`
	Params        json.RawMessage `json:"params,omitempty"`
}

// manifest is a saved model's _SUCCESS file: every other file, by path
// relative to the model directory, with its size and SHA-256.
type manifest struct {
	Files map[string]fileSum `json:"files"`
}

type fileSum struct {
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

func sum(data []byte) fileSum {
	h := sha256.Sum256(data)
	return fileSum{Size: int64(len(data)), SHA256: hex.EncodeToString(h[:])}
}

// Save writes m to dir (a local path or s3:// prefix) atomically, with a
// manifest of checksums that Load verifies.
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
	man := manifest{Files: map[string]fileSum{}}
	write := func(name string, data []byte) error {
		man.Files[name] = sum(data)
		if err := st.WriteFile(ctx, storage.Join(target, name), data); err != nil {
			return fmt.Errorf("save %s: %w", dir, err)
		}
		return nil
	}
	meta := modelMeta{Class: "PipelineModel", FormatVersion: FormatVersion, SpindleVersion: o.SpindleVersion, RunID: o.RunID}
	if m.Input != nil {
		for _, f := range m.Input.Fields {
			meta.Input = append(meta.Input, InputColumn{f.Name, f.Type.String()})
		}
	}
	for i, t := range m.Stages {
		k, ok := t.(engine.Kernel)
		if !ok {
			return fmt.Errorf("save %s: stage %d (%T) cannot be saved: it is not a registered kernel", dir, i+1, t)
		}
		data, err := engine.Encode(k)
		if err != nil {
			return fmt.Errorf("save %s: stage %d: %w", dir, i+1, err)
		}
		params, err := stageParams(t)
		if err != nil {
			return fmt.Errorf("save %s: stage %d: %w", dir, i+1, err)
		}
		kind := k.KernelName()
		sd := fmt.Sprintf("stages/%02d_%s", i, sanitize(kind))
		sm := stageMeta{Class: kind, UID: fmt.Sprintf("%s_%02d", sanitize(kind), i), Dir: sd, FormatVersion: stageFormatVersion, Params: params}
		sjs, _ := json.MarshalIndent(sm, "", "  ")
		if err := write(sd+"/metadata.json", sjs); err != nil {
			return err
		}
		if err := write(sd+"/data.gob", data); err != nil {
			return err
		}
		sm.Params = nil
		meta.Stages = append(meta.Stages, sm)
	}
	for name, data := range o.Extra {
		if name == "" || strings.ContainsAny(name, "/\\") || name == "metadata.json" || name == "_SUCCESS" {
			return fmt.Errorf("save %s: bad extra file name %q", dir, name)
		}
		if err := write(name, data); err != nil {
			return err
		}
	}
	mjs, _ := json.MarshalIndent(meta, "", "  ")
	if err := write("metadata.json", mjs); err != nil {
		return err
	}
	manJS, _ := json.MarshalIndent(man, "", "  ")
	if err := st.WriteFile(ctx, storage.Join(target, "_SUCCESS"), manJS); err != nil {
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

// stageParams is a stage's parameters as its metadata.json shows them.
func stageParams(t any) (json.RawMessage, error) {
	return json.Marshal(summarizeParams(ml.Params(t)))
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

func sanitize(s string) string { return unsafeChars.ReplaceAllString(s, "_") }

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// reader reads a saved model's files, each bounded in size and checked
// against the manifest when the model has one.
type reader struct {
	st  *storage.Store
	dir string
	man *manifest // nil for a version 1 model
}

func (r *reader) read(ctx context.Context, name string, limit int64) ([]byte, error) {
	uri := storage.Join(r.dir, name)
	data, err := readBounded(ctx, r.st, uri, limit)
	if err != nil {
		return nil, err
	}
	if r.man != nil {
		want, ok := r.man.Files[name]
		switch {
		case !ok:
			return nil, fmt.Errorf("%s: not in the model's _SUCCESS manifest", uri)
		case want.Size != int64(len(data)):
			return nil, fmt.Errorf("%s: %d bytes, the manifest says %d: the file was truncated or changed after the model was saved", uri, len(data), want.Size)
		case sum(data).SHA256 != want.SHA256:
			return nil, fmt.Errorf("%s: checksum differs from the manifest's: the file changed after the model was saved", uri)
		}
	}
	return data, nil
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

// Load reads a model saved by Save, verifying every file against the
// manifest, each stage's metadata against its data, and each stage's
// state.
func Load(ctx context.Context, st *storage.Store, dir string) (*PipelineModel, error) {
	m, _, err := load(ctx, st, dir, "load")
	return m, err
}

// LoadWithInfo loads a model as Load does and describes it as Inspect
// does, reading it once.
func LoadWithInfo(ctx context.Context, st *storage.Store, dir string) (*PipelineModel, *Info, error) {
	return load(ctx, st, dir, "load")
}

// load reads and checks a whole model; verb ("load", "inspect") starts
// the error messages. It returns the model and its description.
func load(ctx context.Context, st *storage.Store, dir, verb string) (*PipelineModel, *Info, error) {
	r, m, err := openModel(ctx, st, dir, verb)
	if err != nil {
		return nil, nil, err
	}
	out := &PipelineModel{}
	info := &Info{Dir: dir, FormatVersion: m.FormatVersion, SpindleVersion: m.SpindleVersion, RunID: m.RunID}
	if m.Input != nil {
		fields := make([]table.Field, len(m.Input))
		for i, f := range m.Input {
			t, err := table.ParseType(f.Type)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: input column %q: %v", storage.Join(dir, "metadata.json"), f.Name, err)
			}
			fields[i] = table.Field{Name: f.Name, Type: t}
		}
		if out.Input, err = table.NewSchema(fields...); err != nil {
			return nil, nil, fmt.Errorf("%s: input: %v", storage.Join(dir, "metadata.json"), err)
		}
	}
	for i, sm := range m.Stages {
		smName := sm.Dir + "/metadata.json"
		raw, err := r.read(ctx, smName, maxMetadataBytes)
		if err != nil {
			return nil, nil, fmt.Errorf("%s %s: stage %d: %w", verb, dir, i+1, err)
		}
		smURI := storage.Join(dir, smName)
		var full stageMeta
		if err := json.Unmarshal(raw, &full); err != nil {
			return nil, nil, fmt.Errorf("%s: not valid stage metadata: %v", smURI, err)
		}
		switch {
		case full.Class != sm.Class:
			return nil, nil, fmt.Errorf("%s: class %s, the model's metadata.json says %s", smURI, full.Class, sm.Class)
		case full.FormatVersion != stageFormatVersion:
			return nil, nil, fmt.Errorf("%s: stage format version %d; this build reads version %d", smURI, full.FormatVersion, stageFormatVersion)
		}
		dataURI := storage.Join(dir, sm.Dir+"/data.gob")
		data, err := r.read(ctx, sm.Dir+"/data.gob", maxStageBytes)
		if err != nil {
			return nil, nil, fmt.Errorf("%s %s: stage %d: %w", verb, dir, i+1, err)
		}
		t, err := decodeStage(dataURI, sm, data)
		if err != nil {
			return nil, nil, fmt.Errorf("%s %s: %w", verb, dir, err)
		}
		params, err := stageParams(t)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", dataURI, err)
		}
		// (Version 1 saves left params out when they did not encode.)
		if len(full.Params) == 0 && r.man == nil {
			full.Params = params
		}
		if err := sameParams(full.Params, params); err != nil {
			return nil, nil, fmt.Errorf("%s: %v (the data file has the stage as it was fitted)", smURI, err)
		}
		out.Stages = append(out.Stages, t)
		si := StageInfo{Class: sm.Class, Params: params, DataBytes: int64(len(data))}
		if sz, ok := t.(ml.Summarizer); ok {
			if si.Summary, err = json.Marshal(sz.Summary()); err != nil {
				return nil, nil, fmt.Errorf("%s: summary: %w", smURI, err)
			}
		}
		info.Stages = append(info.Stages, si)
	}
	if raw, err := r.read(ctx, "metrics.json", maxMetadataBytes); err == nil && json.Valid(raw) {
		info.Metrics = raw
	} else if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return nil, nil, fmt.Errorf("%s %s: %w", verb, dir, err)
	}
	// A model saved without its input schema gets the one its stages
	// accept, worked out once here (InputSchema).
	if s, err := out.InputSchema(); err == nil {
		out.Input = s
		for _, f := range s.Fields {
			info.Input = append(info.Input, InputColumn{f.Name, f.Type.String()})
		}
	}
	return out, info, nil
}

// sameParams compares the parameters a stage's metadata.json shows with
// those of the decoded stage, naming the first that differs.
func sameParams(meta, data json.RawMessage) error {
	var a, b map[string]any
	if len(meta) > 0 {
		if err := json.Unmarshal(meta, &a); err != nil {
			return fmt.Errorf("params are not a JSON object: %v", err)
		}
	}
	if err := json.Unmarshal(data, &b); err != nil {
		return err
	}
	keys := slices.Sorted(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		if !reflect.DeepEqual(a[k], b[k]) {
			return fmt.Errorf("params say %s is %s, the data file says %s", k, showJSON(a[k]), showJSON(b[k]))
		}
	}
	return nil
}

func showJSON(v any) string {
	if v == nil {
		return "unset"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// openModel checks a saved model's _SUCCESS marker and reads its
// manifest and metadata.json.
func openModel(ctx context.Context, st *storage.Store, dir, verb string) (*reader, *modelMeta, error) {
	marker, err := readBounded(ctx, st, storage.Join(dir, "_SUCCESS"), maxMetadataBytes)
	if err != nil {
		if errors.Is(err, syscall.ENOTDIR) {
			return nil, nil, fmt.Errorf("%s %s: is a file, not a model directory", verb, dir)
		}
		if !errors.Is(err, storage.ErrNotFound) {
			return nil, nil, fmt.Errorf("%s %s: %w", verb, dir, err)
		}
		if all, lerr := st.ListAll(ctx, dir); lerr == nil && len(all) == 0 {
			return nil, nil, notFound{fmt.Sprintf("%s %s: no such model (nothing is there)", verb, dir)}
		}
		return nil, nil, fmt.Errorf("%s %s: no _SUCCESS marker: not a saved model, or its save did not finish", verb, dir)
	}
	r := &reader{st: st, dir: dir}
	metaURI := storage.Join(dir, "metadata.json")
	data, err := readBounded(ctx, st, metaURI, maxMetadataBytes)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", verb, dir, err)
	}
	m, err := parseMeta(metaURI, data)
	if err != nil {
		return nil, nil, err
	}
	if m.FormatVersion >= 2 {
		r.man = &manifest{}
		if err := json.Unmarshal(marker, r.man); err != nil || r.man.Files == nil {
			return nil, nil, fmt.Errorf("%s: not a valid manifest (format version %d models list their files there): %v", storage.Join(dir, "_SUCCESS"), m.FormatVersion, err)
		}
		if _, err := r.read(ctx, "metadata.json", maxMetadataBytes); err != nil {
			return nil, nil, fmt.Errorf("%s %s: %w", verb, dir, err)
		}
	}
	return r, m, nil
}

// notFound is a missing model: errors.Is(err, storage.ErrNotFound).
type notFound struct{ msg string }

func (e notFound) Error() string        { return e.msg }
func (e notFound) Is(target error) bool { return target == storage.ErrNotFound }

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
	case m.FormatVersion < 1 || m.FormatVersion > FormatVersion:
		return nil, fmt.Errorf("%s: format version %d; this build reads versions 1 to %d", uri, m.FormatVersion, FormatVersion)
	case len(m.Stages) == 0:
		return nil, fmt.Errorf("%s: the model has no stages", uri)
	case len(m.Stages) > maxStages:
		return nil, fmt.Errorf("%s: %d stages is more than the %d allowed", uri, len(m.Stages), maxStages)
	}
	for i, s := range m.Stages {
		if s.Class == "" || s.Dir == "" || strings.Contains(s.Dir, "..") || strings.HasPrefix(s.Dir, "/") {
			return nil, fmt.Errorf("%s: stage %d: missing class or bad directory %q", uri, i+1, s.Dir)
		}
		if s.FormatVersion != stageFormatVersion {
			return nil, fmt.Errorf("%s: stage %d: format version %d; this build reads stage version %d", uri, i+1, s.FormatVersion, stageFormatVersion)
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
	if v, ok := t.(ml.StateValidator); ok {
		if err := v.Validate(); err != nil {
			return nil, fmt.Errorf("%s: invalid %s: %v", uri, k.KernelName(), err)
		}
	}
	return t, nil
}

// Info describes a saved model.
type Info struct {
	Dir            string `json:"dir"`
	FormatVersion  int    `json:"formatVersion"`
	SpindleVersion string `json:"spindleVersion,omitempty"`
	RunID          string `json:"runId,omitempty"`
	// Input is the columns the model reads (PipelineModel.InputSchema).
	Input  []InputColumn `json:"input,omitempty"`
	Stages []StageInfo   `json:"stages"`
	// Metrics is the model directory's metrics.json, if it has one.
	Metrics json.RawMessage `json:"metrics,omitempty"`
}

// StageInfo describes one saved stage.
type StageInfo struct {
	Class     string          `json:"class"`
	Params    json.RawMessage `json:"params,omitempty"`
	DataBytes int64           `json:"dataBytes"`
	// Summary describes a fitted model's state (ml.Summarizer): a tree
	// model's sizes and most important features.
	Summary json.RawMessage `json:"summary,omitempty"`
}

// Inspect describes a saved model — its stages, their parameters and
// sizes, its metrics when saved with them — after loading and checking it
// exactly as Load does: what it shows is what a prediction would use.
func Inspect(ctx context.Context, st *storage.Store, dir string) (*Info, error) {
	_, info, err := load(ctx, st, dir, "inspect")
	return info, err
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
