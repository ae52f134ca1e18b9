package scaler

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/wavelink/wavelink/services/scaler/expedite"
	"github.com/wavelink/wavelink/services/scaler/policy"
)

// Config configures a Scaler. Zero fields take the defaults below.
type Config struct {
	// Mode is how the two tracks share the work. Default ModeWavelink.
	Mode Mode
	// Tick is how often every function is decided. Default 2s.
	Tick time.Duration
	// Params are the regular decider's knobs. The zero value means
	// policy.DefaultParams().
	Params policy.Params
	// KeepAlive is how long ModeSync keeps a regular instance after it was
	// last needed (at most policy.MaxBuckets × Params.BucketWidth), and the
	// idle timeout of ModeFastpath's emergency instances. Default
	// Params.StableWindow.
	KeepAlive time.Duration
	// Expedite are the expedited track's knobs (burst size, rarity). The
	// zero value means expedite.DefaultParams().
	Expedite expedite.Params
	// BurstTimeout bounds one burst request's wait for its reply; a request
	// unanswered by then counts as refused. Default 15s: a Wavelet answers
	// once the instances it accepted pull, and a cold start may be slow.
	BurstTimeout time.Duration
	// BurstSenders is how many burst requests may be in flight at once.
	// Default 4.
	BurstSenders int
	// NodeTTL is how long a Wavelet's status counts after the scaler
	// received it, unless a newer one replaces it. Default 5s, the
	// wl_nodes bucket's default TTL.
	NodeTTL time.Duration
	// Logger receives one line per scaling change; the zero value logs
	// nothing.
	Logger zerolog.Logger
	// Clock is the time source and ticker maker. Default RealClock().
	Clock Clock
	// Registerer, when set, gets the scaler's metrics.
	Registerer prometheus.Registerer
	// ReassertEvery re-sends an unchanged desired count every this many
	// ticks, for a function with instances wanted or still running, so a
	// restarted cluster manager learns it again. Default 15.
	ReassertEvery int
	// QueueReads bounds the consumer reads in flight at once. Default 16.
	QueueReads int
	// QueueTimeout bounds one consumer read. Default 1s.
	QueueTimeout time.Duration
	// IdleSweep is how many idle functions' queues are read per tick, round
	// robin. Default 8; negative disables the sweep.
	IdleSweep int
	// ActiveFor is how long a function stays active, and its queue read
	// every tick, after it last had work or instances. Default 1m.
	ActiveFor time.Duration
}

// Defaults.
const (
	DefaultMode          = ModeWavelink
	DefaultBurstTimeout  = 15 * time.Second
	DefaultBurstSenders  = 4
	DefaultNodeTTL       = 5 * time.Second
	DefaultTick          = 2 * time.Second
	DefaultReassertEvery = 15
	DefaultQueueReads    = 16
	DefaultQueueTimeout  = time.Second
	DefaultIdleSweep     = 8
	DefaultActiveFor     = time.Minute
)

// FastpathMaxLifetime is the max lifetime ModeFastpath asks for its
// emergency instances.
const FastpathMaxLifetime = 24 * time.Hour

// BurstSource is the CloudEvent source of the scaler's burst requests.
const BurstSource = "/wavelink/scaler"

// WithDefaults returns the config with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.Mode == "" {
		c.Mode = DefaultMode
	}
	if c.Tick == 0 {
		c.Tick = DefaultTick
	}
	if c.Params == (policy.Params{}) {
		c.Params = policy.DefaultParams()
	}
	if c.KeepAlive == 0 {
		c.KeepAlive = c.Params.StableWindow
	}
	if c.Expedite == (expedite.Params{}) {
		c.Expedite = expedite.DefaultParams()
	}
	if c.BurstTimeout == 0 {
		c.BurstTimeout = DefaultBurstTimeout
	}
	if c.BurstSenders == 0 {
		c.BurstSenders = DefaultBurstSenders
	}
	if c.NodeTTL == 0 {
		c.NodeTTL = DefaultNodeTTL
	}
	if c.Clock == nil {
		c.Clock = RealClock()
	}
	if c.ReassertEvery == 0 {
		c.ReassertEvery = DefaultReassertEvery
	}
	if c.QueueReads == 0 {
		c.QueueReads = DefaultQueueReads
	}
	if c.QueueTimeout == 0 {
		c.QueueTimeout = DefaultQueueTimeout
	}
	if c.IdleSweep == 0 {
		c.IdleSweep = DefaultIdleSweep
	}
	if c.ActiveFor == 0 {
		c.ActiveFor = DefaultActiveFor
	}
	return c
}

// Validate returns an error wrapping ErrInvalidConfig (and the policy's
// ErrInvalidParams or expedite's ErrInvalidParams) that names the first bad
// field; an unknown Mode is named with the modes there are. It checks the
// config as written; call WithDefaults first to accept zero fields.
func (c Config) Validate() error {
	if !c.Mode.valid() {
		return c.Mode.invalid()
	}
	switch {
	case c.Tick <= 0:
		return fmt.Errorf("%w: Tick must be positive, got %s", ErrInvalidConfig, c.Tick)
	case c.Clock == nil:
		return fmt.Errorf("%w: Clock is required", ErrInvalidConfig)
	case c.ReassertEvery < 1:
		return fmt.Errorf("%w: ReassertEvery must be at least 1, got %d", ErrInvalidConfig, c.ReassertEvery)
	case c.QueueReads < 1:
		return fmt.Errorf("%w: QueueReads must be at least 1, got %d", ErrInvalidConfig, c.QueueReads)
	case c.QueueTimeout <= 0:
		return fmt.Errorf("%w: QueueTimeout must be positive, got %s", ErrInvalidConfig, c.QueueTimeout)
	case c.ActiveFor < 0:
		return fmt.Errorf("%w: ActiveFor must not be negative, got %s", ErrInvalidConfig, c.ActiveFor)
	case c.KeepAlive <= 0:
		return fmt.Errorf("%w: KeepAlive must be positive, got %s", ErrInvalidConfig, c.KeepAlive)
	case c.BurstTimeout <= 0:
		return fmt.Errorf("%w: BurstTimeout must be positive, got %s", ErrInvalidConfig, c.BurstTimeout)
	case c.BurstSenders < 1:
		return fmt.Errorf("%w: BurstSenders must be at least 1, got %d", ErrInvalidConfig, c.BurstSenders)
	case c.NodeTTL <= 0:
		return fmt.Errorf("%w: NodeTTL must be positive, got %s", ErrInvalidConfig, c.NodeTTL)
	}
	if err := c.Params.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	if err := c.Expedite.Validate(); err != nil {
		return fmt.Errorf("%w: Expedite: %w", ErrInvalidConfig, err)
	}
	if c.Mode == ModeSync {
		if err := c.syncParams().Validate(); err != nil {
			return fmt.Errorf("%w: KeepAlive %s does not fit the sync decider: %w", ErrInvalidConfig, c.KeepAlive, err)
		}
	}
	return nil
}

// syncParams are the decider's knobs in ModeSync: the peak over the
// keep-alive, each instance's concurrency counted in full, and no grace
// beyond the keep-alive.
func (c Config) syncParams() policy.Params {
	p := c.Params
	p.StableWindow = c.KeepAlive
	p.PanicWindow = min(p.PanicWindow, c.KeepAlive)
	p.TargetUtilization = 1
	p.ScaleToZeroGrace = 0
	return p
}
