//go:build linux

package local

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/wavelink/wavelink/services/clustermgr"
	"github.com/wavelink/wavelink/services/registry"
)

// BenchmarkStartToReady measures, per op, the time from Scale(fn, 1) to the
// ready event, and in the same run the floor: a plain fork+exec of the same
// stand-in with a ready pipe, until "ready" is read. It reports both p50s in
// milliseconds and their ratio.
func BenchmarkStartToReady(b *testing.B) {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	m, err := New(Config{Binary: exe, NATSURL: "nats://127.0.0.1:1", Env: []string{roleEnv + "=instance"}, StopGrace: FixedGrace(5 * time.Second)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := m.Close(ctx); err != nil {
			b.Error(err)
		}
	})
	wait := func(k clustermgr.EventKind) {
		timeout := time.After(20 * time.Second)
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
	spec := registry.Spec{Name: "bench"}
	var floor, managed []time.Duration
	for b.Loop() {
		floor = append(floor, plainStartToReady(b, exe))

		t0 := time.Now()
		if err := m.Scale(b.Context(), spec, 1); err != nil {
			b.Fatal(err)
		}
		wait(clustermgr.EventReady)
		managed = append(managed, time.Since(t0))
		if err := m.Scale(b.Context(), spec, 0); err != nil {
			b.Fatal(err)
		}
		wait(clustermgr.EventExited)
	}
	f, g := p50(floor), p50(managed)
	b.ReportMetric(ms(f), "floor-p50-ms")
	b.ReportMetric(ms(g), "manager-p50-ms")
	b.ReportMetric(float64(g)/float64(f), "ratio")
}

// plainStartToReady starts the stand-in with a ready pipe, returns the time
// until it is ready, then stops it.
func plainStartToReady(b *testing.B, exe string) time.Duration {
	t0 := time.Now()
	r, w, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command(exe, "instance", "--function", "floor", "--nats", "nats://127.0.0.1:1", "--id", "floor-1", "--track", "regular", "--ready-fd", "3")
	cmd.Env = append(os.Environ(), roleEnv+"=instance")
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	_ = w.Close()
	line, err := bufio.NewReader(r).ReadString('\n')
	d := time.Since(t0)
	if err != nil || line != readyLine {
		b.Fatalf("floor stand-in: %q, %v", line, err)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		b.Fatalf("floor stand-in: %v", err)
	}
	return d
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
