package instance

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/wavelink/wavelink/services/registry"
	"github.com/wavelink/wavelink/streams"
)

// benchInFlight is how many sync invocations the benchmark keeps waiting.
const benchInFlight = 64

// BenchmarkInstanceEcho measures sync invocations of echo per second
// through the instance runtime, with 64 in flight against an in-process
// server with memory storage. The floor sub-benchmark serves the same load
// with a bare Consume loop that replies and acks, measured in the same run.
func BenchmarkInstanceEcho(b *testing.B) {
	b.Run("floor", func(b *testing.B) {
		benchEcho(b, func(b *testing.B, e *env, nc *nats.Conn, js jetstream.JetStream) {
			cons, err := streams.FunctionConsumer(context.Background(), js, "echo")
			if err != nil {
				b.Fatal(err)
			}
			cc, err := cons.Consume(func(m jetstream.Msg) {
				_ = nc.Publish(m.Headers().Get(streams.HeaderReply), m.Data())
				_ = m.Ack()
			}, jetstream.PullMaxMessages(benchInFlight), jetstream.PullPriorityGroup(streams.PriorityGroup))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(cc.Stop)
		})
	})
	b.Run("runtime", func(b *testing.B) {
		benchEcho(b, func(b *testing.B, e *env, nc *nats.Conn, js jetstream.JetStream) {
			startWith(b, func(ctx context.Context, ready func()) error {
				return Run(ctx, nc, js, Config{Function: "echo", ID: "bench", Track: TrackRegular, Logger: zerolog.Nop(), Ready: ready})
			})
		})
	})
}

// benchEcho deploys echo, starts a server of it on its own connection, and
// runs b.N sync invocations from benchInFlight callers.
func benchEcho(b *testing.B, serve func(b *testing.B, e *env, nc *nats.Conn, js jetstream.JetStream)) {
	e := newEnv(b)
	e.deploy(b, registry.Spec{Name: "echo", Package: registry.Package{Builtin: "echo"}, Concurrency: benchInFlight, Timeout: registry.Duration(5 * time.Second)})
	nc, err := e.Server.Connect("instance")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		b.Fatal(err)
	}
	serve(b, e, nc, js)

	payload := make([]byte, 1024)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, benchInFlight)
	b.ResetTimer()
	for g := range benchInFlight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			inbox := e.NC.NewInbox()
			sub, err := e.NC.SubscribeSync(inbox)
			if err != nil {
				errs <- err
				return
			}
			defer func() { _ = sub.Unsubscribe() }()
			prefix := "b" + strconv.Itoa(g) + "-"
			for n := next.Add(1); n <= int64(b.N); n = next.Add(1) {
				msg := invocation("echo", prefix+strconv.FormatInt(n, 10), payload, nil, inbox)
				if _, err := e.JS.PublishMsg(context.Background(), msg); err != nil {
					errs <- err
					return
				}
				if _, err := sub.NextMsg(wait); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "inv/s")
}
