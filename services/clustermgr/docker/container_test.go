package docker

import (
	"slices"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"

	"github.com/wavelink/wavelink/services/registry"
)

func TestContainerSpec(t *testing.T) {
	cfg := validConfig()
	cfg.ID = "m1"
	cfg.NanoCPUs = 5e8
	cfg.ExtraArgs = []string{"--log-format", "json"}
	cfg.Env = []string{"A=1"}
	cfg.StopGrace = FixedGrace(2500 * time.Millisecond)
	img := imageInfo{entrypoint: []string{"/.wavelink/wavelink"}}
	spec := registry.Spec{Name: "fn", Package: registry.Package{Builtin: "echo"}, MemoryMB: 256}.WithDefaults()

	cc, hc := containerSpec(cfg, img, spec, "fn-01020304")
	wantCmd := []string{"instance", "--function", "fn", "--nats", cfg.NATSURL, "--id", "fn-01020304", "--track", "regular",
		"--work-dir", "/tmp/wavelink", "--ready-fd", "1", "--log-format", "json"}
	if !slices.Equal(cc.Cmd, wantCmd) {
		t.Errorf("cmd %q, want %q", cc.Cmd, wantCmd)
	}
	if cc.Image != cfg.Image || !slices.Equal(cc.Env, cfg.Env) || *cc.StopTimeout != 3 || cc.Healthcheck != nil {
		t.Errorf("config %+v", cc)
	}
	if cc.Labels[LabelFunction] != "fn" || cc.Labels[LabelInstance] != "fn-01020304" || cc.Labels[LabelManager] != "m1" {
		t.Errorf("labels %v", cc.Labels)
	}
	if hc.NetworkMode != "host" || hc.RestartPolicy.Name != container.RestartPolicyOnFailure || hc.RestartPolicy.MaximumRetryCount != DefaultMaxRestarts ||
		hc.Init == nil || !*hc.Init || !hc.ReadonlyRootfs || hc.Tmpfs["/tmp"] == "" {
		t.Errorf("host config %+v", hc)
	}
	if hc.Memory != 256<<20 || hc.MemorySwap != 256<<20 || hc.NanoCPUs != 5e8 {
		t.Errorf("resources %+v", hc.Resources)
	}
	if len(hc.Mounts) != 0 {
		t.Errorf("a built-in mounts %v", hc.Mounts)
	}

	t.Run("health", func(t *testing.T) {
		cfg := cfg
		cfg.Readiness = ReadyOnHealth
		cfg.Health = ReadyFileHealth(time.Second)
		cfg = cfg.WithDefaults()
		cc, _ := containerSpec(cfg, imageInfo{entrypoint: []string{"/l/ld.so", "--library-path", "/l", "/.wavelink/wavelink"}}, spec, "fn-1")
		wantTest := []string{"CMD", "/l/ld.so", "--library-path", "/l", "/.wavelink/wavelink", "ready-probe", "--file", ReadyFile}
		if cc.Healthcheck == nil || !slices.Equal(cc.Healthcheck.Test, wantTest) || cc.Healthcheck.Interval != time.Second {
			t.Fatalf("health check %+v, want test %q", cc.Healthcheck, wantTest)
		}
		if slices.Contains(cc.Cmd, "--ready-fd") || !slices.Contains(cc.Cmd, "--ready-file") {
			t.Fatalf("cmd %q: want --ready-file and no --ready-fd", cc.Cmd)
		}
	})
	t.Run("package mounted read-only", func(t *testing.T) {
		spec := registry.Spec{Name: "fn", Package: registry.Package{RootFS: "/srv/fn"}, Command: []string{"/bin/fn"}}.WithDefaults()
		_, hc := containerSpec(cfg, img, spec, "fn-1")
		want := []mount.Mount{{Type: mount.TypeBind, Source: "/srv/fn", Target: "/srv/fn", ReadOnly: true}}
		if !slices.Equal(hc.Mounts, want) {
			t.Fatalf("mounts %+v, want %+v", hc.Mounts, want)
		}
	})
}

func TestGraceSeconds(t *testing.T) {
	for d, want := range map[time.Duration]int{0: 0, -time.Second: 0, time.Millisecond: 1, time.Second: 1, 1001 * time.Millisecond: 2, 35 * time.Second: 35} {
		if got := graceSeconds(d); got != want {
			t.Errorf("graceSeconds(%s) = %d, want %d", d, got, want)
		}
	}
}
