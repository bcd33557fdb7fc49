package serve

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spindle-ml/spindle/classification"
	"github.com/spindle-ml/spindle/engine/local"
	"github.com/spindle-ml/spindle/feature"
	"github.com/spindle-ml/spindle/format/jsonl"
	"github.com/spindle-ml/spindle/internal/tabletest"
	"github.com/spindle-ml/spindle/ml"
	"github.com/spindle-ml/spindle/pipeline"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

var texts = []string{"win money now", "free offer click here", "cheap pills free", "click to win a prize", "money back offer now",
	"meeting at noon tomorrow", "the linux kernel patch", "lunch with the team", "review my patch please", "see you at the meeting"}

// corpus is a small labelled text table: y is 1 for the first five texts.
func corpus(t testing.TB) *table.Table {
	var text []string
	var y []float64
	for i := range 80 {
		text = append(text, texts[i%len(texts)])
		y = append(y, float64(1-(i%len(texts))/5))
	}
	return tabletest.Table(t, []table.Field{{Name: "text", Type: table.String}, {Name: "y", Type: table.Float64}},
		table.NewStringColumn(text, nil), table.NewFloat64Column(y, nil))
}

// saveModel fits a text pipeline (maxIter iterations of logistic
// regression) and saves it to dir with its labels and input schema.
func saveModel(t testing.TB, dir string, maxIter int) *pipeline.PipelineModel {
	t.Helper()
	ctx := context.Background()
	e := &local.Engine{}
	tb := corpus(t)
	p := &pipeline.Pipeline{Stages: []any{
		&feature.RegexTokenizer{InputCol: "text", OutputCol: "words", Pattern: `\W+`},
		&feature.HashingTF{InputCol: "words", OutputCol: "tf", NumFeatures: 64},
		&feature.IDF{InputCol: "tf", OutputCol: "features"},
		&classification.LogisticRegression{LabelCol: "y", MaxIter: ml.Int(maxIter), RegParam: 0.01},
	}}
	m, err := p.Fit(ctx, e, tabletest.Dataset(t, e, tb))
	if err != nil {
		t.Fatal(err)
	}
	m.Stages = append(m.Stages, &feature.IndexToString{InputCol: "prediction", OutputCol: "predictedLabel", Labels: []string{"ham", "spam"}})
	if m.Input, err = tb.Schema().Select(m.InputColumns()...); err != nil {
		t.Fatal(err)
	}
	if err := pipeline.Save(ctx, storage.New(storage.Options{}), dir, m, pipeline.SaveOptions{Overwrite: true, RunID: fmt.Sprintf("iter%d", maxIter),
		Extra: map[string][]byte{"metrics.json": []byte(`{"name":"lr","test":{"accuracy":1},"roc":[[0,0],[1,1]],"tuning":{"best":{"maxIter":5},"foldMetrics":[[1]]}}`)}}); err != nil {
		t.Fatal(err)
	}
	return m
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func newServer(t testing.TB, o Options, sources ...ModelSource) *Server {
	t.Helper()
	o.Logger = quiet()
	s, err := New(context.Background(), storage.New(storage.Options{}), sources, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// post sends body to h and returns the status and answer.
func post(h http.Handler, path, contentType, body string, header ...string) (int, string) {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, w.Body.String()
}

func get(h http.Handler, path string, header ...string) (int, string) {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, w.Body.String()
}

type answer struct {
	Model       string                       `json:"model"`
	Predictions []map[string]json.RawMessage `json:"predictions"`
}

func decodeAnswer(t testing.TB, body string) answer {
	t.Helper()
	var a answer
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		t.Fatalf("answer %q: %v", body, err)
	}
	return a
}

// TestPredictSameAsTransform: every way of sending rows (one object, an
// array, CSV) gets, byte for byte, the values the engine's Transform
// writes to JSON Lines for the same rows.
func TestPredictSameAsTransform(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m")
	m := saveModel(t, dir, 20)
	s := newServer(t, Options{}, ModelSource{Name: "m", Dir: dir})

	// The reference: the engine's Transform, written as JSON Lines.
	ctx := context.Background()
	e := &local.Engine{}
	tb := corpus(t)
	out, err := ml.Transform(ctx, e, tabletest.Dataset(t, e, tb), m)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Collect(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	// The classifier makes every prediction column but a topic model's;
	// the comparisons below skip only columns the model does not make.
	for _, k := range []string{"rawPrediction", "probability", "prediction", "predictedLabel"} {
		if res.Schema().Index(k) < 0 {
			t.Fatalf("the model's output has no %s column: %v", k, res.Schema().Names())
		}
	}
	var ref bytes.Buffer
	if err := jsonl.Write(&ref, res); err != nil {
		t.Fatal(err)
	}
	var want []map[string]json.RawMessage
	for line := range strings.SplitSeq(strings.TrimSpace(ref.String()), "\n") {
		var row map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatal(err)
		}
		want = append(want, row)
	}

	var batch []map[string]any
	var csvBody strings.Builder
	csvBody.WriteString("id,text\n")
	for i, r := range tb.Rows() {
		batch = append(batch, map[string]any{"text": r[0], "id": i})
		fmt.Fprintf(&csvBody, "%d,%q\n", i, r[0])
	}
	js, _ := json.Marshal(batch)
	var got []map[string]json.RawMessage
	code, body := post(s, "/v1/models/m:predict", "application/json", string(js))
	if code != 200 {
		t.Fatalf("batch: %d %s", code, body)
	}
	got = decodeAnswer(t, body).Predictions
	code, body = post(s, "/v1/models/m:predict", "text/csv", csvBody.String())
	if code != 200 {
		t.Fatalf("csv: %d %s", code, body)
	}
	csvGot := decodeAnswer(t, body).Predictions
	if len(got) != len(want) || len(csvGot) != len(want) {
		t.Fatalf("%d and %d predictions for %d rows", len(got), len(csvGot), len(want))
	}
	spam := 0
	for i := range want {
		one, _ := json.Marshal(batch[i])
		code, body := post(s, "/v1/models/m:predict", "", string(one))
		if code != 200 {
			t.Fatalf("row %d: %d %s", i, code, body)
		}
		single := decodeAnswer(t, body).Predictions
		for _, k := range pipeline.PredictionColumns() {
			if res.Schema().Index(k) < 0 {
				continue // a column this model does not make (topicDistribution)
			}
			w := string(want[i][k])
			if w == "" || string(got[i][k]) != w || string(csvGot[i][k]) != w || len(single) != 1 || string(single[0][k]) != w {
				t.Fatalf("row %d %s: Transform %s, batch %s, CSV %s, single %s", i, k, w, got[i][k], csvGot[i][k], single[0][k])
			}
		}
		if string(got[i]["predictedLabel"]) == `"spam"` {
			spam++
		}
	}
	if spam != len(want)/2 {
		t.Fatalf("%d of %d rows predicted spam, want half", spam, len(want))
	}
}

// malformed is a request the server must refuse with status and an error
// naming what is wrong.
type malformed struct {
	name        string
	method      string
	path        string
	contentType string
	body        string
	header      []string
	status      int
	msg         string
}

func malformedCases() []malformed {
	p := "/v1/models/m:predict"
	huge := `{"text":"` + strings.Repeat("a", 2<<20) + `"}`
	many := "[" + strings.Repeat(`{"text":"a"},`, 1000) + `{"text":"a"}]`
	return []malformed{
		{"empty body", "POST", p, "", "", nil, 400, "body: empty"},
		{"spaces only", "POST", p, "", "  \n\t ", nil, 400, "body: empty"},
		{"truncated object", "POST", p, "", `{"text":"hello`, nil, 400, "not valid JSON"},
		{"truncated array", "POST", p, "", `[{"text":"a"},`, nil, 400, "not valid JSON"},
		{"trailing garbage", "POST", p, "", `{"text":"a"} x`, nil, 400, "not valid JSON"},
		{"two objects", "POST", p, "", `{"text":"a"}{"text":"b"}`, nil, 400, "not valid JSON"},
		{"bare string", "POST", p, "", `"hello"`, nil, 400, "got a string"},
		{"bare number", "POST", p, "", `42`, nil, 400, "got a number"},
		{"bare null", "POST", p, "", `null`, nil, 400, "got null"},
		{"bare true", "POST", p, "", `true`, nil, 400, "got a boolean"},
		{"not json", "POST", p, "", `text=hello`, nil, 400, "not valid JSON"},
		{"single quotes", "POST", p, "", `{'text':'a'}`, nil, 400, "not valid JSON"},
		{"empty array", "POST", p, "", `[]`, nil, 400, "empty array"},
		{"array of strings", "POST", p, "", `["a","b"]`, nil, 400, "row 1: want a JSON object"},
		{"array with null", "POST", p, "", `[{"text":"a"},null]`, nil, 400, "row 2: want a JSON object"},
		{"nested array", "POST", p, "", `[[{"text":"a"}]]`, nil, 400, "row 1: want a JSON object"},
		{"missing column", "POST", p, "", `{"txt":"a"}`, nil, 400, `missing column "text"`},
		{"missing in row 3", "POST", p, "", `[{"text":"a"},{"text":"b"},{}]`, nil, 400, `row 3: missing column "text"`},
		{"number for string", "POST", p, "", `{"text":12}`, nil, 400, `column "text": want a string, got a number`},
		{"bool for string", "POST", p, "", `{"text":true}`, nil, 400, `column "text": want a string, got a boolean`},
		{"array for string", "POST", p, "", `{"text":["a"]}`, nil, 400, `column "text": want a string, got an array`},
		{"object for string", "POST", p, "", `{"text":{"a":1}}`, nil, 400, `column "text": want a string, got an object`},
		{"wrong type in row 2", "POST", p, "", `[{"text":"a"},{"text":1.5}]`, nil, 400, `row 2: column "text"`},
		{"null text", "POST", p, "", `{"text":null}`, nil, 400, "request: row 1"},
		{"bad escape", "POST", p, "", `{"text":"\x"}`, nil, 400, "not valid JSON"},
		{"control char", "POST", p, "", "{\"text\":\"a\x01b\"}", nil, 400, "not valid JSON"},
		{"invalid utf8 key", "POST", p, "", "{\"te\xffxt\":\"a\"}", nil, 400, `missing column "text"`},
		{"too many rows", "POST", p, "", many, nil, 400, "1001 rows is more than the 1000"},
		{"huge body", "POST", p, "", huge, nil, 413, "more than the 1048576"},
		{"huge declared length", "POST", p, "", huge, []string{"Content-Length", fmt.Sprint(len(huge))}, 413, "1048576"},
		{"xml", "POST", p, "application/xml", `<text>a</text>`, nil, 415, "application/xml is not accepted"},
		{"bad media type", "POST", p, "json;;;", `{"text":"a"}`, nil, 415, "not a media type"},
		{"csv no header", "POST", p, "text/csv", "", nil, 400, "body: empty"},
		{"csv header only", "POST", p, "text/csv", "text\n", nil, 400, "no rows"},
		{"csv missing column", "POST", p, "text/csv", "txt\na\n", nil, 400, `header: missing column "text"`},
		{"csv bad quote", "POST", p, "text/csv", "text\n\"a\"b\n", nil, 400, "line 2"},
		{"csv unterminated", "POST", p, "text/csv", "text\n\"abc\n", nil, 400, "not valid CSV"},
		{"csv ragged", "POST", p, "text/csv", "text,id\na,1\nb\n", nil, 400, "line 3"},
		{"unknown model", "POST", "/v1/models/nope:predict", "", `{"text":"a"}`, nil, 404, `model "nope": no such model; this server has m`},
		{"unknown verb", "POST", "/v1/models/m:train", "", `{"text":"a"}`, nil, 404, "no such path"},
		{"unknown path", "GET", "/v2/anything", "", "", nil, 404, "no such path"},
		{"root", "GET", "/", "", "", nil, 404, "no such path"},
		{"GET predict", "GET", p, "", "", nil, 405, "takes POST"},
		{"PUT predict", "PUT", p, "", `{"text":"a"}`, nil, 405, "takes POST"},
		{"DELETE model", "DELETE", "/v1/models/m", "", "", nil, 405, "takes GET"},
		{"POST models", "POST", "/v1/models", "", "{}", nil, 405, "takes GET"},
		{"POST healthz", "POST", "/healthz", "", "", nil, 405, "takes GET"},
		{"path traversal", "GET", "/v1/models/..%2f..%2fetc:predict", "", "", nil, 404, "no such model"},
		{"long name", "POST", "/v1/models/" + strings.Repeat("x", 5000) + ":predict", "", `{"text":"a"}`, nil, 404, "no such model"},
		{"deep nesting", "POST", p, "", strings.Repeat("[", 100000) + strings.Repeat("]", 100000), nil, 400, "not valid JSON"},
		{"numeric key only", "POST", p, "", `{"1":2}`, nil, 400, `missing column "text"`},
	}
}

// TestMalformedRequests sends each malformed request and checks its status
// and one-sentence JSON error; the server answers a good request after
// all of them.
func TestMalformedRequests(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m")
	saveModel(t, dir, 5)
	s := newServer(t, Options{MaxBodyBytes: 1 << 20, MaxRows: 1000}, ModelSource{Name: "m", Dir: dir})
	cases := malformedCases()
	if len(cases) < 50 {
		t.Fatalf("%d cases, want at least 50", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(c.method, "/", strings.NewReader(c.body))
			r.URL.Path, r.URL.RawPath = "", ""
			u, err := r.URL.Parse(c.path)
			if err != nil {
				t.Fatal(err)
			}
			r.URL = u
			r.RequestURI = c.path
			if c.contentType != "" {
				r.Header.Set("Content-Type", c.contentType)
			}
			if len(c.header) == 2 && c.header[0] == "Content-Length" {
				fmt.Sscan(c.header[1], &r.ContentLength)
			}
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			var e errorBody
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" {
				t.Fatalf("status %d, body %q is not a JSON error", w.Code, w.Body.String())
			}
			if w.Code != c.status || !strings.Contains(e.Error, c.msg) {
				t.Fatalf("status %d %q; want %d with %q", w.Code, e.Error, c.status, c.msg)
			}
			if strings.Count(e.Error, "\n") > 0 || len(e.Error) > 400 {
				t.Fatalf("error is not one short sentence: %q", e.Error)
			}
		})
	}
	if code, body := post(s, "/v1/models/m:predict", "", `{"text":"win money now"}`); code != 200 || !strings.Contains(body, `"predictedLabel":"spam"`) {
		t.Fatalf("after the malformed requests: %d %s", code, body)
	}
	// Every refusal was counted.
	_, metrics := get(s, "/metrics")
	if !strings.Contains(metrics, `spindle_serve_requests_total{code="400",handler="predict",model="m"}`) ||
		!strings.Contains(metrics, `spindle_serve_rows_scored_total{model="m"} 1`) {
		t.Fatalf("metrics:\n%s", metrics)
	}
}

func TestAuth(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m")
	saveModel(t, dir, 5)
	tok := "s3cret-token-0123456789"
	s := newServer(t, Options{Token: tok}, ModelSource{Name: "m", Dir: dir})
	for _, c := range []struct {
		path, auth string
		want       int
	}{
		{"/v1/models/m:predict", "", 401},
		{"/v1/models/m:predict", "Bearer wrong", 401},
		{"/v1/models/m:predict", tok, 401},
		{"/v1/models/m:predict", "Bearer " + tok, 200},
		{"/v1/models", "", 401},
		{"/metrics", "", 401},
		{"/metrics", "Bearer " + tok, 200},
		{"/healthz", "", 200},
		{"/readyz", "", 200},
	} {
		var code int
		var body string
		if strings.HasSuffix(c.path, ":predict") {
			code, body = post(s, c.path, "", `{"text":"a"}`, "Authorization", c.auth)
		} else {
			code, body = get(s, c.path, "Authorization", c.auth)
		}
		if code != c.want {
			t.Errorf("%s with %q: %d %s, want %d", c.path, c.auth, code, body, c.want)
		}
		if code == 401 && strings.Contains(body, tok) {
			t.Errorf("the token is echoed: %s", body)
		}
	}
}

// TestModelsAndHealth: GET /v1/models describes each model; /readyz turns
// 503 on Drain while predictions go on.
func TestModelsAndHealth(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m")
	saveModel(t, dir, 5)
	s := newServer(t, Options{}, ModelSource{Name: "a", Dir: dir}, ModelSource{Name: "b", Dir: dir})
	code, body := get(s, "/v1/models")
	var list struct{ Models []modelInfo }
	if err := json.Unmarshal([]byte(body), &list); code != 200 || err != nil || len(list.Models) != 2 {
		t.Fatalf("%d %s %v", code, body, err)
	}
	a := list.Models[0]
	if a.Name != "a" || a.RunID != "iter5" || len(a.Input) != 1 || a.Input[0] != (pipeline.InputColumn{Name: "text", Type: "string"}) ||
		strings.Join(a.Output, ",") != "rawPrediction,probability,prediction,predictedLabel" || len(a.Stages) != 5 || a.Predict != "/v1/models/a:predict" {
		t.Fatalf("%+v", a)
	}
	if code, _ := get(s, "/v1/models/b"); code != 200 {
		t.Fatal(code)
	}
	// The model's metrics, without its curves and fold metrics.
	if m := string(a.Metrics); !strings.Contains(m, `"test":{"accuracy":1}`) || !strings.Contains(m, `"bestParams":{"maxIter":5}`) || strings.Contains(m, "roc") || strings.Contains(m, "foldMetrics") {
		t.Fatalf("metrics shown: %s", m)
	}
	if code, _ := get(s, "/readyz"); code != 200 {
		t.Fatal(code)
	}
	s.Drain()
	if code, _ := get(s, "/readyz"); code != 503 {
		t.Fatalf("readyz while draining: %d", code)
	}
	if code, _ := get(s, "/healthz"); code != 200 {
		t.Fatalf("healthz while draining: %d", code)
	}
	if code, _ := post(s, "/v1/models/a:predict", "", `{"text":"a"}`); code != 200 {
		t.Fatalf("predict while draining: %d", code)
	}
	if _, err := New(context.Background(), storage.New(storage.Options{}), []ModelSource{{Name: "a", Dir: dir}, {Name: "a", Dir: dir}}, Options{}); err == nil || !strings.Contains(err.Error(), `two models named "a"`) {
		t.Fatalf("duplicate names: %v", err)
	}
	if _, err := New(context.Background(), storage.New(storage.Options{}), []ModelSource{{Name: "x", Dir: t.TempDir()}}, Options{}); err == nil || !strings.Contains(err.Error(), "model x") {
		t.Fatalf("empty directory: %v", err)
	}
}

// TestReload: a model saved again into its directory is picked up by
// Reload while requests keep being answered; a damaged save leaves the
// old version serving.
func TestReload(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m")
	saveModel(t, dir, 1)
	s := newServer(t, Options{}, ModelSource{Name: "m", Dir: dir})
	ctx := context.Background()
	_, before := post(s, "/v1/models/m:predict", "", `{"text":"win money now"}`)

	// Requests in a loop during the reloads: none may fail.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var failures []string
	var mu sync.Mutex
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if code, body := post(s, "/v1/models/m:predict", "", `[{"text":"win money now"},{"text":"lunch"}]`); code != 200 {
					mu.Lock()
					failures = append(failures, body)
					mu.Unlock()
				}
			}
		})
	}
	if err := s.Reload(ctx, false); err != nil {
		t.Fatal(err)
	}
	if _, same := post(s, "/v1/models/m:predict", "", `{"text":"win money now"}`); same != before {
		t.Fatalf("reload without a change changed the answer: %s → %s", before, same)
	}
	saveModel(t, dir, 30)
	if err := s.Reload(ctx, false); err != nil {
		t.Fatal(err)
	}
	_, after := post(s, "/v1/models/m:predict", "", `{"text":"win money now"}`)
	if after == before {
		t.Fatalf("the new model's answer is the old one's: %s", after)
	}
	_, desc := get(s, "/v1/models/m")
	if !strings.Contains(desc, `"runId":"iter30"`) {
		t.Fatalf("description after reload: %s", desc)
	}
	// A damaged model: the reload fails, the old version keeps serving.
	if err := os.WriteFile(filepath.Join(dir, "metadata.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(ctx, true); err == nil || !strings.Contains(err.Error(), "model m") {
		t.Fatalf("reload of a damaged model: %v", err)
	}
	if _, still := post(s, "/v1/models/m:predict", "", `{"text":"win money now"}`); still != after {
		t.Fatalf("after a failed reload: %s, want %s", still, after)
	}
	// A new but broken version is tried once by polling, not at every
	// poll.
	if err := os.WriteFile(filepath.Join(dir, "_SUCCESS"), []byte(`{"files":{}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(ctx, false); err == nil {
		t.Fatal("a broken new version loaded")
	}
	if err := s.Reload(ctx, false); err != nil {
		t.Fatalf("the broken version was tried again: %v", err)
	}
	close(stop)
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d requests failed during reloads, first: %s", len(failures), failures[0])
	}
	_, metrics := get(s, "/metrics")
	if !strings.Contains(metrics, `spindle_serve_reloads_total{model="m",result="ok"} 1`) || !strings.Contains(metrics, `spindle_serve_reloads_total{model="m",result="error"} 2`) {
		t.Fatalf("reload metrics:\n%s", metrics)
	}
}

// TestBusy: with every slot taken and the queue full, a request is
// answered 503 at once; one waiting gets its turn when a slot frees.
func TestBusy(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m")
	saveModel(t, dir, 5)
	s := newServer(t, Options{MaxConcurrent: 1, MaxQueue: 1}, ModelSource{Name: "m", Dir: dir})
	s.slots <- struct{}{} // a request being scored
	waited := make(chan int)
	go func() {
		code, _ := post(s, "/v1/models/m:predict", "", `{"text":"a"}`)
		waited <- code
	}()
	for s.waiting.Load() != 1 {
		time.Sleep(time.Millisecond)
	}
	code, body := post(s, "/v1/models/m:predict", "", `{"text":"a"}`)
	if code != 503 || !strings.Contains(body, "busy") {
		t.Fatalf("queue full: %d %s", code, body)
	}
	<-s.slots
	if code := <-waited; code != 200 {
		t.Fatalf("the waiting request: %d", code)
	}
}

// TestSlowClients: a real listener with short timeouts drops a client
// that stalls in its headers or its body; the server answers the next.
func TestSlowClients(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m")
	saveModel(t, dir, 5)
	s := newServer(t, Options{}, ModelSource{Name: "m", Dir: dir})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := NewHTTPServer("", s, Timeouts{ReadHeader: 200 * time.Millisecond, Read: 400 * time.Millisecond, Write: time.Second, Idle: time.Second}, quiet())
	go hs.Serve(ln)
	defer hs.Close()
	addr := ln.Addr().String()
	for _, c := range []struct{ name, send string }{
		{"stalled headers", "POST /v1/models/m:predict HTTP/1.1\r\nHost: x\r\n"},
		{"stalled body", "POST /v1/models/m:predict HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"text\":"},
		{"nothing", ""},
	} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if _, err := io.WriteString(conn, c.send); err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, _ := io.ReadAll(bufio.NewReader(conn))
		conn.Close()
		if took := time.Since(start); took > 3*time.Second {
			t.Fatalf("%s: the connection was held %v", c.name, took)
		}
		if len(resp) > 0 && !bytes.HasPrefix(resp, []byte("HTTP/1.1 4")) {
			t.Fatalf("%s: answered %q", c.name, resp)
		}
	}
	resp, err := http.Post("http://"+addr+"/v1/models/m:predict", "application/json", strings.NewReader(`{"text":"win money now"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "spam") {
		t.Fatalf("after slow clients: %d %s", resp.StatusCode, body)
	}
}

func TestParseModelSource(t *testing.T) {
	for _, c := range []struct{ in, name, dir, err string }{
		{"out/spam/models/tfidf", "tfidf", "out/spam/models/tfidf", ""},
		{"out/spam/models/tfidf/", "tfidf", "out/spam/models/tfidf/", ""},
		{"spam=s3://b/runs/1/models/tfidf", "spam", "s3://b/runs/1/models/tfidf", ""},
		{"s3://b/x=y/m", "m", "s3://b/x=y/m", ""},
		{"bad name!=dir", "", "", "must be"},
		{"x=", "", "", "no directory"},
	} {
		got, err := ParseModelSource(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got.Name != c.name || got.Dir != c.dir {
			t.Errorf("%q: %+v %v", c.in, got, err)
		}
	}
}

// TestReloadDuringRequest: a request in flight while a reload swaps the
// model — held here waiting for the only scoring slot, its model already
// chosen — finishes on the version it started with; the next request
// gets the new one. (TestReload's loop shows no request fails during
// reloads; this shows one overlapped a reload, every time.)
func TestReloadDuringRequest(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m")
	saveModel(t, dir, 1)
	s := newServer(t, Options{MaxConcurrent: 1, MaxQueue: 4}, ModelSource{Name: "m", Dir: dir})
	const body = `[{"text":"win money now"},{"text":"lunch with the team"}]`
	_, before := post(s, "/v1/models/m:predict", "", body)
	s.slots <- struct{}{} // the only slot, taken
	answer := make(chan string)
	go func() {
		_, got := post(s, "/v1/models/m:predict", "", body)
		answer <- got
	}()
	for s.waiting.Load() != 1 {
		time.Sleep(time.Millisecond)
	}
	saveModel(t, dir, 30)
	if err := s.Reload(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-answer:
		t.Fatalf("the request finished before its slot was free: %s", got)
	default:
	}
	<-s.slots // free the slot: the waiting request is scored now
	if got := <-answer; got != before {
		t.Fatalf("a request in flight across a reload: %s, want the version it started with: %s", got, before)
	}
	if _, after := post(s, "/v1/models/m:predict", "", body); after == before {
		t.Fatalf("after the reload, the old model answers: %s", after)
	}
}
