package scaler

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/wavelink/wavelink/schemas"
	"github.com/wavelink/wavelink/services/registry"
	"github.com/wavelink/wavelink/streams"
	"github.com/wavelink/wavelink/streams/streamstest"
)

// BenchmarkTick1000Functions100Active measures one steady-state tick over
// 1,000 deployed functions (consumers on a real embedded server), 100 of
// which have queued work, with the default config. It reports ms/op, the
// first tick (which reads every queue) as startup-ms, and the I/O floor: the
// same 100 queue reads alone, measured in the same run, with the tick's
// ratio to it. The requirement is under 20 ms per tick.
func BenchmarkTick1000Functions100Active(b *testing.B) {
	const total, active, queued = 1000, 100, 5
	env := streamstest.Start(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reg, err := registry.Open(ctx, env.JS)
	if err != nil {
		b.Fatal(err)
	}
	specs := make([]registry.Spec, total)
	var wg sync.WaitGroup
	errs := make(chan error, total)
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < total; i += 4 {
				s, err := reg.Deploy(ctx, registry.Spec{
					Name: fmt.Sprintf("fn-%04d", i), Package: registry.Package{Builtin: "echo"},
					Concurrency: 2, MaxInstances: 50,
				})
				if err != nil {
					errs <- err
					return
				}
				specs[i] = s
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatalf("deploy: %v", err)
	}
	activeNames := make([]string, active)
	for i := range active {
		activeNames[i] = specs[i].Name
		for j := range queued {
			id := fmt.Sprintf("%s-%d", specs[i].Name, j)
			msg := nats.NewMsg(streams.InvokeSubject(specs[i].Name))
			msg.Header.Set(streams.HeaderMsgID, id)
			schemas.EncodeInvocationNATS(&schemas.Invocation{ID: id, Source: "/bench", Type: schemas.TypeInvocation}, msg)
			if _, err := env.JS.PublishMsgAsync(msg); err != nil {
				b.Fatal(err)
			}
		}
	}
	select {
	case <-env.JS.PublishAsyncComplete():
	case <-time.After(30 * time.Second):
		b.Fatal("invocations not stored within 30s")
	}

	clock := newFakeClock()
	list := &staticSpecs{}
	list.set(specs...)
	mgr := newFakeManager(true)
	s, err := New(Config{Clock: clock}, env.NC, env.JS, list, mgr)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if err := s.Tick(ctx, clock.Advance(tick)); err != nil {
		b.Fatal(err)
	}
	startup := time.Since(start)
	for range 3 { // reach the steady state: counts asked, panic settled
		if err := s.Tick(ctx, clock.Advance(tick)); err != nil {
			b.Fatal(err)
		}
	}
	for i, fn := range activeNames {
		if n, _ := mgr.lastFor(fn); n < 1 {
			b.Fatalf("active function %d (%s) got %d instances", i, fn, n)
		}
	}

	// The floor: the active queues' reads alone.
	const floorRounds = 20
	floorStart := time.Now()
	for range floorRounds {
		for _, d := range s.readQueues(ctx, activeNames) {
			if d.err != nil {
				b.Fatal(d.err)
			}
		}
	}
	floor := time.Since(floorStart) / floorRounds

	b.ResetTimer()
	begin := time.Now()
	n := 0
	for b.Loop() {
		if err := s.Tick(ctx, clock.Advance(tick)); err != nil {
			b.Fatal(err)
		}
		n++
	}
	perTick := time.Since(begin) / time.Duration(n)
	b.ReportMetric(float64(perTick.Microseconds())/1000, "ms/op")
	b.ReportMetric(float64(startup.Microseconds())/1000, "startup-ms")
	b.ReportMetric(float64(floor.Microseconds())/1000, "floor-ms")
	b.ReportMetric(float64(perTick)/float64(floor), "x-floor")
	if perTick > 20*time.Millisecond {
		b.Logf("one tick took %s, above the 20 ms requirement", perTick)
	}
}

// BenchmarkArrivalDecision measures the per-arrival path (onArrival, the
// NATS callback's work) in wavelink mode with 16 Wavelets known:
//   - covered: the function's instances cover its outstanding work, the
//     common case, so the decision asks for nothing;
//   - asking: every arrival outgrows the burst by one instance, which is
//     placed over the nodes and queued for a sender.
//
// Each reports ns/op and its ratio to a floor measured in the same run:
// the async mode's arrival path, a count and a flag.
func BenchmarkArrivalDecision(b *testing.B) {
	env := streamstest.Start(b)
	clock := newFakeClock()
	newScaler := func(mode Mode) *Scaler {
		s, err := New(Config{Mode: mode, Clock: clock, NodeTTL: time.Hour}, env.NC, env.JS, &staticSpecs{}, newFakeManager(false))
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	const fn = "hot"

	floorScaler := newScaler(ModeAsync)
	floorScaler.signals.get(fn).atZero.Store(false)
	const floorRounds = 200_000
	start := time.Now()
	for range floorRounds {
		floorScaler.onArrival(fn, t0)
	}
	floor := time.Since(start) / floorRounds

	setup := func(covered bool) *Scaler {
		s := newScaler(ModeWavelink)
		c := s.signals.get(fn)
		if covered {
			c.spec.Store(&fnSpec{concurrency: 1, memoryMB: 128, maxInstances: 100})
			c.ready.Store(100) // the regular instances cover the max
		} else {
			c.spec.Store(&fnSpec{concurrency: 1, memoryMB: 1, maxInstances: 1 << 30})
		}
		for i := range 16 {
			node := fmt.Sprintf("node-%02d", i)
			st := status(node, t0, 100_000_000, 1_000_000_000, map[string]int{fn: 1}, nil)
			if i == 5 {
				st.Pool = map[string]int{fn: 2}
			}
			s.fleet.update(node, st, t0)
		}
		return s
	}
	for _, tc := range []struct {
		name    string
		covered bool
	}{{"covered", true}, {"asking", false}} {
		b.Run(tc.name, func(b *testing.B) {
			s := setup(tc.covered)
			for b.Loop() {
				s.onArrival(fn, t0)
			}
			b.StopTimer()
			perOp := b.Elapsed() / time.Duration(b.N)
			if asked := s.fleet.count(fn) - 16; tc.covered != (asked == 0) {
				b.Fatalf("%d emergency instances asked for, want none when covered and some when asking", asked)
			}
			b.ReportMetric(float64(floor.Nanoseconds()), "floor-ns")
			if floor > 0 {
				b.ReportMetric(float64(perOp)/float64(floor), "x-floor")
			}
		})
	}
}
