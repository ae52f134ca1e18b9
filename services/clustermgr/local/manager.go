package local

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/wavelink/wavelink/services/clustermgr"
	"github.com/wavelink/wavelink/services/registry"
	"github.com/wavelink/wavelink/streams"
)

var _ clustermgr.Manager = (*Manager)(nil)

// Manager runs regular instances as processes on this machine.
type Manager struct {
	cfg   Config
	log   zerolog.Logger
	clock clustermgr.Clock

	mu sync.Mutex
	// wishes holds the latest Scale request per function.
	wishes map[string]wish
	// published is the instance table as last published by the reconciler,
	// for Ready and Instances.
	published map[string]InstanceInfo
	closed    bool

	// wake has room for one pending wake-up of the reconciler.
	wake chan struct{}
	// notes carries ready notices and exits from the process goroutines.
	notes chan note
	// closeReq is closed by Close; forceReq when Close's context ends.
	closeReq, forceReq   chan struct{}
	closeOnce, forceOnce sync.Once
	// loopDone is closed when the reconciler returns; done once the
	// helpers have returned and Events is closed.
	loopDone, done chan struct{}
	helpers        sync.WaitGroup

	events  chan clustermgr.Event
	dropped atomic.Uint64

	// Owned by the reconciler goroutine.
	insts   map[string]*instance
	backoff map[string]clustermgr.BackoffState
}

// wish is a recorded Scale request.
type wish struct {
	spec     registry.Spec
	replicas int
}

// InstanceInfo describes one instance process.
type InstanceInfo struct {
	Function string
	ID       string
	PID      int
	State    State
	Started  time.Time
}

// New applies the defaults to cfg, validates it, creates LogDir when set,
// and starts the reconciler. It returns an error wrapping ErrInvalidConfig
// for a bad config, or ErrUnsupported on a system without process groups.
func New(cfg Config) (*Manager, error) {
	if !processSupport {
		return nil, ErrUnsupported
	}
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.LogDir != "" {
		if err := os.MkdirAll(cfg.LogDir, 0o750); err != nil {
			return nil, fmt.Errorf("%w: LogDir: %w", ErrInvalidConfig, err)
		}
	}
	m := &Manager{
		cfg:       cfg,
		log:       cfg.Logger.With().Str("component", "clustermgr-local").Logger(),
		clock:     cfg.Clock,
		wishes:    map[string]wish{},
		published: map[string]InstanceInfo{},
		wake:      make(chan struct{}, 1),
		notes:     make(chan note),
		closeReq:  make(chan struct{}),
		forceReq:  make(chan struct{}),
		loopDone:  make(chan struct{}),
		done:      make(chan struct{}),
		events:    make(chan clustermgr.Event, cfg.EventBuffer),
		insts:     map[string]*instance{},
		backoff:   map[string]clustermgr.BackoffState{},
	}
	go m.run()
	return m, nil
}

// Scale records that replicas instances of spec's function should run and
// wakes the reconciler; it does not wait for them. The spec given last is
// used for new instances and stop graces. It returns an error wrapping
// ErrInvalidScale for a bad function name or a negative count, ErrClosed
// after Close, or the context's error.
func (m *Manager) Scale(ctx context.Context, spec registry.Spec, replicas int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !streams.ValidFunctionName(spec.Name) {
		return fmt.Errorf("%w: function name %q is not a DNS label", ErrInvalidScale, spec.Name)
	}
	if replicas < 0 {
		return fmt.Errorf("%w: %s: replicas must not be negative, got %d", ErrInvalidScale, spec.Name, replicas)
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return ErrClosed
	}
	m.wishes[spec.Name] = wish{spec: spec, replicas: replicas}
	m.mu.Unlock()
	m.poke()
	return nil
}

// Ready returns how many instances of fn have reported ready and are not
// being drained.
func (m *Manager) Ready(fn string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, in := range m.published {
		if in.Function == fn && in.State == StateReady {
			n++
		}
	}
	return n
}

// Instances returns every instance process not yet reaped, sorted by
// function and start time.
func (m *Manager) Instances() []InstanceInfo {
	m.mu.Lock()
	out := make([]InstanceInfo, 0, len(m.published))
	for _, in := range m.published {
		out = append(out, in)
	}
	m.mu.Unlock()
	slices.SortFunc(out, func(a, b InstanceInfo) int {
		return cmp.Or(cmp.Compare(a.Function, b.Function), a.Started.Compare(b.Started), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// Events delivers instance lifecycle events. It is closed after Close has
// reaped every instance. Events that do not fit its buffer are dropped and
// counted by Dropped.
func (m *Manager) Events() <-chan clustermgr.Event { return m.events }

// Dropped returns how many events were dropped because Events was full.
func (m *Manager) Dropped() uint64 { return m.dropped.Load() }

// Close drains every instance (SIGTERM, then SIGKILL to its group after its
// grace) and returns once every process is reaped; Events is closed by then.
// If ctx ends first, the remaining instances are killed at once and Close
// still waits for them to be reaped, then returns an error wrapping the
// context's error. Scale fails with ErrClosed from the moment Close is
// called. Calling Close again waits for the same end.
func (m *Manager) Close(ctx context.Context) error {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	m.closeOnce.Do(func() { close(m.closeReq) })
	select {
	case <-m.done:
		return nil
	case <-ctx.Done():
	}
	select {
	case <-m.done: // closed already: nothing is killed
		return nil
	default:
	}
	m.forceOnce.Do(func() { close(m.forceReq) })
	<-m.done
	return fmt.Errorf("clustermgr/local: close: instances were killed: %w", ctx.Err())
}

// poke wakes the reconciler without blocking.
func (m *Manager) poke() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// emit sends ev on Events, or drops and counts it when the buffer is full.
func (m *Manager) emit(ev clustermgr.Event) {
	select {
	case m.events <- ev:
	default:
		m.dropped.Add(1)
	}
}
