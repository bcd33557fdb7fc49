package feature

import (
	"reflect"
	"testing"

	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

// TestSlotNames: a report names the slots of an assembled feature vector
// after the columns that made each one, through the stages before the
// assembler; a vector of unknown size leaves the whole unnamed rather
// than misnamed.
func TestSlotNames(t *testing.T) {
	in, err := table.NewSchema(table.Field{Name: "words", Type: table.StringList}, table.Field{Name: "age", Type: table.Float64},
		table.Field{Name: "plan", Type: table.Float64}, table.Field{Name: "raw", Type: table.Vector})
	if err != nil {
		t.Fatal(err)
	}
	stages := []ml.Transformer{
		&HashingTF{InputCol: "words", OutputCol: "tf", NumFeatures: 3},
		&IDFModel{InputCol: "tf", OutputCol: "tfidf", IDF: []float64{1, 2, 3}, DocFreq: []int64{1, 1, 1}, NumDocs: 3},
		&OneHotEncoderModel{InputCols: []string{"plan"}, OutputCols: []string{"plan_vec"}, CategorySizes: []int{3}, DropLast: true},
		&VectorAssembler{InputCols: []string{"age", "plan_vec", "tfidf"}, OutputCol: "features"},
		&VectorAssembler{InputCols: []string{"age", "raw"}, OutputCol: "withRaw"},
	}
	got := ml.SlotsOf(in, stages, "features", nil)
	want := []string{"age", "plan=0", "plan=1", "tf[0]", "tf[1]", "tf[2]"}
	if !reflect.DeepEqual(got.Names(), want) || got.Copies {
		t.Fatalf("features: %v (copies %v), want %v", got.Names(), got.Copies, want)
	}
	if s := ml.SlotsOf(in, stages, "withRaw", nil); s != nil {
		t.Fatalf("a raw vector of unknown size: %v, want no names", s.Names())
	}
	raw := func(c string) *ml.Slots { s := ml.IndexedSlots(c, 2); s.Copies = true; return s }
	if s := ml.SlotsOf(in, stages, "withRaw", raw); !reflect.DeepEqual(s.Names(), []string{"age", "raw[0]", "raw[1]"}) || !s.Copies {
		t.Fatalf("a raw vector of known size: %v", s.Names())
	}
}
