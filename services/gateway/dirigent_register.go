package gateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wavelink/wavelink/services/registry"
)

// traceBuiltin is the built-in function registrations deploy.
const traceBuiltin = "trace"

// DeployTimeout bounds the deployment of a registered function.
const DeployTimeout = 10 * time.Second

// Fields of the loader's registration form that WaveLink reads. The loader
// also sends env_vars, program_args, prepull_mode, num_args, num_rets,
// requested_gpu, node_affinity, node_port and, for busy-loop cold starts,
// iteration_multiplier and cold_start_busy_loop_ms; they do not apply to
// the trace function and are ignored.
const (
	formName           = "name"
	formImage          = "image"
	formPortForwarding = "port_forwarding"
	formUpperBound     = "scaling_upper_bound"
	formLowerBound     = "scaling_lower_bound"
	formRequestedCPU   = "requested_cpu"
	formRequestedMem   = "requested_memory"
)

// registration is what one registration form asks for.
type registration struct {
	// name is the function's name as the loader gave it; function is the
	// WaveLink function it maps to (DirigentFunctionName).
	name, function string
	// requestedMemoryMB is the form's requested_memory (0 when absent).
	requestedMemoryMB int
	// minInstances and maxInstances come from the scaling bounds; a
	// maxInstances of 0 means the registry's default.
	minInstances, maxInstances int
}

// parseRegistration reads the loader's registration form. It checks what
// Dirigent's own registration server checks (name, image, a port and a
// protocol of tcp or udp in port_forwarding, whole numbers in
// requested_cpu and requested_memory) and the scaling bounds. An upper
// bound of zero or less means none was set; one above registry.MaxInstanceCap
// is lowered to it. The error is a 400 naming the field.
func parseRegistration(form url.Values) (registration, *httpError) {
	bad := func(field, format string, args ...any) *httpError {
		return &httpError{code: http.StatusBadRequest, field: field,
			msg: fmt.Sprintf("invalid registration: %s: %s", field, fmt.Sprintf(format, args...))}
	}
	var reg registration
	reg.name = form.Get(formName)
	if reg.name == "" {
		return reg, bad(formName, "is required (send the registration as an application/x-www-form-urlencoded form)")
	}
	fn, err := DirigentFunctionName(reg.name)
	if err != nil {
		return reg, bad(formName, "%v", err)
	}
	reg.function = fn
	if form.Get(formImage) == "" {
		return reg, bad(formImage, "is required")
	}
	pf := form[formPortForwarding]
	switch {
	case len(pf) < 2:
		return reg, bad(formPortForwarding, "wants two values, a port and a protocol, got %d", len(pf))
	case !validPort(pf[0]):
		return reg, bad(formPortForwarding, "port %q is not a number between 1 and 65535", pf[0])
	case pf[1] != "tcp" && pf[1] != "udp":
		return reg, bad(formPortForwarding, "protocol %q is neither tcp nor udp", pf[1])
	}
	if _, herr := formInt(form, formRequestedCPU, 0, 1<<31-1, bad); herr != nil {
		return reg, herr
	}
	mem, herr := formInt(form, formRequestedMem, 0, registry.MaxMemoryMB, bad)
	if herr != nil {
		return reg, herr
	}
	reg.requestedMemoryMB = mem
	upper, herr := formInt(form, formUpperBound, -1<<31, 1<<31-1, bad)
	if herr != nil {
		return reg, herr
	}
	lower, herr := formInt(form, formLowerBound, 0, registry.MaxInstanceCap, bad)
	if herr != nil {
		return reg, herr
	}
	reg.maxInstances = min(max(upper, 0), registry.MaxInstanceCap)
	if reg.maxInstances > 0 && lower > reg.maxInstances {
		return reg, bad(formLowerBound, "%d is above %s %d", lower, formUpperBound, reg.maxInstances)
	}
	reg.minInstances = lower
	return reg, nil
}

// formInt reads an optional whole number between lo and hi; an absent or
// empty field is 0.
func formInt(form url.Values, field string, lo, hi int, bad func(field, format string, args ...any) *httpError) (int, *httpError) {
	s := strings.TrimSpace(form.Get(field))
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, bad(field, "%q is not a whole number", s)
	}
	if n < lo || n > hi {
		return 0, bad(field, "%d is not between %d and %d", n, lo, hi)
	}
	return n, nil
}

func validPort(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 1 && n <= 65535
}

// spec is the trace function a registration deploys.
func (reg registration) spec(cfg DirigentConfig) registry.Spec {
	return registry.Spec{
		Name:         reg.function,
		Package:      registry.Package{Builtin: traceBuiltin},
		MemoryMB:     max(reg.requestedMemoryMB, cfg.MinMemoryMB),
		Concurrency:  cfg.Concurrency,
		Timeout:      registry.Duration(cfg.Timeout),
		MinInstances: reg.minInstances,
		MaxInstances: reg.maxInstances,
	}
}

// register serves the loader's registration: it deploys the function, waits
// until the gateway sees it, and answers 200 with the invocation address.
// A function of the same WaveLink name that is not a trace function is a
// 409, as is one being removed.
func (d *Dirigent) register(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, d.g.cfg.MaxBody)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, d.g.tooLarge(-1))
			return
		}
		writeError(w, &httpError{code: http.StatusBadRequest, msg: fmt.Sprintf("invalid registration: the form cannot be read: %v", err)})
		return
	}
	reg, herr := parseRegistration(r.Form)
	if herr != nil {
		writeError(w, herr)
		return
	}
	if old, ok := d.g.specs.Lookup(reg.function); ok && old.Package.Builtin != traceBuiltin {
		writeError(w, &httpError{code: http.StatusConflict, function: reg.function, field: formName, msg: fmt.Sprintf(
			"function %q (from the name %q) is deployed with package %s; registration deploys only %s functions and does not replace it",
			reg.function, reg.name, old.Package, traceBuiltin)})
		return
	}
	dctx, cancel := context.WithTimeout(r.Context(), DeployTimeout)
	defer cancel()
	spec, err := d.deployer.Deploy(dctx, reg.spec(d.cfg))
	if err != nil {
		writeError(w, d.deployError(reg, err))
		return
	}
	d.remember(reg.name, reg.function)
	wctx, cancel := context.WithTimeout(r.Context(), d.cfg.RegisterWait)
	defer cancel()
	if err := d.awaitSpec(wctx, spec); err != nil {
		writeError(w, &httpError{code: http.StatusServiceUnavailable, function: reg.function, msg: fmt.Sprintf(
			"function %q was deployed but this gateway did not see it within %s: %v", reg.function, d.cfg.RegisterWait, err)})
		return
	}
	path := dirigentInvokePath
	if d.cfg.Async {
		path = dirigentAsyncPath
	}
	addr := d.advertise(r) + d.cfg.Prefix + path
	d.log.Info().Str("name", reg.name).Str("function", reg.function).Int("memory_mb", spec.MemoryMB).
		Int("min_instances", spec.MinInstances).Int("max_instances", spec.MaxInstances).Str("invoke", addr).
		Msg("function registered")
	writeText(w, http.StatusOK, addr)
}

func (d *Dirigent) deployError(reg registration, err error) *httpError {
	herr := &httpError{function: reg.function}
	switch {
	case errors.Is(err, registry.ErrInvalidSpec):
		herr.code = http.StatusBadRequest
		herr.msg = fmt.Sprintf("invalid registration: %v", err)
	case errors.Is(err, registry.ErrDraining):
		herr.code = http.StatusConflict
		herr.msg = fmt.Sprintf("function %q is being removed; register it again once it is gone", reg.function)
	default:
		d.log.Warn().Err(err).Str("function", reg.function).Msg("deploying a registered function failed")
		herr.code = http.StatusServiceUnavailable
		herr.msg = fmt.Sprintf("deploying function %q failed: %v", reg.function, err)
	}
	return herr
}

// specChanges is a Specs that says when its specs change; registry.Cache
// is one.
type specChanges interface {
	// Changed returns a channel closed at the next change to any spec.
	Changed() <-chan struct{}
}

// specPollInterval is how often awaitSpec looks again when the gateway's
// Specs cannot say when it changes.
const specPollInterval = 10 * time.Millisecond

// awaitSpec waits until the gateway's Specs shows the deployed spec, so that
// invocations sent right after the registration find the function.
func (d *Dirigent) awaitSpec(ctx context.Context, want registry.Spec) error {
	watch, _ := d.g.specs.(specChanges)
	for {
		var changed <-chan struct{}
		if watch != nil {
			changed = watch.Changed()
		}
		if got, ok := d.g.specs.Lookup(want.Name); ok && sameDeployment(got, want) {
			return nil
		}
		if changed == nil {
			t := time.NewTimer(specPollInterval)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			}
			continue
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// sameDeployment reports whether got is the deployment of want.
func sameDeployment(got, want registry.Spec) bool {
	return !got.Draining && got.Package == want.Package && got.MemoryMB == want.MemoryMB &&
		got.Concurrency == want.Concurrency && got.Timeout == want.Timeout &&
		got.MinInstances == want.MinInstances && got.MaxInstances == want.MaxInstances
}

// advertise is the host:port registrations answer: the configured one, or
// the one the registration was sent to.
func (d *Dirigent) advertise(r *http.Request) string {
	if d.cfg.Advertise != "" {
		return d.cfg.Advertise
	}
	if r.Host != "" {
		return r.Host
	}
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		return a.String()
	}
	return d.cfg.Addr
}

// check serves GET {Prefix}check?name=: 200 once the function is deployed
// and takes invocations, 404 before.
func (d *Dirigent) check(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get(formName)
	if name == "" {
		writeError(w, &httpError{code: http.StatusBadRequest, field: formName,
			msg: "invalid check: name is required: GET " + d.cfg.Prefix + dirigentCheckPath + "?name={function}"})
		return
	}
	fn, err := DirigentFunctionName(name)
	if err != nil {
		writeError(w, &httpError{code: http.StatusBadRequest, field: formName, msg: fmt.Sprintf("invalid check: name: %v", err)})
		return
	}
	if _, herr := d.g.lookup(fn); herr != nil {
		writeError(w, herr)
		return
	}
	writeJSON(w, http.StatusOK, jsonObject(nil).str("name", name).str("function", fn).str("status", "deployed").bytes())
}

// writeText answers with a plain-text body, exactly as given.
func writeText(w http.ResponseWriter, code int, body string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body))
}
