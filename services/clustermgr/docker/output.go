package docker

import (
	"bytes"
	"context"
	"errors"
	"io"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"
	"github.com/rs/zerolog"
)

// followOutput starts reading in's container output for the ready line of
// its current run, unless readiness comes from elsewhere, the instance is
// not starting (or waits for its restart), or that run's output is read
// already.
func (m *Manager) followOutput(in *instance) {
	if m.cfg.Readiness != ReadyOnOutput || in.state != StateStarting || in.awaitingStart || in.container == "" || in.followRun == in.run {
		return
	}
	in.stopFollowing()
	ctx, cancel := context.WithCancel(m.streams)
	in.followRun, in.stopFollow = in.run, cancel
	m.helpers.Add(1)
	go m.follow(ctx, in, in.container, in.run, in.lastExit, in.log)
}

// stopFollowing stops reading the instance's output.
func (in *instance) stopFollowing() {
	if in.stopFollow != nil {
		in.stopFollow()
		in.stopFollow = nil
	}
	in.followRun = -1
}

// follow reads the container's standard output from since on and reports
// the ready line of run. It ends at that line, at the end of the stream
// (the container stopped), or when ctx ends; a stream broken otherwise
// (the connection to the daemon) is opened again.
func (m *Manager) follow(ctx context.Context, in *instance, id string, run int, since time.Time, log zerolog.Logger) {
	defer m.helpers.Done()
	for {
		ok, err := m.readOutput(ctx, id, since)
		if ok {
			m.send(readyNote{inst: in, run: run})
			return
		}
		if err == nil || ctx.Err() != nil || cerrdefs.IsNotFound(err) {
			return
		}
		log.Warn().Err(err).Msg("cannot read the container's output; trying again")
		select {
		case <-ctx.Done():
			return
		case <-time.After(reconnectDelay):
		}
	}
}

// readOutput reads the container's output once, from since on, until the
// ready line or the end of the stream.
func (m *Manager) readOutput(ctx context.Context, id string, since time.Time) (bool, error) {
	rc, err := m.cli.ContainerLogs(ctx, id, container.LogsOptions{ShowStdout: true, Follow: true, Since: timestamp(since)})
	if err != nil {
		return false, err
	}
	defer rc.Close()
	return findReady(rc)
}

// errReadyFound stops the copy of the output at the ready line.
var errReadyFound = errors.New("ready line found")

// findReady reads a multiplexed log stream (standard output only) until a
// line that is exactly the ready line. It returns false when the stream
// ends first.
func findReady(r io.Reader) (bool, error) {
	var w lineWatch
	_, err := stdcopy.StdCopy(&w, &w, r)
	if errors.Is(err, errReadyFound) {
		return true, nil
	}
	return false, err
}

// maxPartialLine bounds what is kept of a line not ended yet: a longer line
// cannot be the ready line.
const maxPartialLine = 64

// lineWatch is a writer that fails with errReadyFound once it has been
// written the ready line.
type lineWatch struct {
	partial []byte
	long    bool // the line being written is too long to matter
}

func (w *lineWatch) Write(p []byte) (int, error) {
	for rest := p; len(rest) > 0; {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			w.add(rest)
			break
		}
		w.add(rest[:i])
		line := bytes.TrimSuffix(w.partial, []byte("\r"))
		if !w.long && string(line) == readyLine {
			return len(p), errReadyFound
		}
		w.partial, w.long = w.partial[:0], false
		rest = rest[i+1:]
	}
	return len(p), nil
}

func (w *lineWatch) add(b []byte) {
	if w.long || len(w.partial)+len(b) > maxPartialLine {
		w.partial, w.long = w.partial[:0], true
		return
	}
	w.partial = append(w.partial, b...)
}
