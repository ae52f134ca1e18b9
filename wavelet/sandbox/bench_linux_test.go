package sandbox

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"
)

// BenchmarkSpawn measures, from the decision to spawn until the payload
// reports on its ready descriptor: a container made and started (cold), a
// pre-created container started (pool), and the floor, a plain fork+exec
// of the same binary. It reports p50 and p99 of each in ms.
func BenchmarkSpawn(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("containers need root")
	}
	r, err := NewContainers(ContainerOptions{StateDir: b.TempDir(), CgroupParent: "wavelink-test/bench"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_, _ = r.Clean()
		for _, d := range cgroupDirs("wavelink-test/bench") {
			_ = os.Remove(d)
			_ = os.Remove(d[:len(d)-len("/bench")])
		}
	})
	rootfs := b.TempDir()
	spec := func(i int, w *os.File) Spec {
		return Spec{ID: fmt.Sprintf("b%d", i), RootFS: rootfs, Args: []string{"-test.run=^$"},
			Env: []string{payloadEnv + "=exit"}, ExtraFiles: []*os.File{w}, MemoryMB: 128, Pids: 64}
	}
	exe, _ := os.Executable()
	var n int
	// run measures one spawn per iteration: prep makes what may be made
	// ahead (not timed), start is timed until the payload is ready.
	run := func(b *testing.B, prep func(w *os.File) (start func() error, wait func(), err error)) {
		var lat []time.Duration
		for b.Loop() {
			b.StopTimer()
			rd, w, err := os.Pipe()
			if err != nil {
				b.Fatal(err)
			}
			start, wait, err := prep(w)
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			t0 := time.Now()
			if err := start(); err != nil {
				b.Fatal(err)
			}
			w.Close()
			if _, err := rd.Read(make([]byte, 1)); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
			b.StopTimer()
			rd.Close()
			wait()
			b.StartTimer()
		}
		slices.Sort(lat)
		b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
		b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
	}
	b.Run("floor-fork-exec", func(b *testing.B) {
		run(b, func(w *os.File) (func() error, func(), error) {
			cmd := exec.Command(exe, "-test.run=^$")
			cmd.Env = []string{payloadEnv + "=exit"}
			cmd.ExtraFiles = []*os.File{w}
			return cmd.Start, func() { _ = cmd.Wait() }, nil
		})
	})
	b.Run("cold", func(b *testing.B) {
		run(b, func(w *os.File) (func() error, func(), error) {
			n++
			var s *Sandbox
			start := func() error {
				var err error
				if s, err = r.Create(spec(n, w)); err != nil {
					return err
				}
				return s.Start()
			}
			return start, func() { <-s.Done(); _ = s.Destroy() }, nil
		})
	})
	b.Run("pool", func(b *testing.B) {
		run(b, func(w *os.File) (func() error, func(), error) {
			n++
			s, err := r.Create(spec(n, w))
			if err != nil {
				return nil, nil, err
			}
			return s.Start, func() { <-s.Done(); _ = s.Destroy() }, nil
		})
	})
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
