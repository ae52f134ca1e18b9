package wavelet

import (
	"os"
	"slices"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/wavelink/wavelink/loadgen"
	"github.com/wavelink/wavelink/schemas"
)

// BenchmarkSpawn measures emergency instance starts through a real Wavelet
// (containers, the real instance runtime, a real NATS server), from the
// burst request sent until its reply, which the Wavelet sends once the
// instance pulls: cold (a new container), generic (a parked instance with
// no function yet, given one), pool (a parked instance of the function let
// go), and ten at once from the pool. The floor is a fork+exec of the same
// binary until it reports on a pipe (its hidden ready-probe command). Each
// reports p50 and p99 in ms.
func BenchmarkSpawn(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("containers need root")
	}
	b.Run("floor-fork-exec", func(b *testing.B) {
		lat, err := loadgen.MeasureStartFloor(b.N, wavelinkBinary, "ready-probe", "--ready-fd", "3")
		if err != nil {
			b.Fatal(err)
		}
		report(b, lat)
	})
	b.Run("cold", func(b *testing.B) { spawnBench(b, 1, "cold") })
	b.Run("generic", func(b *testing.B) { spawnBench(b, 1, "generic") })
	b.Run("pool", func(b *testing.B) { spawnBench(b, 1, "pool") })
	b.Run("pool-ten-at-once", func(b *testing.B) { spawnBench(b, 10, "pool") })
}

// spawnBench asks for count instances per iteration, from source: "cold"
// (no pool, no generic instance), "generic" or "pool".
func spawnBench(b *testing.B, count int, source string) {
	pool, generic := source == "pool", source == "generic"
	e := newEnv(b)
	e.deploy(b, echoSpec("echo"))
	cfg := e.testConfig(b, "bench")
	cfg.Logger = cfg.Logger.Level(zerolog.WarnLevel)
	cfg.Slots, cfg.IdleTimeout, cfg.StatusEvery = 2*count+2, 50*time.Millisecond, 20*time.Millisecond
	cfg.MemoryMB = 16384
	cfg.Pool.PerFunction = -1
	if pool {
		cfg.Pool.PerFunction = count
	}
	if generic {
		cfg.Generic = count
	}
	w := e.start(b, cfg)
	settle := func() {
		deadline := time.Now().Add(30 * time.Second)
		for {
			s := w.Status()
			idle := len(s.Running) == 0
			if idle && (!pool || s.Pool["echo"] == count) && (!generic || s.Generic == count) {
				return
			}
			if time.Now().After(deadline) {
				b.Fatalf("not settled: %+v", s)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	if pool { // a first burst gives the function a history, hence a pool
		e.burst(b, "bench", schemas.BurstRequest{Function: "echo", Count: count})
	}
	var lat []time.Duration
	for b.Loop() {
		b.StopTimer()
		settle()
		b.StartTimer()
		t0 := time.Now()
		r := e.burst(b, "bench", schemas.BurstRequest{Function: "echo", Count: count})
		lat = append(lat, time.Since(t0))
		if r.Accepted != count {
			b.Fatalf("reply %+v", r)
		}
	}
	report(b, lat)
}

func report(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[min(len(lat)-1, len(lat)*99/100)]), "p99-ms")
	b.ReportMetric(0, "ns/op")
}
