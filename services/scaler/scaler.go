package scaler

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/wavelink/wavelink/services/clustermgr"
	"github.com/wavelink/wavelink/services/registry"
	"github.com/wavelink/wavelink/services/scaler/expedite"
	"github.com/wavelink/wavelink/services/scaler/policy"
)

// Specs lists the deployed functions. *registry.Cache satisfies it.
type Specs interface {
	All() []registry.Spec
}

// flushTimeout bounds Run's wait for the server to confirm its
// subscriptions.
const flushTimeout = 5 * time.Second

// Scaler decides the regular instances of every function and asks the
// cluster manager for them, and, in the modes with an expedited track, asks
// Wavelets for emergency instances as work arrives.
type Scaler struct {
	cfg        Config
	syncParams policy.Params
	log        zerolog.Logger
	nc         *nats.Conn
	js         jetstream.JetStream
	specs      Specs
	mgr        clustermgr.Manager
	metrics    *metrics
	signals    signals
	pokes      *pokeQueue
	bursts     *burstQueue
	fleet      *fleet
	running    atomic.Bool

	// tickMu serialises ticks.
	tickMu sync.Mutex
	// mu guards everything below; the tick's decide phase and pokes hold it.
	mu         sync.Mutex
	fns        map[string]*fnState
	specByName map[string]registry.Spec
	tickNo     uint64
	sweepPos   int
	swept      bool // every queue was read once
}

// fnState is what the scaler keeps of one function.
type fnState struct {
	// spec is the function's spec as last seen, kept to scale it to zero
	// once it is removed.
	spec   registry.Spec
	policy policy.State
	// sig is the function's counters.
	sig *counters
	// arrivals are its arrivals over the rarity lookback (ModeWavelink).
	arrivals expedite.Arrivals
	// asked is the count the cluster manager last accepted, -1 before any.
	asked     int
	askedTick uint64
	// waiting and inFlight are the queue as last read.
	waiting, inFlight int
	// lastActive is the last tick the function had work or instances.
	lastActive time.Time
	panicking  bool
	lastErr    string
	gauges     gauges
}

// New returns a Scaler. It returns an error wrapping ErrInvalidConfig for a
// bad config or a missing dependency, or one saying the metrics could not
// be registered.
func New(cfg Config, nc *nats.Conn, js jetstream.JetStream, specs Specs, mgr clustermgr.Manager) (*Scaler, error) {
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
		return nil, fmt.Errorf("%w: a source of function specs is required", ErrInvalidConfig)
	case mgr == nil:
		return nil, fmt.Errorf("%w: a cluster manager is required", ErrInvalidConfig)
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	return &Scaler{
		cfg:        cfg,
		syncParams: cfg.syncParams(),
		log:        cfg.Logger.With().Str("component", "scaler").Str("mode", string(cfg.Mode)).Logger(),
		nc:         nc,
		js:         js,
		specs:      specs,
		mgr:        mgr,
		metrics:    m,
		pokes:      newPokeQueue(),
		bursts:     newBurstQueue(),
		fleet:      newFleet(cfg.NodeTTL),
		fns:        map[string]*fnState{},
		specByName: map[string]registry.Spec{},
	}, nil
}

// Run subscribes to the arrival and completion notices, acts on each
// arrival as the mode says (a poke, a scale-up or a burst decision), and
// ticks every Config.Tick until ctx ends. In the modes with an expedited
// track it also watches the Wavelets' status in the wl_nodes bucket and
// runs the burst senders. It returns nil when ctx ends, ErrAlreadyRunning if
// the Scaler already runs, or an error naming a subscription that failed.
func (s *Scaler) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return ErrAlreadyRunning
	}
	defer s.running.Store(false)
	if s.cfg.Mode.bursts() {
		defer s.releaseBursts() // once the loops below have ended
	}

	loopCtx, stopLoops := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer stopLoops()
	wg.Go(func() { s.pokeLoop(loopCtx) })
	if s.cfg.Mode.bursts() {
		wg.Go(func() { s.watchNodes(loopCtx) })
		for range s.cfg.BurstSenders {
			wg.Go(func() { s.burstLoop(loopCtx) })
		}
	}

	subs, err := s.subscribe()
	if err != nil {
		return fmt.Errorf("scaler: subscribe to signals: %w", err)
	}
	defer func() {
		for _, sub := range subs {
			_ = sub.Unsubscribe()
		}
	}()
	// Make sure the server has the subscriptions before the first tick; if
	// it cannot answer now they are sent again on reconnect.
	flushCtx, cancelFlush := context.WithTimeout(ctx, flushTimeout)
	if err := s.nc.FlushWithContext(flushCtx); err != nil && ctx.Err() == nil {
		s.log.Warn().Err(err).Msg("signal subscriptions not confirmed by the server")
	}
	cancelFlush()

	ticker := s.cfg.Clock.NewTicker(s.cfg.Tick)
	defer ticker.Stop()
	s.log.Info().Dur("tick", s.cfg.Tick).Msg("scaler running")
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-ticker.C():
			if err := s.Tick(ctx, now); err != nil {
				s.log.Warn().Err(err).Msg("tick")
			}
		}
	}
}
