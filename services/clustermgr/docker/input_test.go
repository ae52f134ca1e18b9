package docker

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"

	"github.com/wavelink/wavelink/services/clustermgr"
	"github.com/wavelink/wavelink/services/registry"
)

// TestNewBadInput: New refuses what it cannot run with, naming the
// problem.
func TestNewBadInput(t *testing.T) {
	e := newEnv(t)
	unreachable, err := client.NewClientWithOpts(client.WithHost("unix://"+filepath.Join(t.TempDir(), "no.sock")), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer unreachable.Close()
	cases := []struct {
		name string
		edit func(*Config)
		want error
	}{
		{"missing image", func(c *Config) { c.Image = "wavelink-test-missing:nope" }, ErrImage},
		{"no image", func(c *Config) { c.Image = "" }, ErrInvalidConfig},
		{"no NATS URL", func(c *Config) { c.NATSURL = "" }, ErrInvalidConfig},
		{"bad ID", func(c *Config) { c.ID = "has space" }, ErrInvalidConfig},
		{"more CPUs than the daemon has", func(c *Config) { c.NanoCPUs = 1000e9 }, ErrInvalidConfig},
		{"health readiness with no check", func(c *Config) { c.Readiness = ReadyOnHealth }, ErrInvalidConfig},
		{"daemon unreachable", func(c *Config) { c.Client = unreachable }, ErrDaemon},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := e.cfg
			tc.edit(&cfg)
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			m, err := New(ctx, cfg)
			if err == nil {
				_ = m.Detach(ctx)
				t.Fatal("New accepted it")
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("New: %v, want an error wrapping %v", err, tc.want)
			}
			t.Logf("New: %v", err)
		})
	}
}

// TestScaleBadInput: Scale refuses a bad spec or count and starts nothing.
func TestScaleBadInput(t *testing.T) {
	e := newEnv(t)
	h := e.start(e.cfg)
	echo := registry.Package{Builtin: "echo"}
	cases := []struct {
		name     string
		spec     registry.Spec
		replicas int
		want     error
	}{
		{"bad name", registry.Spec{Name: "Not_A_Label", Package: echo}, 1, registry.ErrInvalidSpec},
		{"no package", registry.Spec{Name: "nopkg"}, 1, registry.ErrInvalidSpec},
		{"memory too large", registry.Spec{Name: "big", Package: echo, MemoryMB: registry.MaxMemoryMB + 1}, 1, registry.ErrInvalidSpec},
		{"memory below the daemon's floor", registry.Spec{Name: "tiny", Package: echo, MemoryMB: 2}, 1, ErrInvalidScale},
		{"relative package path", registry.Spec{Name: "rel", Package: registry.Package{RootFS: "fn/root"}, Command: []string{"/bin/fn"}}, 1, ErrInvalidScale},
		{"negative replicas", registry.Spec{Name: "neg", Package: echo}, -1, ErrInvalidScale},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := h.m.Scale(t.Context(), tc.spec, tc.replicas)
			if !errors.Is(err, tc.want) || !errors.Is(err, ErrInvalidScale) {
				t.Fatalf("Scale: %v, want an error wrapping %v and ErrInvalidScale", err, tc.want)
			}
			t.Logf("Scale: %v", err)
		})
	}
	if ins := h.m.Instances(); len(ins) != 0 {
		t.Fatalf("bad requests started instances: %v", ins)
	}
	h.close()
	if err := h.m.Scale(t.Context(), registry.Spec{Name: "late", Package: echo}, 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("Scale after Close: %v, want ErrClosed", err)
	}
}

// TestDaemonRefusesContainer: a container the daemon will not create (its
// package folder does not exist) is reported as a failed start, retried
// with the back-off, and nothing is left behind.
func TestDaemonRefusesContainer(t *testing.T) {
	e := newEnv(t)
	h := e.start(e.cfg)
	spec := registry.Spec{Name: "nofolder", Package: registry.Package{RootFS: filepath.Join(t.TempDir(), "missing")}, Command: []string{"/fn"}}
	h.scale(spec, 1)
	failed := h.waitEvents(2, time.Minute, kind("nofolder", clustermgr.EventFailed))
	for _, ev := range failed {
		if !errors.Is(ev.Err, ErrStart) {
			t.Fatalf("failed with %v, want ErrStart", ev.Err)
		}
	}
	t.Logf("refused: %v", failed[0].Err)
	h.scale(spec, 0)
	h.close()
	if cs := e.containers(e.cfg.ID); len(cs) != 0 {
		t.Fatalf("%d containers left", len(cs))
	}
}

// TestStartTimeout: an instance not ready within StartTimeout has its
// container removed and is reported failed.
func TestStartTimeout(t *testing.T) {
	e := newEnv(t)
	spec := e.deploy("slow")
	cfg := e.cfg
	cfg.StartTimeout = time.Millisecond
	cfg.RestartBackoff = clustermgr.Backoff{Min: time.Hour, Max: time.Hour, Reset: time.Hour}
	h := e.start(cfg)
	h.scale(spec, 1)
	failed := h.waitEvents(1, time.Minute, kind("slow", clustermgr.EventFailed))[0]
	if !errors.Is(failed.Err, ErrStartTimeout) {
		t.Fatalf("failed with %v, want ErrStartTimeout", failed.Err)
	}
	if cs := e.containers(cfg.ID); len(cs) != 0 {
		t.Fatalf("%d containers left after the timeout", len(cs))
	}
	if ins := h.m.Instances(); len(ins) != 0 {
		t.Fatalf("replaced within the back-off: %v", ins)
	}
}

// TestRemovedOutside: a container removed by someone else is reported and
// replaced.
func TestRemovedOutside(t *testing.T) {
	e := newEnv(t)
	spec := e.deploy("victim")
	h := e.start(e.cfg)
	h.scale(spec, 1)
	ready := h.waitEvents(1, time.Minute, kind("victim", clustermgr.EventReady))[0]
	if err := e.cli.ContainerRemove(t.Context(), ContainerName(e.cfg.ID, ready.Instance), container.RemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	exited := h.waitEvents(1, time.Minute, kind("victim", clustermgr.EventExited))[0]
	if exited.Instance != ready.Instance || !errors.Is(exited.Err, ErrRemovedOutside) {
		t.Fatalf("exited %s: %v, want %s: ErrRemovedOutside", exited.Instance, exited.Err, ready.Instance)
	}
	again := h.waitEvents(2, time.Minute, kind("victim", clustermgr.EventReady))[1]
	if again.Instance == ready.Instance {
		t.Fatal("the removed instance came back ready")
	}
}

// TestReadyOnHealth: with readiness from the health check, an instance is
// ready when the engine reports its container healthy. The check here is
// the binary's ready-probe, which always passes: the test is about the
// engine's events reaching the manager.
func TestReadyOnHealth(t *testing.T) {
	e := newEnv(t)
	spec := e.deploy("healthy")
	cfg := e.cfg
	cfg.Readiness = ReadyOnHealth
	cfg.Health = &HealthCheck{Args: []string{"ready-probe", "--ready-fd", "1"}, Interval: 200 * time.Millisecond}
	h := e.start(cfg)
	t0 := time.Now()
	h.scale(spec, 2)
	h.waitEvents(2, time.Minute, kind("healthy", clustermgr.EventReady))
	t.Logf("scale-up to 2 healthy: %s", time.Since(t0))
	ci, err := e.cli.ContainerInspect(t.Context(), ContainerName(cfg.ID, h.m.Instances()[0].ID))
	if err != nil {
		t.Fatal(err)
	}
	if ci.State.Health == nil || ci.State.Health.Status != "healthy" {
		t.Fatalf("container health: %+v", ci.State.Health)
	}
}

// TestReadyFileHealth runs the health check wavelink up gives its
// containers (instance --ready-file, ready-probe --file), with readiness
// taken from it.
func TestReadyFileHealth(t *testing.T) {
	e := newEnv(t)
	spec := e.deploy("readyfile")
	cfg := e.cfg
	cfg.Readiness = ReadyOnHealth
	cfg.Health = ReadyFileHealth(200 * time.Millisecond)
	h := e.start(cfg)
	h.scale(spec, 1)
	h.waitEvents(1, time.Minute, kind("readyfile", clustermgr.EventReady))
	if got := string(e.invoke("readyfile", "hi")); got != "hi" {
		t.Fatalf("echo replied %q", got)
	}
}
