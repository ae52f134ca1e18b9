package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/wavelink/wavelink/services/clustermgr/local"
	"github.com/wavelink/wavelink/services/gateway"
	"github.com/wavelink/wavelink/services/registry"
	"github.com/wavelink/wavelink/services/scaler"
	"github.com/wavelink/wavelink/streams"
	"github.com/wavelink/wavelink/wavelet"
)

type upOptions struct {
	http       string
	data       string
	natsListen string
	natsURL    string
	memory     bool
	tick       time.Duration
	debugAddr  string
	topo       streams.Topology
	wavelet    wavelet.Config
	noWavelet  bool
	mode       string
	keepAlive  time.Duration
	manager    managerOptions
	dirigent   gateway.DirigentConfig
}

func newUpCmd(g *globals) *cobra.Command {
	o := upOptions{topo: streams.DefaultTopology()}
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Run all of WaveLink in one process: embedded NATS JetStream, gateway, scaler, cluster manager, Wavelet, built-in functions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tuneGC()
			log, err := g.logger(os.Stderr)
			if err != nil {
				return err
			}
			return runUp(cmd.Context(), o, log)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.http, "http", "127.0.0.1:8080", "gateway listen address")
	f.StringVar(&o.data, "data", ".wavelink", "data folder: JetStream storage, instance logs, unpacked packages")
	f.StringVar(&o.natsListen, "nats-listen", "127.0.0.1:4222", "address of the embedded NATS server, for instances and the CLI")
	f.StringVar(&o.natsURL, "nats-url", "", "use this external NATS server (with JetStream) instead of the embedded one")
	f.BoolVar(&o.memory, "memory", false, "keep JetStream in memory: nothing survives a restart")
	f.DurationVar(&o.tick, "tick", 2*time.Second, "scaler decision interval")
	f.StringVar(&o.debugAddr, "debug-addr", "", "serve Go profiles (/debug/pprof/) and metrics on this address; off when empty")
	f.Int64Var(&o.topo.InvokeMaxBytes, "queue-max-bytes", o.topo.InvokeMaxBytes, "invocation queue byte limit; past it new invocations are refused (503)")
	f.DurationVar(&o.topo.ResultMaxAge, "result-ttl", o.topo.ResultMaxAge, "how long asynchronous results are kept")
	f.DurationVar(&o.topo.DuplicateWindow, "dedup-window", o.topo.DuplicateWindow, "how long a CloudEvent id is remembered for de-duplication")
	addModeFlags(cmd, &o.mode, &o.keepAlive)
	addManagerFlags(cmd, &o.manager)
	f.StringVar(&o.dirigent.Addr, "dirigent-addr", "", "also serve the vHive loader's Dirigent platform mode (function registration and invocation) on this address, e.g. 127.0.0.1:9091; off when empty")
	f.StringVar(&o.dirigent.Advertise, "dirigent-advertise", "", "host:port answered to Dirigent registrations (default: the address the registration came to)")
	f.BoolVar(&o.dirigent.Async, "dirigent-async", false, "answer Dirigent registrations with the asynchronous invocation address")
	f.StringVar(&o.dirigent.TraceMode, "dirigent-trace-mode", gateway.TraceSleep, "how Dirigent-registered trace functions spend their run time: sleep or spin")
	f.BoolVar(&o.noWavelet, "no-wavelet", false, "run no Wavelet: no emergency instances on this machine")
	addWaveletFlags(cmd, &o.wavelet, "")
	return cmd
}

// builtinSpecs are the functions `wavelink up` deploys when they are absent.
func builtinSpecs() []registry.Spec {
	return []registry.Spec{
		{Name: "echo", Package: registry.Package{Builtin: "echo"}, Concurrency: 100, MaxInstances: 4, Timeout: registry.Duration(30 * time.Second)},
		{Name: "trace", Package: registry.Package{Builtin: "trace"}, Concurrency: 4, MaxInstances: 20, Timeout: registry.Duration(5 * time.Minute)},
	}
}

func runUp(ctx context.Context, o upOptions, log zerolog.Logger) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the wavelink binary for instances: %w", err)
	}
	if err := os.MkdirAll(o.data, 0o750); err != nil {
		return fmt.Errorf("data folder %s: %w", o.data, err)
	}
	data, err := filepath.Abs(o.data)
	if err != nil {
		return err
	}
	// NATS: the embedded server, or an external one when --nats-url is set.
	var (
		nc       *nats.Conn
		natsURL  = o.natsURL
		natsNote string
	)
	if natsURL == "" {
		srv, err := streams.StartServer(streams.ServerConfig{DataDir: data, Memory: o.memory, Listen: o.natsListen})
		if err != nil {
			return err
		}
		defer srv.Shutdown()
		if nc, err = srv.Connect("wavelink-up"); err != nil {
			return err
		}
		natsURL = srv.ClientURL()
		natsNote = "embedded, file storage in " + filepath.Join(data, "jetstream")
		if o.memory {
			natsNote = "embedded, memory storage"
		}
	} else {
		if nc, _, err = connect(natsURL, "wavelink-up", nats.MaxReconnects(-1)); err != nil {
			return err
		}
		natsNote = "external"
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	o.topo.Memory = o.memory
	setup, cancelSetup := context.WithTimeout(ctx, 30*time.Second)
	defer cancelSetup()
	if err := streams.Ensure(setup, js, o.topo); err != nil {
		return err
	}
	reg, err := registry.Open(setup, js)
	if err != nil {
		return err
	}
	// Bring every deployed function's consumer to this version's settings
	// (a data folder may come from an older one).
	specs, err := reg.List(setup)
	if err != nil {
		return err
	}
	for _, s := range specs {
		if _, err := streams.EnsureFunctionConsumer(setup, js, s.ConsumerParams()); err != nil {
			return fmt.Errorf("consumer of %s: %w", s.Name, err)
		}
	}
	for _, s := range builtinSpecs() {
		if _, err := reg.Get(setup, s.Name); errors.Is(err, registry.ErrNotFound) {
			if _, err := reg.Deploy(setup, s); err != nil {
				return fmt.Errorf("deploy built-in %s: %w", s.Name, err)
			}
		} else if err != nil {
			return err
		}
	}

	// Components stop in reverse order of the data flow: the gateway first
	// (its in-flight requests still get answers), then the scaler, then the
	// instances (they finish what they hold), then NATS.
	watchCtx, stopWatch := context.WithCancel(context.Background())
	defer stopWatch()
	cache, err := reg.Watch(watchCtx)
	if err != nil {
		return err
	}
	metrics := prometheus.NewRegistry()
	metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if o.debugAddr != "" {
		if err := serveDebug(ctx, o.debugAddr, metrics, log); err != nil {
			return err
		}
	}

	mgr, err := newClusterManager(ctx, o.manager, exe, natsURL, data, local.Config{
		Binary:    exe,
		NATSURL:   natsURL,
		ExtraArgs: []string{"--log-format", "json", "--log-level", log.GetLevel().String(), "--work-dir", data},
		LogDir:    filepath.Join(data, "logs"),
		Logger:    log,
	}, log)
	if err != nil {
		return err
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := mgr.Close(stopCtx); err != nil {
			log.Error().Err(err).Str("component", "up").Msg("stopping instances")
		}
	}()

	mode, err := scaler.ParseMode(o.mode)
	if err != nil {
		return err
	}
	sc, err := scaler.New(scaler.Config{Tick: o.tick, Mode: mode, KeepAlive: o.keepAlive, NodeTTL: o.topo.NodeTTL,
		Logger: log, Registerer: metrics}, nc, js, cache, mgr)
	if err != nil {
		return err
	}
	gw, err := gateway.New(gateway.Config{Addr: o.http, Logger: log, Registerer: metrics}, nc, js, cache)
	if err != nil {
		return err
	}
	defer func() { _ = gw.Close() }()
	dl := streams.NewDeadLetterer(nc, js)
	dl.OnError = func(err error) { log.Error().Err(err).Str("component", "deadletter").Msg("dead-lettering failed") }

	background, stopBackground := context.WithCancel(context.Background())
	scalerDone := make(chan error, 1)
	go func() { scalerDone <- sc.Run(background) }()
	dlDone := make(chan error, 1)
	go func() { dlDone <- dl.Run(background) }()
	anchor := streams.NewAnchor(js)
	anchor.OnError = func(err error) { log.Warn().Err(err).Str("component", "anchor").Msg("anchoring WL_INVOKE failed") }
	anchorDone := make(chan error, 1)
	go func() { anchorDone <- anchor.Run(background) }()
	defer func() {
		stopBackground()
		if err := <-scalerDone; err != nil {
			log.Error().Err(err).Str("component", "scaler").Msg("scaler stopped")
		}
		<-dlDone
		<-anchorDone
	}()

	waveletNote := "off (--no-wavelet)"
	if !o.noWavelet {
		wcfg := o.wavelet
		wcfg.NATSURL, wcfg.Logger, wcfg.Registerer = natsURL, log, metrics
		wcfg.StateDir = filepath.Join(data, "wavelet")
		wcfg.InstanceArgs = []string{"--log-format", "json", "--log-level", log.GetLevel().String()}
		wl, err := wavelet.New(wcfg, nc, js, cache)
		if err != nil {
			return err
		}
		waveletNote = "node " + wl.Node() + ", emergency instances in libcontainer containers"
		if wl.Mode() != "libcontainer" {
			waveletNote = "node " + wl.Node() + ", emergency instances as plain processes (no containers: see the log)"
		}
		wlCtx, stopWavelet := context.WithCancel(context.Background())
		waveletDone := make(chan error, 1)
		go func() { waveletDone <- wl.Run(wlCtx) }()
		defer func() {
			stopWavelet()
			if err := <-waveletDone; err != nil {
				log.Error().Err(err).Str("component", "wavelet").Msg("wavelet stopped")
			}
		}()
	}

	gwDone := make(chan error, 1)
	go func() { gwDone <- gw.ListenAndServe(ctx) }()
	if o.dirigent.Addr != "" {
		d, err := gateway.NewDirigent(o.dirigent, gw, reg)
		if err != nil {
			return err
		}
		dDone := make(chan error, 1)
		go func() { dDone <- d.ListenAndServe(ctx) }()
		defer func() {
			if err := <-dDone; err != nil && !errors.Is(err, context.Canceled) {
				log.Error().Err(err).Str("component", "dirigent").Msg("Dirigent endpoint stopped")
			}
		}()
	}
	fmt.Fprintf(os.Stdout, `WaveLink is up.
  gateway:  http://%[1]s
  NATS:     %[2]s (JetStream, %[3]s)
  scaler:   mode %[4]s, regular instances from the %[5]s cluster manager
  Wavelet:  %[6]s
  functions: echo, trace

Try:
  curl -s -X POST http://%[1]s/functions/echo -d 'hello, wavelink'
  curl -s -X POST http://%[1]s/functions/trace -H 'requested_cpu: 50' -H 'requested_memory: 16'
  curl -si -X POST http://%[1]s/functions/echo -H 'Prefer: respond-async' -d 'later'
  wavelink --nats %[2]s nodes

Ctrl-C stops it.
`, o.http, natsURL, natsNote, mode, o.manager.kind, waveletNote)
	err = <-gwDone
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	log.Info().Str("component", "up").Msg("shutting down")
	return nil
}
