package scaler

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/wavelink/wavelink/services/scaler/policy"
)

// Config configures a Scaler. Zero fields take the defaults below.
type Config struct {
	// Tick is how often every function is decided. Default 2s.
	Tick time.Duration
	// Params are the decider's knobs. The zero value means
	// policy.DefaultParams().
	Params policy.Params
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
	DefaultTick          = 2 * time.Second
	DefaultReassertEvery = 15
	DefaultQueueReads    = 16
	DefaultQueueTimeout  = time.Second
	DefaultIdleSweep     = 8
	DefaultActiveFor     = time.Minute
)

// WithDefaults returns the config with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.Tick == 0 {
		c.Tick = DefaultTick
	}
	if c.Params == (policy.Params{}) {
		c.Params = policy.DefaultParams()
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

// Validate returns an error wrapping ErrInvalidConfig (or the policy's
// ErrInvalidParams) that names the first bad field. It checks the config as
// written; call WithDefaults first to accept zero fields.
func (c Config) Validate() error {
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
	}
	if err := c.Params.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return nil
}
