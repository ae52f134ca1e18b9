package main

import (
	"context"
	"errors"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/wavelink/wavelink/services/gateway"
)

func newGatewayCmd(g *globals) *cobra.Command {
	var cfg gateway.Config
	cmd := &cobra.Command{
		Use:   "gateway",
		Short: "Run the HTTP and CloudEvents gateway against a NATS server",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tuneGC()
			log, err := g.logger(os.Stderr)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			nc, js, cache, closeAll, err := connectWatching(ctx, g.natsURL, "wavelink-gateway")
			if err != nil {
				return err
			}
			defer closeAll()
			cfg.Logger = log
			cfg.Registerer = prometheus.NewRegistry()
			gw, err := gateway.New(cfg, nc, js, cache)
			if err != nil {
				return err
			}
			defer func() { _ = gw.Close() }()
			if err := gw.ListenAndServe(ctx); err != nil && !errors.Is(err, context.Canceled) {
				return err
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&cfg.Addr, "http", "127.0.0.1:8080", "listen address")
	cmd.Flags().Int64Var(&cfg.MaxBody, "max-body", gateway.DefaultMaxBody, "largest request body in bytes")
	return cmd
}
