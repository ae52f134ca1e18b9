package docker

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/rs/zerolog"

	"github.com/wavelink/wavelink/services/clustermgr"
)

// BenchmarkScaleToReady measures, per op, the time from Scale(fn, 1) to
// the ready event (and back to none), and in the same run the floor: a
// container of the same image, created and started through the API, that
// only writes "ready" (the binary's ready-probe), until that line is read
// from its log stream. It reports both p50s in milliseconds and their
// ratio, and the p50 of Scale(fn, 0) to the exited event (stop, drain,
// removal).
func BenchmarkScaleToReady(b *testing.B) {
	e := newEnv(b)
	e.cfg.Logger = e.cfg.Logger.Level(zerolog.WarnLevel)
	spec := e.deploy("bench")
	m, err := New(b.Context(), e.cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := m.Close(ctx); err != nil {
			b.Error(err)
		}
	})
	wait := func(k clustermgr.EventKind) {
		timeout := time.After(time.Minute)
		for {
			select {
			case ev := <-m.Events():
				if ev.Kind == k {
					return
				}
				if ev.Err != nil {
					b.Fatalf("%s %s: %v", ev.Kind, ev.Instance, ev.Err)
				}
			case <-timeout:
				b.Fatalf("no %s event", k)
			}
		}
	}
	var floor, managed, drained []time.Duration
	for b.Loop() {
		floor = append(floor, floorStartToReady(b, e))
		t0 := time.Now()
		if err := m.Scale(b.Context(), spec, 1); err != nil {
			b.Fatal(err)
		}
		wait(clustermgr.EventReady)
		managed = append(managed, time.Since(t0))
		t1 := time.Now()
		if err := m.Scale(b.Context(), spec, 0); err != nil {
			b.Fatal(err)
		}
		wait(clustermgr.EventExited)
		drained = append(drained, time.Since(t1))
	}
	f, g := p50(floor), p50(managed)
	b.ReportMetric(ms(f), "floor-p50-ms")
	b.ReportMetric(ms(g), "manager-p50-ms")
	b.ReportMetric(float64(g)/float64(f), "ratio")
	b.ReportMetric(ms(p50(drained)), "drain-p50-ms")
}

// floorStartToReady creates and starts a container of the instance image
// with the manager's settings that runs the ready-probe, and returns the
// time until its "ready" line is read from the log stream.
func floorStartToReady(b *testing.B, e *env) time.Duration {
	ctx := b.Context()
	spec := e.deploy("floor")
	cc, hc := containerSpec(e.cfg.WithDefaults(), imageInfo{}, spec, "floor-"+randomHex(4))
	cc.Cmd = []string{"ready-probe", "--ready-fd", "1"}
	hc.RestartPolicy = container.RestartPolicy{}
	t0 := time.Now()
	c, err := e.cli.ContainerCreate(ctx, cc, hc, nil, nil, "")
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = e.cli.ContainerRemove(context.Background(), c.ID, container.RemoveOptions{Force: true}) }()
	if err := e.cli.ContainerStart(ctx, c.ID, container.StartOptions{}); err != nil {
		b.Fatal(err)
	}
	rc, err := e.cli.ContainerLogs(ctx, c.ID, container.LogsOptions{ShowStdout: true, Follow: true})
	if err != nil {
		b.Fatal(err)
	}
	defer rc.Close()
	ok, err := findReady(rc)
	if !ok {
		b.Fatalf("floor container: no ready line (%v)", err)
	}
	return time.Since(t0)
}

func p50(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
