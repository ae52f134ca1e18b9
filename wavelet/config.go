package wavelet

import (
	"fmt"
	"os"
	"regexp"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/wavelink/wavelink/wavelet/poolpolicy"
)

// Runtime choices.
const (
	// RuntimeAuto uses containers where they can be made, processes
	// elsewhere.
	RuntimeAuto = "auto"
	// RuntimeContainers requires libcontainer containers.
	RuntimeContainers = "libcontainer"
	// RuntimeProcesses runs emergency instances as plain processes.
	RuntimeProcesses = "process"
)

// Config configures a Wavelet.
type Config struct {
	// Node names this node: its burst subject and its key in wl_nodes.
	// Letters, digits, '-' and '_'. Default: the host name, cleaned.
	Node string
	// NATSURL is the server emergency instances connect to. Required.
	NATSURL string
	// StateDir holds the Wavelet's containers' state, root filesystems,
	// unpacked packages and the instances' log. Required.
	StateDir string
	// Runtime is RuntimeAuto (default), RuntimeContainers or
	// RuntimeProcesses.
	Runtime string
	// Binary is the WaveLink binary emergency instances run; "" for the
	// running one.
	Binary string
	// InstanceArgs are added to each emergency instance's command line
	// (such as its log format and level).
	InstanceArgs []string
	// Slots is how many emergency instances may run or be pooled at once.
	// Default 16 per CPU.
	Slots int
	// MemoryMB is the memory emergency instances may take in all. Default
	// half of the node's available memory at start.
	MemoryMB int
	// OverheadMB is added to each instance's memory for the instance
	// runtime itself. Default 48.
	OverheadMB int
	// IdleTimeout retires an instance that held no invocation this long.
	// Default 1s.
	IdleTimeout time.Duration
	// MaxLifetime retires an instance this long after it started. Default
	// 60s.
	MaxLifetime time.Duration
	// ReadyTimeout bounds the wait for a started instance to pull. Default
	// 10s.
	ReadyTimeout time.Duration
	// CrashBackoff is how long a function whose instance died before it was
	// ready is refused. Default 5s.
	CrashBackoff time.Duration
	// StatusEvery is how often the node status is written. Default 1s.
	StatusEvery time.Duration
	// Pool bounds the pre-created pool; Pool.PerFunction < 0 disables it.
	Pool poolpolicy.Params
	// Generic is how many generic instances are kept parked: connected,
	// not yet given a function, taken by a burst of any built-in function
	// that has no pooled instance. Default 2; -1 keeps none.
	Generic int
	// GenericMemoryMB is a generic instance's memory, beyond OverheadMB,
	// until it is given a function. Default 64.
	GenericMemoryMB int
	// Logger receives the Wavelet's logs.
	Logger zerolog.Logger
	// Registerer receives the Wavelet's metrics; nil for none.
	Registerer prometheus.Registerer
}

// Defaults.
const (
	DefaultOverheadMB      = 48
	DefaultIdleTimeout     = time.Second
	DefaultMaxLifetime     = 60 * time.Second
	DefaultReadyTimeout    = 10 * time.Second
	DefaultCrashBackoff    = 5 * time.Second
	DefaultStatusEvery     = time.Second
	DefaultGeneric         = 2
	DefaultGenericMemoryMB = 64
)

var validNode = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$`)

// NodeName turns a host name into a valid node name.
func NodeName(host string) string {
	b := []byte(host)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '-'
		}
	}
	s := string(b)
	if len(s) > 40 {
		s = s[:40]
	}
	if s == "" || s[0] == '-' || s[0] == '_' {
		s = "node" + s
	}
	return s
}

// WithDefaults fills in zero fields.
func (c Config) WithDefaults() Config {
	if c.Node == "" {
		host, _ := os.Hostname()
		c.Node = NodeName(host)
	}
	if c.Runtime == "" {
		c.Runtime = RuntimeAuto
	}
	if c.Slots == 0 {
		c.Slots = 16 * runtime.NumCPU()
	}
	if c.MemoryMB == 0 {
		c.MemoryMB = availableMemoryMB() / 2
	}
	if c.OverheadMB == 0 {
		c.OverheadMB = DefaultOverheadMB
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.MaxLifetime == 0 {
		c.MaxLifetime = DefaultMaxLifetime
	}
	if c.ReadyTimeout == 0 {
		c.ReadyTimeout = DefaultReadyTimeout
	}
	if c.CrashBackoff == 0 {
		c.CrashBackoff = DefaultCrashBackoff
	}
	if c.StatusEvery == 0 {
		c.StatusEvery = DefaultStatusEvery
	}
	if c.Generic == 0 {
		c.Generic = DefaultGeneric
	}
	if c.GenericMemoryMB == 0 {
		c.GenericMemoryMB = DefaultGenericMemoryMB
	}
	c.Pool = c.Pool.WithDefaults()
	return c
}

// Validate returns an error wrapping ErrInvalidConfig naming the first
// field that cannot work.
func (c Config) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalidConfig, field, fmt.Sprintf(format, args...))
	}
	switch {
	case !validNode.MatchString(c.Node):
		return bad("node", "must be 1 to 40 letters, digits, '-' or '_', got %q", c.Node)
	case c.NATSURL == "":
		return bad("natsURL", "emergency instances need the NATS server's URL")
	case c.StateDir == "":
		return bad("stateDir", "required")
	case c.Runtime != RuntimeAuto && c.Runtime != RuntimeContainers && c.Runtime != RuntimeProcesses:
		return bad("runtime", "must be %q, %q or %q, got %q", RuntimeAuto, RuntimeContainers, RuntimeProcesses, c.Runtime)
	case c.Slots < 1:
		return bad("slots", "must be at least 1, got %d", c.Slots)
	case c.MemoryMB < 1:
		return bad("memoryMB", "must be at least 1, got %d", c.MemoryMB)
	case c.OverheadMB < 0:
		return bad("overheadMB", "must not be negative, got %d", c.OverheadMB)
	case c.IdleTimeout < 0:
		return bad("idleTimeout", "must not be negative, got %s", c.IdleTimeout)
	case c.MaxLifetime < 0:
		return bad("maxLifetime", "must not be negative, got %s", c.MaxLifetime)
	case c.ReadyTimeout <= 0:
		return bad("readyTimeout", "must be positive, got %s", c.ReadyTimeout)
	case c.Generic < -1:
		return bad("generic", "must be -1 (none) or more, got %d", c.Generic)
	case c.GenericMemoryMB < 1:
		return bad("genericMemoryMB", "must be at least 1, got %d", c.GenericMemoryMB)
	case c.StatusEvery <= 0:
		return bad("statusEvery", "must be positive, got %s", c.StatusEvery)
	}
	if c.Pool.PerFunction >= 0 {
		if err := c.Pool.Validate(); err != nil {
			return bad("pool", "%v", err)
		}
	}
	return nil
}
