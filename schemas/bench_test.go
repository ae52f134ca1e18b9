package schemas

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

func benchInvocation() Invocation {
	return Invocation{
		ID:              "0b8f6a8e-3c1d-4f7a-9a57-2f0e6c1d9b21",
		Source:          DefaultSource,
		Type:            TypeInvocation,
		Time:            time.Date(2026, 1, 2, 3, 4, 5, 678900000, time.UTC),
		DataContentType: "application/octet-stream",
		Header: http.Header{
			"Requested_cpu":    {"250"},
			"Requested_memory": {"128"},
			"Traceparent":      {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
		},
		Data: bytes.Repeat([]byte("x"), 1024),
	}
}

// BenchmarkInvocationNATSRoundTrip encodes a 1 KiB invocation with three
// request headers onto a NATS message and decodes it back. It reports
// x-floor: its time per operation over that of the floor, which writes the
// same headers into a fresh nats.Header and reads each back by name.
func BenchmarkInvocationNATSRoundTrip(b *testing.B) {
	inv := benchInvocation()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		var msg nats.Msg
		EncodeInvocationNATS(&inv, &msg)
		got, err := DecodeInvocationNATS(msg.Header, msg.Data)
		if err != nil || got.ID != inv.ID {
			b.Fatalf("round trip: %v", err)
		}
	}
	codec := b.Elapsed()
	n := b.N
	b.StopTimer()
	floor := measureFloor(b, &inv, n)
	if floor > 0 {
		b.ReportMetric(float64(codec)/float64(floor), "x-floor")
	}
}

// measureFloor times n runs of the least work a round trip could do.
func measureFloor(b *testing.B, inv *Invocation, n int) time.Duration {
	ts := inv.Time.UTC().Format(time.RFC3339Nano)
	start := time.Now()
	for range n {
		h := make(nats.Header, 8)
		h[HeaderSpecVersion] = []string{SpecVersion}
		h[HeaderID] = []string{inv.ID}
		h[HeaderSource] = []string{inv.Source}
		h[HeaderType] = []string{inv.Type}
		h[HeaderTime] = []string{ts}
		h[HeaderContentType] = []string{inv.DataContentType}
		for k, v := range inv.Header {
			h[k] = v
		}
		if h[HeaderID][0] != inv.ID || h[HeaderSource][0] == "" || h[HeaderType][0] == "" || h["Requested_cpu"][0] == "" {
			b.Fatal("floor read back the wrong headers")
		}
	}
	return time.Since(start)
}
