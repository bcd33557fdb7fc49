package ml_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

func TestExpandColumns(t *testing.T) {
	var fields []table.Field
	for _, n := range []string{"id", "pixel1", "pixel2", "pixel10", "label", "a*b", "speed_mph", "speed_km/h", "labelIndex", "x.y", "[z]"} {
		fields = append(fields, table.Field{Name: n, Type: table.Float64})
	}
	s, err := table.NewSchema(fields...)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		in      []string
		exclude []string
		want    string
		err     string
		left    string
	}{
		{[]string{"pixel*"}, nil, "pixel1,pixel2,pixel10", "", ""},
		{[]string{"id", "pixel?"}, nil, "id,pixel1,pixel2", "", ""},
		{[]string{"/pixel[0-9]+/"}, nil, "pixel1,pixel2,pixel10", "", ""},
		{[]string{"/pixel1/"}, nil, "pixel1", "", ""}, // anchored: not pixel10
		{[]string{"pixel1", "pixel*"}, nil, "pixel1,pixel2,pixel10", "", ""},
		{[]string{"a*b"}, nil, "a*b", "", ""}, // an exact name wins
		{[]string{"[il]*"}, nil, "id,label,labelIndex", "", ""},
		{[]string{"id", "label"}, nil, "id,label", "", ""},
		{[]string{"q*"}, nil, "", `column pattern "q*" matches no column (have id, pixel1`, ""},
		{[]string{"/(/"}, nil, "", "column pattern /(/: error parsing regexp", ""},
		{[]string{"[a"}, nil, "", `column pattern "[a"`, ""},
		// A glob is not a path: * and ? match "/" too.
		{[]string{"speed*"}, nil, "speed_mph,speed_km/h", "", ""},
		{[]string{"speed_km?h"}, nil, "speed_km/h", "", ""},
		{[]string{"x.?"}, nil, "x.y", "", ""},   // . is literal
		{[]string{"\\[z]"}, nil, "[z]", "", ""}, // \ escapes
		{[]string{"[!ip]*"}, nil, "label,a*b,speed_mph,speed_km/h,labelIndex,x.y,[z]", "", ""},
		// A pattern never selects the label or what the run derives from it.
		{[]string{"*"}, []string{"label", "labelIndex"}, "id,pixel1,pixel2,pixel10,a*b,speed_mph,speed_km/h,x.y,[z]", "", "label,labelIndex"},
		{[]string{"/.*/"}, []string{"label", "labelIndex"}, "id,pixel1,pixel2,pixel10,a*b,speed_mph,speed_km/h,x.y,[z]", "", "label,labelIndex"},
		{[]string{"label", "pixel1"}, []string{"label"}, "label,pixel1", "", ""}, // named outright
		{[]string{"lab*"}, []string{"label", "labelIndex"}, "", `column pattern "lab*" matches only label, labelIndex, which a pattern never selects`, ""},
	} {
		got, left, err := ml.ExpandColumns(s, c.in, c.exclude...)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%v: %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || strings.Join(got, ",") != c.want || strings.Join(left, ",") != c.left {
			t.Errorf("%v: %v (left %v) %v, want %s (left %s)", c.in, got, left, err, c.want, c.left)
		}
	}
	if !slices.Equal([]bool{ml.IsColumnPattern("p*"), ml.IsColumnPattern("/x/"), ml.IsColumnPattern("plain"), ml.IsColumnPattern("/")}, []bool{true, true, false, false}) {
		t.Fatal("IsColumnPattern")
	}
}
