package docker

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/wavelink/wavelink/services/clustermgr"
	"github.com/wavelink/wavelink/services/registry"
)

// run is the reconciler: the one goroutine that owns the instance table. It
// returns once Close was called and every container is gone, or at once
// after Detach.
func (m *Manager) run() {
	closing, detaching := false, false
	closeReq, forceReq, detachReq := m.closeReq, m.forceReq, m.detachReq
	for !detaching {
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
			n.apply(m, m.clock.Now())
		case <-fire:
		case <-closeReq:
			closing, closeReq = true, nil
			m.log.Info().Int("instances", len(m.insts)).Msg("closing: draining every container")
		case <-forceReq:
			closing, closeReq, forceReq = true, nil, nil
			m.removeAll(m.clock.Now(), ErrForcedClose)
		case <-detachReq:
			detaching = true
			m.log.Info().Int("instances", len(m.insts)).Msg("detaching: containers are left running")
		}
		if timer != nil {
			timer.Stop()
		}
	}
	close(m.loopDone)
	for _, in := range m.insts {
		in.stopFollowing()
	}
	m.stopStreams()
	m.helpers.Wait()
	if m.ownClient {
		_ = m.cli.Close()
	}
	m.log.Info().Uint64("events_dropped", m.dropped.Load()).Msg("closed")
	close(m.events)
	close(m.done)
}

// reconcile runs the plan for every function and carries it out, and tries
// failed removals again. It returns when it must run again at the latest
// (zero: only on a wake-up).
func (m *Manager) reconcile(now time.Time, closing bool) time.Time {
	m.mu.Lock()
	wishes := maps.Clone(m.wishes)
	m.mu.Unlock()

	byFn := map[string][]*instance{}
	for _, in := range m.insts {
		byFn[in.fn] = append(byFn[in.fn], in)
	}
	fns := slices.Sorted(maps.Keys(wishes))
	for _, fn := range slices.Sorted(maps.Keys(byFn)) {
		if _, ok := wishes[fn]; !ok {
			fns = append(fns, fn)
		}
	}

	var next time.Time
	soonest := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	acted := false
	for _, fn := range fns {
		w, wished := wishes[fn]
		desired := w.replicas
		switch {
		case closing:
			desired = 0
		case !wished:
			desired = clustermgr.KeepDesired
		}
		views := make([]clustermgr.PlanInstance, 0, len(byFn[fn]))
		for _, in := range byFn[fn] {
			views = append(views, in.view())
		}
		a := clustermgr.PlanFunction(now, desired, views, m.backoff[fn])
		for _, s := range a.Stop { // only for a start deadline: see view
			m.remove(now, m.insts[s.ID], ErrStartTimeout)
		}
		for _, id := range a.Drain {
			m.drain(now, m.insts[id])
		}
		for range a.Start {
			if !m.start(now, w.spec) {
				break
			}
		}
		acted = acted || !a.Empty()
		soonest(a.Next)
		if desired == 0 && len(byFn[fn]) == 0 && a.Start == 0 {
			m.forgetFunction(now, fn)
		}
	}
	for _, in := range m.insts {
		switch {
		case in.retryAt.IsZero():
		case now.Before(in.retryAt):
			soonest(in.retryAt)
		default:
			m.retire(in, false)
		}
	}
	m.dispatch()
	if acted {
		m.poke() // plan again with the new states
	}
	return next
}

// forgetFunction drops what is kept of a function scaled to zero with no
// containers left, unless it was scaled up meanwhile; its back-off is kept
// until it would have been reset anyway.
func (m *Manager) forgetFunction(now time.Time, fn string) {
	m.mu.Lock()
	if w, ok := m.wishes[fn]; ok && w.replicas == 0 {
		delete(m.wishes, fn)
	}
	m.mu.Unlock()
	delete(m.lastStart, fn)
	if bo, ok := m.backoff[fn]; ok && now.Sub(bo.NotBefore) >= m.cfg.RestartBackoff.Reset {
		delete(m.backoff, fn)
	}
}

// start asks for one more container of spec's function. It returns false
// when no instance ID could be made; that counts as a failure for the
// back-off.
func (m *Manager) start(now time.Time, spec registry.Spec) bool {
	fn := spec.Name
	id, err := newInstanceID(fn)
	for err == nil && m.insts[id] != nil {
		id, err = newInstanceID(fn)
	}
	if err != nil {
		m.log.Error().Err(err).Str("function", fn).Msg("instance failed to start")
		m.emit(clustermgr.Event{Time: now, Function: fn, Kind: clustermgr.EventFailed, Err: err})
		m.recordFailure(now, fn, 0)
		return false
	}
	in := newInstance(fn, id, m.log)
	in.state, in.started, in.queued, in.spec = StateCreating, now, true, spec
	in.grace = time.Duration(graceSeconds(m.cfg.StopGrace(spec))) * time.Second
	m.insts[id] = in
	m.queue = append(m.queue, in)
	m.publish(in)
	in.log.Info().Msg("instance starting")
	m.emit(in.event(now, clustermgr.EventStarting, nil))
	return true
}

// dispatch gives the free start slots to queued instances, round robin
// over their functions: the next slot goes to the function whose last
// start was longest ago, so a function waiting for its first instance is
// not held up behind another's tens, nor a busy function behind every
// other function's first; in the order asked for within a function.
func (m *Manager) dispatch() {
	for m.creating < m.cfg.ParallelStarts && len(m.queue) > 0 {
		pick := 0
		for i, in := range m.queue {
			if m.lastStart[in.fn] < m.lastStart[m.queue[pick].fn] {
				pick = i
			}
		}
		in := m.queue[pick]
		m.queue = slices.Delete(m.queue, pick, pick+1)
		in.queued = false
		m.starts++
		m.lastStart[in.fn] = m.starts
		m.creating++
		cc, hc := containerSpec(m.cfg, m.image, in.spec, in.id)
		m.helpers.Add(1)
		go m.create(in, ContainerName(m.cfg.ID, in.id), cc, hc)
	}
}

// unqueue drops in, drained or removed before it had a start slot: it ends
// with no container ever made.
func (m *Manager) unqueue(now time.Time, in *instance) {
	m.queue = slices.DeleteFunc(m.queue, func(q *instance) bool { return q == in })
	in.queued = false
	goneNote{inst: in}.apply(m, now)
}

// started records that in's container runs a new run: the instance has
// StartTimeout to report ready.
func (m *Manager) started(now time.Time, in *instance) {
	in.state, in.runStarted, in.deadline = StateStarting, now, now.Add(m.cfg.StartTimeout)
	m.followOutput(in)
}

// markReady records that in reported ready.
func (m *Manager) markReady(now time.Time, in *instance) {
	in.state, in.deadline = StateReady, time.Time{}
	in.stopFollowing()
	m.publish(in)
	in.log.Info().Dur("start_time", now.Sub(in.runStarted)).Dur("since_asked", now.Sub(in.started)).Msg("instance ready")
	m.emit(in.event(now, clustermgr.EventReady, nil))
}

// died handles a run of in's container that ended without being asked to.
// A container its restart policy restarts stays and waits for its next
// start; any other is removed and counts as a failure for the back-off.
func (m *Manager) died(now time.Time, in *instance, at time.Time, exit ExitError) {
	exit.OOMKilled = exit.OOMKilled || in.oom
	in.oom = false
	wasReady := in.state == StateReady
	in.run++
	in.stopFollowing()
	in.lastExit = at
	kind, err := clustermgr.EventExited, fmt.Errorf("%w: %w", ErrUnexpectedExit, &exit)
	if !wasReady {
		kind, err = clustermgr.EventFailed, fmt.Errorf("%w before it was ready: %w", ErrUnexpectedExit, &exit)
	}
	in.log.Warn().Err(err).Dur("ran", now.Sub(in.runStarted)).Msg("instance " + string(kind))
	m.emit(in.event(now, kind, err))
	if exit.Restarting {
		in.state, in.deadline, in.awaitingStart = StateStarting, m.restartDeadline(now), true
		m.publish(in)
		return
	}
	m.recordFailure(now, in.fn, now.Sub(in.runStarted))
	in.state, in.quiet = StateRemoving, true
	m.publish(in)
	m.retire(in, false)
}

// removedOutside drops in, whose container someone else removes.
func (m *Manager) removedOutside(now time.Time, in *instance) {
	m.forget(in)
	in.log.Warn().Msg("container was removed outside the manager")
	m.emit(in.event(now, clustermgr.EventExited, ErrRemovedOutside))
}

// maxRestartDelay is the longest the daemon waits before it restarts a
// container under its restart policy.
const maxRestartDelay = time.Minute

// restartDeadline is when a container waiting for its policy's restart
// must be ready at the latest: past it, the restart is taken as lost and
// the container is removed and replaced.
func (m *Manager) restartDeadline(now time.Time) time.Time {
	return now.Add(maxRestartDelay + m.cfg.StartTimeout)
}

// recordFailure steps the function's replacement back-off.
func (m *Manager) recordFailure(now time.Time, fn string, ran time.Duration) {
	bo, d := m.cfg.RestartBackoff.Failed(m.backoff[fn], now, ran)
	m.backoff[fn] = bo
	m.log.Warn().Str("function", fn).Int("failures", bo.Failures).Dur("delay", d).Msg("replacements back off")
}

// drain asks in's container to stop with its grace, then to be removed.
func (m *Manager) drain(now time.Time, in *instance) {
	creating := in.state == StateCreating
	in.state, in.deadline = StateDraining, time.Time{}
	in.stopFollowing()
	m.publish(in)
	in.log.Info().Dur("grace", in.grace).Msg("instance draining")
	m.emit(in.event(now, clustermgr.EventDraining, nil))
	switch {
	case in.queued:
		m.unqueue(now, in)
	case !creating:
		m.retire(in, true)
	} // else once it is created
}

// remove removes in's container at once for reason. A start timeout steps
// the back-off at once, before the replacement is planned.
func (m *Manager) remove(now time.Time, in *instance, reason error) {
	creating := in.state == StateCreating
	in.log.Warn().Str("state", in.state.String()).Str("reason", reason.Error()).Msg("removing the container")
	if errors.Is(reason, ErrStartTimeout) {
		m.recordFailure(now, in.fn, now.Sub(in.runStarted))
	}
	in.state, in.deadline, in.reason = StateRemoving, time.Time{}, reason
	in.stopFollowing()
	m.publish(in)
	switch {
	case in.queued:
		m.unqueue(now, in)
	case !creating:
		m.retire(in, false)
	} // else once it is created
}

// removeAll removes every container not being removed yet at once.
func (m *Manager) removeAll(now time.Time, reason error) {
	for _, id := range slices.Sorted(maps.Keys(m.insts)) {
		if in := m.insts[id]; in.state != StateRemoving {
			m.remove(now, in, reason)
		}
	}
}

// adopt takes a container found at start (or after the event stream
// broke) into the table: a live one as a starting instance whose
// readiness is read again (from its health, or its log since its last
// restart), a stopped one to be removed.
func (m *Manager) adopt(now time.Time, f found) {
	in := newInstance(f.fn, f.id, m.log)
	in.setContainer(f.container)
	in.grace, in.started, in.runStarted, in.lastExit = f.grace, f.created, f.startedAt, f.finishedAt
	if in.started.IsZero() {
		in.started = now
	}
	m.insts[in.id] = in
	m.byContainer[f.container] = in
	if !f.running && !f.restarting {
		in.log.Info().Msg("removing a stopped container left behind")
		in.state, in.quiet = StateRemoving, true
		m.publish(in)
		m.retire(in, false)
		return
	}
	// No start deadline: the ready line of a run that began long ago may
	// have been rotated out of the container's log, and a container that
	// never reports ready is drained first on scale-down anyway.
	in.state, in.awaitingStart = StateStarting, f.restarting
	if f.restarting {
		in.deadline = m.restartDeadline(now)
	}
	m.publish(in)
	in.log.Info().Bool("restarting", f.restarting).Msg("adopted a running container")
	if m.cfg.Readiness == ReadyOnHealth && f.healthy && !f.restarting {
		m.markReady(now, in)
		return
	}
	m.followOutput(in)
}

// forget drops in from the table.
func (m *Manager) forget(in *instance) {
	delete(m.insts, in.id)
	if in.container != "" {
		delete(m.byContainer, in.container)
	}
	in.stopFollowing()
	m.unpublish(in)
}

func (m *Manager) publish(in *instance) {
	if m.insts[in.id] != in {
		return
	}
	m.mu.Lock()
	m.published[in.id] = in.info()
	m.mu.Unlock()
}

func (m *Manager) unpublish(in *instance) {
	m.mu.Lock()
	delete(m.published, in.id)
	m.mu.Unlock()
}
