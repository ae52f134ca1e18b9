package docker

import (
	"context"
	"fmt"
	"strconv"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/events"
)

// watchedActions are the container events the manager acts on.
var watchedActions = []events.Action{
	events.ActionStart, events.ActionDie, events.ActionOOM, events.ActionDestroy,
	events.ActionHealthStatus, // matches every health_status: ... action
}

// reconnectDelay spaces out attempts to reopen the engine's event stream.
const reconnectDelay = time.Second

// watch follows the engine's event stream for this manager's containers
// and hands what happens to the reconciler. When the stream breaks it
// reopens it from the last event seen (the daemon replays what came
// since), and sends the reconciler a fresh list of the containers in case
// anything was missed. It returns when the manager's streams end.
func (m *Manager) watch(since time.Time) {
	defer m.helpers.Done()
	ctx := m.streams
	for {
		err := m.watchOnce(ctx, &since)
		if ctx.Err() != nil {
			return
		}
		m.log.Warn().Err(err).Msg("engine event stream broke; reopening it")
		select {
		case <-ctx.Done():
			return
		case <-time.After(reconnectDelay):
		}
		found, err := m.list(ctx)
		if err != nil {
			m.log.Warn().Err(err).Msg("cannot list containers after the event stream broke")
			continue
		}
		m.send(resyncNote{found: found})
	}
}

// watchOnce reads one event stream until it breaks; since moves past each
// event read.
func (m *Manager) watchOnce(ctx context.Context, since *time.Time) error {
	f := m.ownFilter()
	f.Add("type", string(events.ContainerEventType))
	for _, a := range watchedActions {
		f.Add("event", string(a))
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	msgs, errs := m.cli.Events(ctx, events.ListOptions{Since: timestamp(*since), Filters: f})
	for {
		select {
		case msg := <-msgs:
			*since = time.Unix(0, msg.TimeNano+1) // past it: a reopened stream does not replay it
			if n, ok := m.engineNote(ctx, msg); ok {
				m.send(n)
			}
		case err := <-errs:
			return err
		}
	}
}

// engineNote turns an engine event into a note; for a container's death
// it inspects the container to learn whether its restart policy restarts
// it.
func (m *Manager) engineNote(ctx context.Context, msg events.Message) (engineNote, bool) {
	n := engineNote{
		action:    msg.Action,
		container: msg.Actor.ID,
		instance:  msg.Actor.Attributes[LabelInstance],
		at:        time.Unix(0, msg.TimeNano),
	}
	switch msg.Action {
	case events.ActionStart, events.ActionOOM, events.ActionDestroy,
		events.ActionHealthStatusHealthy, events.ActionHealthStatusUnhealthy:
	case events.ActionDie:
		code, err := strconv.Atoi(msg.Actor.Attributes["exitCode"])
		if err != nil {
			code = -1
		}
		exit := ExitError{Code: code}
		ctx, cancel := context.WithTimeout(ctx, engineTimeout)
		defer cancel()
		f, err := m.inspect(ctx, msg.Actor.ID)
		switch {
		case cerrdefs.IsNotFound(err) || f.status == "removing":
			n.removed = true
		case err == nil:
			exit.OOMKilled, exit.Restarting = f.exit.OOMKilled, f.exit.Restarting
		}
		n.exit = &exit
	default:
		return engineNote{}, false
	}
	return n, true
}

// timestamp is t as the daemon takes a since or until parameter; empty for
// the zero time.
func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return fmt.Sprintf("%d.%09d", t.Unix(), t.Nanosecond())
}
