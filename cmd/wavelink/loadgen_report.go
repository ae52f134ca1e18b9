package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/wavelink/wavelink/loadgen"
)

func newLoadgenReportCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "report RUN...",
		Short: "Put trace runs side by side: slowdown, latency, regular share, cost; a Markdown table and PNG plots",
		Long: `Reads run folders written by ` + "`wavelink loadgen trace`" + ` (run.json, invocations.csv, instances.csv) and
writes into --out:

  report.md         the runs side by side, a column each, labelled by mode (or folder name): per-function
                    slowdown (each function's median of end-to-end latency over requested run time; the
                    median and p99 over functions), latency percentiles, the share served by regular
                    instances, cold starts, cost (allocated and busy GB-s, their ratio, instances created
                    per track) and errors; ratios are against the first run
  report.json       the same figures, with every function's slowdown
  slowdown_cdf.png  the CDF of per-function slowdown, a line per run, log x axis
  instances.png     instances alive per track over time, a panel per run

Warm-up invocations are left out. The table is also printed.`,
		Example: `  wavelink loadgen report runs/wavelink runs/async runs/sync runs/fastpath --out report`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rep, err := loadgen.WriteReport(loadgen.ReportConfig{Runs: args, Out: out})
			if err != nil {
				return err
			}
			return printReport(cmd.OutOrStdout(), cmd.ErrOrStderr(), rep)
		},
	}
	cmd.Flags().StringVar(&out, "out", "loadgen-report", "folder to write the report and plots into (made when missing)")
	return cmd
}

// printReport prints the Markdown table and lists the files written.
func printReport(out, errOut io.Writer, rep *loadgen.Report) error {
	var md bytes.Buffer
	if err := loadgen.WriteReportMarkdown(&md, rep.Runs, nil); err != nil {
		return err
	}
	if _, err := out.Write(md.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(errOut, "loadgen report: wrote %s\n", strings.Join(rep.Files, ", "))
	return nil
}

// compareOptions are the flags of `loadgen compare`.
type compareOptions struct {
	replayOptions
	modes    []string
	out      string
	binary   string
	keepData bool
	upArgs   []string
	manager  string
}

func newLoadgenCompareCmd() *cobra.Command {
	o := compareOptions{}
	cmd := &cobra.Command{
		Use:   "compare",
		Short: "Replay the same trace against each scaler mode on a fresh platform, one after another, and write the report",
		Long: `For each of --modes in turn, starts ` + "`wavelink up --mode M`" + ` on a fresh temporary data folder, replays
the trace against it (the engine of ` + "`wavelink loadgen trace`" + `, with the same plan and seed for every
mode), writes the run folder --out/M and stops the platform. Then writes the report of all runs into
--out (see ` + "`wavelink loadgen report`" + `) and prints its table.

The default replays minutes 0-2 of the bundled 100-function sample compressed 3x (a minute lasts 20 s;
the first trace minute is the warm-up) with the Docker cluster manager, ten calls at once per instance,
run times capped at 10 s and slept, not spun, no memory held (faulting memory in costs a small virtual
machine seconds of CPU per GB; the functions keep their memory limits, and cost counts them), and
counts an invocation unanswered after 30 s as an error: a minute of load per mode, under 10 minutes
for all four on a 2-core machine. A mode that fails does not stop the others; Ctrl-C stops the
current mode (its folder keeps what it measured), skips the rest and still writes the report.`,
		Example: `  wavelink loadgen compare
  wavelink loadgen compare --minutes 0-29 --warmup 2m --out runs/compare-30min
  wavelink loadgen compare --cluster-manager local --concurrency 1 --hold-memory
  wavelink loadgen compare --modes wavelink,async --up-arg=--tick=1s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runLoadgenCompare(cmd, o) },
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.modes, "modes", loadgen.CompareModes, "scaler modes to run, in the report's column order (ratios are against the first)")
	f.StringVar(&o.out, "out", "", "output folder: a run folder per mode and the report (default compare-<time>)")
	f.StringVar(&o.trace, "trace", "", "trace folder with invocations.csv, durations.csv and memory.csv (default the bundled azure2019-100 sample)")
	f.StringVar(&o.minutes, "minutes", "0-2", "trace minutes to replay, FIRST-LAST (inclusive) or one minute, from 0")
	f.Float64Var(&o.compress, "compress", 3, "divide trace time by this (3: a minute lasts 20 s); run times stay as they are")
	f.StringVar(&o.iat, "iat", string(loadgen.IATExponential), "inter-arrival distribution within a minute: exponential, uniform or equidistant")
	f.Uint64Var(&o.seed, "seed", 1, "seed of call times, run times and memory (the same for every mode)")
	f.DurationVar(&o.maxRun, "max-run", 10*time.Second, "cap on each call's run time")
	f.Float64Var(&o.maxRate, "max-rate", 0, "drop calls above this many per second of the run (0: no bound)")
	f.DurationVar(&o.warmup, "warmup", time.Minute, "trace time from the first minute whose calls are the warm-up phase (left out of the report)")
	f.BoolVar(&o.async, "async", false, "send with Prefer: respond-async and poll GET /results/<id>")
	f.DurationVar(&o.poll, "poll", 50*time.Millisecond, "with --async: how often to ask for a result once the run time has passed")
	f.DurationVar(&o.timeout, "timeout", 30*time.Second, "longest wait for one invocation's answer; past it the invocation is an error")
	f.BoolVar(&o.spin, "spin", false, "trace spins the CPU for its run time instead of sleeping")
	f.BoolVar(&o.holdMem, "hold-memory", false, "trace holds each call's memory (by default none; the functions keep their memory limits)")
	f.IntVar(&o.concurrency, "concurrency", 10, "invocations one instance runs at once")
	f.IntVar(&o.maxInst, "max-instances", 0, "regular instances per function at most (0: the platform's default)")
	f.IntVar(&o.memOverhead, "memory-overhead", 64, "MB added to each function's memory for the instance's own processes")
	f.DurationVar(&o.settle, "settle", time.Second, "wait after deploying for the platform to see the functions")
	f.StringVar(&o.binary, "binary", "", "the wavelink binary to run as the platform (default this one)")
	f.BoolVar(&o.keepData, "keep-data", false, "keep each platform's temporary data folder (platform and instance logs)")
	f.StringVar(&o.manager, "cluster-manager", managerDocker, "what runs regular instances in every mode: docker or local (passed to wavelink up)")
	f.StringArrayVar(&o.upArgs, "up-arg", nil, "an extra argument for every wavelink up (repeatable)")
	return cmd
}

func runLoadgenCompare(cmd *cobra.Command, o compareOptions) error {
	errOut := &lockedWriter{w: cmd.ErrOrStderr()}
	if o.manager != managerDocker && o.manager != managerLocal {
		return fmt.Errorf("--cluster-manager: want %s or %s, got %q", managerDocker, managerLocal, o.manager)
	}
	// The plan is made once, before any platform starts: a bad trace or
	// option fails here, and every mode gets the same calls.
	tr, mr, plan, err := o.plan()
	if err != nil {
		return err
	}
	if o.out == "" {
		o.out = "compare-" + time.Now().Format("20060102-150405")
	}
	fmt.Fprintf(errOut, "loadgen compare: modes %s; %s minutes %s: %d functions, %d calls (%d warm-up) over %s each; trace %s; cluster manager %s; output %s\n",
		strings.Join(o.modes, ", "), tr.Source, mr, len(plan.Functions), len(plan.Calls), plan.Warmups(),
		plan.Duration.Round(time.Millisecond), o.work(), o.manager, o.out)
	rep, err := loadgen.Compare(cmd.Context(), loadgen.CompareConfig{
		Modes: o.modes, Out: o.out, Progress: errOut,
		Runner: compareRunner{o: o, plan: plan, log: errOut},
	})
	if rep != nil {
		if perr := printReport(cmd.OutOrStdout(), errOut, rep); perr != nil && err == nil {
			err = perr
		}
	}
	return err
}

// compareRunner runs one mode of a comparison in this process: a fresh
// `wavelink up --mode M`, the functions deployed through its registry, and
// loadgen.RunTrace writing the run folder.
type compareRunner struct {
	o    compareOptions
	plan *loadgen.Plan
	log  io.Writer
}

func (r compareRunner) RunMode(ctx context.Context, mode, dir string) error {
	log := &prefixWriter{w: r.log, prefix: "  [" + mode + "] "}
	p, stop, err := startLoadPlatform(ctx, "trace", platformOptions{mode: mode, binary: r.o.binary, keepData: r.o.keepData, upArgs: append([]string{"--cluster-manager=" + r.o.manager}, r.o.upArgs...)}, log)
	if err != nil {
		return err
	}
	defer stop()
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	nc, reg, err := openRegistry(dctx, p.NATSURL(), "wavelink-loadgen-compare")
	cancel()
	if err != nil {
		return err
	}
	defer nc.Close()
	_, err = loadgen.RunTrace(ctx, loadgen.TraceRunConfig{
		Plan: r.plan, Gateway: p.GatewayURL(), NATS: p.NATSURL(), Deployer: registryDeployer{reg: reg},
		Concurrency: r.o.concurrency, MaxInstances: r.o.maxInst, MemoryOverheadMB: r.o.memOverhead,
		Spin: r.o.spin, NoMemory: !r.o.holdMem, Async: r.o.async, Poll: r.o.poll, Timeout: r.o.timeout, Settle: r.o.settle, Out: dir,
		Meta:     loadgen.RunMeta{Mode: mode, Platform: true, ClusterManager: r.o.manager},
		Progress: log,
	})
	return err
}

// lockedWriter serialises writes from several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// prefixWriter starts every line written through it with prefix.
type prefixWriter struct {
	mu      sync.Mutex
	w       io.Writer
	prefix  string
	midLine bool
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out bytes.Buffer
	for _, line := range bytes.SplitAfter(b, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		if !p.midLine {
			out.WriteString(p.prefix)
		}
		out.Write(line)
		p.midLine = line[len(line)-1] != '\n'
	}
	if _, err := p.w.Write(out.Bytes()); err != nil {
		return 0, err
	}
	return len(b), nil
}
