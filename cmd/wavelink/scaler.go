package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/wavelink/wavelink/services/clustermgr/local"
	"github.com/wavelink/wavelink/services/scaler"
	"github.com/wavelink/wavelink/streams"
)

func newScalerCmd(g *globals) *cobra.Command {
	var (
		tick      time.Duration
		logDir    string
		debugAddr string
		mode      string
		keepAlive time.Duration
		manager   managerOptions
	)
	cmd := &cobra.Command{
		Use:   "scaler",
		Short: "Run the scaler with the local cluster manager (instances as processes on this machine)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger(os.Stderr)
			if err != nil {
				return err
			}
			m, err := scaler.ParseMode(mode)
			if err != nil {
				return err
			}
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			nc, js, cache, closeAll, err := connectWatching(ctx, g.natsURL, "wavelink-scaler")
			if err != nil {
				return err
			}
			defer closeAll()
			if logDir != "" {
				logDir, _ = filepath.Abs(logDir)
			}
			mgr, err := newClusterManager(ctx, manager, exe, g.natsURL, g.natsURL, local.Config{Binary: exe,
				NATSURL: g.natsURL, LogDir: logDir, Logger: log, ExtraArgs: []string{"--log-format", "json"}}, log)
			if err != nil {
				return err
			}
			defer func() {
				c, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				_ = mgr.Close(c)
			}()
			dl := streams.NewDeadLetterer(nc, js)
			dl.OnError = func(err error) { log.Error().Err(err).Str("component", "deadletter").Msg("dead-lettering failed") }
			go func() { _ = dl.Run(ctx) }()
			anchor := streams.NewAnchor(js)
			anchor.OnError = func(err error) { log.Warn().Err(err).Str("component", "anchor").Msg("anchoring WL_INVOKE failed") }
			anchorCtx, stopAnchor := context.WithCancel(ctx)
			anchorDone := make(chan struct{})
			go func() { _ = anchor.Run(anchorCtx); close(anchorDone) }()
			// The anchor is removed when it stops; wait for that before the
			// connection closes.
			defer func() { stopAnchor(); <-anchorDone }()
			metrics := prometheus.NewRegistry()
			if debugAddr != "" {
				if err := serveDebug(ctx, debugAddr, metrics, log); err != nil {
					return err
				}
			}
			sc, err := scaler.New(scaler.Config{Tick: tick, Mode: m, KeepAlive: keepAlive, Logger: log, Registerer: metrics}, nc, js, cache, mgr)
			if err != nil {
				return err
			}
			return sc.Run(ctx)
		},
	}
	cmd.Flags().DurationVar(&tick, "tick", 2*time.Second, "decision interval")
	addModeFlags(cmd, &mode, &keepAlive)
	addManagerFlags(cmd, &manager)
	cmd.Flags().StringVar(&debugAddr, "debug-addr", "", "serve metrics (/metrics) and Go profiles on this address; off when empty")
	cmd.Flags().StringVar(&logDir, "instance-logs", "", "folder for instance logs (default: the scaler's own log)")
	return cmd
}

// addModeFlags adds the scaler's policy mode flags; `up` shares them.
func addModeFlags(cmd *cobra.Command, mode *string, keepAlive *time.Duration) {
	names := make([]string, 0, 4)
	for _, m := range scaler.Modes() {
		names = append(names, string(m))
	}
	cmd.Flags().StringVar(mode, "mode", string(scaler.DefaultMode), "scaling policy: "+strings.Join(names, ", ")+
		" (wavelink: both tracks; async: regular track only, Knative-like; sync: an instance per arrival that finds none free, Lambda-like; fastpath: every instance from Wavelets, kept alive, Dirigent-like)")
	cmd.Flags().DurationVar(keepAlive, "keep-alive", 0, "how long sync-mode instances and fastpath emergency instances are kept after last needed (default: the stable window, 60s)")
}
