package feature

import (
	"context"
	"testing"

	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/linalg"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/table"
)

// TestEstimatorSchemas: an estimator's OutputSchema is the schema its
// fitted model produces, and it fails on the same bad input.
func TestEstimatorSchemas(t *testing.T) {
	ctx := context.Background()
	e := &local.Engine{}
	schema, _ := table.NewSchema(
		table.Field{Name: "s", Type: table.String},
		table.Field{Name: "x", Type: table.Float64},
		table.Field{Name: "words", Type: table.StringList},
		table.Field{Name: "v", Type: table.Vector},
	)
	n := 30
	s, x, w, v := make([]string, n), make([]float64, n), make([][]string, n), make([]linalg.Vector, n)
	for i := range s {
		s[i] = []string{"a", "b", "c"}[i%3]
		x[i] = float64(i % 4)
		w[i] = []string{"free", "money", "now", "linux", "patch"}[i%5 : i%5+1]
		w[i] = append(w[i], "free", "the")
		v[i] = linalg.Dense([]float64{float64(i), float64(i % 3), 1})
	}
	b, err := table.NewBatch(schema, []table.Column{table.NewStringColumn(s, nil), table.NewFloat64Column(x, nil), table.NewStringListColumn(w, nil), table.NewVectorColumn(v, nil)})
	if err != nil {
		t.Fatal(err)
	}
	tb, _ := table.New(schema, b)
	ds := tabletest.Dataset(t, e, tb)
	ests := []interface {
		ml.Estimator
		OutputSchema(*table.Schema) (*table.Schema, error)
	}{
		&StringIndexer{InputCol: "s", OutputCol: "si"},
		&CountVectorizer{InputCol: "words", OutputCol: "cv", MinDF: ml.Float(1)},
		&IDF{InputCol: "v", OutputCol: "idf"},
		&Word2Vec{InputCol: "words", OutputCol: "w2v", VectorSize: 4, MinCount: ml.Int(1)},
		&StandardScaler{InputCol: "v", OutputCol: "std"},
		&MinMaxScaler{InputCol: "v", OutputCol: "mm"},
		&MaxAbsScaler{InputCol: "v", OutputCol: "ma"},
		&Imputer{InputCol: "x", OutputCol: "xi"},
		&OneHotEncoder{InputCol: "x", OutputCol: "oh"},
	}
	for _, est := range ests {
		want, err := est.OutputSchema(schema)
		if err != nil {
			t.Fatalf("%T: %v", est, err)
		}
		m, err := est.Fit(ctx, e, ds)
		if err != nil {
			t.Fatalf("%T: %v", est, err)
		}
		got, err := m.OutputSchema(schema)
		if err != nil || got.String() != want.String() {
			t.Errorf("%T: before fitting %v, fitted %v (%v)", est, want, got, err)
		}
		// The wrong input type is refused before fitting.
		bad, _ := table.NewSchema(table.Field{Name: "s", Type: table.StringList}, table.Field{Name: "x", Type: table.String},
			table.Field{Name: "words", Type: table.String}, table.Field{Name: "v", Type: table.String})
		if _, err := est.OutputSchema(bad); err == nil {
			t.Errorf("%T accepted a wrong input type", est)
		}
	}
}
