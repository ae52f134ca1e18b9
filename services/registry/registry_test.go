package registry_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wavelink/wavelink/services/registry"
	"github.com/wavelink/wavelink/streams"
	"github.com/wavelink/wavelink/streams/streamstest"
)

func setup(t *testing.T) (*streamstest.Env, *registry.Registry, context.Context) {
	t.Helper()
	env := streamstest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	r, err := registry.Open(ctx, env.JS)
	if err != nil {
		t.Fatal(err)
	}
	return env, r, ctx
}

func TestDeployGetListAndConsumer(t *testing.T) {
	env, r, ctx := setup(t)
	s, err := r.Deploy(ctx, registry.Spec{Name: "echo", Package: registry.Package{Builtin: "echo"}, Concurrency: 4, MaxInstances: 2})
	if err != nil {
		t.Fatal(err)
	}
	if s.Timeout.D() != registry.DefaultTimeout {
		t.Fatalf("defaults not filled: %+v", s)
	}
	got, err := r.Get(ctx, "echo")
	if err != nil || got.Concurrency != 4 {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	c, err := streams.FunctionConsumer(ctx, env.JS, "echo")
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.MaxAckPending != 4*(2+registry.MaxEmergencyInstances) || info.Config.MaxDeliver != registry.DefaultMaxDeliver+1 || info.Config.FilterSubject != streams.InvokeSubject("echo") {
		t.Fatalf("consumer config %+v", info.Config)
	}
	if _, err := r.Deploy(ctx, registry.Spec{Name: "trace", Package: registry.Package{Builtin: "trace"}}); err != nil {
		t.Fatal(err)
	}
	all, err := r.List(ctx)
	if err != nil || len(all) != 2 || all[0].Name != "echo" || all[1].Name != "trace" {
		t.Fatalf("List = %+v, %v", all, err)
	}
	if _, err := r.Get(ctx, "nope"); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("Get(nope) = %v, want ErrNotFound", err)
	}
	if _, err := r.Deploy(ctx, registry.Spec{Name: "Bad"}); !errors.Is(err, registry.ErrInvalidSpec) {
		t.Fatalf("Deploy(bad) = %v, want ErrInvalidSpec", err)
	}
}

func TestCacheFollowsChanges(t *testing.T) {
	_, r, ctx := setup(t)
	if _, err := r.Deploy(ctx, registry.Spec{Name: "a", Package: registry.Package{Builtin: "echo"}}); err != nil {
		t.Fatal(err)
	}
	c, err := r.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Lookup("a"); !ok {
		t.Fatal("initial spec missing from the cache")
	}
	changed := c.Changed()
	if _, err := r.Deploy(ctx, registry.Spec{Name: "b", Package: registry.Package{Builtin: "echo"}}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
	case <-ctx.Done():
		t.Fatal("no change notice")
	}
	if _, ok := c.Lookup("b"); !ok || len(c.All()) != 2 {
		t.Fatalf("cache holds %+v", c.All())
	}
	if err := r.Remove(ctx, "b", registry.RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, ok := c.Lookup("b"); !ok {
			return
		}
	}
	t.Fatal("removed spec still in the cache")
}

func publishN(t *testing.T, env *streamstest.Env, fn string, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		m := nats.NewMsg(streams.InvokeSubject(fn))
		m.Header.Set(streams.HeaderMsgID, fn+strconv.Itoa(i))
		if _, err := env.JS.PublishMsg(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRemoveDrainsThenDeletes(t *testing.T) {
	env, r, ctx := setup(t)
	if _, err := r.Deploy(ctx, registry.Spec{Name: "f", Package: registry.Package{Builtin: "echo"}}); err != nil {
		t.Fatal(err)
	}
	publishN(t, env, "f", 3)

	// With work queued and nobody serving it, a short drain times out and
	// leaves the function draining, its invocations intact.
	err := r.Remove(ctx, "f", registry.RemoveOptions{DrainTimeout: 200 * time.Millisecond, Poll: 20 * time.Millisecond})
	if !errors.Is(err, registry.ErrDrainTimeout) {
		t.Fatalf("Remove = %v, want ErrDrainTimeout", err)
	}
	s, err := r.Get(ctx, "f")
	if err != nil || !s.Draining {
		t.Fatalf("after a timed-out drain: %+v, %v; want draining", s, err)
	}
	if _, err := r.Deploy(ctx, s); !errors.Is(err, registry.ErrDraining) {
		t.Fatalf("Deploy over a draining function = %v, want ErrDraining", err)
	}

	// Serve the queue; Remove then completes.
	c, err := streams.FunctionConsumer(ctx, env.JS, "f")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		b, err := c.Fetch(3, jetstream.FetchPriorityGroup(streams.PriorityGroup))
		if err != nil {
			return
		}
		for m := range b.Messages() {
			_ = m.Ack()
		}
	}()
	if err := r.Remove(ctx, "f", registry.RemoveOptions{DrainTimeout: 10 * time.Second, Poll: 20 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Get(ctx, "f"); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("after Remove, Get = %v", err)
	}
	if _, err := streams.FunctionConsumer(ctx, env.JS, "f"); err == nil {
		t.Fatal("consumer survived Remove")
	}
}

func TestForcedRemoveDeadLettersQueuedWork(t *testing.T) {
	env, r, ctx := setup(t)
	if _, err := r.Deploy(ctx, registry.Spec{Name: "g", Package: registry.Package{Builtin: "echo"}}); err != nil {
		t.Fatal(err)
	}
	publishN(t, env, "g", 4)
	if err := r.Remove(ctx, "g", registry.RemoveOptions{DrainTimeout: 50 * time.Millisecond, Poll: 10 * time.Millisecond, Force: true}); err != nil {
		t.Fatal(err)
	}
	dlq, err := env.JS.Stream(ctx, streams.StreamDLQ)
	if err != nil {
		t.Fatal(err)
	}
	info, err := dlq.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 4 {
		t.Fatalf("WL_DLQ holds %d, want the 4 queued invocations", info.State.Msgs)
	}
}
