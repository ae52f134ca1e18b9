package local

import (
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"time"

	"github.com/wavelink/wavelink/services/clustermgr"
	"github.com/wavelink/wavelink/services/registry"
)

// run is the reconciler: the one goroutine that owns the instance table. It
// returns once Close was called and every instance is reaped.
func (m *Manager) run() {
	// Instances are forked from this goroutine. Pdeathsig fires when the
	// forking thread ends, and a thread ends when a goroutine locked to it
	// returns; locking it here keeps every other goroutine off this thread,
	// so it lives exactly as long as the instances need it to.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	closing := false
	closeReq, forceReq := m.closeReq, m.forceReq
	for {
		now := m.clock.Now()
		next := m.reconcile(now, closing)
		if closing && len(m.insts) == 0 {
			break
		}
		var timer clustermgr.Timer
		var fire <-chan time.Time
		if !next.IsZero() {
			timer = m.clock.NewTimer(max(next.Sub(now), 0))
			fire = timer.C()
		}
		select {
		case <-m.wake:
		case n := <-m.notes:
			m.handle(n)
		case <-fire:
		case <-closeReq:
			closing, closeReq = true, nil
			m.log.Info().Int("instances", len(m.insts)).Msg("closing: draining every instance")
		case <-forceReq:
			closing, closeReq, forceReq = true, nil, nil
			m.killAll(m.clock.Now(), ErrForcedClose)
		}
		if timer != nil {
			timer.Stop()
		}
	}
	close(m.loopDone)
	m.helpers.Wait()
	m.log.Info().Uint64("events_dropped", m.dropped.Load()).Msg("closed")
	close(m.events)
	close(m.done)
}

// reconcile runs the plan for every function and carries it out. It returns
// when it must run again at the latest (zero: only on a wake-up).
func (m *Manager) reconcile(now time.Time, closing bool) time.Time {
	m.mu.Lock()
	wishes := maps.Clone(m.wishes)
	m.mu.Unlock()

	byFn := map[string][]*instance{}
	for _, in := range m.insts {
		byFn[in.fn] = append(byFn[in.fn], in)
	}
	fns := slices.Sorted(maps.Keys(wishes))
	for fn := range byFn {
		if _, ok := wishes[fn]; !ok {
			fns = append(fns, fn)
		}
	}

	var next time.Time
	acted := false
	for _, fn := range fns {
		w := wishes[fn]
		desired := w.replicas
		if closing {
			desired = 0
		}
		views := make([]clustermgr.PlanInstance, 0, len(byFn[fn]))
		for _, in := range byFn[fn] {
			views = append(views, in.view())
		}
		a := clustermgr.PlanFunction(now, desired, views, m.backoff[fn])
		for _, s := range a.Stop {
			m.kill(now, m.insts[s.ID], killReason(s.Why))
		}
		for _, id := range a.Drain {
			m.drain(now, m.insts[id], w.spec)
		}
		for range a.Start {
			if !m.start(now, w.spec) {
				break
			}
		}
		acted = acted || !a.Empty()
		if !a.Next.IsZero() && (next.IsZero() || a.Next.Before(next)) {
			next = a.Next
		}
		if desired == 0 && len(byFn[fn]) == 0 && a.Start == 0 {
			m.forget(now, fn)
		}
	}
	if acted {
		m.poke() // plan again with the new states and deadlines
	}
	return next
}

// forget drops what is kept of a function scaled to zero with no instances
// left, unless it was scaled up meanwhile; its back-off is kept until it
// would have been reset anyway.
func (m *Manager) forget(now time.Time, fn string) {
	m.mu.Lock()
	if w, ok := m.wishes[fn]; ok && w.replicas == 0 {
		delete(m.wishes, fn)
	}
	m.mu.Unlock()
	if bo, ok := m.backoff[fn]; ok && now.Sub(bo.NotBefore) >= m.cfg.RestartBackoff.Reset {
		delete(m.backoff, fn)
	}
}

// start starts one instance of spec's function. It returns false when the
// process could not be started; that counts as a failure for the back-off.
func (m *Manager) start(now time.Time, spec registry.Spec) bool {
	fn := spec.Name
	id, err := newInstanceID(fn)
	for err == nil && m.insts[id] != nil {
		id, err = newInstanceID(fn)
	}
	log := m.log.With().Str("function", fn).Str("instance", id).Logger()
	var proc *process
	if err == nil {
		proc, err = spawn(m.cfg, fn, id)
	}
	if err != nil {
		log.Error().Err(err).Msg("instance failed to start")
		m.emit(clustermgr.Event{Time: now, Function: fn, Instance: id, Kind: clustermgr.EventFailed, Err: err})
		m.recordFailure(now, fn, 0)
		return false
	}
	in := &instance{
		fn: fn, id: id, proc: proc, log: log,
		state: StateStarting, started: now, deadline: now.Add(m.cfg.StartTimeout),
	}
	m.insts[id] = in
	m.publish(in)
	log.Info().Int("pid", proc.pid).Msg("instance starting")
	m.emit(in.event(now, clustermgr.EventStarting, nil))

	m.helpers.Add(2)
	go m.watchExit(in)
	go m.watchReady(in)
	if proc.output != nil {
		m.helpers.Add(1)
		go func() {
			defer m.helpers.Done()
			defer proc.output.Close()
			copyOutput(proc.output, log)
		}()
	}
	return true
}

// watchExit reaps the instance's process and reports how it ended.
func (m *Manager) watchExit(in *instance) {
	defer m.helpers.Done()
	err := reap(in.proc.cmd)
	n := note{inst: in, exit: exitOf(in.proc.cmd.ProcessState, err)}
	select {
	case m.notes <- n:
	case <-m.loopDone:
	}
}

// watchReady waits for the instance's ready line.
func (m *Manager) watchReady(in *instance) {
	defer m.helpers.Done()
	ok, err := awaitReady(in.proc.ready)
	if err != nil {
		in.log.Warn().Err(err).Msg("instance broke the ready protocol")
	}
	if !ok {
		return
	}
	select {
	case m.notes <- note{inst: in, ready: true}:
	case <-m.loopDone:
	}
}

// handle applies a note from a process goroutine.
func (m *Manager) handle(n note) {
	in := n.inst
	if m.insts[in.id] != in {
		return // the instance is gone already
	}
	now := m.clock.Now()
	if n.ready {
		if in.state != StateStarting {
			return // asked to stop before it got ready
		}
		in.state, in.deadline = StateReady, time.Time{}
		m.publish(in)
		in.log.Info().Dur("start_time", now.Sub(in.started)).Msg("instance ready")
		m.emit(in.event(now, clustermgr.EventReady, nil))
		return
	}
	m.exited(now, in, n.exit)
}

// exited removes a reaped instance and reports how it ended.
func (m *Manager) exited(now time.Time, in *instance, exit error) {
	delete(m.insts, in.id)
	m.unpublish(in)
	_ = in.proc.ready.Close()
	if in.proc.output != nil {
		// An OS read deadline, so the wall clock: lets the output reader
		// finish what is buffered, and stop even if a process that left the
		// group still holds the pipe.
		_ = in.proc.output.SetReadDeadline(time.Now().Add(outputDrain))
	}
	kind, err, failure := clustermgr.EventExited, error(nil), false
	switch in.state {
	case StateStarting:
		kind, err, failure = clustermgr.EventFailed, fmt.Errorf("%w before it was ready: %w", ErrUnexpectedExit, exit), true
	case StateReady:
		err, failure = fmt.Errorf("%w: %w", ErrUnexpectedExit, exit), true
	case StateDraining:
		if ee, ok := errors.AsType[*ExitError](exit); !ok || !ee.clean() {
			err = fmt.Errorf("%w while draining: %w", ErrUnexpectedExit, exit)
		}
	case StateKilled:
		err = fmt.Errorf("%w (%w)", in.reason, exit)
		if errors.Is(in.reason, ErrStartTimeout) {
			kind = clustermgr.EventFailed // counted by kill already
		}
	}
	ev := in.log.Info()
	if err != nil {
		ev = in.log.Warn().Err(err)
	}
	ev.Str("state", in.state.String()).Dur("ran", now.Sub(in.started)).Msg("instance " + string(kind))
	if failure {
		m.recordFailure(now, in.fn, now.Sub(in.started))
	}
	m.emit(in.event(now, kind, err))
}

// recordFailure steps the function's restart back-off.
func (m *Manager) recordFailure(now time.Time, fn string, ran time.Duration) {
	bo, d := m.cfg.RestartBackoff.Failed(m.backoff[fn], now, ran)
	m.backoff[fn] = bo
	m.log.Warn().Str("function", fn).Int("failures", bo.Failures).Dur("delay", d).Msg("restarts back off")
}

// drain asks the instance to stop: SIGTERM to its leader, SIGKILL to its
// group once the grace for spec has passed.
func (m *Manager) drain(now time.Time, in *instance, spec registry.Spec) {
	if err := terminate(in.proc.pid); err != nil {
		in.log.Error().Err(err).Msg("cannot signal instance")
	}
	grace := max(m.cfg.StopGrace(spec), 0)
	in.state, in.deadline = StateDraining, now.Add(grace)
	m.publish(in)
	in.log.Info().Dur("grace", grace).Msg("instance draining")
	m.emit(in.event(now, clustermgr.EventDraining, nil))
}

// kill sends SIGKILL to the instance's process group. A start timeout
// steps the back-off at once, before the replacement is planned.
func (m *Manager) kill(now time.Time, in *instance, reason error) {
	if err := killGroup(in.proc.pid); err != nil {
		in.log.Error().Err(err).Msg("cannot kill instance")
	}
	in.log.Warn().Str("state", in.state.String()).Str("reason", reason.Error()).Msg("instance killed")
	if errors.Is(reason, ErrStartTimeout) {
		m.recordFailure(now, in.fn, now.Sub(in.started))
	}
	in.state, in.deadline, in.reason = StateKilled, time.Time{}, reason
	m.publish(in)
}

// killAll kills every instance not killed yet.
func (m *Manager) killAll(now time.Time, reason error) {
	for _, id := range slices.Sorted(maps.Keys(m.insts)) {
		if in := m.insts[id]; in.state != StateKilled {
			m.kill(now, in, reason)
		}
	}
}

func (m *Manager) publish(in *instance) {
	m.mu.Lock()
	m.published[in.id] = in.info()
	m.mu.Unlock()
}

func (m *Manager) unpublish(in *instance) {
	m.mu.Lock()
	delete(m.published, in.id)
	m.mu.Unlock()
}
