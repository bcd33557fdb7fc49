// Package runrecord is the record a run leaves in its output directory,
// as 'spindle run' writes it and 'spindle report', 'spindle serve' and
// 'spindle predict' read it: metrics.json (Report, and a saved model's
// ModelMetrics), the _RUNNING marker of a run in progress (RunInfo) and
// the _SUCCESS manifest of a finished one (Manifest).
package runrecord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"syscall"
	"time"

	"github.com/spindle-ml/spindle/jsonnum"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/profile"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/tuning"
)

// The files of a run's output directory that are bookkeeping.
const (
	// MetricsFile is the run's report (Report), written as the run goes.
	MetricsFile = "metrics.json"
	// RunningFile marks a run in progress; it holds the run's RunInfo.
	RunningFile = "_RUNNING"
	// SuccessFile is written last, when a run has finished; it holds the
	// run's Manifest.
	SuccessFile = "_SUCCESS"
)

// IsEntry reports whether name is a top-level name a run writes into its
// output directory; anything else there is not a Spindle run's.
func IsEntry(name string) bool {
	switch name {
	case MetricsFile, "run.log", "models", "processed", "report.html", RunningFile, SuccessFile:
		return true
	}
	return false
}

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

// Report is metrics.json. It is written when the run has checked its
// input and starts work (Status "running"), again after every model, and
// at the end ("succeeded", or "failed" with Error), so that a failure
// late in a run keeps what was finished.
type Report struct {
	Name           string      `json:"name"`
	Spec           string      `json:"spec"`
	SpecDigest     string      `json:"specDigest,omitempty"`
	RunID          string      `json:"runId,omitempty"`
	Status         string      `json:"status,omitempty"`
	Error          string      `json:"error,omitempty"`
	SpindleVersion string      `json:"spindleVersion,omitempty"`
	Engine         string      `json:"engine"`
	Started        time.Time   `json:"started"`
	Seconds        float64     `json:"seconds"`
	PeakRSSBytes   int64       `json:"peakRSSBytes"`
	Input          InputReport `json:"input"`
	Split          SplitReport `json:"split"`
	// SharedSeconds is the time the shared stages took (fit and
	// transform of both splits), before any variant.
	SharedSeconds float64         `json:"sharedStagesSeconds"`
	Variants      []VariantReport `json:"variants"`
	// Passes counts the engine passes per phase (PhaseRead …): on a
	// cluster each is a job with a fixed cost.
	Passes map[string]int64 `json:"passes,omitempty"`
}

// Run statuses in metrics.json.
const (
	StatusRunning   = "running"
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
)

// InputReport describes the data read and cleaned.
type InputReport struct {
	URI              string               `json:"uri"`
	Format           string               `json:"format"`
	Rows             int64                `json:"rows"`
	Nulls            map[string]int64     `json:"nulls"`
	DropNulls        string               `json:"dropNulls"`
	RowsAfterClean   int64                `json:"rowsAfterClean"`
	Label            string               `json:"label"`
	Classes          []profile.ClassCount `json:"classes,omitempty"`
	ReadSeconds      float64              `json:"readSeconds"`
	MalformedDropped int64                `json:"malformedDropped,omitempty"`
	// Test describes the test input (input.test), read and cleaned the
	// same way; its label is indexed as the training input's.
	Test *InputReport `json:"test,omitempty"`
	// Profile describes each column of the cleaned input: type, nulls,
	// distinct values, and min, max, mean and stddev of numbers.
	Profile []profile.ColumnProfile `json:"profile,omitempty"`
}

// SplitReport describes the train/test split.
type SplitReport struct {
	// TrainRatio and Seed made a random split; with input.test they are
	// 0 and TestInput names the test data.
	TrainRatio float64 `json:"trainRatio"`
	Seed       int64   `json:"seed"`
	TestInput  string  `json:"testInput,omitempty"`
	Train      int64   `json:"trainRows"`
	Test       int64   `json:"testRows"`
}

// VariantReport is one feature variant's results.
type VariantReport struct {
	Name             string        `json:"name"`
	FeaturizeSeconds float64       `json:"featurizeSeconds"`
	Models           []ModelReport `json:"models"`
	// A data-preparation run (no models) reports, per variant, the rows
	// it wrote (Processed: their path under the output directory), the
	// fitted feature pipeline it saved, and the profile of what it wrote.
	Processed string                  `json:"processedData,omitempty"`
	Rows      int64                   `json:"rows,omitempty"`
	Model     string                  `json:"model,omitempty"`
	Profile   []profile.ColumnProfile `json:"profile,omitempty"`
}

// ModelReport is one model trained on one variant.
type ModelReport struct {
	Name         string                   `json:"name"`
	Type         string                   `json:"type"`
	Params       ml.ParamMap              `json:"params"`
	Tuning       *TuningReport            `json:"tuning,omitempty"`
	Test         map[string]jsonnum.Float `json:"test"`
	Confusion    *ConfusionReport         `json:"confusion,omitempty"`
	FitSeconds   float64                  `json:"fitSeconds"`
	ScoreSeconds float64                  `json:"scoreSeconds"`
	Model        string                   `json:"model,omitempty"`
	Processed    []string                 `json:"processedData,omitempty"`
	// ROC and PR are a binary classifier's test curves: (false positive
	// rate, true positive rate) and (recall, precision), thinned to about
	// 200 points.
	ROC [][2]float64 `json:"roc,omitempty"`
	PR  [][2]float64 `json:"pr,omitempty"`
	// ObjectiveHistory is the final fit's loss per optimizer iteration,
	// for models that report it (LogisticRegression, LinearSVC …).
	ObjectiveHistory []jsonnum.Float `json:"objectiveHistory,omitempty"`
	// TopFeatures are the model's most important features: a tree
	// ensemble's importances, or a linear model's largest coefficients
	// by magnitude (TopFeaturesKind says which).
	TopFeatures     []FeatureWeight `json:"topFeatures,omitempty"`
	TopFeaturesKind string          `json:"topFeaturesKind,omitempty"`
}

// FeatureWeight is one feature's importance or coefficient. Name is set
// when the features vector was assembled from named scalar columns.
type FeatureWeight struct {
	Index  int           `json:"index"`
	Name   string        `json:"name,omitempty"`
	Weight jsonnum.Float `json:"weight"`
}

// TuningReport keeps every fold's metric.
type TuningReport struct {
	Method      string            `json:"method"`
	Metric      string            `json:"metric"`
	ParamMaps   []ml.ParamMap     `json:"paramMaps"`
	FoldMetrics [][]jsonnum.Float `json:"foldMetrics"`
	AvgMetrics  []jsonnum.Float   `json:"avgMetrics"`
	Best        ml.ParamMap       `json:"best"`
	// ObjectiveHistories[i][k] is the loss per iteration of grid point
	// i's fit on fold k, for models that report it.
	ObjectiveHistories [][][]jsonnum.Float `json:"objectiveHistories,omitempty"`
	// Failed lists the fits that failed numerically (tuning.Failure);
	// the best map was chosen among the others.
	Failed []tuning.Failure `json:"failed,omitempty"`
}

// ConfusionReport is the test confusion matrix: rows are true labels,
// columns predicted labels, in Labels order.
type ConfusionReport struct {
	Labels []string    `json:"labels"`
	Matrix [][]float64 `json:"matrix"`
}

// ModelMetrics is a saved model's metrics.json: the run, variant and
// label column it was trained with, and its report.
type ModelMetrics struct {
	RunID   string `json:"runId"`
	Variant string `json:"variant"`
	// Label is the label column of the data it was trained on (as read,
	// before indexing); 'spindle predict --evaluate' looks for it.
	Label string `json:"label,omitempty"`
	*ModelReport
}

// Alive reports whether the run is a live process on this host.
func (ri RunInfo) Alive() bool {
	host, _ := os.Hostname()
	if ri.PID <= 0 || ri.Host != host || ri.PID == os.Getpid() {
		return false
	}
	return syscall.Kill(ri.PID, 0) == nil
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
	return m.Write(ctx, st, dir)
}

// Write writes m as the _SUCCESS file of the run directory dir.
func (m *Manifest) Write(ctx context.Context, st *storage.Store, dir string) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return st.WriteFile(ctx, storage.Join(dir, SuccessFile), append(data, '\n'))
}

// ReadReport reads the metrics.json of the run directory dir.
func ReadReport(ctx context.Context, st *storage.Store, dir string) (*Report, error) {
	path := storage.Join(dir, MetricsFile)
	raw, err := st.ReadFile(ctx, path)
	if err != nil {
		return nil, err
	}
	var rep *Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		return nil, fmt.Errorf("%s: not a run's metrics.json: %v", path, err)
	}
	// Every run's record names its spec and engine ('null' and '{}' do
	// not, and would make an empty report).
	if rep == nil || rep.Spec == "" || rep.Engine == "" {
		return nil, fmt.Errorf("%s: not a run's metrics.json: no spec or engine", path)
	}
	return rep, nil
}

// ParseModelMetrics reads a saved model's metrics.json (as
// pipeline.Info.Metrics holds it); empty input gives an empty record.
func ParseModelMetrics(raw []byte) (*ModelMetrics, error) {
	m := &ModelMetrics{ModelReport: &ModelReport{}}
	if len(raw) == 0 {
		return m, nil
	}
	if err := json.Unmarshal(raw, m); err != nil {
		return nil, fmt.Errorf("model metrics.json: %w", err)
	}
	return m, nil
}
