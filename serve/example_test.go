package serve_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/spindle-ml/spindle/classification"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/feature"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/pipeline"
	"github.com/spindle-ml/spindle/serve"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

// A saved pipeline served from a Go program: serve.New is an
// http.Handler, here behind an httptest server.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "serve-example")
	defer os.RemoveAll(dir)
	model := filepath.Join(dir, "spam")

	// Train and save a tiny text classifier (what 'spindle run' does).
	texts := []string{"win money now", "free prize click", "lunch at noon", "kernel patch review"}
	var text []string
	var y []float64
	for i := range 40 {
		text = append(text, texts[i%4])
		y = append(y, float64(1-(i%4)/2))
	}
	schema, _ := table.NewSchema(table.Field{Name: "text", Type: table.String}, table.Field{Name: "y", Type: table.Float64})
	b, _ := table.NewBatch(schema, []table.Column{table.NewStringColumn(text, nil), table.NewFloat64Column(y, nil)})
	tb, _ := table.New(schema, b)
	e := &local.Engine{}
	ds, _ := e.FromTable(ctx, tb)
	fitted, err := (&pipeline.Pipeline{Stages: []any{
		&feature.RegexTokenizer{InputCol: "text", OutputCol: "words", Pattern: `\W+`},
		&feature.HashingTF{InputCol: "words", OutputCol: "features", NumFeatures: 32},
		&classification.LogisticRegression{LabelCol: "y", MaxIter: ml.Int(20)},
	}}).Fit(ctx, e, ds)
	if err != nil {
		fmt.Println(err)
		return
	}
	fitted.Stages = append(fitted.Stages, &feature.IndexToString{InputCol: "prediction", OutputCol: "predictedLabel", Labels: []string{"ham", "spam"}})
	fitted.Input, _ = schema.Select("text")
	st := storage.New(storage.Options{})
	if err := pipeline.Save(ctx, st, model, fitted, pipeline.SaveOptions{}); err != nil {
		fmt.Println(err)
		return
	}

	// Serve it.
	srv, err := serve.New(ctx, st, []serve.ModelSource{{Name: "spam", Dir: model}}, serve.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Println(err)
		return
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	resp, err := hs.Client().Post(hs.URL+"/v1/models/spam:predict", "application/json",
		strings.NewReader(`[{"text":"win a free prize"},{"text":"patch review at noon"}]`))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status)
	for _, label := range []string{`"predictedLabel":"spam"`, `"predictedLabel":"ham"`} {
		fmt.Println(label, strings.Contains(string(body), label))
	}
	// Output:
	// 200 OK
	// "predictedLabel":"spam" true
	// "predictedLabel":"ham" true
}
