// Package serve answers scoring requests over HTTP with saved pipelines
// ('spindle serve'): raw columns in, the whole fitted pipeline applied row
// by row, prediction columns out.
//
// # API
//
//	POST /v1/models/{name}:predict   score rows
//	GET  /v1/models                  the models: input columns, outputs, stages, metrics
//	GET  /v1/models/{name}           one model
//	GET  /healthz                    200 while the process runs
//	GET  /readyz                     200 while it takes requests (503 when draining)
//	GET  /metrics                    Prometheus text: requests, latency, rows, reloads
//
// A predict body is JSON — one row as an object, or several as an array of
// objects, keyed by input column — or CSV (Content-Type text/csv) with a
// header line. Keys the model does not read are ignored. The answer is
//
//	{"model":"tfidf","predictions":[{"rawPrediction":…,"probability":…,"prediction":1.0,"predictedLabel":"spam"}]}
//
// one object per row, in order, each value written exactly as 'spindle
// predict' writes it to JSON Lines (so the two agree byte for byte). A
// pipeline without a predictor (feature stages only) answers with the
// columns it adds instead of the prediction columns. A
// request the server cannot take is answered with a status and a JSON
// body {"error":"…"} of one sentence naming the row, column or header at
// fault: 400 bad body, 401 missing or wrong token, 404 unknown model or
// path, 405 wrong method, 413 body over the limit, 415 other content
// types, 503 when the queue of requests waiting to be scored is full.
// While the server drains (Drain), /readyz answers 503 and requests are
// still scored.
//
// # Safety
//
// Options bound what a client can cost: body size, rows per request,
// requests scored at once and waiting. NewHTTPServer sets header, read,
// write and idle timeouts. With Options.Token set, everything but the
// health checks needs "Authorization: Bearer TOKEN".
//
// # Reload
//
// Watch polls every model's _SUCCESS manifest and reloads a model whose
// manifest changed; Reload does it at once (the CLI calls it on SIGHUP).
// A reloaded model is swapped in atomically: requests in flight finish on
// the model they started with, and a model that fails to load leaves the
// old one serving.
package serve

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spindle-ml/spindle/format/jsonl"
	"github.com/spindle-ml/spindle/storage"
	"github.com/spindle-ml/spindle/table"
)

// Options configure a Server. The zero value serves with the defaults.
type Options struct {
	// Token, if not empty, is the bearer token every request but /healthz
	// and /readyz must carry. Read it from a file or the environment,
	// never from a command-line flag (ps shows flags).
	Token string
	// MaxBodyBytes bounds a request body; default 32 MiB.
	MaxBodyBytes int64
	// MaxRows bounds the rows of one request; default 100,000.
	MaxRows int
	// MaxConcurrent bounds the requests scored at once; default GOMAXPROCS
	// (scoring is CPU-bound: more at once only adds latency).
	MaxConcurrent int
	// MaxQueue bounds the requests waiting for a scoring slot; one more is
	// answered 503 at once. Default 1,024.
	MaxQueue int
	// Logger receives reloads and server errors; default slog.Default().
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 32 << 20
	}
	if o.MaxRows <= 0 {
		o.MaxRows = 100_000
	}
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = runtime.GOMAXPROCS(0)
	}
	if o.MaxQueue <= 0 {
		o.MaxQueue = 1024
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Server is an http.Handler that scores requests with loaded models.
type Server struct {
	o       Options
	st      *storage.Store
	sources []ModelSource
	models  atomic.Pointer[map[string]*model]
	mux     *http.ServeMux
	slots   chan struct{}
	waiting atomic.Int64
	// draining is set by Drain: /readyz answers 503 so that a load
	// balancer stops sending while requests in flight finish.
	draining atomic.Bool
	reloadMu sync.Mutex
	// failed holds, per model, the manifest digest of a version that
	// failed to load, so that polling does not load it again and again
	// (guarded by reloadMu; SIGHUP's forced reload tries it anyway).
	failed  map[string][32]byte
	metrics *metrics
	bufs    sync.Pool
}

// New loads every model (all must load) and returns a Server for them.
// Names must be unique.
func New(ctx context.Context, st *storage.Store, sources []ModelSource, o Options) (*Server, error) {
	if len(sources) == 0 {
		return nil, errors.New("serve: no model to serve")
	}
	s := &Server{o: o.withDefaults(), st: st, sources: slices.Clone(sources), failed: map[string][32]byte{}}
	s.slots = make(chan struct{}, s.o.MaxConcurrent)
	s.metrics = newMetrics(s)
	loaded := map[string]*model{}
	for _, src := range sources {
		if _, dup := loaded[src.Name]; dup {
			return nil, fmt.Errorf("serve: two models named %q; name them NAME=DIR", src.Name)
		}
		m, err := loadModel(ctx, st, src)
		if err != nil {
			return nil, err
		}
		loaded[src.Name] = m
		s.metrics.loaded(m)
	}
	s.models.Store(&loaded)
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("/healthz", s.health)
	s.mux.HandleFunc("/readyz", s.ready)
	s.mux.Handle("/metrics", s.authorized(s.metrics.handler()))
	s.mux.Handle("/v1/models", s.authorized(http.HandlerFunc(s.list)))
	s.mux.Handle("/v1/models/{target}", s.authorized(http.HandlerFunc(s.model)))
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, "", http.StatusNotFound, fmt.Sprintf("no such path %q; see /v1/models", r.URL.Path))
	})
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// Drain marks the server as shutting down: /readyz answers 503 from now
// on. Requests keep being served; http.Server.Shutdown then waits for
// those in flight.
func (s *Server) Drain() { s.draining.Store(true) }

// Reload reloads the models whose _SUCCESS manifest changed since they
// were loaded, or all of them with force. A model that fails to load
// keeps serving its previous version; the errors are returned joined.
func (s *Server) Reload(ctx context.Context, force bool) error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	cur := *s.models.Load()
	next := make(map[string]*model, len(cur))
	var errs []error
	changed := false
	for _, src := range s.sources {
		old := cur[src.Name]
		next[src.Name] = old
		if !force {
			marker, err := readMarker(ctx, s.st, src.Dir)
			if err != nil {
				// Mid-save (no marker yet) or unreachable: keep the old one.
				errs = append(errs, fmt.Errorf("model %s: %w", src.Name, err))
				s.metrics.reload(src.Name, "error")
				continue
			}
			if f, ok := s.failed[src.Name]; marker == old.marker || (ok && marker == f) {
				continue
			}
			s.failed[src.Name] = marker // until it loads
		}
		m, err := loadModel(ctx, s.st, src)
		if err != nil {
			errs = append(errs, err)
			s.metrics.reload(src.Name, "error")
			s.o.Logger.Error("reload failed; the previous version keeps serving", "model", src.Name, "dir", src.Dir, "err", err)
			continue
		}
		next[src.Name] = m
		delete(s.failed, src.Name)
		changed = true
		s.metrics.reload(src.Name, "ok")
		s.metrics.loaded(m)
		s.o.Logger.Info("reloaded", "model", src.Name, "dir", src.Dir, "runId", m.info.RunID)
	}
	if changed {
		s.models.Store(&next)
	}
	return errors.Join(errs...)
}

// Watch reloads changed models every interval until ctx ends.
func (s *Server) Watch(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = s.Reload(ctx, false) // errors are logged and counted
		}
	}
}

// Timeouts bound how long a client may take; zero fields take the
// defaults NewHTTPServer states.
type Timeouts struct {
	ReadHeader, Read, Write, Idle time.Duration
}

// NewHTTPServer returns an http.Server for h on addr with timeouts against
// slow clients: headers within 5 s, the whole request within 30 s, the
// answer within 60 s, idle keep-alive connections closed after 120 s (the
// defaults), and headers of at most 64 KiB.
func NewHTTPServer(addr string, h http.Handler, t Timeouts, log *slog.Logger) *http.Server {
	def := func(d, v time.Duration) time.Duration {
		if d > 0 {
			return d
		}
		return v
	}
	if log == nil {
		log = slog.Default()
	}
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: def(t.ReadHeader, 5*time.Second),
		ReadTimeout:       def(t.Read, 30*time.Second),
		WriteTimeout:      def(t.Write, 60*time.Second),
		IdleTimeout:       def(t.Idle, 120*time.Second),
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// errorBody is every error answer's JSON.
type errorBody struct {
	Error string `json:"error"`
}

// fail answers with status and a one-sentence JSON error, and counts it.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, modelName string, status int, msg string) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="spindle"`)
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, status, errorBody{msg})
	s.metrics.request(handlerOf(r), modelName, status)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	js, err := json.Marshal(v)
	if err != nil {
		js = []byte(`{"error":"internal error: the answer did not encode"}`)
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(js, '\n'))
}

// handlerOf names the endpoint a request is for, as the metrics label it.
func handlerOf(r *http.Request) string {
	switch p := r.URL.Path; {
	case strings.HasSuffix(p, ":predict"):
		return "predict"
	case strings.HasPrefix(p, "/v1/models"):
		return "models"
	case p == "/healthz" || p == "/readyz" || p == "/metrics":
		return p[1:]
	}
	return "other"
}

// method answers 405 unless r uses one of the allowed methods.
func (s *Server) method(w http.ResponseWriter, r *http.Request, model string, allowed ...string) bool {
	if slices.Contains(allowed, r.Method) {
		return true
	}
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	s.fail(w, r, model, http.StatusMethodNotAllowed, fmt.Sprintf("method %s: %s takes %s", r.Method, r.URL.Path, strings.Join(allowed, " or ")))
	return false
}

func (s *Server) authorized(h http.Handler) http.Handler {
	if s.o.Token == "" {
		return h
	}
	want := []byte("Bearer " + s.o.Token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get("Authorization")
		if subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			msg := "header Authorization: missing; send \"Authorization: Bearer TOKEN\""
			if got != "" {
				msg = "header Authorization: wrong token"
			}
			s.fail(w, r, "", http.StatusUnauthorized, msg)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	if !s.method(w, r, "", http.MethodGet, http.MethodHead) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	s.metrics.request("healthz", "", http.StatusOK)
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	if !s.method(w, r, "", http.MethodGet, http.MethodHead) {
		return
	}
	if s.draining.Load() {
		s.fail(w, r, "", http.StatusServiceUnavailable, "draining: the server is shutting down")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "models": len(*s.models.Load())})
	s.metrics.request("readyz", "", http.StatusOK)
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	if !s.method(w, r, "", http.MethodGet, http.MethodHead) {
		return
	}
	ms := *s.models.Load()
	out := struct {
		Models []json.RawMessage `json:"models"`
	}{}
	for _, src := range s.sources {
		out.Models = append(out.Models, ms[src.Name].described)
	}
	writeJSON(w, http.StatusOK, out)
	s.metrics.request("models", "", http.StatusOK)
}

// model serves /v1/models/{target}: GET a model's description, POST
// {name}:predict.
func (s *Server) model(w http.ResponseWriter, r *http.Request) {
	target := r.PathValue("target")
	name, verb, hasVerb := strings.Cut(target, ":")
	m := (*s.models.Load())[name]
	if m == nil {
		s.fail(w, r, "", http.StatusNotFound, fmt.Sprintf("model %q: no such model; this server has %s", truncate(name), strings.Join(s.names(), ", ")))
		return
	}
	switch {
	case !hasVerb:
		if s.method(w, r, name, http.MethodGet, http.MethodHead) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(append(slices.Clip(m.described), '\n'))
			s.metrics.request("models", name, http.StatusOK)
		}
	case verb == "predict":
		if s.method(w, r, name, http.MethodPost) {
			s.predict(w, r, m)
		}
	default:
		s.fail(w, r, name, http.StatusNotFound, fmt.Sprintf("no such path %q; POST /v1/models/%s:predict scores rows", truncate(r.URL.Path), name))
	}
}

func (s *Server) names() []string {
	out := make([]string, len(s.sources))
	for i, src := range s.sources {
		out[i] = src.Name
	}
	return out
}

// predict scores one request's rows with m.
func (s *Server) predict(w http.ResponseWriter, r *http.Request, m *model) {
	start := time.Now()
	name := m.src.Name
	decode := decodeJSON
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		switch {
		case err != nil:
			s.fail(w, r, name, http.StatusUnsupportedMediaType, fmt.Sprintf("header Content-Type: %q is not a media type; send application/json or text/csv", truncate(ct)))
			return
		case mt == "application/json", mt == "application/x-www-form-urlencoded":
			// (The second is curl -d's default: its bodies are taken as JSON.)
		case mt == "text/csv":
			decode = decodeCSV
		default:
			s.fail(w, r, name, http.StatusUnsupportedMediaType, fmt.Sprintf("header Content-Type: %s is not accepted; send application/json or text/csv", truncate(mt)))
			return
		}
	}
	if r.ContentLength > s.o.MaxBodyBytes {
		s.fail(w, r, name, http.StatusRequestEntityTooLarge, fmt.Sprintf("body: %d bytes is more than the %d a request may send", r.ContentLength, s.o.MaxBodyBytes))
		return
	}
	// The body is read before taking a scoring slot, so that a slow
	// client holds a connection (bounded by the read timeout), not a slot.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.o.MaxBodyBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			s.fail(w, r, name, http.StatusRequestEntityTooLarge, fmt.Sprintf("body: more than the %d bytes a request may send", s.o.MaxBodyBytes))
			return
		}
		s.fail(w, r, name, http.StatusBadRequest, fmt.Sprintf("body: could not be read: %v", err))
		return
	}
	if !s.acquire(w, r, name) {
		return
	}
	defer func() { <-s.slots }()
	resp, rows, status, err := s.score(r.Context(), m, body, decode)
	if err != nil {
		s.fail(w, r, name, status, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(resp)
	s.putBuf(resp)
	s.metrics.scored(name, rows, time.Since(start))
}

// acquire waits for a scoring slot, or answers 503 when too many requests
// wait already; false when the request must end.
func (s *Server) acquire(w http.ResponseWriter, r *http.Request, name string) bool {
	select {
	case s.slots <- struct{}{}:
		return true
	default:
	}
	if s.waiting.Add(1) > int64(s.o.MaxQueue) {
		s.waiting.Add(-1)
		s.fail(w, r, name, http.StatusServiceUnavailable, fmt.Sprintf("busy: %d requests wait already; retry", s.o.MaxQueue))
		return false
	}
	defer s.waiting.Add(-1)
	select {
	case s.slots <- struct{}{}:
		return true
	case <-r.Context().Done():
		s.metrics.request("predict", name, 499) // the client went away
		return false
	}
}

// score decodes, scores and encodes one request. A panic in a stage is
// answered 500, never crashes the server.
func (s *Server) score(ctx context.Context, m *model, body []byte, decode func([]byte, *table.Schema, int) (*table.Batch, error)) (resp []byte, rows, status int, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.o.Logger.Error("scoring panicked", "model", m.src.Name, "panic", p)
			resp, status, err = nil, http.StatusInternalServerError, fmt.Errorf("internal error while scoring; the server logged it")
		}
	}()
	b, err := decode(body, m.input, s.o.MaxRows)
	if err != nil {
		if _, ok := errors.AsType[*requestError](err); ok {
			return nil, 0, http.StatusBadRequest, err
		}
		return nil, 0, http.StatusInternalServerError, err
	}
	out, err := m.pm.TransformBatch(ctx, b)
	if err != nil {
		// The rows reached the model but it could not score them (e.g. a
		// null where a stage needs a value): the request's fault.
		return nil, 0, http.StatusBadRequest, fmt.Errorf("model %s: %v", m.src.Name, err)
	}
	resp, err = m.appendResponse(s.getBuf(), out)
	if err != nil {
		return nil, 0, http.StatusInternalServerError, fmt.Errorf("model %s: answer: %v", m.src.Name, err)
	}
	return resp, b.NumRows(), http.StatusOK, nil
}

// appendResponse appends the JSON answer for the scored batch out.
func (m *model) appendResponse(buf []byte, out *table.Batch) ([]byte, error) {
	buf = append(buf, `{"model":`...)
	name, _ := json.Marshal(m.src.Name)
	buf = append(buf, name...)
	buf = append(buf, `,"predictions":[`...)
	var err error
	for i := range out.NumRows() {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, '{')
		first := true
		for _, c := range m.output {
			col := out.Column(c.index)
			if col.IsNull(i) {
				continue
			}
			if !first {
				buf = append(buf, ',')
			}
			first = false
			buf = append(buf, c.key...)
			buf = append(buf, ':')
			if buf, err = jsonl.AppendValue(buf, col, i); err != nil {
				return nil, err
			}
		}
		buf = append(buf, '}')
	}
	return append(buf, "]}\n"...), nil
}

func (s *Server) getBuf() []byte {
	if b, ok := s.bufs.Get().(*[]byte); ok {
		return (*b)[:0]
	}
	return make([]byte, 0, 4096)
}

// putBuf keeps buf for another answer unless it grew large (a huge batch
// should not pin its memory).
func (s *Server) putBuf(buf []byte) {
	if cap(buf) <= 1<<20 {
		s.bufs.Put(&buf)
	}
}
