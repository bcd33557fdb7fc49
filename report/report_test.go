package report

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/runrecord"
	"github.com/spindle-ml/spindle/storage"
)

// The fixture is the metrics.json of the reference run (the spam example,
// three variants, 2-fold cross-validation over maxIter), as made by
//
//	spindle run examples/spam/pipeline.yaml --out /tmp/spamrun
func fixture(t *testing.T) *runrecord.Report {
	t.Helper()
	raw, err := os.ReadFile("testdata/spam-metrics.json")
	if err != nil {
		t.Fatal(err)
	}
	var rep runrecord.Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	return &rep
}

var chartRE = regexp.MustCompile(`(?s)<svg class="chart".*?</svg>`)

// expectedCharts counts the charts a report must draw for rep.
func expectedCharts(rep *runrecord.Report) int {
	n := 1 // timings
	if len(rep.Passes) > 0 {
		n++
	}
	if len(rep.Input.Classes) > 0 {
		n++
	}
	for _, c := range rep.Input.Nulls {
		if c > 0 {
			n++
			break
		}
	}
	roc, obj := false, false
	for _, v := range rep.Variants {
		for _, m := range v.Models {
			roc = roc || len(m.ROC) > 0
			obj = obj || len(m.ObjectiveHistory) > 0
			if m.Tuning != nil && len(m.Tuning.FoldMetrics) > 0 {
				n++
				if len(m.Tuning.ObjectiveHistories) > 0 {
					n++
				}
			}
			if len(m.TopFeatures) > 0 {
				n++
			}
		}
	}
	if roc {
		n += 2
	}
	if obj {
		n++
	}
	return n
}

func TestReportPage(t *testing.T) {
	rep := fixture(t)
	html, err := HTML(rep)
	if err != nil {
		t.Fatal(err)
	}
	charts := chartRE.FindAllString(string(html), -1)
	if want := expectedCharts(rep); len(charts) != want || want != 15 {
		t.Fatalf("%d charts, want %d (15 for the reference run)", len(charts), want)
	}
	for i, c := range charts {
		// Each chart draws its data: paths beyond the axes and grid.
		if n := strings.Count(c, "<path"); n < 10 {
			t.Errorf("chart %d has %d paths:\n%.300s", i+1, n, c)
		}
	}
	for _, want := range []string{
		"<title>spam — Spindle run " + rep.RunID + "</title>",
		`<section id="comparison">`, "word2vec", "{maxIter: 20}", "0.9705",
		"ROC (test split)", "Precision–recall (test split)", "Objective history (final fit)",
		"tfidf / lr: crossValidator", "tfidf / lr: top features", "tfidf / lr: objective of each tuning fit", "{maxIter: 15} fold 2", "true \\ predicted", "Class balance (label)",
		"Column profile (after cleaning)", "Time per phase", "Engine passes per phase", "No column has a null.",
	} {
		if !bytes.Contains(html, []byte(want)) {
			t.Errorf("the page lacks %q", want)
		}
	}
	// Self-contained: nothing is fetched (SVG namespaces are names, not
	// requests).
	page := regexp.MustCompile(`xmlns(:\w+)?="http://www\.w3\.org/[^"]*"`).ReplaceAllString(string(html), "")
	for _, ref := range []string{"http://", "https://", "src=", "<link", "<script", "@import", "url("} {
		if strings.Contains(page, ref) {
			t.Errorf("the page refers to something outside it: %q", ref)
		}
	}
	again, err := HTML(rep)
	if err != nil || !bytes.Equal(again, html) {
		t.Fatal("two renders of one metrics.json differ")
	}
}

// TestReportEscapes: names from the spec and the data cannot inject
// markup into the page.
// TestReportDataPreparation: a run without models shows what it wrote
// and no empty model sections.
func TestReportDataPreparation(t *testing.T) {
	rep := fixture(t)
	rep.Input.Label, rep.Input.Classes = "", nil
	rep.Variants = []runrecord.VariantReport{{Name: "tfidf", Models: []runrecord.ModelReport{}, Rows: 6046,
		Processed: "processed/tfidf.parquet", Model: "models/tfidf", Profile: rep.Input.Profile}}
	html, err := HTML(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Data written", "processed/tfidf.parquet", "models/tfidf", "6046"} {
		if !bytes.Contains(html, []byte(want)) {
			t.Errorf("no %q in the page", want)
		}
	}
	for _, bad := range []string{"Models compared", "Each model", "label <code></code>"} {
		if bytes.Contains(html, []byte(bad)) {
			t.Errorf("%q in a page without models", bad)
		}
	}
}

func TestReportEscapes(t *testing.T) {
	rep := fixture(t)
	rep.Name = `<script>alert(1)</script>`
	rep.Variants[0].Name = `<img src=x onerror=alert(1)>`
	rep.Input.Classes[0].Class = `</svg><script>x</script>`
	rep.Variants[0].Models[0].TopFeatures[0].Name = `<b>f</b>`
	html, err := HTML(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script>", "<img src=x", "<b>f</b>"} {
		if bytes.Contains(html, []byte(bad)) {
			t.Errorf("%q appears unescaped", bad)
		}
	}
}

// TestWrite rebuilds a run directory's report.html and keeps its _SUCCESS
// manifest true to it.
func TestWrite(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	raw, _ := os.ReadFile("testdata/spam-metrics.json")
	if err := os.WriteFile(filepath.Join(dir, "metrics.json"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "_SUCCESS"), []byte(`{"runId":"x","files":[{"path":"metrics.json","size":1},{"path":"report.html","size":3}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	st := storage.New(storage.Options{})
	if err := Write(ctx, st, dir); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := runrecord.ReadManifest(ctx, st, dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Files[1].Path != "report.html" || m.Files[1].Size != fi.Size() || m.Files[0].Size != 1 {
		t.Fatalf("manifest %+v, report %d bytes", m.Files, fi.Size())
	}
	if err := Write(ctx, st, t.TempDir()); err == nil || !strings.Contains(err.Error(), "metrics.json") {
		t.Fatalf("no metrics.json: %v", err)
	}
	for _, text := range []string{"{", "{}", "null", `{"name": "x"}`} {
		bad := t.TempDir()
		_ = os.WriteFile(filepath.Join(bad, "metrics.json"), []byte(text), 0o644)
		if err := Write(ctx, st, bad); err == nil || !strings.Contains(err.Error(), "not a run's metrics.json") {
			t.Fatalf("metrics.json %s: %v", text, err)
		}
		if _, err := os.Stat(filepath.Join(bad, "report.html")); err == nil {
			t.Fatalf("metrics.json %s: a report was written", text)
		}
	}
}
