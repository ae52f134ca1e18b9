package instance

import (
	"context"
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

	"github.com/wavelink/wavelink/services/instance/builtin"
	"github.com/wavelink/wavelink/services/instance/bundle"
	"github.com/wavelink/wavelink/services/registry"
	"github.com/wavelink/wavelink/streams"
)

// resultHeadroom is kept free in a result message for its headers.
const resultHeadroom = 64 << 10

// answerLimit is the largest answer body a result can carry on a
// connection whose messages hold at most maxPayload bytes: what fits beside
// the result's headers, and never more than is read of a packaged
// function's answer (maxAnswerRead), so that an answer cut at that read
// limit is refused rather than taken for a whole one.
func answerLimit(maxPayload int64) int {
	return min(max(int(maxPayload)-resultHeadroom, 1<<10), maxAnswerRead)
}

// flushTimeout bounds the last flush of acks when the instance stops.
const flushTimeout = 5 * time.Second

// Run serves cfg.Function until ctx ends: it reads the function's spec from
// the registry, starts the function (a built-in, or a packaged function's
// process from its root filesystem or OCI layout), and pulls invocations
// from the function's consumer, up to the spec's concurrency at once.
//
// When ctx ends Run stops pulling, finishes every invocation it holds (their
// results published and acked), stops the function's process, and returns
// nil; ctx ending while the function's process starts also returns nil.
// An instance with an idle exit or a max lifetime retires the same way by
// itself, and returns nil, once it has held nothing for cfg.IdleExit or
// cfg.MaxLifetime has passed since Run was called.
//
// It returns an error naming the problem when the config is invalid
// (ErrInvalidConfig), the function is not deployed (registry.ErrNotFound)
// or has no consumer (jetstream.ErrConsumerNotFound), the built-in is
// unknown (ErrUnknownBuiltin), the package cannot be prepared (bundle's
// errors), the process cannot start (ErrBadCommand, ErrStart), keeps failing
// to restart (ErrGaveUp), or the consumer goes away or consuming from it
// stops (ErrConsumer); in the last two cases after finishing what it holds.
func Run(ctx context.Context, nc *nats.Conn, js jetstream.JetStream, cfg Config) error {
	started := time.Now()
	born := started
	if err := cfg.Validate(); err != nil {
		return err
	}
	if nc == nil || js == nil {
		return fmt.Errorf("%w: a NATS connection and its JetStream context are required", ErrInvalidConfig)
	}
	reg, err := registry.Open(ctx, js)
	if err != nil {
		return fmt.Errorf("instance: %w", err)
	}
	generic := cfg.Function == ""
	if generic {
		// Connected; all the rest waits for the function's name.
		cfg.Logger.Info().Str("component", "instance").Str("instance", cfg.ID).Msg("generic instance parked")
		if cfg, started, err = unpark(ctx, cfg); err != nil {
			cfg.Logger.Info().Str("component", "instance").Str("instance", cfg.ID).Err(err).Msg("instance let go without pulling")
			return nil
		}
	}
	log := cfg.Logger.With().Str("component", "instance").Str("function", cfg.Function).
		Str("instance", cfg.ID).Str("track", cfg.Track).Logger()
	spec, err := reg.Get(ctx, cfg.Function)
	if err != nil {
		return fmt.Errorf("instance: %w", err)
	}
	cons, err := streams.FunctionConsumer(ctx, js, cfg.Function)
	if err != nil {
		return fmt.Errorf("instance: %w", err)
	}
	log.Info().Str("package", spec.Package.String()).Int("concurrency", spec.Concurrency).
		Dur("timeout", spec.Timeout.D()).Int("max_deliver", spec.MaxDeliver).
		Dur("idle_exit", cfg.IdleExit).Dur("max_lifetime", cfg.MaxLifetime).Str("rootfs", cfg.RootFS).
		Msg("instance starting")
	fn, err := openFunction(ctx, spec, cfg, log)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
			log.Info().Msg("instance stopped before it was ready")
			return nil
		}
		log.Error().Err(err).Msg("function did not start")
		return err
	}
	if s, ok := fn.(stopper); ok {
		defer s.Stop()
	}
	if cfg.Park != nil && !generic {
		log.Info().Msg("instance parked")
		if cfg, started, err = unpark(ctx, cfg); err != nil {
			log.Info().Err(err).Msg("instance let go without pulling")
			return nil
		}
	}
	r := newRuntime(nc, js, spec, cfg, fn, log)
	r.started, r.born = started, born
	return r.serve(ctx, cons)
}

// unpark waits in cfg.Park and applies what the instance is told: the
// function to serve (a generic instance) and its lifetimes, which count
// from now.
func unpark(ctx context.Context, cfg Config) (Config, time.Time, error) {
	u, err := cfg.Park(ctx)
	if err != nil {
		return cfg, time.Time{}, err
	}
	switch {
	case cfg.Function == "" && !streams.ValidFunctionName(u.Function):
		return cfg, time.Time{}, fmt.Errorf("%w: a generic instance was let go with function %q, not a DNS label", ErrInvalidConfig, u.Function)
	case cfg.Function != "" && u.Function != "" && u.Function != cfg.Function:
		return cfg, time.Time{}, fmt.Errorf("%w: an instance of %s was let go for %s", ErrInvalidConfig, cfg.Function, u.Function)
	}
	if cfg.Function == "" {
		cfg.Function = u.Function
	}
	if u.IdleExit > 0 {
		cfg.IdleExit = u.IdleExit
	}
	if u.MaxLifetime > 0 {
		cfg.MaxLifetime = u.MaxLifetime
	}
	return cfg, time.Now(), nil
}

// openFunction makes the function the spec describes, started and ready.
func openFunction(ctx context.Context, spec registry.Spec, cfg Config, log zerolog.Logger) (function, error) {
	if spec.Package.Builtin != "" {
		h, ok := builtin.Lookup(spec.Package.Builtin)
		if !ok {
			return nil, fmt.Errorf("%w: %q (have %v)", ErrUnknownBuiltin, spec.Package.Builtin, builtin.Names())
		}
		return &handlerFunction{name: spec.Package.Builtin, handler: h}, nil
	}
	rootfs, err := functionRoot(ctx, spec, cfg, log)
	if err != nil {
		return nil, err
	}
	return startProcess(ctx, processConfig{
		Function:    spec.Name,
		RootFS:      rootfs,
		Command:     spec.Command,
		Env:         spec.Env,
		Concurrency: spec.Concurrency,
		Log:         log,
	})
}

// functionRoot returns the root filesystem folder of a packaged function:
// cfg.RootFS when set (the package is already unpacked there), else the
// spec's package prepared by bundle.Prepare.
func functionRoot(ctx context.Context, spec registry.Spec, cfg Config, log zerolog.Logger) (string, error) {
	if cfg.RootFS != "" {
		abs, err := filepath.Abs(cfg.RootFS)
		if err != nil {
			return "", fmt.Errorf("%w: rootFS: %s: %v", ErrInvalidConfig, cfg.RootFS, err)
		}
		st, err := os.Stat(abs)
		switch {
		case err != nil:
			return "", fmt.Errorf("%w: rootFS: %v", ErrInvalidConfig, err)
		case !st.IsDir():
			return "", fmt.Errorf("%w: rootFS: %s is not a directory", ErrInvalidConfig, abs)
		}
		log.Info().Str("rootfs", abs).Str("package", spec.Package.String()).
			Msg("package already unpacked; running it from the given root filesystem")
		return abs, nil
	}
	cacheDir := ""
	if cfg.WorkDir != "" {
		cacheDir = filepath.Join(cfg.WorkDir, "bundles")
	} else if spec.Package.OCI != "" {
		return "", fmt.Errorf("%w: workDir: required to unpack the OCI package %s", ErrInvalidConfig, spec.Package)
	}
	rootfs, err := bundle.Prepare(ctx, spec.Package, cacheDir)
	if err != nil {
		return "", fmt.Errorf("instance: package %s: %w", spec.Package, err)
	}
	return rootfs, nil
}

// runtime pulls, runs and settles the invocations of one function.
type runtime struct {
	nc   *nats.Conn
	js   jetstream.JetStream
	spec registry.Spec
	cfg  Config
	fn   function
	log  zerolog.Logger
	now  func() time.Time

	// started is when the instance started (for a parked one, when it was
	// let go); its lifetime counts from it.
	started time.Time
	// born is when Run was called: the instance's memory is taken from
	// then, parked or not.
	born time.Time
	// ready is when it started pulling.
	ready time.Time
	// retire says when the instance retires by itself; set by serve.
	retire retirement

	timeout   time.Duration
	progress  time.Duration // InProgress interval
	maxAnswer int           // largest answer body a result can carry

	// work is the context invocations run under: it outlives Run's
	// context, so invocations held at shutdown finish.
	work  context.Context
	slots chan struct{}
	wg    sync.WaitGroup

	// mu guards held and idleSince.
	mu sync.Mutex
	// held counts the invocations the instance holds.
	held int
	// idleSince is when held last became zero.
	idleSince time.Time
	// busy is how long held has been above zero, up to idleSince.
	busy time.Duration
	// busySince is when held last became one.
	busySince time.Time

	served, failed atomic.Int64
}

func newRuntime(nc *nats.Conn, js jetstream.JetStream, spec registry.Spec, cfg Config, fn function, log zerolog.Logger) *runtime {
	conc := max(spec.Concurrency, 1)
	r := &runtime{
		nc:        nc,
		js:        js,
		spec:      spec,
		cfg:       cfg,
		fn:        fn,
		log:       log,
		now:       time.Now,
		timeout:   spec.Timeout.D(),
		progress:  progressInterval(streams.AckWait(spec.Timeout.D())),
		maxAnswer: answerLimit(nc.MaxPayload()),
		work:      context.Background(),
		slots:     make(chan struct{}, conc),
	}
	r.started = r.now()
	return r
}

// serve pulls until ctx ends, the instance retires (idle or at the end of
// its lifetime), or the function or consumer fails, then lets every
// invocation it holds finish.
func (r *runtime) serve(ctx context.Context, cons jetstream.Consumer) error {
	r.work = context.WithoutCancel(ctx)
	r.retire = newRetirement(r.cfg, r.started)
	r.idleSince = r.now()
	life, endLife := ctx, context.CancelFunc(func() {})
	if end, ok := r.retire.deadline(); ok {
		life, endLife = context.WithDeadline(ctx, end)
	}
	defer endLife()
	pullCtx, stopPulling := context.WithCancel(life)
	defer stopPulling()
	pulled := make(chan error, 1)
	go func() { pulled <- r.pull(pullCtx, cons) }()
	r.log.Info().Msg("instance ready")
	r.ready = r.now()
	r.record(time.Time{})
	if r.cfg.Ready != nil {
		r.cfg.Ready()
	}
	var failed <-chan struct{}
	if f, ok := r.fn.(failer); ok {
		failed = f.Failed()
	}
	var (
		runErr error
		reason string // why the instance retires by itself
	)
	pulling := true
	select {
	case <-life.Done(): // ctx ended, or the lifetime is over
		if ctx.Err() == nil {
			reason = retireLifetime
		}
	case <-failed:
		runErr = r.fn.(failer).Err()
	case runErr = <-pulled:
		// Pulling ended by itself: the instance has been idle for its idle
		// exit, or the consumer is gone or the connection closed and the
		// instance can take no more work.
		pulling = false
		if errors.Is(runErr, errIdle) {
			runErr, reason = nil, retireIdle
		}
	}
	switch {
	case runErr != nil:
		r.log.Error().Err(runErr).Msg("instance failing")
	case reason == retireIdle:
		r.log.Info().Str("reason", reason).Dur("idle_exit", r.cfg.IdleExit).Msg("instance retiring: idle")
	case reason == retireLifetime:
		r.log.Info().Str("reason", reason).Dur("max_lifetime", r.cfg.MaxLifetime).Msg("instance retiring: max lifetime reached")
	}
	r.log.Info().Msg("instance draining")
	stopPulling()
	if pulling {
		<-pulled
	}
	r.wg.Wait()
	if err := r.nc.FlushTimeout(flushTimeout); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		r.log.Warn().Err(err).Msg("flush acks")
	}
	r.record(r.now())
	r.log.Info().Int64("served", r.served.Load()).Int64("failed", r.failed.Load()).Msg("instance stopped")
	return runErr
}

// pull hands invocations to free slots. It asks the server for exactly as
// many invocations as there are free slots, so an invocation never waits
// inside the client for a slot with its ack wait running unrenewed (a
// standing Consume buffers up to its batch beyond what runs, and those could
// be redelivered elsewhere and run twice). Each pull waits at most
// r.retire.pullWait. It returns nil once ctx ends and the pull in progress
// is over, errIdle once the instance has held nothing for its idle exit,
// or an error wrapping ErrConsumer when it can pull no more.
func (r *runtime) pull(ctx context.Context, cons jetstream.Consumer) error {
	group := jetstream.FetchPriorityGroup(streams.PriorityGroup)
	// Regular instances pull first: the server hands an invocation to an
	// emergency instance's pull only when no regular instance's is waiting.
	priority := jetstream.FetchPrioritized(streams.PriorityRegular)
	if r.cfg.Track == TrackEmergency {
		priority = jetstream.FetchPrioritized(streams.PriorityEmergency)
	}
	var failures uint64
	for {
		// Reserve one slot (waiting for it), then every other free one.
		select {
		case r.slots <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		n := 1
	reserve:
		for n < cap(r.slots) {
			select {
			case r.slots <- struct{}{}:
				n++
			default:
				break reserve
			}
		}
		got := 0
		batch, err := cons.Fetch(n, group, priority, jetstream.FetchMaxWait(r.retire.pullWait(r.now())))
		if err == nil {
			for msg := range batch.Messages() {
				got++
				r.hold()
				r.wg.Add(1)
				go func() {
					defer r.wg.Done()
					defer func() { <-r.slots }()
					defer r.release()
					r.handle(msg)
				}()
			}
			err = batch.Error()
		}
		for i := got; i < n; i++ {
			<-r.slots
		}
		switch {
		case err == nil:
			failures = 0
		case errors.Is(err, jetstream.ErrConsumerDeleted), errors.Is(err, jetstream.ErrConsumerNotFound),
			errors.Is(err, nats.ErrConnectionClosed):
			return fmt.Errorf("%w: %s: %v", ErrConsumer, r.cfg.Function, err)
		default:
			// Transient (a reconnect, a slow server): try again after a
			// back-off, without spinning.
			failures++
			r.log.Warn().Err(err).Msg("pull")
			select {
			case <-time.After(backoff(failures)):
			case <-ctx.Done():
				return nil
			}
		}
		if since, idle := r.idle(); idle && r.retire.idle(r.now(), since) {
			return errIdle
		}
	}
}

// errIdle ends pulling when the instance has been idle for its idle exit.
var errIdle = errors.New("idle")

// hold counts one more invocation held.
func (r *runtime) hold() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.held == 0 {
		r.busySince = r.now()
	}
	r.held++
}

// release counts one invocation less held; the instance is idle from now
// when it was the last.
func (r *runtime) release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.held--
	if r.held == 0 {
		r.idleSince = r.now()
		r.busy += r.idleSince.Sub(r.busySince)
	}
}

// idle returns since when the instance has held no invocation, and false
// while it holds one.
func (r *runtime) idle() (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.idleSince, r.held == 0
}
