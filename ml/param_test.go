package ml_test

import (
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

// tok is a stage with parameters of every kind a saved model holds.
type tok struct {
	InputCol  string   `param:"nonempty"`
	Pattern   string   `param:"default=\\s+,nonempty"`
	Gaps      *bool    `param:"default=true"`
	MinLen    *int     `param:"default=1,min=0"`
	Seed      int64    `param:"default=0"`
	Missing   *float64 `param:"default=NaN,nan,inf"`
	Threshold float64  `param:""`
	Words     []string `param:""`
	To        table.Type
	Quoted    string            `param:"default='a,b',nonempty"`
	Values    map[string]string `param:""`
}

func (*tok) OutputSchema(in *table.Schema) (*table.Schema, error) { return in, nil }

func TestParamsOf(t *testing.T) {
	ps := ml.ParamsOf(&tok{})
	var names []string
	for _, p := range ps {
		names = append(names, p.Name)
	}
	if want := []string{"inputCol", "pattern", "gaps", "minLen", "seed", "missing", "threshold", "words", "quoted", "values"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("params %v, want %v (the untagged To is not one)", names, want)
	}
	defaults := map[string]any{"pattern": `\s+`, "gaps": true, "minLen": 1, "seed": int64(0), "quoted": "a,b"}
	for _, p := range ps {
		want, ok := defaults[p.Name]
		switch {
		case p.Name == "missing":
			if f, _ := p.Default.(float64); !math.IsNaN(f) {
				t.Errorf("missing: default %v, want NaN", p.Default)
			}
		case ok != p.HasDefault() || ok && !reflect.DeepEqual(p.Default, want):
			t.Errorf("%s: default %#v (declared %v), want %#v", p.Name, p.Default, p.HasDefault(), want)
		}
	}
	if r := ps[3].Rule; !r.HasMin || r.Min != 0 || !r.Allows(0) || r.Allows(-1) {
		t.Errorf("minLen rule %+v", r)
	}
}

// TestSplitParams: set parameters (a written false, a zero without a
// default) go to paramMap, unset ones with a default to
// defaultParamMap; SetSavedParams rebuilds the same stage from the JSON.
func TestSplitParams(t *testing.T) {
	in := &tok{InputCol: "text", Gaps: ml.Bool(false), MinLen: ml.Int(0), Words: []string{}, Missing: ml.Float(math.Inf(-1))}
	set, defaults := ml.SplitParams(in)
	js, err := json.Marshal(map[string]any{"paramMap": set, "defaultParamMap": defaults})
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"defaultParamMap":{"pattern":"\\s+","quoted":"a,b","seed":0},"paramMap":{"gaps":false,"inputCol":"text","minLen":0,"missing":"-Infinity","threshold":0,"values":null,"words":[]}}`
	if string(js) != want {
		t.Fatalf("got  %s\nwant %s", js, want)
	}
	var raw struct{ ParamMap, DefaultParamMap map[string]json.RawMessage }
	if err := json.Unmarshal(js, &raw); err != nil {
		t.Fatal(err)
	}
	out := &tok{}
	if err := ml.SetSavedParams(out, raw.ParamMap, raw.DefaultParamMap); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip: %+v, want %+v", out, in)
	}
	if out.Words == nil {
		t.Fatal("an empty list came back as nil (unset)")
	}
}

func TestSetSavedParamsRefuses(t *testing.T) {
	cases := []struct {
		set, defaults string
		want          string
	}{
		{`{"nope":1}`, `{}`, `unknown parameter "nope"`},
		{`{"minLen":"1"}`, `{}`, "paramMap: parameter minLen: want an integer"},
		{`{"minLen":-1}`, `{}`, "paramMap: parameter minLen: must be ≥ 0, got -1"},
		{`{"minLen":1.5}`, `{}`, "parameter minLen: want an integer, got 1.5"},
		{`{"gaps":null}`, `{}`, ""}, // null: unset
		{`{"threshold":"NaN"}`, `{}`, "parameter threshold: must be a number, got NaN"},
		{`{"inputCol":""}`, `{}`, "paramMap: parameter inputCol: must not be empty"},
		{`{"pattern":""}`, `{}`, "parameter pattern: must not be empty"},
		{`{"seed":9007199254740993}`, `{}`, ""},
		{`{}`, `{"threshold":0}`, ""}, // set; Spark lists defaults of set parameters too
		{`{"gaps":true}`, `{"gaps":false}`, ""},
		{`{}`, `{"minLen":"x"}`, "defaultParamMap: parameter minLen: want an integer"},
		{`{}`, `{"gaps":null}`, "defaultParamMap: parameter gaps: null is not a default (its default is true)"},
		{`{}`, `{"pattern":"\\w+"}`, ""}, // another default: set, to behave as saved
		{`{}`, `{"pattern":""}`, `defaultParamMap: parameter pattern was saved with default "", this build's is \s+`},
		{`{}`, `{"seed":0}`, ""},
		{`{}`, `{"gaps":false}`, ""},
		{`{"inputCol":null}`, `{}`, "paramMap: parameter inputCol: want a string, got null"},
		{`-{"threshold":0, "words":null, "values":null}`, `{}`, "paramMap: parameter inputCol is missing"},
	}
	// Every parameter without a default is always saved: the cases add
	// those they do not name (a leading - says to add none).
	required := map[string]string{"inputCol": `"x"`, "threshold": "0", "words": "null", "values": "null"}
	for _, c := range cases {
		var set, defaults map[string]json.RawMessage
		src, add := c.set, true
		if strings.HasPrefix(src, "-") {
			src, add = src[1:], false
		}
		if err := json.Unmarshal([]byte(src), &set); err != nil {
			t.Fatal(err)
		}
		if add {
			for k, v := range required {
				if _, ok := set[k]; !ok {
					set[k] = json.RawMessage(v)
				}
			}
		}
		if err := json.Unmarshal([]byte(c.defaults), &defaults); err != nil {
			t.Fatal(err)
		}
		st := &tok{}
		err := ml.SetSavedParams(st, set, defaults)
		if c.want == "" {
			if err != nil {
				t.Errorf("%s %s: %v", c.set, c.defaults, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: error %v, want %q", c.set, c.defaults, err, c.want)
		}
	}
	// A large seed keeps every digit; a changed default is set.
	st := &tok{}
	set := map[string]json.RawMessage{"seed": json.RawMessage("9007199254740993")}
	for k, v := range required {
		set[k] = json.RawMessage(v)
	}
	if err := ml.SetSavedParams(st, set, map[string]json.RawMessage{"pattern": json.RawMessage(`"\\w+"`), "gaps": json.RawMessage("false")}); err != nil {
		t.Fatal(err)
	}
	if st.Seed != 9007199254740993 || st.Pattern != `\w+` || st.Gaps == nil || *st.Gaps {
		t.Fatalf("%+v", st)
	}
}

type lostZero struct {
	// 0 is allowed and is not the default: a written 0 would be lost.
	RelativeError float64 `param:"default=0.001,min=0"`
}

func (*lostZero) OutputSchema(in *table.Schema) (*table.Schema, error) { return in, nil }

type untagged struct {
	InputCol string `param:""`
	Weights  []float64
}

func (*untagged) OutputSchema(in *table.Schema) (*table.Schema, error) { return in, nil }

type listDefault struct {
	Words []string `param:"default=a"`
}

func (*listDefault) OutputSchema(in *table.Schema) (*table.Schema, error) { return in, nil }

type refusedZero struct {
	// 0 is refused, so the zero value can stand for the default.
	NumFeatures int     `param:"default=262144,gt=0"`
	Col         string  `param:"default=features,nonempty"`
	Family      string  `param:"default=auto,oneOf=auto|binomial"`
	Max         *int    `param:"default=5,min=0"`
	Free        float64 `param:"default=0"`
}

func (*refusedZero) OutputSchema(in *table.Schema) (*table.Schema, error) { return in, nil }

// TestRegisterParamRules: Register refuses a parameter whose written zero
// would read as its default, a field that is neither a parameter nor a
// callback, a list default; it accepts zero values that stand for their
// defaults because they cannot be written.
func TestRegisterParamRules(t *testing.T) {
	for _, c := range []struct {
		name string
		new  func() any
		want string
	}{
		{"test.LostZero", func() any { return new(lostZero) }, "field RelativeError: its zero value is allowed and differs from its default 0.001"},
		{"test.Untagged", func() any { return new(untagged) }, "field Weights is neither a parameter"},
		{"test.ListDefault", func() any { return new(listDefault) }, "cannot declare a default"},
	} {
		func() {
			defer func() {
				got, _ := recover().(string)
				if !strings.Contains(got, c.want) {
					t.Errorf("%s: panic %q, want %q", c.name, got, c.want)
				}
			}()
			ml.Register(ml.Registration{Name: c.name, New: c.new})
		}()
	}
	ml.Register(ml.Registration{Name: "test.RefusedZero", New: func() any { return new(refusedZero) }})
	if _, ok := ml.Lookup("test.RefusedZero"); !ok {
		t.Fatal("not registered")
	}
}

// TestOneOfEscapedBar: a oneOf value may hold "|" written `\|`.
func TestOneOfEscapedBar(t *testing.T) {
	type stage struct {
		Mode string `param:"default=k-means||,oneOf=random|k-means\\|\\||a\\b"`
	}
	ps := ml.ParamsOf(&stage{})
	if got, want := ps[0].Rule.OneOf, []string{"random", "k-means||", `a\b`}; !slices.Equal(got, want) {
		t.Fatalf("oneOf %q, want %q", got, want)
	}
	if ps[0].Default != "k-means||" {
		t.Fatalf("default %q", ps[0].Default)
	}
}
