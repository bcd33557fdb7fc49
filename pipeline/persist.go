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
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"syscall"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/internal/learned"
	"github.com/spindle-ml/spindle/jsonnum"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

// FormatVersion is the saved-model format this build writes and reads.
// Version 3 keeps each stage's parameters as JSON (Spark's paramMap and
// defaultParamMap) and what it learned as a one-row Parquet file; versions
// 1 and 2 stored stages gob-encoded, which loses a parameter set to zero,
// and are refused with how to re-save them.
const FormatVersion = 3

// Limits on what Load reads, so a corrupt or hostile directory cannot
// make it allocate without bound.
const (
	maxMetadataBytes = 1 << 20 // a metadata.json or the _SUCCESS manifest
	maxStageBytes    = 4 << 30 // a stage's data.parquet
	maxStages        = 10_000
)

// dataFile is the name of a stage's learned data in its directory.
const dataFile = "data.parquet"

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
	Stages []stageRef    `json:"stages"`
}

// InputColumn is one column a saved model reads, as its metadata.json and
// Info show it.
type InputColumn struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// stageRef is a stage's entry in the model's metadata.json.
type stageRef struct {
	Class string `json:"class"`
	UID   string `json:"uid"`
	Dir   string `json:"dir"`
}

// stageMeta is a stage's own metadata.json: what the stage is.
type stageMeta struct {
	Class          string `json:"class"`
	UID            string `json:"uid"`
	FormatVersion  int    `json:"formatVersion"`
	SpindleVersion string `json:"spindleVersion,omitempty"`
	// ParamMap holds the parameters that are set, DefaultParamMap the
	// defaults in force for the others (ml.SplitParams).
	ParamMap        map[string]json.RawMessage `json:"paramMap"`
	DefaultParamMap map[string]json.RawMessage `json:"defaultParamMap"`
	// Data describes the learned data file, if the stage learned any.
	Data *dataMeta `json:"data,omitempty"`
}

// dataMeta names a stage's learned data file and its columns.
type dataMeta struct {
	File    string           `json:"file"`
	Columns []learned.Column `json:"columns"`
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
		kind := k.KernelName()
		if typ, ok := engine.KernelType(kind); !ok || typ != reflect.TypeOf(t) {
			return fmt.Errorf("save %s: stage %d (%T) is not registered as %s", dir, i+1, t, kind)
		}
		ref := stageRefOf(i, kind)
		sm, data, err := encodeStage(t, ref, o.SpindleVersion)
		if err != nil {
			return fmt.Errorf("save %s: stage %d (%s): %w", dir, i+1, kind, err)
		}
		sjs, err := marshalIndent(sm)
		if err != nil {
			return fmt.Errorf("save %s: stage %d (%s): %w", dir, i+1, kind, err)
		}
		if err := write(ref.Dir+"/metadata.json", sjs); err != nil {
			return err
		}
		if data != nil {
			if err := write(ref.Dir+"/"+dataFile, data); err != nil {
				return err
			}
		}
		meta.Stages = append(meta.Stages, ref)
	}
	for name, data := range o.Extra {
		if name == "" || strings.ContainsAny(name, "/\\") || name == "metadata.json" || name == "_SUCCESS" {
			return fmt.Errorf("save %s: bad extra file name %q", dir, name)
		}
		if err := write(name, data); err != nil {
			return err
		}
	}
	mjs, _ := marshalIndent(meta)
	if err := write("metadata.json", mjs); err != nil {
		return err
	}
	manJS, _ := marshalIndent(man)
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

// stageRefOf names stage i of class kind: its uid and directory.
func stageRefOf(i int, kind string) stageRef {
	return stageRef{Class: kind, UID: fmt.Sprintf("%s_%02d", sanitize(kind), i), Dir: fmt.Sprintf("stages/%02d_%s", i, sanitize(kind))}
}

// encodeStage returns a stage's metadata (its parameters as Spark splits
// them) and its learned data (nil when it learned nothing).
func encodeStage(t ml.Transformer, ref stageRef, version string) (*stageMeta, []byte, error) {
	set, defaults := ml.SplitParams(t)
	sm := &stageMeta{Class: ref.Class, UID: ref.UID, FormatVersion: FormatVersion, SpindleVersion: version}
	var err error
	if sm.ParamMap, err = rawParams(set); err != nil {
		return nil, nil, err
	}
	if sm.DefaultParamMap, err = rawParams(defaults); err != nil {
		return nil, nil, err
	}
	schema, err := learned.Schema(reflect.TypeOf(t))
	if err != nil {
		return nil, nil, err
	}
	data, err := learned.Write(t)
	if err != nil {
		return nil, nil, fmt.Errorf("learned data: %w", err)
	}
	if data != nil {
		sm.Data = &dataMeta{File: dataFile, Columns: learned.Columns(schema)}
	}
	return sm, data, nil
}

// marshalIndent writes v as indented JSON, without escaping < > & (a
// column type reads "list<element: float64>").
func marshalIndent(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// compactJSON writes v as JSON on one line, without escaping < > &.
func compactJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// rawParams encodes each parameter's value as JSON, non-finite floats as
// package jsonnum writes them.
func rawParams(p ml.ParamMap) (map[string]json.RawMessage, error) {
	out := make(map[string]json.RawMessage, len(p))
	for k, v := range p {
		b, err := compactJSON(jsonnum.Value(v))
		if err != nil {
			return nil, fmt.Errorf("parameter %s: %w", k, err)
		}
		out[k] = b
	}
	return out, nil
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
	for i, ref := range m.Stages {
		t, si, err := r.stage(ctx, ref)
		if err != nil {
			return nil, nil, fmt.Errorf("%s %s: stage %d: %w", verb, dir, i+1, err)
		}
		out.Stages = append(out.Stages, t)
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
	// Another format is named before anything else is checked (version
	// 1 models have no manifest to check against, and a newer format's
	// manifest may be another shape).
	var version struct {
		Class         string `json:"class"`
		FormatVersion int    `json:"formatVersion"`
	}
	switch {
	case json.Unmarshal(data, &version) != nil || version.Class != "PipelineModel":
		// parseMeta says what is wrong, once the manifest vouches for it.
	case version.FormatVersion == 1 || version.FormatVersion == 2:
		return nil, nil, fmt.Errorf("%s: format version %d: this build reads saved models of format version %d only (versions 1 and 2 stored each stage gob-encoded, which loses parameters set to zero); re-save the model by running its spec again with this build (spindle run SPEC)", metaURI, version.FormatVersion, FormatVersion)
	case version.FormatVersion > FormatVersion:
		return nil, nil, fmt.Errorf("%s: format version %d; this build reads version %d (the model was saved by a newer Spindle: load it with that build)", metaURI, version.FormatVersion, FormatVersion)
	}
	r.man = &manifest{}
	if err := json.Unmarshal(marker, r.man); err != nil || r.man.Files == nil {
		return nil, nil, fmt.Errorf("%s: not a valid manifest (a saved model lists its files there): %v", storage.Join(dir, "_SUCCESS"), err)
	}
	if _, err := r.read(ctx, "metadata.json", maxMetadataBytes); err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", verb, dir, err)
	}
	m, err := parseMeta(metaURI, data)
	if err != nil {
		return nil, nil, err
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
	case m.FormatVersion != FormatVersion:
		return nil, fmt.Errorf("%s: format version %d; this build reads version %d", uri, m.FormatVersion, FormatVersion)
	case len(m.Stages) == 0:
		return nil, fmt.Errorf("%s: the model has no stages", uri)
	case len(m.Stages) > maxStages:
		return nil, fmt.Errorf("%s: %d stages is more than the %d allowed", uri, len(m.Stages), maxStages)
	}
	for i, s := range m.Stages {
		if s.Class == "" || s.Dir == "" || strings.Contains(s.Dir, "..") || strings.HasPrefix(s.Dir, "/") || strings.Contains(s.Dir, "\\") {
			return nil, fmt.Errorf("%s: stage %d: missing class or bad directory %q", uri, i+1, s.Dir)
		}
		// Each stage in its own directory, named as Save names it: one
		// file listed many times would be decoded, and held, many times.
		if want := stageRefOf(i, s.Class); s != want {
			return nil, fmt.Errorf("%s: stage %d: directory %q and uid %q, want %q and %q", uri, i+1, s.Dir, s.UID, want.Dir, want.UID)
		}
	}
	return &m, nil
}

// stage reads, checks and rebuilds one stage of the model and describes
// it.
func (r *reader) stage(ctx context.Context, ref stageRef) (ml.Transformer, StageInfo, error) {
	metaName := ref.Dir + "/metadata.json"
	meta, err := r.read(ctx, metaName, maxMetadataBytes)
	if err != nil {
		return nil, StageInfo{}, err
	}
	metaURI := storage.Join(r.dir, metaName)
	var data []byte
	dataURI := storage.Join(r.dir, ref.Dir+"/"+dataFile)
	if _, listed := r.man.Files[ref.Dir+"/"+dataFile]; listed {
		if data, err = r.read(ctx, ref.Dir+"/"+dataFile, maxStageBytes); err != nil {
			return nil, StageInfo{}, err
		}
	}
	t, sm, err := decodeStage(metaURI, dataURI, meta, data)
	if err != nil {
		return nil, StageInfo{}, err
	}
	if sm.Class != ref.Class || sm.UID != ref.UID {
		return nil, StageInfo{}, fmt.Errorf("%s: stage %s (%s), the model's metadata.json says %s (%s)", metaURI, sm.UID, sm.Class, ref.UID, ref.Class)
	}
	si := StageInfo{Class: sm.Class, DataBytes: int64(len(data))}
	set, defaults := ml.SplitParams(t)
	if si.Params, err = compactJSON(set); err != nil {
		return nil, StageInfo{}, fmt.Errorf("%s: %w", metaURI, err)
	}
	if si.Defaults, err = compactJSON(defaults); err != nil {
		return nil, StageInfo{}, fmt.Errorf("%s: %w", metaURI, err)
	}
	if sm.Data != nil {
		si.Data = sm.Data.Columns
	}
	if sz, ok := t.(ml.Summarizer); ok {
		if si.Summary, err = json.Marshal(sz.Summary()); err != nil {
			return nil, StageInfo{}, fmt.Errorf("%s: summary: %w", metaURI, err)
		}
	}
	si.stage = t
	return t, si, nil
}

// decodeStage rebuilds a stage from its metadata.json and learned data
// (nil when none), named metaURI and dataURI in errors, and checks it:
// the class is registered, every parameter is known, of its type and in
// its range, the data file has exactly the class's columns, and the
// stage's state is consistent (ml.StateValidator). The error names the
// file, the class and the parameter or column.
func decodeStage(metaURI, dataURI string, meta, data []byte) (ml.Transformer, *stageMeta, error) {
	var sm stageMeta
	dec := json.NewDecoder(bytes.NewReader(meta))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sm); err != nil {
		return nil, nil, fmt.Errorf("%s: not valid stage metadata: %v", metaURI, err)
	}
	if dec.More() {
		return nil, nil, fmt.Errorf("%s: not valid stage metadata: more after the object", metaURI)
	}
	if sm.FormatVersion != FormatVersion {
		return nil, nil, fmt.Errorf("%s: stage format version %d; this build reads version %d", metaURI, sm.FormatVersion, FormatVersion)
	}
	typ, ok := engine.KernelType(sm.Class)
	if !ok {
		return nil, nil, fmt.Errorf("%s: class %q is not a stage this build knows", metaURI, sm.Class)
	}
	if typ.Kind() != reflect.Pointer || typ.Elem().Kind() != reflect.Struct {
		return nil, nil, fmt.Errorf("%s: class %s is not a saved stage", metaURI, sm.Class)
	}
	v := reflect.New(typ.Elem())
	t, ok := v.Interface().(ml.Transformer)
	if !ok {
		return nil, nil, fmt.Errorf("%s: class %s is not a transformer", metaURI, sm.Class)
	}
	if err := ml.SetSavedParams(t, sm.ParamMap, sm.DefaultParamMap); err != nil {
		return nil, nil, fmt.Errorf("%s: %s: %w", metaURI, sm.Class, err)
	}
	schema, err := learned.Schema(typ)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %s: %w", metaURI, sm.Class, err)
	}
	switch {
	case schema.NumFields() == 0 && (sm.Data != nil || data != nil):
		return nil, nil, fmt.Errorf("%s: %s learns nothing, but the metadata lists learned data", metaURI, sm.Class)
	case schema.NumFields() > 0 && (sm.Data == nil || data == nil):
		return nil, nil, fmt.Errorf("%s: %s: the learned data (%s) is missing", metaURI, sm.Class, dataFile)
	case sm.Data != nil && (sm.Data.File != dataFile || !slices.Equal(sm.Data.Columns, learned.Columns(schema))):
		return nil, nil, fmt.Errorf("%s: %s: the data the metadata lists (%s: %v) is not this class's (%s: %v)", metaURI, sm.Class, sm.Data.File, sm.Data.Columns, dataFile, learned.Columns(schema))
	}
	if data != nil {
		if err := learned.Read(data, t); err != nil {
			return nil, nil, fmt.Errorf("%s: %s: %w", dataURI, sm.Class, err)
		}
	}
	if err := ml.Validate(t); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", metaURI, err)
	}
	if sv, ok := t.(ml.StateValidator); ok {
		if err := sv.Validate(); err != nil {
			return nil, nil, fmt.Errorf("%s: invalid %s: %v", dataURI, sm.Class, err)
		}
	}
	return t, &sm, nil
}

// DecodeStage rebuilds one saved stage from its metadata.json and
// data.parquet bytes (data nil for a stage that learned nothing), as Load
// does: the result is a valid stage, or an error naming the file (uri is
// the stage's directory), the class and what is wrong — never a panic.
func DecodeStage(uri string, meta, data []byte) (ml.Transformer, error) {
	t, _, err := decodeStage(uri+"/metadata.json", uri+"/"+dataFile, meta, data)
	return t, err
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
	Class string `json:"class"`
	// Params are the parameters that are set (paramMap), Defaults the
	// defaults in force for the others (defaultParamMap).
	Params   json.RawMessage `json:"params,omitempty"`
	Defaults json.RawMessage `json:"defaultParams,omitempty"`
	// Data lists the learned data's columns, DataBytes its file's size.
	Data      []learned.Column `json:"data,omitempty"`
	DataBytes int64            `json:"dataBytes"`
	// Values holds the learned data itself, by column, when
	// InspectOptions.Data asked for it (lists longer than MaxValues as
	// their length).
	Values map[string]any `json:"values,omitempty"`
	// Summary describes a fitted model's state (ml.Summarizer): a tree
	// model's sizes and most important features.
	Summary json.RawMessage `json:"summary,omitempty"`

	stage ml.Transformer
}

// Inspect describes a saved model — its stages, their parameters and
// sizes, its metrics when saved with them — after loading and checking it
// exactly as Load does: what it shows is what a prediction would use.
func Inspect(ctx context.Context, st *storage.Store, dir string) (*Info, error) {
	return InspectWith(ctx, st, dir, InspectOptions{})
}

// InspectOptions configure InspectWith.
type InspectOptions struct {
	// Data adds each stage's learned data to StageInfo.Values, lists of
	// more than MaxValues items as their length (all of them when
	// MaxValues is 0).
	Data      bool
	MaxValues int
}

// InspectWith is Inspect with options.
func InspectWith(ctx context.Context, st *storage.Store, dir string, o InspectOptions) (*Info, error) {
	_, info, err := load(ctx, st, dir, "inspect")
	if err != nil || !o.Data {
		return info, err
	}
	for i := range info.Stages {
		if len(info.Stages[i].Data) > 0 {
			info.Stages[i].Values = learned.Values(info.Stages[i].stage, o.MaxValues)
		}
	}
	return info, nil
}
