package serve

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/table"
)

// FuzzDecodeRequest feeds arbitrary bodies to the JSON and CSV request
// decoders over a schema of every input type, and to a whole server: no
// body may panic, and every refusal is a client error (4xx) with a JSON
// error.
func FuzzDecodeRequest(f *testing.F) {
	for _, c := range malformedCases() {
		if len(c.body) < 4096 {
			f.Add(c.body)
		}
	}
	for _, s := range []string{
		`{"s":"a","i":1,"f":1.5,"b":true,"l":["x"],"v":{"type":1,"values":[1,2]}}`,
		`[{"s":"a","i":-3,"f":"NaN","b":false,"l":[],"v":{"type":0,"size":3,"indices":[1],"values":[2]}}]`,
		`{"s":null,"i":null,"f":null,"b":null,"l":null,"v":null}`,
		"s,i,f,b\na,1,2.5,true\n,,,\n",
		`{"text":"win money now"}`, `[{"text":"a"},{"text":"b"}]`, "text\nhello\n",
	} {
		f.Add(s)
	}
	schema, err := table.NewSchema(
		table.Field{Name: "s", Type: table.String}, table.Field{Name: "i", Type: table.Int64},
		table.Field{Name: "f", Type: table.Float64}, table.Field{Name: "b", Type: table.Bool},
		table.Field{Name: "l", Type: table.StringList}, table.Field{Name: "v", Type: table.Vector})
	if err != nil {
		f.Fatal(err)
	}
	csvSchema, _ := schema.Select("s", "i", "f", "b")
	dir := filepath.Join(f.TempDir(), "m")
	saveModel(f, dir, 3)
	s := newServer(f, Options{MaxRows: 50, MaxBodyBytes: 1 << 16}, ModelSource{Name: "m", Dir: dir})
	f.Fuzz(func(t *testing.T, body string) {
		for _, c := range []struct {
			decode func([]byte, *table.Schema, int) (*table.Batch, error)
			schema *table.Schema
		}{{decodeJSON, schema}, {decodeCSV, csvSchema}} {
			b, err := c.decode([]byte(body), c.schema, 50)
			if err != nil {
				if _, ok := errors.AsType[*requestError](err); !ok {
					t.Fatalf("not a request error: %v", err)
				}
				continue
			}
			if b.NumRows() < 1 || b.NumRows() > 50 || b.Schema() != c.schema {
				t.Fatalf("%d rows, schema %v", b.NumRows(), b.Schema())
			}
		}
		for _, ct := range []string{"application/json", "text/csv"} {
			r := httptest.NewRequest("POST", "/v1/models/m:predict", strings.NewReader(body))
			r.Header.Set("Content-Type", ct)
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			if w.Code != 200 && (w.Code < 400 || w.Code > 499 || !strings.HasPrefix(w.Body.String(), `{"error":`)) {
				t.Fatalf("%s: status %d %q", ct, w.Code, w.Body.String())
			}
		}
	})
}

// FuzzUnquote: for every valid JSON string literal, unquote gives what
// json.Unmarshal gives.
func FuzzUnquote(f *testing.F) {
	for _, s := range []string{`"abc"`, `"a\nb\t\"c\\"`, `"\u00e9\ud83d\ude00"`, `"\ud83d"`, `"\udc00x"`, "\"\xff\xfe\"", `"\/\b\f\r"`, `"\ud83d\u0041"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		var want string
		if json.Unmarshal([]byte(raw), &want) != nil || len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
			return
		}
		if got := unquote([]byte(raw)); got != want {
			t.Fatalf("unquote(%q) = %q, json.Unmarshal gives %q", raw, got, want)
		}
	})
}
