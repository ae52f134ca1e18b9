// Package streamstest starts a real embedded NATS server with WaveLink's
// topology for tests, and removes it when the test ends.
package streamstest

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wavelink/wavelink/streams"
)

// Env is a running server with its topology and one in-process connection.
type Env struct {
	Server *streams.Server
	NC     *nats.Conn
	JS     jetstream.JetStream
	// URL is the server's TCP address, for other processes.
	URL string
}

// Options change what Start makes.
type Options struct {
	// DataDir, when set, selects file storage in that folder; otherwise
	// everything is kept in memory.
	DataDir string
	// Topology overrides streams.DefaultTopology when non-nil.
	Topology *streams.Topology
}

// Start runs an embedded server listening on a random loopback port, creates
// the topology, and registers cleanup with t.
func Start(t testing.TB, opts ...Options) *Env {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	cfg := streams.ServerConfig{Listen: "127.0.0.1:0", Memory: o.DataDir == "", DataDir: o.DataDir}
	srv, err := streams.StartServer(cfg)
	if err != nil {
		t.Fatalf("start embedded NATS: %v", err)
	}
	t.Cleanup(srv.Shutdown)
	nc, err := srv.Connect("test")
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream: %v", err)
	}
	topo := streams.DefaultTopology()
	if o.Topology != nil {
		topo = *o.Topology
	}
	topo.Memory = o.DataDir == ""
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := streams.Ensure(ctx, js, topo); err != nil {
		t.Fatalf("topology: %v", err)
	}
	return &Env{Server: srv, NC: nc, JS: js, URL: srv.ClientURL()}
}
