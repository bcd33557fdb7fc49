package ml_test

import (
	"math"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/ml"
)

type ruled struct {
	MaxIter    *int      `param:"min=0"`
	NumBuckets int       `param:"min=2"`
	Size       int       `param:"gt=0,max=100"`
	Alpha      float64   `param:"min=0,max=1"`
	Step       float64   `param:"gt=0"`
	Limit      float64   `param:"lt=10"`
	Family     string    `param:"oneOf=auto|binomial"`
	Pattern    string    `param:"nonempty"`
	Splits     []float64 `param:"inf"`
	Missing    *float64  `param:"nan,inf"`
	Free       float64   `param:""` // no rule: still no NaN or ±Inf
	Lo, Hi     float64   `param:""`
	P          float64   `param:"min=1,inf"`
}

func (r *ruled) CheckParams() error {
	if r.Lo != 0 && r.Hi != 0 && r.Lo >= r.Hi {
		return ml.ParamErrorf("lo", "must be below hi (%v), got %v", r.Hi, r.Lo)
	}
	return nil
}

// TestParamRules: every written value is checked against its field's
// rule, a written zero included; Validate checks what a Go caller set.
func TestParamRules(t *testing.T) {
	cases := []struct {
		p    ml.ParamMap
		want string // "" when accepted
	}{
		{ml.ParamMap{"maxIter": 0}, ""},
		{ml.ParamMap{"maxIter": -1}, "ruled: parameter maxIter: must be ≥ 0, got -1"},
		{ml.ParamMap{"numBuckets": 0}, "parameter numBuckets: must be ≥ 2, got 0"},
		{ml.ParamMap{"numBuckets": 2}, ""},
		{ml.ParamMap{"size": 0}, "parameter size: must be in (0, 100], got 0"},
		{ml.ParamMap{"size": 101}, "parameter size: must be in (0, 100], got 101"},
		{ml.ParamMap{"alpha": 2}, "parameter alpha: must be in [0, 1], got 2"},
		{ml.ParamMap{"alpha": math.NaN()}, "parameter alpha: must be a number, got NaN"},
		{ml.ParamMap{"step": 0.0}, "parameter step: must be > 0, got 0"},
		{ml.ParamMap{"limit": 10}, "parameter limit: must be < 10, got 10"},
		{ml.ParamMap{"family": ""}, `parameter family: must be one of auto, binomial, got ""`},
		{ml.ParamMap{"family": "poisson"}, `parameter family: must be one of auto, binomial, got "poisson"`},
		{ml.ParamMap{"pattern": ""}, "parameter pattern: must not be empty"},
		{ml.ParamMap{"splits": []any{math.Inf(-1), 0, math.Inf(1)}}, ""},
		{ml.ParamMap{"splits": []any{0, math.NaN()}}, "parameter splits: item 2 must be a number, got NaN"},
		{ml.ParamMap{"missing": math.NaN()}, ""},
		{ml.ParamMap{"p": math.Inf(1)}, ""},
		{ml.ParamMap{"p": math.Inf(-1)}, "parameter p: must be ≥ 1, got -Inf"},
		{ml.ParamMap{"free": math.Inf(1)}, "parameter free: must be finite, got +Inf"},
		{ml.ParamMap{"free": 1e300}, ""},
	}
	for _, c := range cases {
		_, err := ml.WithParams(&ruled{}, c.p)
		if c.want == "" {
			if err != nil {
				t.Errorf("%v: %v", c.p, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.p, err, c.want)
		}
		if pe, ok := ml.AsParamError(err); !ok || pe.Param == "" {
			t.Errorf("%v: not a *ParamError: %#v", c.p, err)
		}
	}

	// Validate: zero fields are unset; set ones are checked; then
	// CheckParams.
	if err := ml.Validate(&ruled{}); err != nil {
		t.Errorf("zero value: %v", err)
	}
	for _, c := range []struct {
		r    *ruled
		want string
	}{
		{&ruled{MaxIter: ml.Int(-2)}, "ruled: parameter maxIter: must be ≥ 0, got -2"},
		{&ruled{Alpha: 1.5}, "ruled: parameter alpha: must be in [0, 1], got 1.5"},
		{&ruled{Lo: 2, Hi: 1}, "ruled: parameter lo: must be below hi (1), got 2"},
		{&ruled{Free: math.NaN()}, "ruled: parameter free: must be a number, got NaN"},
	} {
		err := ml.Validate(c.r)
		if c.want == "" {
			if err != nil {
				t.Errorf("%+v: %v", c.r, err)
			}
			continue
		}
		if err == nil || err.Error() != c.want {
			t.Errorf("%+v: error %v, want %q", c.r, err, c.want)
		}
	}
}
