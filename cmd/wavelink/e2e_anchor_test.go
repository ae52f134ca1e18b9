package main

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wavelink/wavelink/loadgen"
	"github.com/wavelink/wavelink/streams"
)

// anchorsIn counts the anchor messages WL_INVOKE holds.
func anchorsIn(t *testing.T, js jetstream.JetStream) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, streams.StreamInvoke)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(streams.AnchorSubject))
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Subjects[streams.AnchorSubject]
}

// `wavelink up` keeps one anchor in WL_INVOKE while it runs, invocations
// still work beside it, and it leaves none behind when it stops.
func TestUpAnchorsTheInvocationQueue(t *testing.T) {
	dir := t.TempDir()
	p := startPlatform(t, dir)
	js := natsJS(t, p)
	deadline := time.Now().Add(10 * time.Second)
	for anchorsIn(t, js) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("WL_INVOKE holds %d anchors while up runs, want 1", anchorsIn(t, js))
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i := range 3 {
		if a := post(t, p.GatewayURL()+"/functions/echo", []byte("beside the anchor")); a.status != 200 || a.body != "beside the anchor" {
			t.Fatalf("call %d: %d %q", i, a.status, a.body)
		}
	}
	p.Stop(loadgen.StopGrace)

	// Read the stopped platform's stream from its data folder.
	srv, err := streams.StartServer(streams.ServerConfig{DataDir: dir, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	nc, err := srv.Connect("test")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js2, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if n := anchorsIn(t, js2); n != 0 {
		t.Fatalf("WL_INVOKE holds %d anchors after up stopped, want 0", n)
	}
}
