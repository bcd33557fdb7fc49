// Package report renders a run's metrics.json as one self-contained HTML
// page, report.html: the comparison of every variant and model, ROC and
// precision–recall curves of binary classifiers, confusion matrices,
// every fold's metric at every grid point, each fit's objective history,
// the most important features or largest coefficients, the input's class
// balance, nulls and column profile, and the run's timings and engine
// passes.
//
// The page holds everything inline — styles and charts as SVG, drawn by
// gonum/plot (see charts.go) — so it opens from disk, offline, with no
// script. 'spindle run' writes it next to metrics.json; 'spindle report
// RUN_DIR' rebuilds it from metrics.json alone.
package report

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"html/template"
	"maps"
	"math"
	"slices"

	"gonum.org/v1/plot/plotter"

	"github.com/spindle-ml/spindle/jsonnum"
	"github.com/spindle-ml/spindle/runrecord"
	"github.com/spindle-ml/spindle/storage"
)

//go:embed report.html.tmpl
var pageTemplate string

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"num":  num,
	"pct":  func(v float64) string { return fmt.Sprintf("%.1f%%", v) },
	"secs": func(v float64) string { return fmt.Sprintf("%.2f s", v) },
	"mib":  func(v int64) string { return fmt.Sprintf("%.0f MiB", float64(v)/(1<<20)) },
	"fnum": fnum,
}).Parse(pageTemplate))

// num formats a metric: 4 decimals, or NaN/Inf as written.
func num(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Sprint(v)
	}
	return fmt.Sprintf("%.4f", v)
}

// fnum formats an optional profile number.
func fnum(v *jsonnum.Float) string {
	if v == nil {
		return ""
	}
	return num(float64(*v))
}

// shade is a confusion cell's background: darker for a larger share of
// its row.
func shade(v, rowTotal float64) template.CSS {
	a := 0.0
	if rowTotal > 0 {
		a = v / rowTotal
	}
	return template.CSS(fmt.Sprintf("background: rgba(0,114,178,%.2f)", 0.08+0.8*a))
}

// view is what the template shows.
type view struct {
	R         *runrecord.Report
	Metrics   []string
	Rows      []row
	ROC, PR   template.HTML
	Objective template.HTML
	Models    []modelView
	Classes   template.HTML
	Nulls     template.HTML
	NoNulls   bool
	Timings   template.HTML
	Passes    template.HTML
	Charts    int
}

type row struct {
	Variant, Model, Params string
	Test                   []float64
	Fit, Score             float64
}

type modelView struct {
	Title     string
	Confusion *confusion
	Folds     template.HTML
	Histories template.HTML
	Features  template.HTML
}

// confusion is a confusion matrix with each cell shaded by its share of
// the true class's rows.
type confusion struct {
	Labels []string
	Rows   []confusionRow
}

type confusionRow struct {
	Label string
	Cells []cell
}

type cell struct {
	V     float64
	Style template.CSS
}

// HTML renders rep as the report page.
func HTML(rep *runrecord.Report) ([]byte, error) {
	v := &view{R: rep}
	metricSet := map[string]bool{}
	for _, vr := range rep.Variants {
		for _, m := range vr.Models {
			for k := range m.Test {
				metricSet[k] = true
			}
		}
	}
	v.Metrics = slices.Sorted(maps.Keys(metricSet))
	var roc, pr, obj []series
	chart := func(h template.HTML, err error) (template.HTML, error) {
		if err == nil && h != "" {
			v.Charts++
		}
		return h, err
	}
	var err error
	for _, vr := range rep.Variants {
		for _, m := range vr.Models {
			name := vr.Name + " / " + m.Name
			r := row{Variant: vr.Name, Model: m.Name, Params: "-", Fit: m.FitSeconds, Score: m.ScoreSeconds}
			if m.Tuning != nil && m.Tuning.Best != nil {
				r.Params = m.Tuning.Best.String()
			}
			for _, k := range v.Metrics {
				t, ok := m.Test[k]
				if !ok {
					t = jsonnum.Float(math.NaN())
				}
				r.Test = append(r.Test, float64(t))
			}
			v.Rows = append(v.Rows, r)
			roc = append(roc, series{name, xys(m.ROC)})
			pr = append(pr, series{name, xys(m.PR)})
			if len(m.ObjectiveHistory) > 0 {
				var xy plotter.XYs
				for i, l := range m.ObjectiveHistory {
					if l := float64(l); !math.IsNaN(l) && !math.IsInf(l, 0) {
						xy = append(xy, plotter.XY{X: float64(i), Y: l})
					}
				}
				obj = append(obj, series{name, xy})
			}
			mv := modelView{Title: name}
			if c := m.Confusion; c != nil {
				mv.Confusion = &confusion{Labels: c.Labels}
				for i, r := range c.Matrix {
					var total float64
					for _, x := range r {
						total += x
					}
					cr := confusionRow{Label: fmt.Sprint(i)}
					if i < len(c.Labels) {
						cr.Label = c.Labels[i]
					}
					for _, x := range r {
						cr.Cells = append(cr.Cells, cell{x, shade(x, total)})
					}
					mv.Confusion.Rows = append(mv.Confusion.Rows, cr)
				}
			}
			if t := m.Tuning; t != nil && len(t.FoldMetrics) > 0 {
				points := make([]string, len(t.ParamMaps))
				for i, pm := range t.ParamMaps {
					points[i] = pm.String()
				}
				// FoldMetrics is [grid point][fold]; the chart wants folds.
				var folds [][]float64
				for g, fm := range t.FoldMetrics {
					for k, x := range fm {
						for len(folds) <= k {
							folds = append(folds, make([]float64, len(t.FoldMetrics)))
						}
						folds[k][g] = float64(x)
					}
				}
				avg := make([]float64, len(t.AvgMetrics))
				for i, a := range t.AvgMetrics {
					avg[i] = float64(a)
				}
				if mv.Folds, err = chart(foldChart(name+": "+t.Method, t.Metric, points, folds, avg)); err != nil {
					return nil, err
				}
				var fits []series
				for g, hs := range t.ObjectiveHistories {
					for k, h := range hs {
						var xy plotter.XYs
						for it, l := range h {
							if l := float64(l); !math.IsNaN(l) && !math.IsInf(l, 0) {
								xy = append(xy, plotter.XY{X: float64(it), Y: l})
							}
						}
						label := points[g]
						if len(hs) > 1 {
							label += fmt.Sprintf(" fold %d", k+1)
						}
						fits = append(fits, series{label, xy})
					}
				}
				if hasPoints(fits) {
					title := name + ": objective of each tuning fit"
					if len(fits) > maxLegend {
						title += fmt.Sprintf(" (%d fits)", len(fits))
					}
					if mv.Histories, err = chart(lineChart(title, "iteration", "loss", fits, false, false)); err != nil {
						return nil, err
					}
				}
			}
			if len(m.TopFeatures) > 0 {
				var labels []string
				var vals []float64
				for _, f := range slices.Backward(m.TopFeatures) { // most important at the top
					l := f.Name
					if l == "" {
						l = fmt.Sprintf("feature %d", f.Index)
					}
					labels = append(labels, l)
					vals = append(vals, float64(f.Weight))
				}
				what := "importance"
				if m.TopFeaturesKind == "coefficient" {
					what = "coefficient"
				}
				if mv.Features, err = chart(barChart(name+": top features", what, labels, vals, true, colorOf(2))); err != nil {
					return nil, err
				}
			}
			v.Models = append(v.Models, mv)
		}
	}
	if hasPoints(roc) {
		if v.ROC, err = chart(lineChart("ROC (test split)", "false positive rate", "true positive rate", roc, true, false)); err != nil {
			return nil, err
		}
		if v.PR, err = chart(lineChart("Precision–recall (test split)", "recall", "precision", pr, false, false)); err != nil {
			return nil, err
		}
	}
	if hasPoints(obj) {
		if v.Objective, err = chart(lineChart("Objective history (final fit)", "iteration", "loss", obj, false, true)); err != nil {
			return nil, err
		}
	}
	in := rep.Input
	if len(in.Classes) > 0 {
		var labels []string
		var counts []float64
		for _, c := range in.Classes {
			labels = append(labels, c.Class)
			counts = append(counts, float64(c.Count))
		}
		if v.Classes, err = chart(barChart("Class balance ("+in.Label+")", "rows", labels, counts, false, colorOf(0))); err != nil {
			return nil, err
		}
	}
	var nullCols []string
	var nulls []float64
	for _, name := range slices.Sorted(maps.Keys(in.Nulls)) {
		if n := in.Nulls[name]; n > 0 {
			nullCols = append(nullCols, name)
			nulls = append(nulls, float64(n))
		}
	}
	v.NoNulls = len(nullCols) == 0
	if !v.NoNulls {
		if v.Nulls, err = chart(barChart("Nulls per column (as read)", "rows", nullCols, nulls, true, colorOf(5))); err != nil {
			return nil, err
		}
	}
	phases, secs := timings(rep)
	if v.Timings, err = chart(barChart("Time per phase", "seconds", phases, secs, true, colorOf(1))); err != nil {
		return nil, err
	}
	if len(rep.Passes) > 0 {
		names := slices.Sorted(maps.Keys(rep.Passes))
		var counts []float64
		for _, n := range names {
			counts = append(counts, float64(rep.Passes[n]))
		}
		if v.Passes, err = chart(barChart("Engine passes per phase", "passes", names, counts, false, colorOf(4))); err != nil {
			return nil, err
		}
	}
	var b bytes.Buffer
	if err := page.Execute(&b, v); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return b.Bytes(), nil
}

func xys(c [][2]float64) plotter.XYs {
	out := make(plotter.XYs, len(c))
	for i, p := range c {
		out[i] = plotter.XY{X: p[0], Y: p[1]}
	}
	return out
}

func hasPoints(ss []series) bool {
	return slices.ContainsFunc(ss, func(s series) bool { return len(s.xy) > 0 })
}

// timings lists the run's phases in order with their seconds (a
// variant's featurizing, a model's fit and scoring overlap others': the
// variants run at once).
func timings(rep *runrecord.Report) ([]string, []float64) {
	names := []string{"read", "shared stages"}
	secs := []float64{rep.Input.ReadSeconds, rep.SharedSeconds}
	for _, vr := range rep.Variants {
		names = append(names, "featurize "+vr.Name)
		secs = append(secs, vr.FeaturizeSeconds)
		for _, m := range vr.Models {
			names = append(names, "fit "+vr.Name+"/"+m.Name, "score "+vr.Name+"/"+m.Name)
			secs = append(secs, m.FitSeconds, m.ScoreSeconds)
		}
	}
	names = append(names, "whole run")
	secs = append(secs, rep.Seconds)
	slices.Reverse(names) // drawn bottom up: the first phase on top
	slices.Reverse(secs)
	return names, secs
}

// Write rebuilds dir's report.html (dir a run's output directory, local
// or s3://) from its metrics.json. When the run finished, the size in its
// _SUCCESS manifest is brought up to date.
func Write(ctx context.Context, st *storage.Store, dir string) error {
	rep, err := runrecord.ReadReport(ctx, st, dir)
	if err != nil {
		return fmt.Errorf("report %s: %w", dir, err)
	}
	html, err := HTML(rep)
	if err != nil {
		return err
	}
	if err := st.WriteFile(ctx, storage.Join(dir, "report.html"), html); err != nil {
		return fmt.Errorf("report %s: %w", dir, err)
	}
	return runrecord.UpdateManifest(ctx, st, dir, "report.html", int64(len(html)))
}
