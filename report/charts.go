package report

import (
	"bytes"
	"fmt"
	"html/template"
	"image/color"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Charts are drawn by gonum/plot (gonum.org/v1/plot), the Gonum
// project's plotting package, into SVG that the page holds inline. It is
// maintained with gonum, which Spindle already uses; it renders in this
// process, so the page needs no script and no network, opens from disk,
// and is the same for the same metrics.json.

// palette colours the series of a chart, one per model (a colour-blind
// friendly set: Okabe & Ito).
var palette = []color.RGBA{
	{0, 114, 178, 255}, {230, 159, 0, 255}, {0, 158, 115, 255}, {204, 121, 167, 255},
	{86, 180, 233, 255}, {213, 94, 0, 255}, {240, 228, 66, 255}, {0, 0, 0, 255},
}

func colorOf(i int) color.Color { return palette[i%len(palette)] }

// chart sizes.
var (
	narrow = 4.6 * vg.Inch
	tall   = 3.6 * vg.Inch
)

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = font.Length(12)
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Legend.Top = true
	p.Legend.TextStyle.Font.Size = font.Length(8)
	p.Add(plotter.NewGrid())
	return p
}

// svg renders p as an inline <svg> element of the given size.
func svg(p *plot.Plot, w, h vg.Length) (template.HTML, error) {
	c := vgsvg.New(w, h)
	p.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return "", fmt.Errorf("draw %q: %w", p.Title.Text, err)
	}
	s := b.String()
	// Inline SVG starts at the element: drop the XML prolog and comment.
	if i := strings.Index(s, "<svg"); i >= 0 {
		s = s[i:]
	}
	s = strings.Replace(s, "<svg", `<svg class="chart" role="img"`, 1)
	return template.HTML(s), nil // #nosec: drawn here, its text escaped by vgsvg
}

// series is a named line.
type series struct {
	name string
	xy   plotter.XYs
}

// maxLegend is the most series a chart's legend names; a chart with more
// (a large grid's tuning fits) draws them without one.
const maxLegend = 12

// lineChart draws lines, one per series; diagonal adds the y = x line
// (a ROC curve's chance line).
func lineChart(title, x, y string, ss []series, diagonal, points bool) (template.HTML, error) {
	p := newPlot(title, x, y)
	if diagonal {
		d, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
		if err != nil {
			return "", err
		}
		d.Color = color.Gray{Y: 160}
		d.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
		p.Add(d)
	}
	for i, s := range ss {
		if len(s.xy) == 0 {
			continue
		}
		l, err := plotter.NewLine(s.xy)
		if err != nil {
			return "", fmt.Errorf("%s: %s: %w", title, s.name, err)
		}
		l.Color = colorOf(i)
		l.Width = vg.Points(1.5)
		p.Add(l)
		if len(ss) <= maxLegend {
			p.Legend.Add(s.name, l)
		}
		if points {
			sc, err := plotter.NewScatter(s.xy)
			if err != nil {
				return "", err
			}
			sc.Color = colorOf(i)
			sc.Radius = vg.Points(2)
			p.Add(sc)
		}
	}
	return svg(p, narrow, tall)
}

// barChart draws one bar per value with its label on the axis; horizontal
// bars suit long labels (feature names, phases).
func barChart(title, axis string, labels []string, values []float64, horizontal bool, c color.Color) (template.HTML, error) {
	p := newPlot(title, "", "")
	if horizontal {
		p.X.Label.Text = axis
	} else {
		p.Y.Label.Text = axis
	}
	vals := make(plotter.Values, len(values))
	copy(vals, values)
	bars, err := plotter.NewBarChart(vals, vg.Points(12))
	if err != nil {
		return "", fmt.Errorf("%s: %w", title, err)
	}
	bars.Color = c
	bars.LineStyle.Width = 0
	bars.Horizontal = horizontal
	p.Add(bars)
	short := make([]string, len(labels))
	for i, l := range labels {
		short[i] = clip(l, 28)
	}
	if horizontal {
		p.NominalY(short...)
	} else {
		p.NominalX(short...)
	}
	h := tall
	if horizontal {
		h = max(tall, vg.Points(float64(24+16*len(labels))))
	}
	return svg(p, narrow, h)
}

// foldChart draws a model's metric for every fold at every grid point
// (dots) and their mean (line), grid points along x.
func foldChart(title, metric string, points []string, folds [][]float64, avg []float64) (template.HTML, error) {
	p := newPlot(title, "grid point", metric)
	for k := range folds {
		var xy plotter.XYs
		for g, v := range folds[k] {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				xy = append(xy, plotter.XY{X: float64(g), Y: v})
			}
		}
		if len(xy) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(xy)
		if err != nil {
			return "", err
		}
		sc.Color = colorOf(k + 1)
		sc.Radius = vg.Points(3)
		p.Add(sc)
		p.Legend.Add(fmt.Sprintf("fold %d", k+1), sc)
	}
	var mean plotter.XYs
	for g, v := range avg {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			mean = append(mean, plotter.XY{X: float64(g), Y: v})
		}
	}
	if len(mean) > 0 {
		l, err := plotter.NewLine(mean)
		if err != nil {
			return "", err
		}
		l.Color = colorOf(0)
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add("mean", l)
	}
	short := make([]string, len(points))
	for i, s := range points {
		short[i] = clip(s, 24)
	}
	p.NominalX(short...)
	p.X.Label.Text = ""
	return svg(p, narrow, tall)
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
