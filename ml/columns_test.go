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
	for _, n := range []string{"id", "pixel1", "pixel2", "pixel10", "label", "a*b"} {
		fields = append(fields, table.Field{Name: n, Type: table.Float64})
	}
	s, err := table.NewSchema(fields...)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		in   []string
		want string
		err  string
	}{
		{[]string{"pixel*"}, "pixel1,pixel2,pixel10", ""},
		{[]string{"id", "pixel?"}, "id,pixel1,pixel2", ""},
		{[]string{"/pixel[0-9]+/"}, "pixel1,pixel2,pixel10", ""},
		{[]string{"/pixel1/"}, "pixel1", ""}, // anchored: not pixel10
		{[]string{"pixel1", "pixel*"}, "pixel1,pixel2,pixel10", ""},
		{[]string{"a*b"}, "a*b", ""}, // an exact name wins
		{[]string{"[il]*"}, "id,label", ""},
		{[]string{"id", "label"}, "id,label", ""},
		{[]string{"x*"}, "", `column pattern "x*" matches no column (have id, pixel1`},
		{[]string{"/(/"}, "", "column pattern /(/: error parsing regexp"},
		{[]string{"[a"}, "", `column pattern "[a"`},
	} {
		got, err := ml.ExpandColumns(s, c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%v: %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || strings.Join(got, ",") != c.want {
			t.Errorf("%v: %v %v, want %s", c.in, got, err, c.want)
		}
	}
	if !slices.Equal([]bool{ml.IsColumnPattern("p*"), ml.IsColumnPattern("/x/"), ml.IsColumnPattern("plain"), ml.IsColumnPattern("/")}, []bool{true, true, false, false}) {
		t.Fatal("IsColumnPattern")
	}
}
