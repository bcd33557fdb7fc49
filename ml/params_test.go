package ml_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/ml"
)

type stage struct {
	InputCol  string    `param:""`
	MaxIter   int       `param:""`
	RegParam  float64   `param:""`
	Binary    bool      `param:""`
	Gaps      *bool     `param:""`
	StopWords []string  `param:""`
	Splits    []float64 `param:""`
	Progress  func(int)
	IDF       bool `param:""`
}

func TestWithParams(t *testing.T) {
	base := &stage{MaxIter: 100}
	cases := []struct {
		name string
		p    ml.ParamMap
		want *stage
		err  string
	}{
		{"ints and floats", ml.ParamMap{"maxIter": 10, "regParam": 1}, &stage{MaxIter: 10, RegParam: 1}, ""},
		{"integral float to int", ml.ParamMap{"maxIter": 20.0}, &stage{MaxIter: 20}, ""},
		{"bool pointer", ml.ParamMap{"gaps": false}, &stage{MaxIter: 100, Gaps: ml.Bool(false)}, ""},
		{"lists", ml.ParamMap{"stopWords": []any{"a", "b"}, "splits": []any{1, 2.5}}, &stage{MaxIter: 100, StopWords: []string{"a", "b"}, Splits: []float64{1, 2.5}}, ""},
		{"acronym", ml.ParamMap{"idf": true}, &stage{MaxIter: 100, IDF: true}, ""},
		{"unknown", ml.ParamMap{"maxIters": 1}, nil, `stage: unknown parameter "maxIters" (parameters: binary, gaps, idf, inputCol, maxIter, regParam, splits, stopWords)`},
		{"fraction to int", ml.ParamMap{"maxIter": 1.5}, nil, "parameter maxIter: want an integer, got 1.5"},
		{"string to float", ml.ParamMap{"regParam": "0.1"}, nil, "parameter regParam: want a number"},
		{"bad list item", ml.ParamMap{"stopWords": []any{"a", 3}}, nil, "item 2: want a string"},
		{"callback is no param", ml.ParamMap{"progress": 1}, nil, "unknown parameter"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ml.WithParams(base, c.p)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("got %v, want %q", err, c.err)
				}
				if unknown := strings.Contains(c.err, "unknown parameter"); errors.Is(err, ml.ErrUnknownParam) != unknown {
					t.Fatalf("errors.Is(%v, ErrUnknownParam) = %v, want %v", err, !unknown, unknown)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
			if base.MaxIter != 100 || base.RegParam != 0 {
				t.Fatal("WithParams changed its input")
			}
		})
	}
}

func TestParams(t *testing.T) {
	got := ml.Params(&stage{InputCol: "x", Gaps: ml.Bool(true)})
	if !reflect.DeepEqual(got, ml.ParamMap{"inputCol": "x", "gaps": true}) || got.String() != "{gaps: true, inputCol: x}" {
		t.Fatalf("%v", got)
	}
}

func TestPointerParams(t *testing.T) {
	type nb struct {
		Smoothing *float64 `param:""`
	}
	got, err := ml.WithParams(&nb{}, ml.ParamMap{"smoothing": 0.5})
	if err != nil || got.Smoothing == nil || *got.Smoothing != 0.5 {
		t.Fatalf("%v %+v", err, got)
	}
	if p := ml.Params(got); p["smoothing"] != 0.5 {
		t.Fatalf("%v", p)
	}
}
