package ml

import (
	"fmt"
	"reflect"
	"slices"
	"sync"

	"github.com/spindle-ml/spindle/engine"
)

// Registration declares a stage to the rest of Spindle, once, in the
// stage's own package (an init function next to its type, as image/png
// registers itself with image): the spec finds it by its Spark name, the
// engine can run, ship and save its kernels. A program gets the stages of
// the packages it imports (cmd/spindle imports them all).
type Registration struct {
	// Name is the stage's Spark name, as a spec writes it: "HashingTF".
	Name string
	// New returns the stage with every parameter at Spark's default (its
	// zero value): a pointer to a struct that is a Transformer or an
	// Estimator.
	New func() any
	// Model, for an estimator, is a zero value of the model it fits; it is
	// registered with the engine as a kernel (a stage that is itself a
	// kernel, a row-wise transformer, is registered from New).
	Model engine.Mapper
	// Evaluator marks a predictor — a stage a spec lists under models: —
	// and names the evaluator that scores it by default: "multiclass",
	// "regression" or "clustering" (a clustering needs no label). Empty
	// for feature stages.
	Evaluator string
	// Samples tell the conformance suite how to feed the stage (the first
	// is swept over every parameter value, the others run with the
	// defaults); NoSample says why a stage has none, and the suite lists
	// it.
	Samples  []Sample
	NoSample string
}

// registry holds the registrations by name. It is written only by Register
// from init functions and read afterwards (like engine's kernel registry):
// the same in every process of the same binary.
var registry sync.Map // string → Registration

// Register records a stage. It panics on a missing name or constructor, a
// constructor that does not make a stage, a `param` tag that does not
// parse, or a name registered twice: all programming errors found when
// the program starts.
func Register(r Registration) {
	if r.Name == "" || r.New == nil {
		panic("ml: Register needs a Name and a New")
	}
	proto := r.New()
	v := reflect.ValueOf(proto)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		panic(fmt.Sprintf("ml: stage %s: New returns %T, want a pointer to a struct", r.Name, proto))
	}
	_, isT := proto.(Transformer)
	_, isE := proto.(Estimator)
	if !isT && !isE {
		panic(fmt.Sprintf("ml: stage %s (%T) is neither a Transformer nor an Estimator", r.Name, proto))
	}
	if err := checkStage(v.Elem().Type(), false); err != nil {
		panic(fmt.Sprintf("ml: stage %s: %v", r.Name, err))
	}
	if r.Model != nil {
		if err := checkStage(reflect.TypeOf(r.Model), true); err != nil {
			panic(fmt.Sprintf("ml: stage %s: model %T: %v", r.Name, r.Model, err))
		}
	}
	if _, dup := registry.LoadOrStore(r.Name, r); dup {
		panic(fmt.Sprintf("ml: stage %q registered twice", r.Name))
	}
	if m, ok := proto.(engine.Mapper); ok {
		engine.Register(m)
	}
	if r.Model != nil {
		engine.Register(r.Model)
	}
}

// Lookup returns the registration of the stage named name.
func Lookup(name string) (Registration, bool) {
	v, ok := registry.Load(name)
	if !ok {
		return Registration{}, false
	}
	return v.(Registration), true
}

// StageNames returns the names of the registered stages, sorted: the
// predictors (Evaluator set) or the feature stages.
func StageNames(predictors bool) []string {
	var out []string
	registry.Range(func(k, v any) bool {
		if (v.(Registration).Evaluator != "") == predictors {
			out = append(out, k.(string))
		}
		return true
	})
	slices.Sort(out)
	return out
}

// New makes the stage named name with the parameters p set (see
// WithParams).
func New(name string, p ParamMap) (any, error) {
	r, ok := Lookup(name)
	if !ok {
		return nil, fmt.Errorf("unknown stage type %q", name)
	}
	return WithParams(r.New(), p)
}
