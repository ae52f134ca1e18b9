package main

import (
	"context"
	"testing"
	"time"

	"github.com/wavelink/wavelink/loadgen"
)

// BenchmarkWarmEcho measures warm sync invocations of echo through a real
// `wavelink up` (HTTP in, JetStream, a regular instance process, HTTP out)
// beside the bare JetStream invocation floor measured in the same run (as
// defined, and anchored as WL_INVOKE is), and reports them and the ratios,
// with a loopback TCP round trip between two processes for scale (the
// gateway path crosses processes; the floor does not). Run it with
// -benchtime=1x: each iteration is a whole measurement.
func BenchmarkWarmEcho(b *testing.B) {
	p := startPlatform(b, "")
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		floor := loadgen.FloorConfig{InFlight: 64, Duration: 5 * time.Second, Serial: 2000, PayloadBytes: 1024}
		fl, err := loadgen.MeasureFloor(ctx, floor)
		if err != nil {
			b.Fatal(err)
		}
		floor.Anchored = true
		afl, err := loadgen.MeasureFloor(ctx, floor)
		if err != nil {
			b.Fatal(err)
		}
		rt, err := loadgen.MeasureProcessRoundTrip(ctx, 2000, wavelinkBinary(b), "loadgen", "tcp-echo")
		if err != nil {
			b.Fatal(err)
		}
		w, err := loadgen.MeasureWarm(ctx, loadgen.WarmConfig{Gateway: p.GatewayURL(), Function: "echo", InFlight: 64, Duration: 5 * time.Second, Serial: 2000, PayloadBytes: 1024})
		if err != nil {
			b.Fatal(err)
		}
		b.Log(fl)
		b.Log(afl)
		b.Log(w)
		b.Logf("process round trip (TCP): %s", rt)
		b.ReportMetric(fl.Throughput, "floor-inv/s")
		b.ReportMetric(w.Throughput, "gateway-inv/s")
		b.ReportMetric(w.Throughput/fl.Throughput, "throughput-ratio")
		b.ReportMetric(float64(fl.Latency.P50.Microseconds()), "floor-p50-µs")
		b.ReportMetric(float64(w.Latency.P50.Microseconds()), "gateway-p50-µs")
		b.ReportMetric(float64(w.Latency.P50)/float64(fl.Latency.P50), "p50-ratio")
		b.ReportMetric(float64(afl.Latency.P50.Microseconds()), "anchored-floor-p50-µs")
		b.ReportMetric(w.Throughput/afl.Throughput, "anchored-throughput-ratio")
		b.ReportMetric(float64(w.Latency.P50)/float64(afl.Latency.P50), "anchored-p50-ratio")
		b.ReportMetric(float64(rt.P50.Microseconds()), "process-rtt-p50-µs")
	}
}
