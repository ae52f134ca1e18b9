package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wavelink/wavelink/loadgen"
	"github.com/wavelink/wavelink/services/registry"
)

// BenchmarkColdEcho measures cold invocations end to end: for each of 20
// freshly deployed echo functions (no instance of it anywhere, no pool of
// it), one sync HTTP request through a real `wavelink up`, from request
// sent to response read. It runs the platform in wavelink mode (the first
// arrival asks the Wavelet for an emergency instance: a generic pre-started
// one given the function, made up again right after), in wavelink mode
// without generic instances (a new libcontainer container), and in async
// mode (the scaler asks the local cluster manager for a regular instance
// process), and reports p50 and p99 of each beside the floor of starting
// the binary (fork+exec until it reports on a pipe). Run with
// -benchtime=1x.
func BenchmarkColdEcho(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("the Wavelet's containers need root")
	}
	const functions = 20
	for i := 0; i < b.N; i++ {
		floor, err := loadgen.MeasureStartFloor(functions, wavelinkBinary(b), "ready-probe", "--ready-fd", "3")
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(ms(floor[len(floor)/2]), "floor-p50-ms")
		for _, run := range []struct{ name, mode, generic string }{
			{"wavelink", "wavelink", "2"}, {"wavelink-nogeneric", "wavelink", "-1"}, {"async", "async", "2"},
		} {
			lat := coldRun(b, functions, run.mode, "--generic", run.generic)
			b.Logf("%s: cold echo p50 %.1f ms, p99 %.1f ms, max %.1f ms (floor p50 %.1f ms)", run.name,
				ms(lat[len(lat)/2]), ms(lat[len(lat)*99/100]), ms(lat[len(lat)-1]), ms(floor[len(floor)/2]))
			b.ReportMetric(ms(lat[len(lat)/2]), run.name+"-p50-ms")
			b.ReportMetric(ms(lat[len(lat)*99/100]), run.name+"-p99-ms")
		}
	}
}

// coldRun starts a platform in mode with more args, deploys n echo
// functions and invokes each once, 100 ms apart; it returns the latencies,
// sorted.
func coldRun(b *testing.B, n int, mode string, args ...string) []time.Duration {
	p := startPlatform(b, "", append([]string{"--mode", mode}, args...)...)
	nc, err := nats.Connect(p.NATSURL())
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	reg, err := registry.Open(ctx, js)
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		spec := registry.Spec{Name: fmt.Sprintf("cold-%d", i), Package: registry.Package{Builtin: "echo"}, Concurrency: 10, MaxInstances: 2}
		if _, err := reg.Deploy(ctx, spec); err != nil {
			b.Fatal(err)
		}
	}
	time.Sleep(time.Second) // every component has seen the deployments
	client := &http.Client{Timeout: 30 * time.Second}
	var lat []time.Duration
	for i := range n {
		time.Sleep(100 * time.Millisecond) // cold starts paced, as unrelated functions' first calls are
		url := fmt.Sprintf("%s/functions/cold-%d", p.GatewayURL(), i)
		t0 := time.Now()
		resp, err := client.Post(url, "text/plain", bytes.NewReader([]byte("cold")))
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		lat = append(lat, time.Since(t0))
		if resp.StatusCode != http.StatusOK || string(body) != "cold" {
			b.Fatalf("%s: %d %q", url, resp.StatusCode, body)
		}
		if mode == "wavelink" && resp.Header.Get("ce-wltrack") != "emergency" {
			b.Fatalf("%s served by a %q instance, want an emergency one", url, resp.Header.Get("ce-wltrack"))
		}
	}
	slices.Sort(lat)
	return lat
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
