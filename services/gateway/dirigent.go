package gateway

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/wavelink/wavelink/services/registry"
)

// Deployer deploys function specs; registry.Registry is one.
type Deployer interface {
	// Deploy creates or updates the function and returns the stored spec.
	Deploy(ctx context.Context, s registry.Spec) (registry.Spec, error)
}

// Dirigent serves the HTTP contract of Dirigent, the control plane the
// vHive/invitro loader drives in its Dirigent platform mode, on top of a
// Gateway, so that the unmodified loader can drive WaveLink:
//
//   - POST {Prefix} with the loader's registration form deploys a trace
//     function and answers 200 with host:port{Prefix}invoke (or
//     invoke-async), the address to invoke it at;
//   - GET {Prefix}check?name= answers 200 once the function is deployed;
//   - POST {Prefix}invoke with the function's name in the Host header (the
//     ":authority" in HTTP/2) runs it synchronously and answers 200 with the
//     JSON the loader reads: {"Status","Function","MachineName","ExecutionTime"};
//   - POST {Prefix}invoke-async answers 200 with an invocation id as the
//     whole body, and GET {Prefix}async-result with that id as the body
//     answers the same JSON with a Duration-Microseconds header.
//
// Every other request goes to the gateway's own routes, so one handler
// serves both. Failures are answered with a status other than 200; the
// async result route answers them with an empty body (the loader counts only
// an empty body as a failed result there), the reason in a Wl-Error header.
type Dirigent struct {
	cfg      DirigentConfig
	g        *Gateway
	deployer Deployer
	log      zerolog.Logger
	// now reads the clock of async ids and durations.
	now func() time.Time
	// names maps a WaveLink function name back to the name the loader
	// gave, for the functions whose names were rewritten.
	names sync.Map
}

// NewDirigent returns the Dirigent routes of g, deploying registered
// functions through deployer. It returns an error wrapping ErrInvalidConfig
// for a bad config, a prefix that overlaps the gateway's routes, or a
// missing argument.
func NewDirigent(cfg DirigentConfig, g *Gateway, deployer Deployer) (*Dirigent, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	switch {
	case g == nil:
		return nil, fmt.Errorf("%w: Dirigent: a gateway is required", ErrInvalidConfig)
	case deployer == nil:
		return nil, fmt.Errorf("%w: Dirigent: a deployer is required", ErrInvalidConfig)
	}
	if err := cfg.checkRoutes(g.cfg.ResultPath); err != nil {
		return nil, err
	}
	return &Dirigent{
		cfg:      cfg,
		g:        g,
		deployer: deployer,
		log:      g.cfg.Logger.With().Str("component", "dirigent").Logger(),
		now:      time.Now,
	}, nil
}

// Handler returns the Dirigent routes in front of the gateway's, for
// httptest or for embedding in another server. It recovers from panics,
// answering 500.
func (d *Dirigent) Handler() http.Handler { return d }

// ServeHTTP routes one request, counting it in the gateway's metrics and
// recovering from a panic.
func (d *Dirigent) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.g.instrument(w, r, d.route)
}

// route answers one request on the Dirigent routes, or passes it to the
// gateway's.
func (d *Dirigent) route(w http.ResponseWriter, r *http.Request, label *string) {
	rest, ok := strings.CutPrefix(r.URL.Path, d.cfg.Prefix)
	if !ok {
		d.g.route(w, r, label)
		return
	}
	switch rest {
	case "":
		*label = routeDirigentRegister
		if methodAllowed(w, r, http.MethodPost) {
			d.register(w, r)
		}
	case dirigentCheckPath:
		*label = routeDirigentCheck
		if methodAllowed(w, r, http.MethodGet, http.MethodHead) {
			d.check(w, r)
		}
	case dirigentInvokePath, dirigentAsyncPath:
		*label = routeDirigentInvoke
		if methodAllowed(w, r, http.MethodPost) {
			d.invoke(w, r, rest == dirigentAsyncPath)
		}
	case dirigentResultPath:
		*label = routeDirigentResult
		if methodAllowed(w, r, http.MethodGet) {
			d.result(w, r)
		}
	default:
		d.g.route(w, r, label)
	}
}

// ListenAndServe listens on DirigentConfig.Addr and serves the Dirigent
// routes and the gateway's until ctx ends; see Serve. It returns an error
// naming the address when it cannot listen.
func (d *Dirigent) ListenAndServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", d.cfg.Addr)
	if err != nil {
		return fmt.Errorf("gateway: Dirigent: listen on %s: %w", d.cfg.Addr, err)
	}
	return d.Serve(ctx, ln)
}

// Serve answers HTTP/1.1 and cleartext HTTP/2 (h2c with prior knowledge) on
// ln with the Dirigent routes and the gateway's, until ctx ends, and shuts
// down as Gateway.Serve does, with the same errors. It may run beside the
// gateway's own Serve on another listener, or in its place.
func (d *Dirigent) Serve(ctx context.Context, ln net.Listener) error {
	return d.g.serve(ctx, ln, d, d.log)
}

// loaderName is the name the loader gave the function fn, when it was
// rewritten; fn itself otherwise.
func (d *Dirigent) loaderName(fn string) string {
	if v, ok := d.names.Load(fn); ok {
		return v.(string)
	}
	return fn
}

// remember keeps the name the loader gave a function whose name was
// rewritten.
func (d *Dirigent) remember(name, fn string) {
	if name == fn {
		return
	}
	if old, ok := d.names.Load(fn); !ok || old.(string) != name {
		d.names.Store(fn, name)
	}
}
