package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spindle-ml/spindle/runrecord"
)

// chromium returns the headless Chromium to test with (SPINDLE_CHROMIUM,
// which scripts/test.sh sets, installing the Debian package chromium).
func chromium(t *testing.T) string {
	bin := os.Getenv("SPINDLE_CHROMIUM")
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("SPINDLE_CHROMIUM is not set; scripts/test.sh installs chromium and sets it")
		}
		t.Skip("SPINDLE_CHROMIUM not set (scripts/test.sh sets it)")
	}
	return bin
}

// shoot opens page in headless Chromium at the window size and returns
// the screenshot and what the browser logged.
func shoot(t *testing.T, bin, page string, w, h int) (image.Image, string) {
	t.Helper()
	shot := filepath.Join(t.TempDir(), "shot.png")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
		"--no-first-run", "--disable-extensions", "--enable-logging=stderr", "--v=0",
		fmt.Sprintf("--window-size=%d,%d", w, h), "--screenshot="+shot, "file://"+page)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v\n%s", err, out)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img, string(out)
}

// inks counts a screenshot's pixels that are not background (near white)
// and those in colour (a series drawn in the palette, not text or axes).
func inks(img image.Image) (ink, colour int) {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			if r < 235 || g < 235 || bl < 235 {
				ink++
			}
			if max(r, g, bl)-min(r, g, bl) > 60 {
				colour++
			}
		}
	}
	return
}

// cropBottom cuts off the page background below the content.
func cropBottom(img image.Image) image.Image {
	b := img.Bounds()
	bg := img.At(b.Max.X-1, b.Max.Y-1)
	last := b.Min.Y
	for y := b.Max.Y - 1; y >= b.Min.Y && last == b.Min.Y; y-- {
		for x := b.Min.X; x < b.Max.X; x++ {
			if img.At(x, y) != bg {
				last = y
				break
			}
		}
	}
	if si, ok := img.(interface {
		SubImage(image.Rectangle) image.Image
	}); ok {
		return si.SubImage(image.Rect(b.Min.X, b.Min.Y, b.Max.X, min(b.Max.Y, last+24)))
	}
	return img
}

var consoleRE = regexp.MustCompile(`(?m)^.*:CONSOLE[^\n]*`)

// TestReportInChromium opens the reference run's report in headless
// Chromium: the browser logs nothing to its console, the page draws, and
// every chart, opened alone, draws its data (pixels in the series'
// colours). The report is that of the run in SPINDLE_REPORT_RUN (CI's
// reference run) or else of the committed reference metrics. With
// SPINDLE_REPORT_SCREENSHOT, the page's screenshot is saved there.
func TestReportInChromium(t *testing.T) {
	bin := chromium(t)
	rep := fixture(t)
	if dir := os.Getenv("SPINDLE_REPORT_RUN"); dir != "" {
		raw, err := os.ReadFile(filepath.Join(dir, "metrics.json"))
		if err != nil {
			t.Fatal(err)
		}
		rep = &runrecord.Report{}
		if err := json.Unmarshal(raw, rep); err != nil {
			t.Fatal(err)
		}
	}
	html, err := HTML(rep)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	if err := os.WriteFile(page, html, 0o644); err != nil {
		t.Fatal(err)
	}
	img, log := shoot(t, bin, page, 1400, 8000)
	img = cropBottom(img)
	if c := consoleRE.FindAllString(log, -1); len(c) > 0 {
		t.Fatalf("the browser's console:\n%s", strings.Join(c, "\n"))
	}
	ink, colour := inks(img)
	area := img.Bounds().Dx() * img.Bounds().Dy()
	t.Logf("report.html: %d bytes, %d charts; page screenshot %v: %.1f%% ink, %.1f%% colour",
		len(html), len(chartRE.FindAll(html, -1)), img.Bounds().Size(), 100*float64(ink)/float64(area), 100*float64(colour)/float64(area))
	if float64(ink) < 0.05*float64(area) || colour < 20000 {
		t.Fatalf("the page looks blank: %d of %d pixels drawn, %d in colour", ink, area, colour)
	}
	if out := os.Getenv("SPINDLE_REPORT_SCREENSHOT"); out != "" {
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Each chart alone, in the page's styles.
	head := string(html[:bytes.Index(html, []byte("<body>"))])
	for i, c := range chartRE.FindAllString(string(html), -1) {
		var name string
		if m := regexp.MustCompile(`<text[^>]*>([^<]+)</text>`).FindStringSubmatch(c); m != nil {
			name = m[1]
		}
		one := filepath.Join(dir, fmt.Sprintf("chart%d.html", i+1))
		if err := os.WriteFile(one, []byte(head+"<body style='background:#fff;margin:0'>"+c+"</body></html>"), 0o644); err != nil {
			t.Fatal(err)
		}
		img, log := shoot(t, bin, one, 700, 900)
		if c := consoleRE.FindAllString(log, -1); len(c) > 0 {
			t.Fatalf("chart %d: the browser's console:\n%s", i+1, strings.Join(c, "\n"))
		}
		ink, colour := inks(img)
		if ink < 5000 || colour < 300 {
			t.Errorf("chart %d (%q) looks blank: %d pixels drawn, %d in colour", i+1, name, ink, colour)
		}
	}
}
