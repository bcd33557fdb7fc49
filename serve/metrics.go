package serve

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are a Server's Prometheus series, in a registry of its own (no
// global state: two servers in one process count apart).
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	rows     *prometheus.CounterVec
	reloads  *prometheus.CounterVec
	loadedAt *prometheus.GaugeVec
}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "spindle_serve_requests_total",
			Help: "Requests answered, by endpoint, model and HTTP status (499: the client left before its turn).",
		}, []string{"handler", "model", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "spindle_serve_predict_duration_seconds",
			Help:    "Time to answer a successful predict request, body read to answer written.",
			Buckets: []float64{.0002, .0005, .001, .002, .005, .01, .02, .05, .1, .2, .5, 1, 2, 5, 10},
		}, []string{"model"}),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "spindle_serve_rows_scored_total",
			Help: "Rows scored, by model.",
		}, []string{"model"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "spindle_serve_reloads_total",
			Help: "Model reloads, by model and result (ok, error).",
		}, []string{"model", "result"}),
		loadedAt: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "spindle_serve_model_loaded_timestamp_seconds",
			Help: "When the serving version of each model was loaded (Unix time).",
		}, []string{"model"}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.rows, m.reloads, m.loadedAt,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "spindle_serve_inflight_requests",
			Help: "Requests being scored now.",
		}, func() float64 { return float64(len(s.slots)) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "spindle_serve_waiting_requests",
			Help: "Requests waiting for a scoring slot.",
		}, func() float64 { return float64(s.waiting.Load()) }),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

func (m *metrics) request(handler, model string, code int) {
	m.requests.WithLabelValues(handler, model, strconv.Itoa(code)).Inc()
}

func (m *metrics) scored(model string, rows int, d time.Duration) {
	m.request("predict", model, http.StatusOK)
	m.latency.WithLabelValues(model).Observe(d.Seconds())
	m.rows.WithLabelValues(model).Add(float64(rows))
}

func (m *metrics) reload(model, result string) {
	m.reloads.WithLabelValues(model, result).Inc()
}

func (m *metrics) loaded(md *model) {
	m.loadedAt.WithLabelValues(md.src.Name).Set(float64(md.loadedAt.UnixNano()) / 1e9)
}
