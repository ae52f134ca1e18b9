package gateway

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/wavelink/wavelink/services/registry"
)

// Defaults for the DirigentConfig fields left zero.
const (
	// DefaultDirigentAddr is the port Dirigent's control plane registers
	// functions on.
	DefaultDirigentAddr   = "127.0.0.1:9091"
	DefaultDirigentPrefix = "/"
	// DefaultDirigentTimeout matches the loader's own function timeout
	// (GRPCFunctionTimeoutSeconds: 900).
	DefaultDirigentTimeout = registry.MaxTimeout
	// DefaultDirigentMinMemoryMB floors the memory of registered functions:
	// the loader registers a function's largest memory divided by its
	// over-commitment ratio of 10, often a few MiB, which is too little for
	// an instance under a memory limit.
	DefaultDirigentMinMemoryMB = registry.DefaultMemoryMB
	// DefaultRegisterWait bounds how long a registration waits for the
	// gateway to see the function it deployed.
	DefaultRegisterWait = 10 * time.Second
)

// Trace modes of the functions registered through the Dirigent routes.
const (
	// TraceSleep makes trace sleep for the requested run time.
	TraceSleep = "sleep"
	// TraceSpin makes trace spin the CPU for the requested run time.
	TraceSpin = "spin"
)

// Paths of the Dirigent routes, below DirigentConfig.Prefix.
const (
	dirigentCheckPath  = "check"
	dirigentInvokePath = "invoke"
	dirigentAsyncPath  = "invoke-async"
	dirigentResultPath = "async-result"
)

// DirigentConfig configures the routes that let the vHive/invitro loader
// drive WaveLink in its Dirigent platform mode. The zero value of each field
// means its default.
type DirigentConfig struct {
	// Addr is the host:port ListenAndServe listens on: the loader's
	// DirigentControlPlaneIP.
	Addr string
	// Prefix is the URL path the routes are under; it starts and ends with
	// '/' and needs no URL escaping. Registration is POST {Prefix}, the
	// check GET {Prefix}check, invocations POST {Prefix}invoke (synchronous)
	// and POST {Prefix}invoke-async, async results GET {Prefix}async-result.
	Prefix string
	// Advertise is the host:port a registration answers as the invocation
	// address (with {Prefix}invoke or {Prefix}invoke-async after it). Empty
	// means the host:port the registration itself was sent to.
	Advertise string
	// Async makes registrations answer the asynchronous invocation address,
	// for a loader run with AsyncMode (its AsyncResponseURL is then
	// host:port{Prefix}async-result).
	Async bool
	// TraceMode is TraceSleep (the default) or TraceSpin: how the trace
	// function spends the run time each invocation asks for.
	TraceMode string
	// Timeout bounds one invocation of a registered function.
	Timeout time.Duration
	// Concurrency is how many invocations one instance of a registered
	// function runs at once; zero means the registry's default.
	Concurrency int
	// MinMemoryMB floors the memory of a registered function.
	MinMemoryMB int
	// RegisterWait bounds how long a registration waits for the gateway to
	// see the function it deployed before answering 503.
	RegisterWait time.Duration
}

// WithDefaults returns the config with zero fields set to their defaults.
func (c DirigentConfig) WithDefaults() DirigentConfig {
	if c.Addr == "" {
		c.Addr = DefaultDirigentAddr
	}
	if c.Prefix == "" {
		c.Prefix = DefaultDirigentPrefix
	}
	if c.TraceMode == "" {
		c.TraceMode = TraceSleep
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultDirigentTimeout
	}
	if c.MinMemoryMB == 0 {
		c.MinMemoryMB = DefaultDirigentMinMemoryMB
	}
	if c.RegisterWait == 0 {
		c.RegisterWait = DefaultRegisterWait
	}
	return c
}

// Validate returns an error wrapping ErrInvalidConfig that names the first
// bad field. It checks the config as given; call WithDefaults first to
// accept zero fields.
func (c DirigentConfig) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: Dirigent %s: %s", ErrInvalidConfig, field, fmt.Sprintf(format, args...))
	}
	switch {
	case c.Addr == "":
		return bad("Addr", "is required")
	case len(c.Prefix) < 1 || c.Prefix[0] != '/' || !strings.HasSuffix(c.Prefix, "/"):
		return bad("Prefix", "must start and end with '/', got %q", c.Prefix)
	case (&url.URL{Path: c.Prefix}).EscapedPath() != c.Prefix:
		return bad("Prefix", "must need no URL escaping, got %q", c.Prefix)
	case c.TraceMode != TraceSleep && c.TraceMode != TraceSpin:
		return bad("TraceMode", "must be %q or %q, got %q", TraceSleep, TraceSpin, c.TraceMode)
	case c.Timeout < time.Millisecond || c.Timeout > registry.MaxTimeout:
		return bad("Timeout", "must be between 1ms and %s, got %s", registry.MaxTimeout, c.Timeout)
	case c.Concurrency < 0 || c.Concurrency > registry.MaxConcurrency:
		return bad("Concurrency", "must be between 0 (the default) and %d, got %d", registry.MaxConcurrency, c.Concurrency)
	case c.MinMemoryMB < 1 || c.MinMemoryMB > registry.MaxMemoryMB:
		return bad("MinMemoryMB", "must be between 1 and %d, got %d", registry.MaxMemoryMB, c.MinMemoryMB)
	case c.RegisterWait <= 0:
		return bad("RegisterWait", "must be positive, got %s", c.RegisterWait)
	}
	if c.Advertise != "" {
		host, port, err := net.SplitHostPort(c.Advertise)
		if err != nil || host == "" || port == "" || strings.ContainsAny(c.Advertise, "/?#@ ") {
			return bad("Advertise", "must be host:port, got %q", c.Advertise)
		}
	}
	return nil
}

// checkRoutes returns an error wrapping ErrInvalidConfig when a Dirigent
// route would hide one of the gateway's routes, or the other way round:
// both are served by one handler.
func (c DirigentConfig) checkRoutes(resultPath string) error {
	for _, p := range [...]string{"/functions/", "/events", "/healthz", "/metrics", resultPath} {
		if strings.HasPrefix(c.Prefix, p) || (c.Prefix != "/" && strings.HasPrefix(p, c.Prefix)) {
			return fmt.Errorf("%w: Dirigent Prefix: %q overlaps the gateway's route %q", ErrInvalidConfig, c.Prefix, p)
		}
	}
	return nil
}
