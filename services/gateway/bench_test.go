package gateway

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/wavelink/wavelink/schemas"
	"github.com/wavelink/wavelink/streams"
)

const benchClients = 64

// runClients runs n calls of call spread over benchClients goroutines (call
// gets its goroutine's index) and returns the calls' latencies, sorted, and
// the wall time.
func runClients(b *testing.B, n int, call func(client int) error) ([]time.Duration, time.Duration) {
	b.Helper()
	var next atomic.Int64
	lat := make([][]time.Duration, benchClients)
	var wg sync.WaitGroup
	// The first error; an atomic.Value would panic on a second error of
	// another type (*url.Error after *httpError, say).
	var (
		failOnce sync.Once
		failed   error
	)
	start := time.Now()
	for c := range benchClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				t0 := time.Now()
				if err := call(c); err != nil {
					failOnce.Do(func() { failed = err })
					return
				}
				lat[c] = append(lat[c], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	if failed != nil {
		b.Fatal(failed)
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	return all, wall
}

// BenchmarkGatewaySyncEcho measures synchronous invocations through the
// gateway (HTTP/1.1 on loopback, 64 concurrent clients) against a responder
// playing the instance, and, for scale, the same invocations published
// straight to JetStream with the reply awaited on core NATS (the floor).
func BenchmarkGatewaySyncEcho(b *testing.B) {
	f := newFixture(b, fixtureOptions{})
	for range 2 { // two pullers, as two instances would
		startResponder(b, f.env, "echo", echo)
	}
	floor := jetstreamFloor(b, f, 4000)

	tr := &http.Transport{MaxIdleConns: 2 * benchClients, MaxIdleConnsPerHost: 2 * benchClients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	url := f.srv.URL + "/functions/echo"
	call := func(int) error {
		resp, err := client.Post(url, "text/plain", strings.NewReader("ping"))
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return &httpError{code: resp.StatusCode, msg: "unexpected status " + resp.Status}
		}
		return err
	}
	b.ResetTimer()
	lat, wall := runClients(b, b.N, call)
	b.StopTimer()
	rate := float64(b.N) / wall.Seconds()
	b.ReportMetric(rate, "req/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(floor, "floor-req/s")
	b.ReportMetric(rate/floor, "ratio-to-floor")
}

// jetstreamFloor publishes n invocations straight to WL_INVOKE from 64
// goroutines, each waiting for its reply on its own inbox, and returns the
// rate.
func jetstreamFloor(b *testing.B, f *fixture, n int) float64 {
	b.Helper()
	var seq atomic.Int64
	subs := make([]*nats.Subscription, benchClients)
	for i := range subs {
		s, err := f.env.NC.SubscribeSync(f.env.NC.NewInbox())
		if err != nil {
			b.Fatal(err)
		}
		defer func() { _ = s.Unsubscribe() }()
		subs[i] = s
	}
	call := func(c int) error {
		s := subs[c]
		id := "floor-" + itoa(seq.Add(1))
		msg := nats.NewMsg(streams.InvokeSubject("echo"))
		schemas.EncodeInvocationNATS(&schemas.Invocation{ID: id, Source: "/bench", Type: schemas.TypeInvocation, Data: []byte("ping")}, msg)
		msg.Header[streams.HeaderMsgID] = []string{id}
		msg.Header[streams.HeaderReply] = []string{s.Subject}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := f.env.JS.PublishMsg(ctx, msg); err != nil {
			return err
		}
		_, err := s.NextMsg(5 * time.Second)
		return err
	}
	_, wall := runClients(b, n, call)
	return float64(n) / wall.Seconds()
}

func itoa(n int64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}
