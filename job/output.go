package job

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spindle-ml/spindle/runrecord"
	"github.com/spindle-ml/spindle/storage"
)

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
		if !runrecord.IsEntry(top) && !staleTemp(top) {
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
	if raw, err := st.ReadFile(ctx, storage.Join(dir, runrecord.SuccessFile)); err == nil {
		var m runrecord.Manifest
		if json.Unmarshal(raw, &m) == nil && m.RunID != "" {
			o.previous = fmt.Sprintf("run %s (finished %s)", m.RunID, m.Finished.UTC().Format(time.RFC3339))
		}
	} else if raw, err := st.ReadFile(ctx, storage.Join(dir, runrecord.RunningFile)); err == nil {
		var ri runrecord.RunInfo
		if json.Unmarshal(raw, &ri) == nil && ri.RunID != "" {
			if ri.Alive() {
				return nil, &OutputError{what, fmt.Errorf("run %s (process %d, started %s) is still writing there; wait for it or choose another directory", ri.RunID, ri.PID, ri.Started.UTC().Format(time.RFC3339))}
			}
			o.previous = fmt.Sprintf("run %s (started %s, did not finish)", ri.RunID, ri.Started.UTC().Format(time.RFC3339))
		}
	} else if raw, err := st.ReadFile(ctx, storage.Join(dir, runrecord.MetricsFile)); err == nil {
		var rep runrecord.Report
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
func (o *output) start(ctx context.Context, info runrecord.RunInfo) error {
	tops := map[string]bool{}
	for _, obj := range o.old {
		top, _, _ := strings.Cut(relPath(o.dir, obj.URI), "/")
		tops[top] = true
	}
	if loc, err := storage.Parse(o.dir); err == nil && !loc.IsS3() {
		// Empty directories (models/x.tmp-…) hold no file to list.
		entries, _ := os.ReadDir(loc.Path)
		for _, e := range entries {
			if runrecord.IsEntry(e.Name()) || staleTemp(e.Name()) {
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
	return o.st.WriteFile(ctx, storage.Join(o.dir, runrecord.RunningFile), append(data, '\n'))
}

// finish writes the manifest of what the run wrote as _SUCCESS, then
// removes _RUNNING.
func (o *output) finish(ctx context.Context, info runrecord.RunInfo) error {
	objs, err := o.st.ListAll(ctx, o.dir)
	if err != nil {
		return err
	}
	m := runrecord.Manifest{RunInfo: info, Finished: time.Now()}
	for _, obj := range objs {
		rel := relPath(o.dir, obj.URI)
		if rel == runrecord.RunningFile || rel == runrecord.SuccessFile {
			continue
		}
		m.Files = append(m.Files, runrecord.ManifestFile{Path: rel, Size: obj.Size})
	}
	if err := m.Write(ctx, o.st, o.dir); err != nil {
		return err
	}
	return o.st.Delete(ctx, storage.Join(o.dir, runrecord.RunningFile))
}
