package gateway

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/wavelink/wavelink/services/registry"
)

// Defaults for the Config fields left zero.
const (
	DefaultAddr            = "127.0.0.1:8080"
	DefaultMaxBody         = 6 << 20
	DefaultResultPath      = "/results/"
	DefaultShutdownTimeout = 30 * time.Second
	// SyncWaitSlack is added to a function's timeout × MaxDeliver to make
	// the default bound on a synchronous wait.
	SyncWaitSlack = 30 * time.Second
)

// Config configures a Gateway. The zero value of each field means its
// default.
type Config struct {
	// Addr is the host:port ListenAndServe listens on.
	Addr string
	// MaxBody bounds a request body in bytes; a larger one is answered 413.
	MaxBody int64
	// SyncWait bounds how long a synchronous request waits for its result.
	// Past it the gateway answers 504, saying the invocation stays queued
	// and will run. Nil means DefaultSyncWait; a bound of zero or less gives
	// up at once.
	SyncWait func(registry.Spec) time.Duration
	// ResultPath is the URL path prefix of stored results; it starts and
	// ends with '/' and holds no character that needs URL escaping.
	ResultPath string
	// ShutdownTimeout bounds how long in-flight requests, including those
	// waiting for synchronous results, may finish once ListenAndServe's
	// context ends.
	ShutdownTimeout time.Duration
	// Logger receives one line per notable event (component=gateway).
	Logger zerolog.Logger
	// Registerer receives the gateway's metrics. If it is also a
	// prometheus.Gatherer, /metrics serves it; otherwise /metrics serves
	// prometheus.DefaultGatherer. Nil means a registry of the gateway's own.
	Registerer prometheus.Registerer
}

// DefaultSyncWait bounds a synchronous wait by every delivery the function
// may get running to its timeout, plus SyncWaitSlack.
func DefaultSyncWait(s registry.Spec) time.Duration {
	s = s.WithDefaults()
	return s.Timeout.D()*time.Duration(s.MaxDeliver) + SyncWaitSlack
}

// FixedSyncWait returns a SyncWait that bounds every function's wait by d.
func FixedSyncWait(d time.Duration) func(registry.Spec) time.Duration {
	return func(registry.Spec) time.Duration { return d }
}

// WithDefaults returns the config with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.MaxBody == 0 {
		c.MaxBody = DefaultMaxBody
	}
	if c.SyncWait == nil {
		c.SyncWait = DefaultSyncWait
	}
	if c.ResultPath == "" {
		c.ResultPath = DefaultResultPath
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	return c
}

// Validate returns an error wrapping ErrInvalidConfig that names the first
// bad field. It checks the config as given; call WithDefaults first to
// accept zero fields.
func (c Config) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalidConfig, field, fmt.Sprintf(format, args...))
	}
	switch {
	case c.Addr == "":
		return bad("Addr", "is required")
	case c.MaxBody <= 0:
		return bad("MaxBody", "must be positive, got %d", c.MaxBody)
	case c.SyncWait == nil:
		return bad("SyncWait", "is required")
	case len(c.ResultPath) < 3 || c.ResultPath[0] != '/' || !strings.HasSuffix(c.ResultPath, "/"):
		return bad("ResultPath", "must start and end with '/' and name a folder, got %q", c.ResultPath)
	case (&url.URL{Path: c.ResultPath}).EscapedPath() != c.ResultPath:
		// The id is cut from the escaped request path at len(ResultPath),
		// and Location is ResultPath plus the escaped id.
		return bad("ResultPath", "must need no URL escaping, got %q", c.ResultPath)
	case c.ShutdownTimeout <= 0:
		return bad("ShutdownTimeout", "must be positive, got %s", c.ShutdownTimeout)
	}
	// ResultPath must not overlap the fixed routes.
	for _, p := range [...]string{"/functions/", "/events", "/healthz", "/metrics"} {
		if strings.HasPrefix(c.ResultPath, p) || strings.HasPrefix(p, c.ResultPath) {
			return bad("ResultPath", "%q overlaps the route %q", c.ResultPath, p)
		}
	}
	return nil
}
