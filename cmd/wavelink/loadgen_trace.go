package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/wavelink/wavelink/loadgen"
	"github.com/wavelink/wavelink/services/registry"
)

// replayOptions are the trace replay flags that `loadgen trace` and
// `loadgen compare` share (their defaults differ).
type replayOptions struct {
	trace, minutes, iat   string
	compress, maxRate     float64
	seed                  uint64
	maxRun, warmup        time.Duration
	async, spin, holdMem  bool
	poll, timeout, settle time.Duration
	concurrency, maxInst  int
	memOverhead           int
}

// work says how trace spends its calls, for a banner.
func (o replayOptions) work() string {
	w := "sleeps"
	if o.spin {
		w = "spins"
	}
	if !o.holdMem {
		w += ", holding no memory"
	}
	return w
}

// traceOptions are the flags of `loadgen trace`.
type traceOptions struct {
	replayOptions
	platformOptions
	out                 string
	noDeploy, printJSON bool
}

func newLoadgenTraceCmd() *cobra.Command {
	o := traceOptions{}
	cmd := &cobra.Command{
		Use:   "trace",
		Short: "Replay an Azure Functions 2019 trace (the bundled 100-function sample by default) and write a run folder",
		Long: `Replays a trace folder (invocations.csv, durations.csv, memory.csv; by default the 100-function
sample built into the binary) against WaveLink. Each trace function with calls in --minutes becomes a
WaveLink function running the built-in trace, named "t-" and the first 12 characters of its hash, with
the memory of its memory.csv AverageAllocatedMb_pct100 (rounded up) times --concurrency plus
--memory-overhead, deployed through the registry on NATS. Each minute's calls are spread with --iat
(seeded); each call's run time and memory are drawn by inverse CDF from the percentile columns
(seeded). Calls are sent open-loop at their times (a slow answer never delays the next call),
synchronously or with --async.

trace sleeps for its run time unless --spin: the trace asks for far more CPU than a small machine has.
With --hold-memory=false it holds no memory: faulting memory in costs a small virtual machine seconds
of CPU per GB (the functions keep their memory limits, and cost counts them).
--compress divides trace time (10: a minute lasts 6 s); run times are not compressed. --max-rate drops
the calls above that many per second (a token bucket holding one second's worth). Calls of the first
--warmup of trace time are sent but marked as the warm-up phase and left out of the summary.

The run folder (--out) gets invocations.csv (the vHive loader's columns, then WaveLink's), instances.csv
(every instance seen in the instance records on NATS: track, memory, lifetime, busy time), summary.json
and run.json. Ctrl-C stops sending and writes what there is.

With --platform it starts ` + "`wavelink up --mode M`" + ` on a fresh data folder and stops it afterwards;
otherwise it drives the gateway at --url and the NATS server at --nats.`,
		Example: `  wavelink loadgen trace --platform --mode wavelink --minutes 0-4 --compress 10 --max-run 10s --out runs/wavelink
  wavelink loadgen trace --url http://127.0.0.1:8080 --nats nats://127.0.0.1:4222 --minutes 0-29 --warmup 1m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runLoadgenTrace(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.trace, "trace", "", "trace folder with invocations.csv, durations.csv and memory.csv (default the bundled azure2019-100 sample)")
	f.StringVar(&o.minutes, "minutes", "0-29", "trace minutes to replay, FIRST-LAST (inclusive) or one minute, from 0")
	f.Float64Var(&o.compress, "compress", 1, "divide trace time by this (10: a minute lasts 6 s); run times stay as they are")
	f.StringVar(&o.iat, "iat", string(loadgen.IATExponential), "inter-arrival distribution within a minute: exponential, uniform or equidistant")
	f.Uint64Var(&o.seed, "seed", 1, "seed of call times, run times and memory")
	f.DurationVar(&o.maxRun, "max-run", 0, "cap on each call's run time (default the loader's 60s)")
	f.Float64Var(&o.maxRate, "max-rate", 0, "drop calls above this many per second of the run (0: no bound)")
	f.DurationVar(&o.warmup, "warmup", 0, "trace time from the first minute whose calls are the warm-up phase (left out of the summary)")
	f.BoolVar(&o.async, "async", false, "send with Prefer: respond-async and poll GET /results/<id>")
	f.DurationVar(&o.poll, "poll", 50*time.Millisecond, "with --async: how often to ask for a result once the run time has passed")
	f.DurationVar(&o.timeout, "timeout", 0, "longest wait for one invocation's answer (default the run-time cap plus 2m)")
	f.BoolVar(&o.spin, "spin", false, "trace spins the CPU for its run time instead of sleeping")
	f.BoolVar(&o.holdMem, "hold-memory", true, "trace holds each call's memory (false: none; the functions keep their memory limits)")
	f.IntVar(&o.concurrency, "concurrency", 1, "invocations one instance runs at once (its memory is that many calls' plus --memory-overhead)")
	f.IntVar(&o.maxInst, "max-instances", 0, "regular instances per function at most (0: the platform's default)")
	f.IntVar(&o.memOverhead, "memory-overhead", 64, "MB added to each function's memory for the instance's own processes")
	f.BoolVar(&o.noDeploy, "no-deploy", false, "do not deploy the functions: they are deployed already")
	f.DurationVar(&o.settle, "settle", time.Second, "wait after deploying for the platform to see the functions")
	f.StringVar(&o.out, "out", "", "run folder to write (default trace-run-<mode>-<time>)")
	f.BoolVar(&o.printJSON, "json", false, "print summary.json instead of the text summary")
	o.addFlags(cmd, "", "the scaler mode: with --platform passed to wavelink up --mode (default wavelink); otherwise recorded in run.json")
	return cmd
}

func runLoadgenTrace(cmd *cobra.Command, o traceOptions) error {
	ctx := cmd.Context()
	errOut := cmd.ErrOrStderr()
	if err := o.checkURL(cmd); err != nil {
		return err
	}
	if o.platform && cmd.Flag("nats").Changed {
		return fmt.Errorf("--platform starts its own NATS server: give --platform or --nats, not both")
	}
	if o.platform && o.mode == "" {
		o.mode = "wavelink"
	}
	// Everything that can be wrong with the trace or the options fails
	// here, before a platform starts or a function is deployed.
	tr, mr, plan, err := o.plan()
	if err != nil {
		return err
	}
	if o.out == "" {
		o.out = fmt.Sprintf("trace-run-%s-%s", cmp.Or(o.mode, "run"), time.Now().Format("20060102-150405"))
	}

	gateway, natsURL, stop, err := o.target(cmd, "trace")
	if err != nil {
		return err
	}
	defer stop()
	var deployer loadgen.FunctionDeployer
	if !o.noDeploy {
		dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		nc, reg, err := openRegistry(dctx, natsURL, "wavelink-loadgen-deploy")
		cancel()
		if err != nil {
			return err
		}
		defer nc.Close()
		deployer = registryDeployer{reg: reg}
	}
	fmt.Fprintf(errOut, "loadgen trace: %s minutes %s: %d functions, %d calls (%d dropped above --max-rate, %d warm-up) over %s; trace %s; %s; run folder %s\n",
		tr.Source, mr, len(plan.Functions), len(plan.Calls), plan.Dropped, plan.Warmups(), plan.Duration.Round(time.Millisecond),
		o.work(), map[bool]string{false: "sync", true: "async"}[o.async], o.out)
	sum, runErr := loadgen.RunTrace(ctx, loadgen.TraceRunConfig{
		Plan: plan, Gateway: gateway, NATS: natsURL, Deployer: deployer,
		Concurrency: o.concurrency, MaxInstances: o.maxInst, MemoryOverheadMB: o.memOverhead,
		Spin: o.spin, NoMemory: !o.holdMem, Async: o.async, Poll: o.poll, Timeout: o.timeout, Settle: o.settle, Out: o.out,
		Meta:     loadgen.RunMeta{Mode: o.mode, Platform: o.platform, ClusterManager: o.clusterManager()},
		Progress: errOut,
	})
	if sum.Meta.Trace == "" { // nothing was sent: a bad configuration or a failed deploy
		return runErr
	}
	out := cmd.OutOrStdout()
	if o.printJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(sum); err != nil {
			return err
		}
	} else if err := sum.WriteText(out); err != nil {
		return err
	}
	fmt.Fprintf(errOut, "loadgen trace: wrote %s\n", o.out)
	if errors.Is(runErr, context.Canceled) {
		return fmt.Errorf("interrupted: %s holds what was measured until then", o.out)
	}
	return runErr
}

// plan loads the trace folder (the bundled sample when --trace is empty),
// reads the minute range and plans its calls. A plan without calls is an
// error.
func (o replayOptions) plan() (*loadgen.Trace, loadgen.MinuteRange, *loadgen.Plan, error) {
	tr, err := loadgen.LoadTrace(o.trace)
	if err != nil {
		return nil, loadgen.MinuteRange{}, nil, err
	}
	mr, err := loadgen.ParseMinuteRange(o.minutes)
	if err != nil {
		return nil, loadgen.MinuteRange{}, nil, err
	}
	plan, err := loadgen.BuildPlan(tr, loadgen.PlanOptions{Minutes: mr, Compress: o.compress, Distribution: loadgen.IATDistribution(o.iat),
		Seed: o.seed, MaxRun: o.maxRun, MaxRate: o.maxRate, Warmup: o.warmup})
	if err != nil {
		return nil, loadgen.MinuteRange{}, nil, err
	}
	if len(plan.Calls) == 0 {
		return nil, loadgen.MinuteRange{}, nil, fmt.Errorf("minutes %s of %s hold no calls", mr, tr.Source)
	}
	return tr, mr, plan, nil
}

// registryDeployer deploys trace functions through the registry.
type registryDeployer struct{ reg *registry.Registry }

func (d registryDeployer) DeployTrace(ctx context.Context, f loadgen.TraceFunctionSpec) error {
	_, err := d.reg.Deploy(ctx, registry.Spec{Name: f.Name, Package: registry.Package{Builtin: "trace"}, MemoryMB: f.MemoryMB,
		Concurrency: f.Concurrency, MaxInstances: f.MaxInstances, Timeout: registry.Duration(f.Timeout)})
	return err
}
