package pipeline_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spindle-ml/spindle/classification"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/feature"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/pipeline"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

// Example uses Spindle as a library: a pipeline of feature stages and a
// classifier is fitted on the embedded engine, saved, loaded back and
// used to score new rows — what `spindle run` and `spindle predict` do
// from a spec.
func Example() {
	ctx := context.Background()
	text := []string{"win money now", "meeting at noon", "free prize click", "lunch with the team", "cheap pills free", "review my patch"}
	label := []string{"spam", "ham", "spam", "ham", "spam", "ham"}
	schema, err := table.NewSchema(table.Field{Name: "text", Type: table.String}, table.Field{Name: "label", Type: table.String})
	if err != nil {
		fmt.Println(err)
		return
	}
	b, err := table.NewBatch(schema, []table.Column{table.NewStringColumn(text, nil), table.NewStringColumn(label, nil)})
	if err != nil {
		fmt.Println(err)
		return
	}
	tb, err := table.New(schema, b)
	if err != nil {
		fmt.Println(err)
		return
	}
	e := &local.Engine{}
	ds, err := e.FromTable(ctx, tb)
	if err != nil {
		fmt.Println(err)
		return
	}

	p := &pipeline.Pipeline{Stages: []any{
		&feature.StringIndexer{InputCol: "label", OutputCol: "y"}, // spam, ham by frequency: ham 0, spam 1 (ties alphabetical)
		&feature.RegexTokenizer{InputCol: "text", OutputCol: "words", Pattern: `\W+`},
		&feature.HashingTF{InputCol: "words", OutputCol: "features", NumFeatures: 64},
		&classification.LogisticRegression{LabelCol: "y", RegParam: 0.01},
	}}
	m, err := p.Fit(ctx, e, ds)
	if err != nil {
		fmt.Println(err)
		return
	}

	dir, err := os.MkdirTemp("", "spindle-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	st := storage.New(storage.Options{})
	if err := pipeline.Save(ctx, st, filepath.Join(dir, "model"), m, pipeline.SaveOptions{}); err != nil {
		fmt.Println(err)
		return
	}
	loaded, err := pipeline.Load(ctx, st, filepath.Join(dir, "model"))
	if err != nil {
		fmt.Println(err)
		return
	}

	scored, err := ml.Transform(ctx, e, ds, loaded)
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := e.Collect(ctx, scored)
	if err != nil {
		fmt.Println(err)
		return
	}
	ti, pi := res.Schema().Index("text"), res.Schema().Index("prediction")
	for _, r := range res.Rows() {
		fmt.Printf("%-20s %v\n", r[ti], r[pi])
	}
	// Output:
	// win money now        1
	// meeting at noon      0
	// free prize click     1
	// lunch with the team  0
	// cheap pills free     1
	// review my patch      0
}
