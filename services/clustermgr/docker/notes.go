package docker

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/docker/docker/api/types/events"

	"github.com/wavelink/wavelink/services/clustermgr"
)

// note is what an engine goroutine tells the reconciler; apply runs on the
// reconciler goroutine.
type note interface {
	apply(m *Manager, now time.Time)
}

// createdNote: the container of inst was created and started, or not.
type createdNote struct {
	inst      *instance
	container string // empty when creation failed
	err       error
}

func (n createdNote) apply(m *Manager, now time.Time) {
	m.creating-- // its start slot is free
	in := n.inst
	if m.insts[in.id] != in {
		return
	}
	if n.container != "" {
		in.setContainer(n.container)
		m.byContainer[n.container] = in
	}
	if n.err != nil {
		in.log.Error().Err(n.err).Msg("container failed to start")
		m.emit(in.event(now, clustermgr.EventFailed, fmt.Errorf("%w: %w", ErrStart, n.err)))
		if in.state.active() {
			m.recordFailure(now, in.fn, 0)
		}
		if n.container == "" {
			m.forget(in)
			return
		}
		in.state, in.quiet = StateRemoving, true
		m.publish(in)
		m.retire(in, false)
		return
	}
	switch in.state {
	case StateCreating:
		m.started(now, in)
	case StateDraining:
		m.retire(in, true) // drained while it was being created
	case StateRemoving:
		m.retire(in, false)
	default: // an event about it came first
		m.followOutput(in)
	}
	m.publish(in)
}

// readyNote: the instance wrote its ready line in run.
type readyNote struct {
	inst *instance
	run  int
}

func (n readyNote) apply(m *Manager, now time.Time) {
	in := n.inst
	if m.insts[in.id] != in || in.run != n.run || in.state != StateStarting || in.awaitingStart {
		return
	}
	m.markReady(now, in)
}

// goneNote: inst's container was stopped (exit says how, when known) and
// removed, or its removal failed.
type goneNote struct {
	inst *instance
	exit *ExitError
	err  error
}

// retryDelay is the wait before a failed removal is tried again.
const retryDelay = time.Second

func (n goneNote) apply(m *Manager, now time.Time) {
	in := n.inst
	if m.insts[in.id] != in {
		return
	}
	if n.err != nil {
		in.log.Error().Err(n.err).Msg("cannot remove the container; trying again")
		in.retryAt = now.Add(retryDelay)
		return
	}
	m.forget(in)
	if in.quiet {
		in.log.Debug().Msg("container removed")
		return
	}
	switch in.state {
	case StateDraining:
		var err error
		if n.exit != nil && !n.exit.clean() {
			err = fmt.Errorf("%w while draining: %w", ErrUnexpectedExit, n.exit)
		}
		ev := in.log.Info()
		if err != nil {
			ev = in.log.Warn().Err(err)
		}
		ev.Dur("ran", now.Sub(in.started)).Msg("instance exited")
		m.emit(in.event(now, clustermgr.EventExited, err))
	case StateRemoving:
		kind := clustermgr.EventExited
		if errors.Is(in.reason, ErrStartTimeout) {
			kind = clustermgr.EventFailed
		}
		in.log.Warn().Err(in.reason).Msg("instance removed")
		m.emit(in.event(now, kind, in.reason))
	}
}

// engineNote: an event of the engine about a container of this manager.
type engineNote struct {
	action    events.Action
	container string
	// instance is the container's instance label.
	instance string
	// at is the daemon's time of the event.
	at time.Time
	// exit is set for a death.
	exit *ExitError
	// removed: the container died because someone is removing it.
	removed bool
}

func (n engineNote) apply(m *Manager, now time.Time) {
	in := m.byContainer[n.container]
	if in == nil && n.instance != "" {
		// The event came before the reconciler learned the container's ID.
		if c := m.insts[n.instance]; c != nil && c.container == "" {
			in = c
			in.setContainer(n.container)
			m.byContainer[n.container] = in
		}
	}
	if in == nil {
		return
	}
	switch n.action {
	case events.ActionStart:
		switch {
		case in.state == StateCreating:
			m.started(now, in)
		case in.state == StateStarting && in.awaitingStart:
			in.awaitingStart = false
			in.log.Info().Int("run", in.run).Msg("container restarted by its restart policy")
			m.emit(in.event(now, clustermgr.EventStarting, nil))
			m.started(now, in)
		}
	case events.ActionDie:
		switch {
		case in.state == StateDraining || in.state == StateRemoving:
			return // asked for: the removal reports it
		case n.removed:
			m.removedOutside(now, in)
		default:
			m.died(now, in, n.at, *n.exit)
		}
	case events.ActionOOM:
		in.oom = true
		in.log.Warn().Msg("out of memory in the container")
	case events.ActionHealthStatusHealthy:
		if m.cfg.Readiness == ReadyOnHealth && in.state == StateStarting && !in.awaitingStart {
			m.markReady(now, in)
		}
	case events.ActionHealthStatusUnhealthy:
		in.log.Warn().Str("state", in.state.String()).Msg("container is unhealthy")
		if m.cfg.Readiness == ReadyOnHealth && in.state == StateReady {
			in.state, in.deadline = StateStarting, time.Time{}
		}
	case events.ActionDestroy:
		if in.state.active() && in.state != StateCreating {
			m.removedOutside(now, in)
		}
	}
	m.publish(in)
}

// resyncNote: the containers of this manager as listed after the event
// stream broke.
type resyncNote struct {
	found []found
}

func (n resyncNote) apply(m *Manager, now time.Time) {
	byID := map[string]found{}
	for _, f := range n.found {
		byID[f.id] = f
	}
	for _, id := range slices.Sorted(maps.Keys(m.insts)) {
		in := m.insts[id]
		if !in.state.active() || in.state == StateCreating || in.container == "" {
			continue // the calls under way report
		}
		f, ok := byID[in.id]
		switch {
		case !ok || f.container != in.container || f.status == "removing":
			m.removedOutside(now, in)
		case !f.running && !f.restarting:
			f.exit.Restarting = false
			m.died(now, in, f.finishedAt, f.exit)
		}
	}
	for _, f := range n.found {
		if m.insts[f.id] == nil {
			m.adopt(now, f)
		}
	}
}
