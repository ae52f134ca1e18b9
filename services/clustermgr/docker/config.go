package docker

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/docker/docker/client"
	"github.com/rs/zerolog"

	"github.com/wavelink/wavelink/services/clustermgr"
	"github.com/wavelink/wavelink/services/registry"
)

// Defaults for the Config fields left zero.
const (
	DefaultID           = "default"
	DefaultNanoCPUs     = int64(1e9) // one CPU
	DefaultMaxRestarts  = 5
	DefaultStartTimeout = 30 * time.Second
	// DefaultGraceMargin is added to a function's timeout to make its default
	// stop grace.
	DefaultGraceMargin = 5 * time.Second
	DefaultEventBuffer = 256
	// DefaultParallelStarts: see Config.ParallelStarts.
	DefaultParallelStarts = 2
)

// DefaultBackoff is the replacement back-off used when Config.RestartBackoff
// is left zero.
var DefaultBackoff = clustermgr.Backoff{Min: 100 * time.Millisecond, Max: 10 * time.Second, Reset: 30 * time.Second}

// Readiness says how an instance's readiness reaches the manager.
type Readiness int

const (
	// ReadyOnOutput runs every instance with --ready-fd 1: it writes
	// "ready" on its standard output once it pulls, and the manager reads
	// the container's log stream (standard output only) until that line.
	ReadyOnOutput Readiness = iota
	// ReadyOnHealth takes readiness from the engine's health_status events
	// of the container's health check (Config.Health, required).
	ReadyOnHealth
)

func (r Readiness) String() string {
	switch r {
	case ReadyOnOutput:
		return "output"
	case ReadyOnHealth:
		return "health"
	}
	return fmt.Sprintf("Readiness(%d)", int(r))
}

// ParseReadiness reads "output" or "health".
func ParseReadiness(s string) (Readiness, error) {
	switch s {
	case "output":
		return ReadyOnOutput, nil
	case "health":
		return ReadyOnHealth, nil
	}
	return 0, fmt.Errorf("%w: readiness %q: want output or health", ErrInvalidConfig, s)
}

// Config configures a Manager. Zero fields take the defaults listed with
// them; WithDefaults fills them in and Validate checks the result.
type Config struct {
	// Client talks to the Docker daemon. Default: a client configured from
	// the environment (DOCKER_HOST and friends) that negotiates the API
	// version; New makes it and Close or Detach closes it. A client given
	// here is left open.
	Client *client.Client
	// ID tells this manager's containers from any other's: it is the value
	// of their dev.wavelink.manager label and part of their names. Two
	// managers with different IDs never touch each other's containers; a
	// manager started with the ID of a previous one adopts its containers.
	// Letters, digits, '_', '.' and '-', at most 64. Default "default".
	ID string
	// Image is the instance image, made by BuildImage. Required; New checks
	// that the daemon has it.
	Image string
	// NATSURL is given to every instance with --nats. Containers run on the
	// host network, so this is the URL as the host sees it. Required.
	NATSURL string
	// NanoCPUs is every container's CPU limit in billionths of a CPU.
	// Default one CPU; New checks it against the daemon's CPUs.
	NanoCPUs int64
	// MaxRestarts is the restart policy's retry count: how many times in a
	// row the daemon restarts a container that exits with an error before
	// the manager removes and replaces it. Default 5.
	MaxRestarts int
	// ExtraArgs are appended to every instance's command line.
	ExtraArgs []string
	// Env holds KEY=VALUE pairs set in every container.
	Env []string
	// Readiness says how instances report ready. Default ReadyOnOutput.
	Readiness Readiness
	// Health, when set, gives every container a health check. Required
	// with ReadyOnHealth; with ReadyOnOutput the daemon still runs it and
	// the manager only logs its changes. With ReadyOnHealth, a ready
	// container that turns unhealthy stops counting as ready until it is
	// healthy again; the manager does not replace it for that.
	Health *HealthCheck
	// StartTimeout is how long an instance may take to report ready after
	// its container (re)starts before the container is removed and counted
	// as a failed start. Default 30s.
	StartTimeout time.Duration
	// StopGrace is how long a drained instance may take to stop after
	// SIGTERM before the daemon sends SIGKILL; it is rounded up to whole
	// seconds and kept in the container (its stop timeout), so a manager
	// that adopted it drains it with the same grace. Default
	// DefaultStopGrace: the function's timeout plus 5s.
	StopGrace func(registry.Spec) time.Duration
	// RestartBackoff spaces out replacements of a function's containers
	// that failed for good (never ready in time, could not start, or
	// crashed past the restart policy). Default DefaultBackoff.
	RestartBackoff clustermgr.Backoff
	// ParallelStarts bounds the containers being created and started at
	// once; the others wait their turn (round robin over functions), and
	// one scaled away while it waits is dropped
	// without ever being made. The daemon does much of a start's
	// work one container at a time (about 0.4 s each on a two-core machine
	// with fuse-overlayfs), so more at once only makes each slower and,
	// past the engine timeout, failed. Default 2.
	ParallelStarts int
	// EventBuffer is the capacity of the Events channel; events that do not
	// fit are dropped and counted. Default 256.
	EventBuffer int
	// Logger receives the manager's structured logs. The zero value logs
	// nothing.
	Logger zerolog.Logger
	// Clock is the reconciler's time source. Default: the system clock.
	Clock clustermgr.Clock
}

// HealthCheck is the health check of every container. It runs the image's
// entrypoint (the WaveLink binary) with Args inside the container, no shell
// needed; exit status 0 means healthy.
type HealthCheck struct {
	// Args follow the entrypoint on the check's command line. Required.
	Args []string
	// InstanceArgs are added to every instance's command line, so that the
	// check can see its readiness.
	InstanceArgs []string
	// Interval is the time between checks, the first one included: the
	// daemon (API 1.41) has no faster interval while a container starts.
	// Every check is a process started in the container, so a short
	// interval costs CPU for as long as the container runs. Default 30s.
	Interval time.Duration
	// Timeout bounds one check. Default 5s.
	Timeout time.Duration
	// StartPeriod is how long failures do not count after a start.
	StartPeriod time.Duration
	// Retries is how many failures in a row make a container unhealthy.
	// Default 3.
	Retries int
}

// ReadyFile is where an instance signals readiness for ReadyFileHealth.
const ReadyFile = "/tmp/wavelink-ready"

// ReadyFileHealth is the health check of the WaveLink binary: its instance
// runs with --ready-file PATH (it creates PATH once pulling and removes it on
// exit) and the check is its hidden `ready-probe --file PATH` (exit 0 when
// PATH exists, 1 otherwise). The check runs every interval.
func ReadyFileHealth(interval time.Duration) *HealthCheck {
	return &HealthCheck{
		Args:         []string{"ready-probe", "--file", ReadyFile},
		InstanceArgs: []string{"--ready-file", ReadyFile},
		Interval:     interval,
	}
}

// DefaultStopGrace is the function's timeout (registry.DefaultTimeout when
// unset) plus DefaultGraceMargin.
func DefaultStopGrace(spec registry.Spec) time.Duration {
	t := spec.Timeout.D()
	if t <= 0 {
		t = registry.DefaultTimeout
	}
	return t + DefaultGraceMargin
}

// FixedGrace returns a StopGrace that gives every function the grace d.
func FixedGrace(d time.Duration) func(registry.Spec) time.Duration {
	return func(registry.Spec) time.Duration { return d }
}

// WithDefaults returns the config with zero fields set to their defaults.
// It makes no client: New does.
func (c Config) WithDefaults() Config {
	if c.ID == "" {
		c.ID = DefaultID
	}
	if c.NanoCPUs == 0 {
		c.NanoCPUs = DefaultNanoCPUs
	}
	if c.MaxRestarts == 0 {
		c.MaxRestarts = DefaultMaxRestarts
	}
	if c.StartTimeout == 0 {
		c.StartTimeout = DefaultStartTimeout
	}
	if c.StopGrace == nil {
		c.StopGrace = DefaultStopGrace
	}
	if c.RestartBackoff == (clustermgr.Backoff{}) {
		c.RestartBackoff = DefaultBackoff
	}
	if c.ParallelStarts == 0 {
		c.ParallelStarts = DefaultParallelStarts
	}
	if c.EventBuffer == 0 {
		c.EventBuffer = DefaultEventBuffer
	}
	if c.Clock == nil {
		c.Clock = clustermgr.SystemClock{}
	}
	if c.Health != nil {
		h := *c.Health
		if h.Interval == 0 {
			h.Interval = 30 * time.Second
		}
		if h.Timeout == 0 {
			h.Timeout = 5 * time.Second
		}
		if h.Retries == 0 {
			h.Retries = 3
		}
		c.Health = &h
	}
	return c
}

// validID is what a manager ID may be: a label value that also fits in a
// container name.
var validID = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$`)

// Validate returns an error wrapping ErrInvalidConfig that names the first
// bad field. It checks the config as written; call WithDefaults first to
// accept zero fields.
func (c Config) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalidConfig, field, fmt.Sprintf(format, args...))
	}
	switch {
	case !validID.MatchString(c.ID):
		return bad("ID", "%q: want letters, digits, '_', '.' or '-', at most 64, starting with a letter or digit", c.ID)
	case strings.TrimSpace(c.Image) == "":
		return bad("Image", "required (build one with BuildImage)")
	case strings.ContainsAny(c.Image, " \t\r\n"):
		return bad("Image", "%q contains white space", c.Image)
	case strings.TrimSpace(c.NATSURL) == "":
		return bad("NATSURL", "required (the URL instances connect to, as the host sees it)")
	case strings.ContainsAny(c.NATSURL, " \t\r\n"):
		return bad("NATSURL", "%q contains white space", c.NATSURL)
	case c.NanoCPUs <= 0:
		return bad("NanoCPUs", "must be positive, got %d", c.NanoCPUs)
	case c.MaxRestarts < 1:
		return bad("MaxRestarts", "must be at least 1, got %d", c.MaxRestarts)
	case c.StartTimeout <= 0:
		return bad("StartTimeout", "must be positive, got %s", c.StartTimeout)
	case c.StopGrace == nil:
		return bad("StopGrace", "not set")
	case c.ParallelStarts < 1:
		return bad("ParallelStarts", "must be at least 1, got %d", c.ParallelStarts)
	case c.EventBuffer < 0:
		return bad("EventBuffer", "must not be negative, got %d", c.EventBuffer)
	case c.Clock == nil:
		return bad("Clock", "not set")
	case c.Readiness != ReadyOnOutput && c.Readiness != ReadyOnHealth:
		return bad("Readiness", "unknown value %d", int(c.Readiness))
	case c.Readiness == ReadyOnHealth && c.Health == nil:
		return bad("Health", "required when readiness comes from the health check")
	}
	if err := c.RestartBackoff.Validate(); err != nil {
		return bad("RestartBackoff", "%v", err)
	}
	for _, kv := range c.Env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" || strings.ContainsRune(kv, 0) {
			return bad("Env", "%q is not KEY=VALUE", kv)
		}
	}
	if h := c.Health; h != nil {
		switch {
		case len(h.Args) == 0:
			return bad("Health.Args", "required (the check's arguments to the binary)")
		case h.Interval < time.Millisecond:
			return bad("Health.Interval", "must be at least 1ms, got %s", h.Interval)
		case h.Timeout < time.Millisecond:
			return bad("Health.Timeout", "must be at least 1ms, got %s", h.Timeout)
		case h.StartPeriod < 0:
			return bad("Health.StartPeriod", "must not be negative, got %s", h.StartPeriod)
		case h.Retries < 0:
			return bad("Health.Retries", "must not be negative, got %d", h.Retries)
		}
	}
	return nil
}
