package loadgen

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wavelink/wavelink/streams"
)

// FloorConfig sizes the bare JetStream invocation floor.
type FloorConfig struct {
	// InFlight is how many invocations are outstanding during the throughput
	// phase.
	InFlight int
	// Duration of the throughput phase.
	Duration time.Duration
	// Serial is how many one-at-a-time invocations the latency phase makes.
	Serial int
	// PayloadBytes is the invocation body size.
	PayloadBytes int
	// Anchored keeps a streams.Anchor on the floor's stream, as WaveLink
	// keeps one on WL_INVOKE, so that acks do not remake its block file.
	Anchored bool
}

// Figures are what one measurement reports.
type Figures struct {
	Name       string
	Throughput float64 // invocations per second with InFlight outstanding
	Latency    Latencies
	Errors     int64
}

func (f Figures) String() string {
	return fmt.Sprintf("%-28s %9.0f/s   one at a time: %s   errors %d", f.Name, f.Throughput, f.Latency, f.Errors)
}

// MeasureFloor runs the bare JetStream invocation floor in this process: an
// embedded server with file storage, a work-queue stream, one worker that
// pulls with Consume, acks and replies over core NATS, and a client that
// publishes each invocation with a reply subject in a header: the least an
// invocation path on top of JetStream can cost. With cfg.Anchored the
// stream also holds an anchor (see streams.Anchor), which lowers that least
// cost for calls made one at a time.
func MeasureFloor(ctx context.Context, cfg FloorConfig) (Figures, error) {
	dir, err := os.MkdirTemp("", "wavelink-floor-")
	if err != nil {
		return Figures{}, err
	}
	defer os.RemoveAll(dir)
	ns, err := server.NewServer(&server.Options{JetStream: true, StoreDir: dir, DontListen: true, NoLog: true, NoSigs: true})
	if err != nil {
		return Figures{}, err
	}
	go ns.Start()
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	if !ns.ReadyForConnections(10 * time.Second) {
		return Figures{}, fmt.Errorf("floor: embedded server not ready")
	}
	connect := func() (*nats.Conn, jetstream.JetStream, error) {
		nc, err := nats.Connect("", nats.InProcessServer(ns))
		if err != nil {
			return nil, nil, err
		}
		js, err := jetstream.New(nc)
		return nc, js, err
	}
	wnc, wjs, err := connect()
	if err != nil {
		return Figures{}, err
	}
	defer wnc.Close()
	cnc, cjs, err := connect()
	if err != nil {
		return Figures{}, err
	}
	defer cnc.Close()

	st, err := wjs.CreateStream(ctx, jetstream.StreamConfig{Name: "FLOOR", Subjects: []string{"floor.>"}, Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage})
	if err != nil {
		return Figures{}, err
	}
	cons, err := st.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{Durable: "w", FilterSubject: "floor.f", AckPolicy: jetstream.AckExplicitPolicy, MaxAckPending: 10000})
	if err != nil {
		return Figures{}, err
	}
	name := "jetstream floor"
	if cfg.Anchored {
		name = "jetstream floor, anchored"
		a := streams.NewAnchor(wjs)
		a.Stream, a.Subject = "FLOOR", "floor._anchor"
		actx, stopAnchor := context.WithCancel(ctx)
		anchorDone := make(chan error, 1)
		go func() { anchorDone <- a.Run(actx) }()
		defer func() { stopAnchor(); <-anchorDone }()
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		reply := m.Headers().Get("Reply")
		_ = m.Ack()
		_ = wnc.Publish(reply, m.Data())
	}, jetstream.PullMaxMessages(max(cfg.InFlight*2, 64)))
	if err != nil {
		return Figures{}, err
	}
	defer cc.Stop()

	inbox := nats.NewInbox()
	var pending sync.Map // token -> chan struct{}
	sub, err := cnc.Subscribe(inbox+".*", func(m *nats.Msg) {
		if ch, ok := pending.LoadAndDelete(m.Subject); ok {
			close(ch.(chan struct{}))
		}
	})
	if err != nil {
		return Figures{}, err
	}
	defer sub.Unsubscribe()
	payload := make([]byte, cfg.PayloadBytes)
	var seq atomic.Int64
	invoke := func(ctx context.Context) error {
		n := seq.Add(1)
		reply := inbox + "." + strconv.FormatInt(n, 10)
		done := make(chan struct{})
		pending.Store(reply, done)
		m := nats.NewMsg("floor.f")
		m.Header.Set("Reply", reply)
		m.Header.Set(jetstream.MsgIDHeader, strconv.FormatInt(n, 10))
		m.Data = payload
		if _, err := cjs.PublishMsg(ctx, m); err != nil {
			pending.Delete(reply)
			return err
		}
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			pending.Delete(reply)
			return ctx.Err()
		}
	}
	shared := func() (func(context.Context) error, func()) { return invoke, func() {} }
	return drive(ctx, name, cfg.InFlight, cfg.Duration, cfg.Serial, shared)
}

// newCaller makes the call one worker repeats, and what releases it.
type newCaller func() (call func(context.Context) error, release func())

// drive runs a closed-loop throughput phase with inFlight workers for d, then
// serial one-at-a-time calls for latency.
func drive(ctx context.Context, name string, inFlight int, d time.Duration, serial int, newCall newCaller) (Figures, error) {
	f := Figures{Name: name}
	call, release := newCall()
	defer release()
	// Warm up: connections, caches, the first instance.
	for i := 0; i < 50; i++ {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := call(cctx)
		cancel()
		if err != nil {
			return f, fmt.Errorf("%s: warm-up call: %w", name, err)
		}
	}
	var ok, errs atomic.Int64
	pctx, cancel := context.WithTimeout(ctx, d)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < inFlight; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			call, release := newCall()
			defer release()
			for pctx.Err() == nil {
				cctx, c := context.WithTimeout(ctx, 30*time.Second)
				err := call(cctx)
				c()
				switch {
				case err == nil:
					ok.Add(1)
				case pctx.Err() == nil:
					errs.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	cancel()
	f.Throughput = float64(ok.Load()) / time.Since(start).Seconds()
	f.Errors = errs.Load()
	lat := make([]time.Duration, 0, serial)
	for i := 0; i < serial && ctx.Err() == nil; i++ {
		cctx, c := context.WithTimeout(ctx, 30*time.Second)
		t0 := time.Now()
		err := call(cctx)
		c()
		if err != nil {
			f.Errors++
			continue
		}
		lat = append(lat, time.Since(t0))
	}
	f.Latency = Summarise(lat)
	return f, ctx.Err()
}
