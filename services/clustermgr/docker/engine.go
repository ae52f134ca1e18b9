package docker

import (
	"context"
	"fmt"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
)

// found is a container of this manager as listed and inspected.
type found struct {
	container string
	fn, id    string
	// running or restarting: the container is alive (restarting: waiting
	// to be restarted by its policy).
	running, restarting bool
	// healthy: its health check passes.
	healthy bool
	// created is when the container was made; startedAt when its current
	// (or last) run began; finishedAt when its last run ended (zero if
	// none did).
	created, startedAt, finishedAt time.Time
	grace                          time.Duration
	exit                           ExitError
	// status is the daemon's word for its state ("running", "removing"…).
	status string
}

// ownFilter selects this manager's containers.
func (m *Manager) ownFilter() filters.Args {
	return filters.NewArgs(filters.Arg("label", LabelManager+"="+m.cfg.ID))
}

// list returns every container of this manager, running or not.
func (m *Manager) list(ctx context.Context) ([]found, error) {
	ctx, cancel := context.WithTimeout(ctx, engineTimeout)
	defer cancel()
	cs, err := m.cli.ContainerList(ctx, container.ListOptions{All: true, Filters: m.ownFilter()})
	if err != nil {
		return nil, fmt.Errorf("%w: list containers: %w", ErrDaemon, err)
	}
	out := make([]found, 0, len(cs))
	for _, c := range cs {
		fn, id := c.Labels[LabelFunction], c.Labels[LabelInstance]
		if fn == "" || id == "" {
			m.log.Warn().Str("container", shortID(c.ID)).Msg("container with this manager's label but no function or instance label: left alone")
			continue
		}
		f, err := m.inspect(ctx, c.ID)
		if cerrdefs.IsNotFound(err) {
			continue // removed meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrDaemon, err)
		}
		f.fn, f.id = fn, id
		out = append(out, f)
	}
	return out, nil
}

// inspect reads what the manager needs of one container.
func (m *Manager) inspect(ctx context.Context, id string) (found, error) {
	ci, err := m.cli.ContainerInspect(ctx, id)
	if err != nil {
		return found{}, fmt.Errorf("inspect container %s: %w", shortID(id), err)
	}
	f := found{container: ci.ID, created: parseTime(ci.Created)}
	if ci.Config != nil {
		f.fn, f.id = ci.Config.Labels[LabelFunction], ci.Config.Labels[LabelInstance]
		if ci.Config.StopTimeout != nil {
			f.grace = time.Duration(*ci.Config.StopTimeout) * time.Second
		}
	}
	if st := ci.State; st != nil {
		f.running, f.restarting, f.status = st.Running, st.Restarting, st.Status
		f.healthy = st.Health != nil && st.Health.Status == container.Healthy
		f.startedAt, f.finishedAt = parseTime(st.StartedAt), parseTime(st.FinishedAt)
		f.exit = ExitError{Code: st.ExitCode, OOMKilled: st.OOMKilled, Restarting: st.Restarting || st.Running}
	}
	return f, nil
}

// parseTime reads a time the daemon wrote; its zero, or anything
// unreadable, is the zero time.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() <= 1 {
		return time.Time{}
	}
	return t
}

// create makes and starts the container of in and reports the outcome. It
// runs in its own goroutine, holding one of the start slots (dispatch).
func (m *Manager) create(in *instance, name string, cc *container.Config, hc *container.HostConfig) {
	defer m.helpers.Done()
	ctx, cancel := context.WithTimeout(m.engine, engineTimeout)
	defer cancel()
	resp, err := m.cli.ContainerCreate(ctx, cc, hc, nil, nil, name)
	if err == nil {
		if err = m.cli.ContainerStart(ctx, resp.ID, container.StartOptions{}); err != nil {
			err = fmt.Errorf("start: %w", err)
		}
	} else {
		err = fmt.Errorf("create: %w", err)
	}
	m.send(createdNote{inst: in, container: resp.ID, err: err})
}

// retire removes in's container: gracefully (stopped with its own stop
// timeout, so the instance drains, then removed) or at once. The outcome
// comes back as a goneNote.
func (m *Manager) retire(in *instance, graceful bool) {
	in.retryAt = time.Time{}
	id, grace, log := in.container, in.grace, in.log
	m.helpers.Add(1)
	go func() {
		defer m.helpers.Done()
		var exit *ExitError
		if graceful {
			ctx, cancel := context.WithTimeout(m.engine, grace+engineTimeout)
			err := m.cli.ContainerStop(ctx, id, container.StopOptions{}) // the container's stop timeout
			cancel()
			if err != nil && !cerrdefs.IsNotFound(err) {
				log.Warn().Err(err).Msg("stop failed; removing at once")
			}
			ctx, cancel = context.WithTimeout(m.engine, engineTimeout)
			if f, err := m.inspect(ctx, id); err == nil && !f.running {
				f.exit.Restarting = false
				exit = &f.exit
			}
			cancel()
		}
		ctx, cancel := context.WithTimeout(m.engine, engineTimeout)
		err := m.cli.ContainerRemove(ctx, id, container.RemoveOptions{Force: true})
		cancel()
		if cerrdefs.IsNotFound(err) {
			err = nil
		}
		m.send(goneNote{inst: in, exit: exit, err: err})
	}()
}
