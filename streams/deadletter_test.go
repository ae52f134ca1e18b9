package streams_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wavelink/wavelink/streams"
	"github.com/wavelink/wavelink/streams/streamstest"
)

// An invocation whose every delivery goes unanswered (a crashing instance)
// ends up in WL_DLQ with a reason, and leaves WL_INVOKE.
func TestDeadLettererMovesUnansweredInvocations(t *testing.T) {
	env := streamstest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dl := streams.NewDeadLetterer(env.NC, env.JS)
	dl.OnError = func(err error) { t.Errorf("dead letterer: %v", err) }
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = dl.Run(runCtx) }()
	defer func() { stop(); <-done }()

	// Shortest possible ack wait: a 1 ms timeout gives 1.001 s.
	c, err := streams.EnsureFunctionConsumer(ctx, env.JS, streams.ConsumerParams{Function: "crashy", Timeout: time.Millisecond, MaxDeliver: 2, MaxAckPending: 10})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := publish(t, env.JS, "crashy", "lost-1", 16); err != nil {
		t.Fatal(err)
	}
	// Take each delivery and never answer it, as a crashing instance would,
	// and keep pulling as live instances do: the server notices that
	// deliveries are exhausted while a pull waits.
	dlq, err := env.JS.Stream(ctx, streams.StreamDLQ)
	if err != nil {
		t.Fatal(err)
	}
	deliveries := 0
	var got *jetstream.RawStreamMsg
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); {
		batch, err := c.Fetch(1, jetstream.FetchMaxWait(500*time.Millisecond), jetstream.FetchPriorityGroup(streams.PriorityGroup))
		if err != nil {
			t.Fatal(err)
		}
		for range batch.Messages() {
			deliveries++
		}
		if got, err = dlq.GetLastMsgForSubject(ctx, streams.DLQSubject("crashy")); err == nil {
			break
		}
	}
	if deliveries != 3 {
		t.Errorf("the invocation was delivered %d times, want MaxDeliver 2 plus the extra delivery = 3", deliveries)
	}
	if got == nil {
		t.Fatal("no dead letter for crashy")
	}
	if got.Header.Get(streams.HeaderMsgID) != "lost-1" || got.Header.Get(streams.HeaderLastError) == "" {
		t.Fatalf("dead letter headers %v: want the invocation id and a last error", got.Header)
	}
	inv, err := env.JS.Stream(ctx, streams.StreamInvoke)
	if err != nil {
		t.Fatal(err)
	}
	info, err := inv.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 0 {
		t.Fatalf("WL_INVOKE still holds %d messages after dead-lettering", info.State.Msgs)
	}
}

// An advisory that fires while no DeadLetterer listens is lost; a sweep still
// finds the invocations whose deliveries ran out, and leaves waiting ones
// alone.
func TestSweepFindsExhaustedInvocationsWhoseAdvisoryWasMissed(t *testing.T) {
	env := streamstest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := streams.EnsureFunctionConsumer(ctx, env.JS, streams.ConsumerParams{Function: "crashy", Timeout: time.Millisecond, MaxDeliver: 1, MaxAckPending: 10})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := streams.EnsureFunctionConsumer(ctx, env.JS, streams.ConsumerParams{Function: "idle", Timeout: time.Second, MaxDeliver: 1, MaxAckPending: 10}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"gone-1", "gone-2"} {
		if _, err := publish(t, env.JS, "crashy", id, 16); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := publish(t, env.JS, "idle", "waiting", 16); err != nil {
		t.Fatal(err)
	}
	// Take the first two and never answer; keep a pull waiting until the
	// server has spent their deliveries (their ack floor passes them).
	b, err := c.Fetch(2, jetstream.FetchPriorityGroup(streams.PriorityGroup))
	if err != nil {
		t.Fatal(err)
	}
	for range b.Messages() {
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		info, err := c.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.NumRedelivered == 2 && info.NumAckPending == 0 {
			break // both redelivered and given up on
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries not spent: %d redelivered, %d ack pending", info.NumRedelivered, info.NumAckPending)
		}
		// Keep taking redeliveries without answering, as crashing
		// instances would, until the server has spent them.
		if b, err := c.Fetch(2, jetstream.FetchMaxWait(300*time.Millisecond), jetstream.FetchPriorityGroup(streams.PriorityGroup)); err == nil {
			for range b.Messages() {
			}
		}
	}
	moved, err := streams.NewDeadLetterer(env.NC, env.JS).Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if moved != 2 {
		t.Fatalf("sweep moved %d, want the 2 exhausted invocations", moved)
	}
	dlq, err := env.JS.Stream(ctx, streams.StreamDLQ)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := dlq.Info(ctx); err != nil || info.State.Msgs != 2 {
		t.Fatalf("WL_DLQ holds %v (%v), want 2", info.State.Msgs, err)
	}
	inv, err := env.JS.Stream(ctx, streams.StreamInvoke)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inv.GetLastMsgForSubject(ctx, streams.InvokeSubject("idle")); err != nil {
		t.Errorf("the waiting invocation was swept too: %v", err)
	}
	// A second sweep finds nothing more.
	if moved, err := streams.NewDeadLetterer(env.NC, env.JS).Sweep(ctx); err != nil || moved != 0 {
		t.Fatalf("second sweep moved %d, %v", moved, err)
	}
}
