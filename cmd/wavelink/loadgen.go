package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/wavelink/wavelink/loadgen"
)

func newLoadgenCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "loadgen", Short: "Drive load at WaveLink and measure it against floors taken in the same run"}
	cmd.AddCommand(newLoadgenWarmCmd(), newLoadgenChaosCmd(), &cobra.Command{
		Use:    "tcp-echo",
		Short:  "Echo bytes on a loopback port (the peer of the process round-trip floor)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return loadgen.ServeTCPEcho(cmd.Context(), cmd.OutOrStdout())
		},
	})
	return cmd
}

func newLoadgenWarmCmd() *cobra.Command {
	var (
		cfg   loadgen.WarmConfig
		floor loadgen.FloorConfig
	)
	cmd := &cobra.Command{
		Use:   "warm",
		Short: "Warm sync invocations through a running gateway, beside the bare JetStream invocation floor",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			out := cmd.OutOrStdout()
			floor.InFlight, floor.Duration, floor.Serial, floor.PayloadBytes = cfg.InFlight, cfg.Duration, cfg.Serial, cfg.PayloadBytes
			fl, err := loadgen.MeasureFloor(ctx, floor)
			if err != nil {
				return fmt.Errorf("floor: %w", err)
			}
			fmt.Fprintln(out, fl)
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			rt, err := loadgen.MeasureProcessRoundTrip(ctx, cfg.Serial, exe, "loadgen", "tcp-echo")
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "%-28s one at a time: %s\n", "process round trip (TCP)", rt)
			w, err := loadgen.MeasureWarm(ctx, cfg)
			if err != nil {
				return err
			}
			fmt.Fprintln(out, w)
			fmt.Fprintf(out, "throughput ratio (gateway / floor): %.2f\n", w.Throughput/fl.Throughput)
			fmt.Fprintf(out, "p50 ratio (gateway / floor): %.2f\n", float64(w.Latency.P50)/float64(fl.Latency.P50))
			fmt.Fprintf(out, "p50 ratio (gateway / (floor + 2 process round trips)): %.2f\n",
				float64(w.Latency.P50)/float64(fl.Latency.P50+2*rt.P50))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Gateway, "gateway", envOr("WAVELINK_GATEWAY", "http://127.0.0.1:8080"), "gateway URL")
	f.StringVar(&cfg.Function, "function", "echo", "function to invoke")
	f.IntVar(&cfg.InFlight, "in-flight", 64, "requests outstanding in the throughput phase")
	f.DurationVar(&cfg.Duration, "duration", 10*time.Second, "length of the throughput phase")
	f.IntVar(&cfg.Serial, "serial", 2000, "one-at-a-time requests for latency")
	f.IntVar(&cfg.PayloadBytes, "payload", 1024, "request body bytes")
	return cmd
}

func newLoadgenChaosCmd() *cobra.Command {
	var (
		cfg   loadgen.ChaosConfig
		p     loadgen.Platform
		runMs int
	)
	cmd := &cobra.Command{
		Use:   "chaos",
		Short: "The no-loss run: async load while regular instances and then the platform itself are SIGKILLed",
		Long: `Starts ` + "`wavelink up`" + ` on a data folder, sends asynchronous invocations at a steady rate,
SIGKILLs every regular instance a third of the way through, SIGKILLs the platform two thirds of the
way through and starts it again on the same data folder, then checks for exactly one stored result
per accepted invocation. Prints accepted, answered, duplicated and lost.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			if p.Binary == "" {
				p.Binary = exe
			}
			if p.DataDir == "" {
				d, err := os.MkdirTemp("", "wavelink-chaos-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(d)
				p.DataDir = d
			}
			p.DataDir, _ = filepath.Abs(p.DataDir)
			logf, err := os.Create(filepath.Join(p.DataDir, "platform.log"))
			if err != nil {
				return err
			}
			defer logf.Close()
			p.Log = logf
			if err := p.Start(ctx); err != nil {
				return err
			}
			defer p.Stop(30 * time.Second)
			cfg.Platform = &p
			cfg.Log = cmd.ErrOrStderr()
			cfg.Header = http.Header{"Requested_cpu": {strconv.Itoa(runMs)}, "X-Trace-Mode": {"sleep"}}
			if cfg.RunID == "" {
				cfg.RunID = "chaos" + strconv.FormatInt(time.Now().UnixNano(), 36)
			}
			rep, err := loadgen.RunChaos(ctx, cfg)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), rep)
			if rep.Lost > 0 {
				return fmt.Errorf("%d accepted invocations lost", rep.Lost)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&p.DataDir, "data", "", "data folder (default a temporary one)")
	f.StringVar(&p.HTTP, "http", "127.0.0.1:18080", "gateway listen address of the platform under test")
	f.StringVar(&p.NATS, "nats-listen", "127.0.0.1:14222", "NATS listen address of the platform under test")
	f.StringVar(&cfg.Function, "function", "trace", "function to invoke")
	f.IntVar(&runMs, "run-ms", 20, "run time asked of trace (sleep mode), ms")
	f.IntVar(&cfg.Invocations, "invocations", 3000, "distinct async invocations to send")
	f.Float64Var(&cfg.Rate, "rate", 300, "invocations per second")
	f.DurationVar(&cfg.ResultWait, "result-wait", 2*time.Minute, "how long to wait for all results")
	return cmd
}
