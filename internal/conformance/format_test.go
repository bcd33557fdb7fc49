package conformance_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/engine"
	"github.com/spindle-ml/spindle/internal/learned"
	"github.com/spindle-ml/spindle/ml"
)

const (
	beginColumns = "<!-- BEGIN GENERATED: learned columns (go test ./internal/conformance; SPINDLE_UPDATE_DOCS=1 rewrites it) -->"
	endColumns   = "<!-- END GENERATED: learned columns -->"
)

// TestModelFormatDoc: docs/model-format.md lists, for every registered
// stage a saved model can hold, its parameters and the columns of its
// learned data with their Arrow types, as this build writes them. The
// list is generated from the registry; a stage whose format changes
// without the document changing fails here (SPINDLE_UPDATE_DOCS=1
// rewrites the list).
func TestModelFormatDoc(t *testing.T) {
	var saved []reflect.Type
	seen := map[reflect.Type]bool{}
	for _, reg := range registrations(t) {
		for _, v := range []any{reg.New(), reg.Model} {
			if _, ok := v.(engine.Mapper); !ok || v == nil {
				continue
			}
			if typ := reflect.TypeOf(v); !seen[typ] {
				seen[typ] = true
				saved = append(saved, typ)
			}
		}
	}
	slices.SortFunc(saved, func(a, b reflect.Type) int {
		return strings.Compare(reflect.New(a.Elem()).Interface().(engine.Kernel).KernelName(), reflect.New(b.Elem()).Interface().(engine.Kernel).KernelName())
	})
	var b strings.Builder
	b.WriteString(beginColumns + "\n\n")
	b.WriteString("| class | parameters (default) | learned data columns (Arrow type) |\n| --- | --- | --- |\n")
	for _, typ := range saved {
		v := reflect.New(typ.Elem()).Interface()
		var params []string
		for _, p := range ml.ParamsOf(v) {
			if p.HasDefault() {
				params = append(params, fmt.Sprintf("%s (%v)", p.Name, p.Default))
			} else {
				params = append(params, p.Name)
			}
		}
		schema, err := learned.Schema(typ)
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		var cols []string
		for _, c := range learned.Columns(schema) {
			cols = append(cols, fmt.Sprintf("`%s`: `%s`", c.Name, strings.ReplaceAll(c.Type, "|", `\|`)))
		}
		if len(cols) == 0 {
			cols = []string{"— (no data file)"}
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", v.(engine.Kernel).KernelName(), strings.ReplaceAll(strings.Join(params, ", "), "|", `\|`), strings.Join(cols, "<br>"))
	}
	b.WriteString("\n" + endColumns)
	path := filepath.Join("..", "..", "docs", "model-format.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i, j := strings.Index(string(doc), beginColumns), strings.Index(string(doc), endColumns)
	if i < 0 || j < i {
		t.Fatalf("%s: no generated section (%q … %q)", path, beginColumns, endColumns)
	}
	got := string(doc[i : j+len(endColumns)])
	if got == b.String() {
		return
	}
	if os.Getenv("SPINDLE_UPDATE_DOCS") != "" {
		out := string(doc[:i]) + b.String() + string(doc[j+len(endColumns):])
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s: the list of saved stages is out of date; rerun with SPINDLE_UPDATE_DOCS=1", path)
}
