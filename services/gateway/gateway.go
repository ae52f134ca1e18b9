package gateway

import (
	"bytes"
	"fmt"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/wavelink/wavelink/services/registry"
)

// Specs looks up deployed functions; registry.Cache is one.
type Specs interface {
	// Lookup returns the function's spec and whether it is deployed.
	Lookup(name string) (registry.Spec, bool)
}

// Gateway serves the HTTP routes described in the package comment.
type Gateway struct {
	cfg     Config
	log     zerolog.Logger
	nc      *nats.Conn
	js      jetstream.JetStream
	specs   Specs
	replies *replies
	m       *metrics

	bufs    sync.Pool                    // *bytes.Buffer for request bodies
	results atomic.Pointer[resultStream] // WL_RESULT, once looked up
	stop    chan struct{}                // closed when a shutdown runs out of time
	stopped sync.Once                    // closes stop
	closed  atomic.Bool                  // set by Close
}

// New returns a gateway publishing on js, waiting for replies on nc, and
// taking functions from specs. It subscribes to its reply subject at once;
// call Close when done. It returns an error wrapping ErrInvalidConfig for a
// bad config or a missing argument.
func New(cfg Config, nc *nats.Conn, js jetstream.JetStream, specs Specs) (*Gateway, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	switch {
	case nc == nil:
		return nil, fmt.Errorf("%w: a NATS connection is required", ErrInvalidConfig)
	case js == nil:
		return nil, fmt.Errorf("%w: a JetStream context is required", ErrInvalidConfig)
	case specs == nil:
		return nil, fmt.Errorf("%w: a function spec source is required", ErrInvalidConfig)
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	g := &Gateway{
		cfg:   cfg,
		log:   cfg.Logger.With().Str("component", "gateway").Logger(),
		nc:    nc,
		js:    js,
		specs: specs,
		m:     m,
		stop:  make(chan struct{}),
	}
	g.bufs.New = func() any { return new(bytes.Buffer) }
	g.replies, err = newReplies(nc, m.unclaimed.Inc)
	if err != nil {
		m.unregister()
		return nil, err
	}
	return g, nil
}

// Close stops listening for replies: requests still waiting for a
// synchronous result then wait until their bound. Call it after
// ListenAndServe returns, or when done with Handler.
func (g *Gateway) Close() error {
	if g.closed.Swap(true) {
		return nil
	}
	return g.replies.close()
}

// Handler returns the gateway's routes, for httptest or for embedding in
// another server. It recovers from panics, answering 500.
func (g *Gateway) Handler() http.Handler { return g }

// ServeHTTP routes one request, counting it and recovering from a panic.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.instrument(w, r, g.route)
}

// routeFunc answers one request, first setting *label to the route it
// takes (so that a panic is counted under its route).
type routeFunc func(w http.ResponseWriter, r *http.Request, label *string)

// instrument serves r with route: it counts the request by route label and
// status, and recovers from a panic with a 500.
func (g *Gateway) instrument(w http.ResponseWriter, r *http.Request, route routeFunc) {
	sw := &statusWriter{ResponseWriter: w}
	label := routeOther
	g.m.inFlight.Inc()
	defer func() {
		if p := recover(); p != nil {
			g.log.Error().Str("method", r.Method).Str("path", r.URL.Path).
				Str("panic", fmt.Sprint(p)).Str("stack", string(debug.Stack())).Msg("request handler panicked")
			if !sw.wrote {
				writeError(sw, &httpError{code: http.StatusInternalServerError, msg: "internal error in the gateway; the request may not have been queued"})
			}
		}
		g.m.inFlight.Dec()
		g.m.observe(label, sw.status())
	}()
	route(sw, r, &label)
}

// route answers one request on the gateway's own routes.
func (g *Gateway) route(w http.ResponseWriter, r *http.Request, label *string) {
	path := r.URL.Path
	switch {
	case strings.HasPrefix(path, "/functions/"):
		*label = routeFunctions
		if methodAllowed(w, r, http.MethodPost) {
			g.invoke(w, r, path[len("/functions/"):], false)
		}
	case path == "/events" || strings.HasPrefix(path, "/events/"):
		*label = routeEvents
		if methodAllowed(w, r, http.MethodPost) {
			name := strings.TrimPrefix(path[len("/events"):], "/")
			g.invoke(w, r, name, true)
		}
	case strings.HasPrefix(path, g.cfg.ResultPath):
		*label = routeResults
		if methodAllowed(w, r, http.MethodGet, http.MethodHead) {
			g.result(w, r)
		}
	case path == "/healthz":
		*label = routeHealthz
		if methodAllowed(w, r, http.MethodGet, http.MethodHead) {
			g.healthz(w)
		}
	case path == "/metrics":
		*label = routeMetrics
		if methodAllowed(w, r, http.MethodGet, http.MethodHead) {
			g.m.handler.ServeHTTP(w, r)
		}
	default:
		*label = routeOther
		writeError(w, &httpError{code: http.StatusNotFound, msg: fmt.Sprintf(
			"no route for %s (routes: POST /functions/{name}, POST /events[/{name}], GET %s{id}, GET /healthz, GET /metrics)",
			path, g.cfg.ResultPath)})
	}
}

// methodAllowed answers 405 and returns false unless r's method is one of
// allowed.
func methodAllowed(w http.ResponseWriter, r *http.Request, allowed ...string) bool {
	for _, m := range allowed {
		if r.Method == m {
			return true
		}
	}
	list := strings.Join(allowed, ", ")
	w.Header().Set("Allow", list)
	writeError(w, &httpError{code: http.StatusMethodNotAllowed, msg: fmt.Sprintf(
		"method %s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, list)})
	return false
}

// healthz answers 200 while the NATS connection is up, 503 otherwise.
func (g *Gateway) healthz(w http.ResponseWriter) {
	if !g.nc.IsConnected() {
		writeError(w, &httpError{code: http.StatusServiceUnavailable, msg: "NATS connection is " + g.nc.Status().String()})
		return
	}
	writeJSON(w, http.StatusOK, jsonObject(nil).str("status", "ok").num("waiting", int64(g.replies.waiting())).bytes())
}

// statusWriter records the status code a handler answered with.
type statusWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.code, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.code, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// status is the code answered, or 0 when the handler wrote nothing (a
// client that went away).
func (w *statusWriter) status() int { return w.code }
