package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Route labels of the requests metric.
const (
	routeFunctions = "functions"
	routeEvents    = "events"
	routeResults   = "results"
	routeHealthz   = "healthz"
	routeMetrics   = "metrics"
	routeOther     = "other"

	routeDirigentRegister = "dirigent_register"
	routeDirigentCheck    = "dirigent_check"
	routeDirigentInvoke   = "dirigent_invoke"
	routeDirigentResult   = "dirigent_result"
)

// metrics are the gateway's Prometheus collectors.
type metrics struct {
	requests  *prometheus.CounterVec
	syncWait  prometheus.Histogram
	inFlight  prometheus.Gauge
	unclaimed prometheus.Counter
	handler   http.Handler // serves /metrics
	reg       prometheus.Registerer
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	var gatherer prometheus.Gatherer
	switch r := reg.(type) {
	case nil:
		own := prometheus.NewRegistry()
		reg, gatherer = own, own
	case prometheus.Gatherer:
		gatherer = r
	default:
		gatherer = prometheus.DefaultGatherer
	}
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "wavelink", Subsystem: "gateway", Name: "requests_total",
			Help: "HTTP requests answered, by route and status code.",
		}, []string{"route", "code"}),
		syncWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "wavelink", Subsystem: "gateway", Name: "sync_wait_seconds",
			Help:    "Time from publishing a synchronous invocation to its result (or to giving up).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 20),
		}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "wavelink", Subsystem: "gateway", Name: "in_flight_requests",
			Help: "HTTP requests being served.",
		}),
		unclaimed: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "wavelink", Subsystem: "gateway", Name: "unclaimed_results_total",
			Help: "Synchronous results that arrived after every request for them had stopped waiting.",
		}),
	}
	m.reg = reg
	for i, c := range m.collectors() {
		if err := reg.Register(c); err != nil {
			for _, done := range m.collectors()[:i] {
				reg.Unregister(done)
			}
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				return nil, fmt.Errorf("gateway: metrics: %w (give each gateway its own Registerer)", err)
			}
			return nil, fmt.Errorf("gateway: metrics: %w", err)
		}
	}
	m.handler = promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{})
	return m, nil
}

func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.requests, m.syncWait, m.inFlight, m.unclaimed}
}

// unregister takes the collectors off the Registerer again.
func (m *metrics) unregister() {
	for _, c := range m.collectors() {
		m.reg.Unregister(c)
	}
}

// observe counts one answered request.
func (m *metrics) observe(route string, code int) {
	m.requests.WithLabelValues(route, codeLabel(code)).Inc()
}

// codeLabel avoids an allocation for the common codes.
func codeLabel(code int) string {
	switch code {
	case 0:
		return "none" // the client went away before an answer
	case 200:
		return "200"
	case 202:
		return "202"
	case 404:
		return "404"
	case 502:
		return "502"
	case 503:
		return "503"
	case 504:
		return "504"
	}
	return strconv.Itoa(code)
}
