package docker

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/client"
	"github.com/rs/zerolog"

	"github.com/wavelink/wavelink/services/clustermgr"
	"github.com/wavelink/wavelink/services/registry"
)

var _ clustermgr.Manager = (*Manager)(nil)

// engineTimeout bounds one engine call that has no other bound.
const engineTimeout = 30 * time.Second

// minMemoryMB is the smallest memory limit the daemon accepts.
const minMemoryMB = 6

// Manager runs regular instances as Docker containers.
type Manager struct {
	cfg       Config
	cli       *client.Client
	ownClient bool
	log       zerolog.Logger
	clock     clustermgr.Clock
	image     imageInfo

	mu sync.Mutex
	// wishes holds the latest Scale request per function.
	wishes map[string]wish
	// published is the instance table as last published by the reconciler,
	// for Ready and Instances.
	published map[string]InstanceInfo
	closed    bool

	// wake has room for one pending wake-up of the reconciler.
	wake chan struct{}
	// notes carries what the engine goroutines learn to the reconciler.
	notes chan note
	// closeReq is closed by Close, forceReq when Close's context ends,
	// detachReq by Detach.
	closeReq, forceReq, detachReq    chan struct{}
	closeOnce, forceOnce, detachOnce sync.Once
	// engine is the context of engine calls: never cancelled, each call
	// has its own timeout. streams is the context of the event stream and
	// output readers, ended with stopStreams once the reconciler returns.
	engine, streams context.Context
	stopStreams     context.CancelFunc
	// loopDone is closed when the reconciler returns; done once the
	// helpers have returned and Events is closed.
	loopDone, done chan struct{}
	helpers        sync.WaitGroup

	events  chan clustermgr.Event
	dropped atomic.Uint64

	// Owned by the reconciler goroutine.
	insts       map[string]*instance // by instance ID
	byContainer map[string]*instance
	backoff     map[string]clustermgr.BackoffState
	// queue holds the instances waiting for a start slot, in the order
	// they were asked for; creating counts the containers being created
	// and started (at most Config.ParallelStarts). starts counts the
	// slots given; lastStart is the count at each function's last one.
	queue     []*instance
	creating  int
	starts    uint64
	lastStart map[string]uint64
}

// wish is a recorded Scale request.
type wish struct {
	spec     registry.Spec
	replicas int
}

// New applies the defaults to cfg, validates it, checks the daemon and the
// image, adopts the running containers labelled with cfg.ID (and removes
// the stopped ones), and starts the reconciler. It returns an error
// wrapping ErrInvalidConfig for a bad config, ErrDaemon when the daemon
// cannot be reached, or ErrImage when the image is missing or has no
// entrypoint.
func New(ctx context.Context, cfg Config) (*Manager, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cli, own := cfg.Client, false
	if cli == nil {
		c, err := NewClient()
		if err != nil {
			return nil, err
		}
		cli, own = c, true
	}
	fail := func(err error) (*Manager, error) {
		if own {
			_ = cli.Close()
		}
		return nil, err
	}
	img, err := checkEngine(ctx, cli, cfg)
	if err != nil {
		return fail(err)
	}
	engine := context.WithoutCancel(ctx)
	streams, stopStreams := context.WithCancel(engine)
	m := &Manager{
		cfg:         cfg,
		cli:         cli,
		ownClient:   own,
		log:         cfg.Logger.With().Str("component", "clustermgr-docker").Str("manager", cfg.ID).Logger(),
		clock:       cfg.Clock,
		image:       img,
		wishes:      map[string]wish{},
		published:   map[string]InstanceInfo{},
		wake:        make(chan struct{}, 1),
		notes:       make(chan note),
		closeReq:    make(chan struct{}),
		forceReq:    make(chan struct{}),
		detachReq:   make(chan struct{}),
		engine:      engine,
		streams:     streams,
		stopStreams: stopStreams,
		loopDone:    make(chan struct{}),
		done:        make(chan struct{}),
		events:      make(chan clustermgr.Event, cfg.EventBuffer),
		insts:       map[string]*instance{},
		byContainer: map[string]*instance{},
		backoff:     map[string]clustermgr.BackoffState{},
		lastStart:   map[string]uint64{},
	}
	// Events are read from just before the list, so none between the two
	// is missed; those seen twice change nothing.
	since := time.Now()
	found, err := m.list(ctx)
	if err != nil {
		stopStreams()
		return fail(err)
	}
	now := m.clock.Now()
	for _, f := range found {
		m.adopt(now, f)
	}
	m.helpers.Add(1)
	go m.watch(since)
	go m.run()
	return m, nil
}

// NewClient returns a client of the daemon configured from the environment
// (DOCKER_HOST and friends) that negotiates the API version with it.
func NewClient() (*client.Client, error) {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDaemon, err)
	}
	return cli, nil
}

// checkEngine pings the daemon, reads the image's entrypoint, and checks
// the CPU limit against the daemon's CPUs.
func checkEngine(ctx context.Context, cli *client.Client, cfg Config) (imageInfo, error) {
	if _, err := cli.Ping(ctx); err != nil {
		return imageInfo{}, fmt.Errorf("%w: %w", ErrDaemon, err)
	}
	ii, err := cli.ImageInspect(ctx, cfg.Image)
	switch {
	case cerrdefs.IsNotFound(err):
		return imageInfo{}, fmt.Errorf("%w: %q is not on the daemon (nothing is pulled: build it with BuildImage)", ErrImage, cfg.Image)
	case err != nil:
		return imageInfo{}, fmt.Errorf("%w: inspect %q: %w", ErrImage, cfg.Image, err)
	case ii.Config == nil || len(ii.Config.Entrypoint) == 0:
		return imageInfo{}, fmt.Errorf("%w: %q has no entrypoint (build it with BuildImage)", ErrImage, cfg.Image)
	}
	info, err := cli.Info(ctx)
	if err != nil {
		return imageInfo{}, fmt.Errorf("%w: info: %w", ErrDaemon, err)
	}
	if info.NCPU > 0 && cfg.NanoCPUs > int64(info.NCPU)*1e9 {
		return imageInfo{}, fmt.Errorf("%w: NanoCPUs: %d is more than the daemon's %d CPUs", ErrInvalidConfig, cfg.NanoCPUs, info.NCPU)
	}
	return imageInfo{entrypoint: ii.Config.Entrypoint}, nil
}

// Scale records that replicas instances of spec's function should run and
// wakes the reconciler; it does not wait for them. The spec, with its
// defaults filled in, must be valid; the one given last is used for new
// containers. It returns an error wrapping ErrInvalidScale (and
// registry.ErrInvalidSpec for a bad spec) for bad input, ErrClosed after
// Close or Detach, or the context's error.
func (m *Manager) Scale(ctx context.Context, spec registry.Spec, replicas int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	spec = spec.WithDefaults()
	if err := spec.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidScale, err)
	}
	for _, p := range []string{spec.Package.RootFS, spec.Package.OCI} {
		if p != "" && !filepath.IsAbs(p) {
			return fmt.Errorf("%w: %s: package path %q must be absolute (it is mounted into the container)", ErrInvalidScale, spec.Name, p)
		}
	}
	if spec.MemoryMB < minMemoryMB {
		return fmt.Errorf("%w: %s: memoryMB %d is below the %d MB the daemon allows a container", ErrInvalidScale, spec.Name, spec.MemoryMB, minMemoryMB)
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

// Ready returns how many instances of fn have reported ready in their
// current run and are not being drained.
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

// Instances returns every instance container not yet removed, sorted by
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

// Events delivers instance lifecycle events. It is closed once Close or
// Detach is done. Events that do not fit its buffer are dropped and counted
// by Dropped. A container restarted by its restart policy keeps its
// instance ID: its failed or exited event is followed by starting and
// ready again. An adopted instance reports ready with no starting event.
func (m *Manager) Events() <-chan clustermgr.Event { return m.events }

// Dropped returns how many events were dropped because Events was full.
func (m *Manager) Dropped() uint64 { return m.dropped.Load() }

// Close drains every container of this manager (SIGTERM, SIGKILL after its
// grace), removes them, and returns once they are all gone; Events is
// closed by then. If ctx ends first, the remaining containers are removed
// at once and Close still waits for that, then returns an error wrapping
// the context's error. Scale fails with ErrClosed from the moment Close is
// called. Calling Close again waits for the same end.
func (m *Manager) Close(ctx context.Context) error {
	m.markClosed()
	m.closeOnce.Do(func() { close(m.closeReq) })
	select {
	case <-m.done:
		return nil
	case <-ctx.Done():
	}
	select {
	case <-m.done:
		return nil
	default:
	}
	m.forceOnce.Do(func() { close(m.forceReq) })
	<-m.done
	return fmt.Errorf("clustermgr/docker: close: containers were removed at once: %w", ctx.Err())
}

// Detach stops the manager and leaves its containers running, for the next
// manager with the same ID to adopt; engine calls under way are let finish.
// It returns once Events is closed, or with ctx's error if ctx ends first
// (the manager still stops). Scale fails with ErrClosed from the moment
// Detach is called.
func (m *Manager) Detach(ctx context.Context) error {
	m.markClosed()
	m.detachOnce.Do(func() { close(m.detachReq) })
	select {
	case <-m.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("clustermgr/docker: detach: %w", ctx.Err())
	}
}

func (m *Manager) markClosed() {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
}

// poke wakes the reconciler without blocking.
func (m *Manager) poke() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// send hands a note to the reconciler, or drops it once the reconciler has
// returned.
func (m *Manager) send(n note) {
	select {
	case m.notes <- n:
	case <-m.loopDone:
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
