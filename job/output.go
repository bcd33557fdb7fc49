package job

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spindle-ml/spindle/storage"
)

// The files of a run's output directory that are bookkeeping.
const (
	// RunningFile marks a run in progress; it holds the run's RunInfo.
	RunningFile = "_RUNNING"
	// SuccessFile is written last, when a run has finished; it holds the
	// run's Manifest.
	SuccessFile = "_SUCCESS"
)

// runEntries are the top-level names a run writes into its output
// directory; anything else there is not a Spindle run's.
var runEntries = []string{"metrics.json", "run.log", "models", "processed", "report.html", RunningFile, SuccessFile}

// RunInfo identifies one run. Every part of a run's output carries its
// RunID: metrics.json, each line of run.log, each saved model's metadata,
// and the _RUNNING and _SUCCESS markers.
type RunInfo struct {
	RunID string `json:"runId"`
	// SpecDigest is the SHA-256 of the spec text and its overrides.
	SpecDigest string    `json:"specDigest"`
	Spec       string    `json:"spec"`
	Seed       int64     `json:"seed"`
	Started    time.Time `json:"started"`
	Host       string    `json:"host,omitempty"`
	PID        int       `json:"pid,omitempty"`
}

// Manifest is a finished run's _SUCCESS file: the run and every file it
// wrote, relative to the output directory.
type Manifest struct {
	RunInfo
	Finished time.Time      `json:"finished"`
	Files    []ManifestFile `json:"files"`
}

// ManifestFile is one file a run wrote.
type ManifestFile struct {
	Path string `json:"path"`
	Size int64  `json:"size"`
}

func newRunID(t time.Time) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return t.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}

// output is a run's output directory, kept as one unit: a run starts by
// checking that the directory holds nothing but a previous Spindle run
// (refusing otherwise), replaces that run whole once its own input has
// been read and checked, marks itself in progress with _RUNNING, and on
// success writes _SUCCESS with the manifest of what it wrote. A run that
// fails removes _RUNNING and leaves metrics.json saying "failed" (with
// what it finished); _RUNNING left behind means the run was killed.
type output struct {
	st  *storage.Store
	dir string
	// previous describes the run found there, for the log ("" if none).
	previous string
	// old lists what is there now.
	old []storage.Object
	// created is the local directory the probe made, if it made one.
	created string
}

// OutputError is an output location that cannot take the run: not
// writable, a file, holding other files, or in use by a live run. It is
// found before any work.
type OutputError struct {
	// What names the location as the user gave it ("--out out/x").
	What string
	Err  error
}

func (e *OutputError) Error() string { return e.What + ": " + e.Err.Error() }
func (e *OutputError) Unwrap() error { return e.Err }

// checkOutput probes dir (creating it if missing) and inspects what it
// holds, without changing anything there yet. what names the setting for
// messages ("--out out/x", "output.dir (spec.yaml:9:8) out/x").
func checkOutput(ctx context.Context, st *storage.Store, dir, what string) (*output, error) {
	created := ""
	if loc, err := storage.Parse(dir); err == nil && !loc.IsS3() {
		if _, err := os.Stat(loc.Path); errors.Is(err, os.ErrNotExist) {
			created = loc.Path
		}
	}
	if err := st.CheckWritable(ctx, dir); err != nil {
		return nil, &OutputError{what, err}
	}
	objs, err := st.ListAll(ctx, dir)
	if err != nil {
		return nil, &OutputError{what, err}
	}
	o := &output{st: st, dir: dir, old: objs, created: created}
	var foreign []string
	for _, obj := range objs {
		rel := relPath(dir, obj.URI)
		top, _, _ := strings.Cut(rel, "/")
		if !slices.Contains(runEntries, top) && !staleTemp(top) {
			foreign = append(foreign, rel)
		}
	}
	if len(foreign) > 0 {
		more := ""
		if len(foreign) > 3 {
			more = fmt.Sprintf(" and %d more", len(foreign)-3)
			foreign = foreign[:3]
		}
		return nil, &OutputError{what, fmt.Errorf("the directory holds %s%s, which no Spindle run wrote; choose an empty or new directory", strings.Join(foreign, ", "), more)}
	}
	if len(objs) == 0 {
		return o, nil
	}
	o.previous = "an earlier run"
	if raw, err := st.ReadFile(ctx, storage.Join(dir, SuccessFile)); err == nil {
		var m Manifest
		if json.Unmarshal(raw, &m) == nil && m.RunID != "" {
			o.previous = fmt.Sprintf("run %s (finished %s)", m.RunID, m.Finished.UTC().Format(time.RFC3339))
		}
	} else if raw, err := st.ReadFile(ctx, storage.Join(dir, RunningFile)); err == nil {
		var ri RunInfo
		if json.Unmarshal(raw, &ri) == nil && ri.RunID != "" {
			if ri.alive() {
				return nil, &OutputError{what, fmt.Errorf("run %s (process %d, started %s) is still writing there; wait for it or choose another directory", ri.RunID, ri.PID, ri.Started.UTC().Format(time.RFC3339))}
			}
			o.previous = fmt.Sprintf("run %s (started %s, did not finish)", ri.RunID, ri.Started.UTC().Format(time.RFC3339))
		}
	} else if raw, err := st.ReadFile(ctx, storage.Join(dir, "metrics.json")); err == nil {
		var rep Report
		if json.Unmarshal(raw, &rep) == nil && rep.RunID != "" {
			o.previous = fmt.Sprintf("run %s (started %s, %s)", rep.RunID, rep.Started.UTC().Format(time.RFC3339), rep.Status)
		}
	}
	return o, nil
}

// abandon undoes the probe when the run stops before it starts: a
// directory it created is removed again (if still empty).
func (o *output) abandon() {
	if o != nil && o.created != "" {
		_ = os.Remove(o.created)
	}
}

// alive reports whether the run is a live process on this host.
func (ri RunInfo) alive() bool {
	host, _ := os.Hostname()
	if ri.PID <= 0 || ri.Host != host || ri.PID == os.Getpid() {
		return false
	}
	return syscall.Kill(ri.PID, 0) == nil
}

// staleTemp recognizes what an interrupted atomic write leaves: a
// storage temp file (.name.tmp-…) or a model directory being built or
// replaced (name.tmp-…, name.old-…).
func staleTemp(name string) bool {
	return strings.Contains(name, ".tmp-") || strings.Contains(name, ".old-")
}

func relPath(dir, uri string) string {
	d := strings.TrimSuffix(storage.Join(dir, "x"), "x")
	return strings.TrimPrefix(uri, d)
}

// start replaces what a previous run left (every top-level entry of it,
// stale temporary ones and empty directories included) and marks the
// directory as this run's.
func (o *output) start(ctx context.Context, info RunInfo) error {
	tops := map[string]bool{}
	for _, obj := range o.old {
		top, _, _ := strings.Cut(relPath(o.dir, obj.URI), "/")
		tops[top] = true
	}
	if loc, err := storage.Parse(o.dir); err == nil && !loc.IsS3() {
		// Empty directories (models/x.tmp-…) hold no file to list.
		entries, _ := os.ReadDir(loc.Path)
		for _, e := range entries {
			if slices.Contains(runEntries, e.Name()) || staleTemp(e.Name()) {
				tops[e.Name()] = true
			}
		}
	}
	for top := range tops {
		if err := o.st.RemoveAll(ctx, storage.Join(o.dir, top)); err != nil {
			return fmt.Errorf("replace the previous run in %s: %w", o.dir, err)
		}
	}
	o.old = nil
	data, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	return o.st.WriteFile(ctx, storage.Join(o.dir, RunningFile), append(data, '\n'))
}

// finish writes the manifest of what the run wrote as _SUCCESS, then
// removes _RUNNING.
func (o *output) finish(ctx context.Context, info RunInfo) error {
	objs, err := o.st.ListAll(ctx, o.dir)
	if err != nil {
		return err
	}
	m := Manifest{RunInfo: info, Finished: time.Now()}
	for _, obj := range objs {
		rel := relPath(o.dir, obj.URI)
		if rel == RunningFile || rel == SuccessFile {
			continue
		}
		m.Files = append(m.Files, ManifestFile{Path: rel, Size: obj.Size})
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := o.st.WriteFile(ctx, storage.Join(o.dir, SuccessFile), append(data, '\n')); err != nil {
		return err
	}
	return o.st.Delete(ctx, storage.Join(o.dir, RunningFile))
}

// ReadManifest reads the _SUCCESS manifest of a finished run's output
// directory.
func ReadManifest(ctx context.Context, st *storage.Store, dir string) (*Manifest, error) {
	raw, err := st.ReadFile(ctx, storage.Join(dir, SuccessFile))
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, fmt.Errorf("%s: no %s: the run did not finish (or this is not a run's output)", dir, SuccessFile)
		}
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: %v", storage.Join(dir, SuccessFile), err)
	}
	return &m, nil
}

// UpdateManifest sets the size of file name (relative to dir) in the
// _SUCCESS manifest of a finished run, after the file was rewritten
// ('spindle report' rebuilding report.html). A run without a manifest
// (not finished) is left as it is.
func UpdateManifest(ctx context.Context, st *storage.Store, dir, name string, size int64) error {
	m, err := ReadManifest(ctx, st, dir)
	if err != nil {
		if _, serr := st.ReadFile(ctx, storage.Join(dir, SuccessFile)); errors.Is(serr, storage.ErrNotFound) {
			return nil
		}
		return err
	}
	i := slices.IndexFunc(m.Files, func(f ManifestFile) bool { return f.Path == name })
	if i < 0 {
		m.Files = append(m.Files, ManifestFile{Path: name, Size: size})
	} else {
		m.Files[i].Size = size
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return st.WriteFile(ctx, storage.Join(dir, SuccessFile), append(data, '\n'))
}
