package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wavelink/wavelink/loadgen"
	"github.com/wavelink/wavelink/services/registry"
)

func newLoadgenCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "loadgen", Short: "Drive load at WaveLink and measure it against floors taken in the same run"}
	cmd.AddCommand(newLoadgenWarmCmd(), newLoadgenChaosCmd(), newLoadgenStepCmd(), newLoadgenTraceCmd(), newLoadgenReportCmd(), newLoadgenCompareCmd(), &cobra.Command{
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
			floor.Anchored = true
			afl, err := loadgen.MeasureFloor(ctx, floor)
			if err != nil {
				return fmt.Errorf("anchored floor: %w", err)
			}
			fmt.Fprintln(out, afl)
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
			fmt.Fprintf(out, "throughput ratio (gateway / floor): %.2f (gateway / anchored floor: %.2f)\n",
				w.Throughput/fl.Throughput, w.Throughput/afl.Throughput)
			fmt.Fprintf(out, "p50 ratio (gateway / floor): %.2f (gateway / anchored floor: %.2f)\n",
				float64(w.Latency.P50)/float64(fl.Latency.P50), float64(w.Latency.P50)/float64(afl.Latency.P50))
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
		RunE: func(cmd *cobra.Command, _ []string) (runErr error) {
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
				// Removed after a run that lost nothing; kept, with the
				// platform's log, after one that failed.
				defer func() {
					if runErr == nil {
						_ = os.RemoveAll(d)
						return
					}
					fmt.Fprintf(cmd.ErrOrStderr(), "chaos: platform data and log kept in %s\n", d)
				}()
				p.DataDir = d
			}
			if p.DataDir, err = filepath.Abs(p.DataDir); err != nil {
				return err
			}
			if err := os.MkdirAll(p.DataDir, 0o750); err != nil {
				return fmt.Errorf("--data: %w", err)
			}
			logf, err := os.Create(filepath.Join(p.DataDir, "platform.log"))
			if err != nil {
				return err
			}
			defer logf.Close()
			p.Log = logf
			if err := p.Start(ctx); err != nil {
				return err
			}
			defer p.Stop(loadgen.StopGrace)
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

// stepOptions are the flags of `loadgen step`.
type stepOptions struct {
	platformOptions
	function              string
	concurrency, memoryMB int
	maxInstances          int
	rate                  float64
	shape                 loadgen.StepShape
	spacing               string
	runMs, runMiB         int
	traceMode             string
	headers               []string
	timeout, window       time.Duration
	csvPath, summaryPath  string
	printJSON             bool
}

// stepReport is the JSON summary file: the experiment's settings and what
// was measured.
type stepReport struct {
	Experiment stepExperiment  `json:"experiment"`
	Summary    loadgen.Summary `json:"summary"`
}

type stepExperiment struct {
	Gateway   string    `json:"gateway"`
	Platform  bool      `json:"platform"`
	Mode      string    `json:"mode,omitempty"`
	Function  string    `json:"function"`
	From      float64   `json:"from_per_s"`
	To        float64   `json:"to_per_s"`
	At        float64   `json:"step_at_s"`
	Duration  float64   `json:"duration_s"`
	Spacing   string    `json:"spacing"`
	Seed      uint64    `json:"seed"`
	RunMs     int       `json:"run_ms"`
	TraceMode string    `json:"trace_mode"`
	Arrivals  int       `json:"arrivals"`
	StartedAt time.Time `json:"started_at"`
}

func newLoadgenStepCmd() *cobra.Command {
	o := stepOptions{}
	cmd := &cobra.Command{
		Use:   "step",
		Short: "Open-loop load at one function: a constant rate or a step from one rate to another; which track served each invocation",
		Long: `Sends synchronous invocations of one function at scheduled times computed up front (open loop: a
slow answer never delays the next arrival): --from per second until --at, then --to per second until
--duration (or --rate throughout). Each invocation is recorded (scheduled, sent, first byte, done,
status, track, instance, outcome, error) in a CSV file; a summary (latency percentiles overall and in
the first --window after the step, invocations and distinct instances per track per second, p99 per
second, and the time until regular instances serve at least 98% of every second's invocations) is
printed and written as JSON. A failed invocation is reported as an error, never retried.

With --platform it starts ` + "`wavelink up`" + ` on a fresh data folder with --mode, runs the load, and stops it;
otherwise it drives the gateway at --url. Giving --concurrency, --memory or --max-instances deploys
(or updates) the function with them, as the built-in trace when it does not exist yet.`,
		Example: `  wavelink loadgen step --platform --mode wavelink --from 0 --to 200 --at 2s --duration 30s --run-ms 50
  wavelink loadgen step --url http://127.0.0.1:8080 --rate 50 --duration 10s --spacing exponential --seed 3`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runLoadgenStep(cmd, o) },
	}
	f := cmd.Flags()
	o.addFlags(cmd, "wavelink", "with --platform: the scaling policy passed to wavelink up --mode")
	f.StringVar(&o.function, "function", "trace", "function to invoke")
	f.IntVar(&o.concurrency, "concurrency", 0, "deploy the function with this concurrency per instance")
	f.IntVar(&o.memoryMB, "memory", 0, "deploy the function with this memory per instance, MB")
	f.IntVar(&o.maxInstances, "max-instances", 0, "deploy the function with this many regular instances at most")
	f.Float64Var(&o.rate, "rate", 0, "a constant rate, invocations per second (instead of --from, --to and --at)")
	f.Float64Var(&o.shape.From, "from", 0, "invocations per second before the step")
	f.Float64Var(&o.shape.To, "to", 200, "invocations per second from the step on")
	f.DurationVar(&o.shape.At, "at", 2*time.Second, "when the step comes, from the start")
	f.DurationVar(&o.shape.Duration, "duration", 30*time.Second, "length of the run")
	f.StringVar(&o.spacing, "spacing", string(loadgen.SpacingEven), "inter-arrival times: even or exponential")
	f.Uint64Var(&o.shape.Seed, "seed", 1, "seed of exponential inter-arrival times")
	f.IntVar(&o.runMs, "run-ms", 50, "run time asked of trace (requested_cpu), ms")
	f.IntVar(&o.runMiB, "run-mib", 0, "memory trace holds during the run (requested_memory), MiB")
	f.StringVar(&o.traceMode, "trace-mode", "sleep", "how trace spends its run time: sleep or spin")
	f.StringArrayVarP(&o.headers, "header", "H", nil, "extra request header NAME:VALUE (repeatable)")
	f.DurationVar(&o.timeout, "timeout", 2*time.Minute, "longest wait for one invocation's answer; past it the invocation is an error")
	f.DurationVar(&o.window, "window", 10*time.Second, "how long after the step the after-step latency covers")
	f.StringVar(&o.csvPath, "csv", "step.csv", "write one CSV line per invocation here; empty: none")
	f.StringVar(&o.summaryPath, "summary", "step.json", "write the JSON summary here; empty: none")
	f.BoolVar(&o.printJSON, "json", false, "print the JSON summary instead of the text one")
	return cmd
}

func runLoadgenStep(cmd *cobra.Command, o stepOptions) error {
	ctx := cmd.Context()
	f := cmd.Flags()
	errOut := cmd.ErrOrStderr()
	if f.Changed("rate") {
		if f.Changed("from") || f.Changed("to") || f.Changed("at") {
			return fmt.Errorf("--rate is a constant rate: give it or --from/--to/--at, not both")
		}
		o.shape.From, o.shape.To, o.shape.At = o.rate, o.rate, 0
	}
	if err := o.checkURL(cmd); err != nil {
		return err
	}
	o.shape.Spacing = loadgen.Spacing(o.spacing)
	arrivals, err := loadgen.Schedule(o.shape)
	if err != nil {
		return err
	}
	if len(arrivals) == 0 {
		return fmt.Errorf("the load shape makes no arrivals: raise --from or --to")
	}
	header := http.Header{}
	header.Set("requested_cpu", strconv.Itoa(o.runMs))
	header.Set("x-trace-mode", o.traceMode)
	if o.runMiB > 0 {
		header.Set("requested_memory", strconv.Itoa(o.runMiB))
	}
	for _, h := range o.headers {
		k, v, ok := strings.Cut(h, ":")
		if !ok {
			return fmt.Errorf("-H %q: want NAME:VALUE", h)
		}
		header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}

	gateway, natsURL, stop, err := o.target(cmd, "step")
	if err != nil {
		return err
	}
	defer stop()
	if f.Changed("concurrency") || f.Changed("memory") || f.Changed("max-instances") {
		if err := deployStepFunction(ctx, natsURL, o, f.Changed, errOut); err != nil {
			return err
		}
	}

	rates := fmt.Sprintf("%g/s", o.shape.To)
	if o.shape.From != o.shape.To {
		rates = fmt.Sprintf("%g/s, then %g/s from %s", o.shape.From, o.shape.To, o.shape.At)
	}
	fmt.Fprintf(errOut, "loadgen step: %d invocations of %s over %s (%s, %s spacing)\n",
		len(arrivals), o.function, o.shape.Duration, rates, o.spacing)
	recs, started, runErr := loadgen.RunOpenLoop(ctx, loadgen.OpenLoopConfig{
		URL: gateway + "/functions/" + o.function, Header: header, Arrivals: arrivals, Timeout: o.timeout})
	if recs == nil {
		return runErr
	}
	rep := stepReport{
		Experiment: stepExperiment{Gateway: gateway, Platform: o.platform, Function: o.function,
			From: o.shape.From, To: o.shape.To, At: o.shape.At.Seconds(), Duration: o.shape.Duration.Seconds(),
			Spacing: o.spacing, Seed: o.shape.Seed, RunMs: o.runMs, TraceMode: o.traceMode, Arrivals: len(arrivals), StartedAt: started},
		Summary: loadgen.Summarize(recs, loadgen.SummaryOptions{Step: o.shape.At, Window: o.window}),
	}
	if o.platform {
		rep.Experiment.Mode = o.mode
	}
	if err := writeStepFiles(o, recs, rep); err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if o.printJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else if err := rep.Summary.WriteText(out); err != nil {
		return err
	}
	return runErr
}

// deployStepFunction creates or updates the function with the sizes given
// on the command line, starting from its stored spec or from the built-in
// trace, and waits a moment for the gateway and scaler to see it.
func deployStepFunction(ctx context.Context, natsURL string, o stepOptions, changed func(string) bool, log io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	nc, reg, err := openRegistry(ctx, natsURL, "wavelink-loadgen")
	if err != nil {
		return err
	}
	defer nc.Close()
	s, err := reg.Get(ctx, o.function)
	switch {
	case errors.Is(err, registry.ErrNotFound):
		s = registry.Spec{Name: o.function, Package: registry.Package{Builtin: "trace"}, Timeout: registry.Duration(5 * time.Minute)}
	case err != nil:
		return err
	}
	if changed("concurrency") {
		s.Concurrency = o.concurrency
	}
	if changed("memory") {
		s.MemoryMB = o.memoryMB
	}
	if changed("max-instances") {
		s.MaxInstances = o.maxInstances
	}
	if s, err = reg.Deploy(ctx, s); err != nil {
		return err
	}
	fmt.Fprintf(log, "loadgen step: deployed %s (%s, concurrency %d, memory %d MB, up to %d regular instances)\n",
		s.Name, s.Package, s.Concurrency, s.MemoryMB, s.MaxInstances)
	// The gateway and scaler learn of the change from a key-value watch.
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Second):
	}
	return nil
}

func writeStepFiles(o stepOptions, recs []loadgen.Record, rep stepReport) error {
	if o.csvPath != "" {
		f, err := os.Create(o.csvPath)
		if err != nil {
			return err
		}
		if err := loadgen.WriteCSV(f, recs); err != nil {
			_ = f.Close()
			return fmt.Errorf("write %s: %w", o.csvPath, err)
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	if o.summaryPath != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(o.summaryPath, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}
