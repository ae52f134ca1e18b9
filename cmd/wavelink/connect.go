package main

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wavelink/wavelink/services/registry"
	"github.com/wavelink/wavelink/streams"
)

// connect opens a client connection to the NATS server at url. It fails
// fast with a message naming the URL when nothing answers there.
func connect(url, name string, opts ...nats.Option) (*nats.Conn, jetstream.JetStream, error) {
	opts = append([]nats.Option{nats.Name(name), nats.Timeout(5 * time.Second)}, opts...)
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to NATS at %s (is `wavelink up` running? set --nats): %w", url, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("JetStream at %s: %w", url, err)
	}
	return nc, js, nil
}

// openRegistry connects to url and opens the function registry there. The
// caller closes the connection.
func openRegistry(ctx context.Context, url, name string) (*nats.Conn, *registry.Registry, error) {
	nc, js, err := connect(url, name)
	if err != nil {
		return nil, nil, err
	}
	reg, err := registry.Open(ctx, js)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return nc, reg, nil
}

// connectWatching connects to url, creates WaveLink's streams and buckets
// there if they are missing (with the default sizes; existing ones keep
// theirs), and keeps a cache of the function specs. The roles run apart
// (gateway, scaler) start with it, so either may be the first to reach a new
// server. closeAll stops the watch and closes the connection.
func connectWatching(ctx context.Context, url, name string) (nc *nats.Conn, js jetstream.JetStream, cache *registry.Cache, closeAll func(), err error) {
	if nc, js, err = connect(url, name); err != nil {
		return nil, nil, nil, nil, err
	}
	fail := func(err error) (*nats.Conn, jetstream.JetStream, *registry.Cache, func(), error) {
		nc.Close()
		return nil, nil, nil, nil, err
	}
	if err := streams.CreateMissing(ctx, js, streams.DefaultTopology()); err != nil {
		return fail(err)
	}
	reg, err := registry.Open(ctx, js)
	if err != nil {
		return fail(err)
	}
	watchCtx, stop := context.WithCancel(context.Background())
	if cache, err = reg.Watch(watchCtx); err != nil {
		stop()
		return fail(err)
	}
	return nc, js, cache, func() { stop(); nc.Close() }, nil
}
