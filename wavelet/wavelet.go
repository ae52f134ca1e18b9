package wavelet

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/wavelink/wavelink/services/registry"
	"github.com/wavelink/wavelink/streams"
	"github.com/wavelink/wavelink/wavelet/poolpolicy"
	"github.com/wavelink/wavelink/wavelet/sandbox"
)

// Specs is where the Wavelet reads function specs. *registry.Cache
// satisfies it.
type Specs interface {
	Lookup(name string) (registry.Spec, bool)
	All() []registry.Spec
}

// sandboxes makes sandboxes: *sandbox.Containers or *sandbox.Processes.
type sandboxes interface {
	Create(spec sandbox.Spec) (*sandbox.Sandbox, error)
	Clean() (int, error)
	Close() error
	Mode() string
}

// Wavelet is the node agent: see the package comment.
type Wavelet struct {
	cfg        Config
	log        zerolog.Logger
	nc         *nats.Conn
	js         jetstream.JetStream
	specs      Specs
	rt         sandboxes
	containers bool
	bundles    *bundles
	metrics    *metrics
	runID      string
	seq        atomic.Uint64
	running    atomic.Bool
	outLog     *os.File
	// work tracks burst handlers, pool fills and reapers.
	work sync.WaitGroup
	// ready is closed once Run answers burst requests.
	ready chan struct{}
	// refill asks the run loop to make up the pool and the generic
	// instances a burst took, before the next status tick.
	refill chan struct{}

	mu        sync.Mutex
	insts     map[string]*inst   // started or running, by id
	pool      map[string][]*inst // parked, per function, oldest first
	filling   map[string]int     // pool entries being made, per function
	generics  []*inst            // parked, not yet given a function
	genFill   int                // generic instances being made
	usedSlots int
	usedMB    int
	history   map[string]*poolpolicy.History
	crashed   map[string]crash
	stopping  bool
}

// crash remembers why a function is refused for a while.
type crash struct {
	until  time.Time
	reason string
}

// New returns a Wavelet. It picks the sandbox runtime now: with
// RuntimeAuto, containers where they can be made, else plain processes,
// saying why once in the log. It returns an error wrapping
// ErrInvalidConfig, or one saying containers cannot be made when
// RuntimeContainers was asked for.
func New(cfg Config, nc *nats.Conn, js jetstream.JetStream, specs Specs) (*Wavelet, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if nc == nil || js == nil || specs == nil {
		return nil, fmt.Errorf("%w: a NATS connection, its JetStream context and a source of specs are required", ErrInvalidConfig)
	}
	log := cfg.Logger.With().Str("component", "wavelet").Str("node", cfg.Node).Logger()
	stateDir, err := filepath.Abs(cfg.StateDir)
	if err != nil {
		return nil, fmt.Errorf("%w: stateDir: %w", ErrInvalidConfig, err)
	}
	cfg.StateDir = stateDir
	if err := os.MkdirAll(stateDir, 0o755); err != nil {
		return nil, fmt.Errorf("wavelet: state folder: %w", err)
	}
	w := &Wavelet{
		cfg: cfg, log: log, nc: nc, js: js, specs: specs,
		bundles: newBundles(stateDir),
		insts:   map[string]*inst{}, pool: map[string][]*inst{}, filling: map[string]int{},
		history: map[string]*poolpolicy.History{}, crashed: map[string]crash{},
		ready: make(chan struct{}), refill: make(chan struct{}, 1),
	}
	if w.rt, w.containers, err = pickRuntime(cfg, log); err != nil {
		return nil, err
	}
	if w.metrics, err = newMetrics(cfg.Registerer); err != nil {
		return nil, err
	}
	var b [3]byte
	_, _ = rand.Read(b[:])
	w.runID = hex.EncodeToString(b[:])
	return w, nil
}

func pickRuntime(cfg Config, log zerolog.Logger) (sandboxes, bool, error) {
	if cfg.Runtime != RuntimeProcesses {
		c, err := sandbox.NewContainers(sandbox.ContainerOptions{
			StateDir:     filepath.Join(cfg.StateDir, "containers"),
			CgroupParent: cgroupParent(cfg),
			Binary:       cfg.Binary,
		})
		if err == nil {
			return c, true, nil
		}
		if cfg.Runtime == RuntimeContainers || !errors.Is(err, sandbox.ErrUnavailable) {
			return nil, false, fmt.Errorf("wavelet: %w", err)
		}
		log.Warn().Err(err).Msg("emergency instances run as plain processes, without isolation or limits")
	}
	p, err := sandbox.NewProcesses(cfg.Binary)
	if err != nil {
		return nil, false, fmt.Errorf("wavelet: %w", err)
	}
	return p, false, nil
}

// cgroupParent is the cgroup under which the Wavelet's containers get
// theirs: named by the node and the state folder, so that a Wavelet
// restarted on the same folder finds what its predecessor left, and two
// Wavelets on one machine (tests, several platforms) never touch each
// other's.
func cgroupParent(cfg Config) string {
	sum := sha256.Sum256([]byte(cfg.StateDir))
	return "wavelink/" + cfg.Node + "-" + hex.EncodeToString(sum[:4])
}

// Mode is how emergency instances run: "libcontainer" or "process".
func (w *Wavelet) Mode() string { return w.rt.Mode() }

// Ready is closed once Run has cleaned up after an earlier run, answers
// burst requests and has written its first status.
func (w *Wavelet) Ready() <-chan struct{} { return w.ready }

// Node is the node's name.
func (w *Wavelet) Node() string { return w.cfg.Node }

// Run removes what an earlier Wavelet left behind, answers burst requests,
// keeps the pool and writes the node status until ctx ends; then it stops
// every instance (each finishes what it holds first), removes its
// containers and its status, and returns nil. It returns an error if the
// burst subscription or the wl_nodes bucket cannot be had.
func (w *Wavelet) Run(ctx context.Context) error {
	if !w.running.CompareAndSwap(false, true) {
		return ErrAlreadyRunning
	}
	defer w.running.Store(false)
	if n, err := w.rt.Clean(); err != nil {
		w.log.Warn().Err(err).Int("removed", n).Msg("removing what an earlier run left behind")
	} else if n > 0 {
		w.log.Info().Int("removed", n).Msg("removed containers an earlier run left behind")
	}
	out, err := os.OpenFile(filepath.Join(w.cfg.StateDir, "instances.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("wavelet: instances' log: %w", err)
	}
	defer out.Close()
	w.outLog = out
	kv, err := w.js.KeyValue(ctx, streams.BucketNodes)
	if err != nil {
		return fmt.Errorf("wavelet: bucket %s: %w", streams.BucketNodes, err)
	}
	sub, err := w.nc.Subscribe(streams.BurstSubject(w.cfg.Node), func(m *nats.Msg) {
		received := time.Now()
		w.work.Go(func() { w.serveBurst(ctx, m, received) })
	})
	if err != nil {
		return fmt.Errorf("wavelet: subscribe to %s: %w", streams.BurstSubject(w.cfg.Node), err)
	}
	if err := w.nc.Flush(); err != nil {
		w.log.Warn().Err(err).Msg("burst subscription not confirmed by the server")
	}
	w.log.Info().Str("mode", w.rt.Mode()).Int("slots", w.cfg.Slots).Int("memory_mb", w.cfg.MemoryMB).
		Str("subject", streams.BurstSubject(w.cfg.Node)).Msg("wavelet running")

	w.putStatus(ctx, kv)
	close(w.ready)
	ticker := time.NewTicker(w.cfg.StatusEvery)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			_ = sub.Unsubscribe()
			w.shutdown()
			delCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_ = kv.Delete(delCtx, w.cfg.Node)
			cancel()
			return nil
		case <-ticker.C:
			w.keepPool(ctx)
			w.putStatus(ctx, kv)
		case <-w.refill:
			w.keepPool(ctx)
		}
	}
}

// stopGrace bounds how long a stopping Wavelet lets its instances finish.
const stopGrace = 10 * time.Second

// shutdown stops every instance: pooled ones at once, running ones with
// SIGTERM so they finish what they hold, killed after stopGrace.
func (w *Wavelet) shutdown() {
	w.mu.Lock()
	w.stopping = true
	var all []*inst
	for _, in := range w.insts {
		all = append(all, in)
	}
	for _, entries := range w.pool {
		all = append(all, entries...)
	}
	all = append(all, w.generics...)
	w.mu.Unlock()
	for _, in := range all {
		in.stop()
	}
	deadline := time.After(stopGrace)
	for _, in := range all {
		select {
		case <-in.sb.Done():
		case <-deadline:
		}
	}
	for _, in := range all {
		if err := in.sb.Destroy(); err != nil {
			w.log.Warn().Err(err).Str("instance", in.id).Msg("destroy")
		}
	}
	w.work.Wait()
	// A sandbox whose removal failed (a cgroup still busy for a moment) is
	// removed now, with its cgroup.
	if n, err := w.rt.Clean(); err != nil || n > 0 {
		w.log.Info().Err(err).Int("removed", n).Msg("removed what was left of stopped instances")
	}
	if err := w.rt.Close(); err != nil {
		w.log.Warn().Err(err).Msg("removing the Wavelet's cgroup")
	}
}
