package ml_test

import (
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

type badTag struct {
	Size int `param:"atLeast=2"`
}

func (*badTag) OutputSchema(in *table.Schema) (*table.Schema, error) { return in, nil }

type notAStage struct{}

// TestRegisterRefuses: the programming errors Register panics on, each
// with a message naming the stage.
func TestRegisterRefuses(t *testing.T) {
	cases := []struct {
		name string
		r    ml.Registration
		want string
	}{
		{"no name", ml.Registration{New: func() any { return new(badTag) }}, "needs a Name"},
		{"bad tag", ml.Registration{Name: "test.BadTag", New: func() any { return new(badTag) }}, `stage test.BadTag: field Size: bad param tag "atLeast=2"`},
		{"not a stage", ml.Registration{Name: "test.NotAStage", New: func() any { return new(notAStage) }}, "neither a Transformer nor an Estimator"},
		{"not a pointer", ml.Registration{Name: "test.Value", New: func() any { return notAStage{} }}, "want a pointer to a struct"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				got, _ := recover().(string)
				if !strings.Contains(got, c.want) {
					t.Fatalf("panic %q, want it to contain %q", got, c.want)
				}
			}()
			ml.Register(c.r)
		})
	}
	if _, ok := ml.Lookup("test.BadTag"); ok {
		t.Error("a refused stage is registered")
	}
}
