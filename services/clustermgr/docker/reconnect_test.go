package docker

import (
	"errors"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"

	"github.com/wavelink/wavelink/services/clustermgr"
)

// socketProxy forwards connections on a unix socket to the daemon's, and
// can cut every connection it holds, as a daemon restart would.
type socketProxy struct {
	l     net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newSocketProxy(t *testing.T, daemonHost string) *socketProxy {
	t.Helper()
	target, ok := strings.CutPrefix(daemonHost, "unix://")
	if !ok {
		t.Skipf("the daemon is at %s, not on a unix socket", daemonHost)
	}
	l, err := net.Listen("unix", filepath.Join(t.TempDir(), "docker.sock"))
	if err != nil {
		t.Fatal(err)
	}
	p := &socketProxy{l: l}
	t.Cleanup(func() { _ = l.Close(); p.cut() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			d, err := net.Dial("unix", target)
			if err != nil {
				_ = c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, d)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(d, c); _ = d.Close() }()
			go func() { _, _ = io.Copy(c, d); _ = c.Close() }()
		}
	}()
	return p
}

func (p *socketProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}

// TestEventStreamBreaks: when the connection to the daemon breaks, the
// manager reopens the event stream and learns what happened meanwhile.
func TestEventStreamBreaks(t *testing.T) {
	e := newEnv(t)
	proxy := newSocketProxy(t, e.cli.DaemonHost())
	cli, err := client.NewClientWithOpts(client.WithHost("unix://"+proxy.l.Addr().String()), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	spec := e.deploy("cut")
	cfg := e.cfg
	cfg.Client = cli
	h := e.start(cfg)
	h.scale(spec, 1)
	ready := h.waitEvents(1, time.Minute, kind("cut", clustermgr.EventReady))[0]

	proxy.cut()
	// While the manager is cut off (it waits a second before reopening),
	// the container goes away.
	if err := e.cli.ContainerRemove(t.Context(), ContainerName(cfg.ID, ready.Instance), container.RemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	exited := h.waitEvents(1, time.Minute, kind("cut", clustermgr.EventExited))[0]
	if exited.Instance != ready.Instance || !errors.Is(exited.Err, ErrRemovedOutside) {
		t.Fatalf("exited %s: %v, want %s removed outside", exited.Instance, exited.Err, ready.Instance)
	}
	again := h.waitEvents(2, time.Minute, kind("cut", clustermgr.EventReady))[1]
	if again.Instance == ready.Instance {
		t.Fatal("the removed instance came back")
	}
}
