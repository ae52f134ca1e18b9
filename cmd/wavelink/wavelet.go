package main

import (
	"context"
	"os"
	"path/filepath"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/wavelink/wavelink/services/registry"
	"github.com/wavelink/wavelink/wavelet"
)

func newWaveletCmd(g *globals) *cobra.Command {
	cfg := wavelet.Config{}
	cmd := &cobra.Command{
		Use:   "wavelet",
		Short: "Run a node agent: answer burst requests by starting emergency instances in libcontainer containers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger(os.Stderr)
			if err != nil {
				return err
			}
			nc, js, err := connect(g.natsURL, "wavelink-wavelet", nats.MaxReconnects(-1))
			if err != nil {
				return err
			}
			defer nc.Close()
			cfg.NATSURL = g.natsURL
			cfg.Logger = log
			cfg.InstanceArgs = []string{"--log-format", "json", "--log-level", log.GetLevel().String()}
			return runWavelet(cmd.Context(), cfg, nc, js, log)
		},
	}
	addWaveletFlags(cmd, &cfg, filepath.Join(defaultWorkDir(), "wavelet"))
	return cmd
}

// addWaveletFlags adds the Wavelet's settings to cmd; `up` shares them.
func addWaveletFlags(cmd *cobra.Command, cfg *wavelet.Config, stateDir string) {
	f := cmd.Flags()
	f.StringVar(&cfg.Node, "node", "", "node name: its burst subject and its key in wl_nodes (default: the host name)")
	if stateDir != "" {
		f.StringVar(&cfg.StateDir, "wavelet-state", stateDir, "the Wavelet's folder: container state, root filesystems, instances' log")
	}
	f.StringVar(&cfg.Runtime, "runtime", wavelet.RuntimeAuto, "how emergency instances run: auto (containers when root, else processes), libcontainer, or process")
	f.IntVar(&cfg.Slots, "slots", 0, "emergency instances this node may run or pool at once (default 16 per CPU)")
	f.IntVar(&cfg.MemoryMB, "emergency-memory", 0, "MiB emergency instances may take in all (default half of the available memory)")
	f.DurationVar(&cfg.IdleTimeout, "idle-exit", wavelet.DefaultIdleTimeout, "an emergency instance retires after holding no invocation this long")
	f.DurationVar(&cfg.MaxLifetime, "max-lifetime", wavelet.DefaultMaxLifetime, "an emergency instance retires this long after it started")
	f.IntVar(&cfg.Pool.PerFunction, "pool-per-function", 8, "most pre-started instances kept per bursting function; -1 disables the pool")
	f.IntVar(&cfg.Generic, "generic", wavelet.DefaultGeneric, "pre-started instances kept with no function yet, for a burst of any built-in function; -1 keeps none")
}

// runWavelet watches the registry and runs a Wavelet until ctx ends.
func runWavelet(ctx context.Context, cfg wavelet.Config, nc *nats.Conn, js jetstream.JetStream, log zerolog.Logger) error {
	reg, err := registry.Open(ctx, js)
	if err != nil {
		return err
	}
	watchCtx, stop := context.WithCancel(context.Background())
	defer stop()
	specs, err := reg.Watch(watchCtx)
	if err != nil {
		return err
	}
	w, err := wavelet.New(cfg, nc, js, specs)
	if err != nil {
		return err
	}
	return w.Run(ctx)
}
