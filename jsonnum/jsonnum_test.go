package jsonnum_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/jsonnum"
)

func TestFloatRoundTrip(t *testing.T) {
	for _, x := range []float64{0, -1.5, 1e-300, math.MaxFloat64, math.NaN(), math.Inf(1), math.Inf(-1)} {
		b, err := json.Marshal(jsonnum.Float(x))
		if err != nil {
			t.Fatalf("%v: %v", x, err)
		}
		var back jsonnum.Float
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if !(float64(back) == x || math.IsNaN(x) && math.IsNaN(float64(back))) {
			t.Errorf("%v → %s → %v", x, b, back)
		}
	}
	want := map[float64]string{math.NaN(): `"NaN"`, math.Inf(1): `"Infinity"`, math.Inf(-1): `"-Infinity"`, 0.1: `0.1`}
	for x, w := range want {
		if b, _ := json.Marshal(jsonnum.Float(x)); string(b) != w {
			t.Errorf("%v → %s, want %s", x, b, w)
		}
	}
	var f jsonnum.Float
	if err := json.Unmarshal([]byte(`"inf"`), &f); err == nil || !strings.Contains(err.Error(), `"inf" is not a number`) {
		t.Errorf("bad string: %v", err)
	}
}

func TestValue(t *testing.T) {
	in := map[string]any{
		"splits": []float64{math.Inf(-1), 0, math.Inf(1)},
		"nested": map[string][]float64{"a": {math.NaN()}},
		"name":   "x",
		"n":      3,
		"ptr":    new(float64),
	}
	b, err := json.Marshal(jsonnum.Value(in))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"n":3,"name":"x","nested":{"a":["NaN"]},"ptr":0,"splits":["-Infinity",0,"Infinity"]}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	// Values without floats come back as they are.
	e := errors.New("boom")
	if got := jsonnum.Value(e); got != e {
		t.Errorf("error value changed: %#v", got)
	}
}

func TestReplaceAttr(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: jsonnum.ReplaceAttr}))
	l.Info("m", "r2", math.NaN(), "loss", math.Inf(1), "ok", 0.5, "all", map[string]float64{"x": math.Inf(-1)}, "err", errors.New("boom"))
	got := buf.String()
	for _, w := range []string{`"r2":"NaN"`, `"loss":"Infinity"`, `"ok":0.5`, `"all":{"x":"-Infinity"}`, `"err":"boom"`} {
		if !strings.Contains(got, w) {
			t.Errorf("log line %s lacks %s", got, w)
		}
	}
	if strings.Contains(got, "!ERROR") {
		t.Errorf("log line has an encoding error: %s", got)
	}
}
