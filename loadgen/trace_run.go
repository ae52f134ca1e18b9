package loadgen

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

// TraceFunctionSpec is what a trace run deploys for one function: the
// built-in trace with these sizes.
type TraceFunctionSpec struct {
	Name        string
	MemoryMB    int
	Concurrency int
	// MaxInstances bounds its regular instances; 0 leaves the platform's
	// default.
	MaxInstances int
	// Timeout bounds one invocation.
	Timeout time.Duration
}

// FunctionDeployer deploys (creates or replaces) the trace functions of a
// run. cmd/wavelink implements it over the registry on NATS.
type FunctionDeployer interface {
	DeployTrace(ctx context.Context, f TraceFunctionSpec) error
}

// TraceRunConfig describes a trace run.
type TraceRunConfig struct {
	// Plan is what to send (see BuildPlan).
	Plan *Plan
	// Gateway is the gateway's base URL, e.g. http://127.0.0.1:8080.
	Gateway string
	// NATS is the platform's NATS URL, for cost accounting (instance
	// records); empty leaves cost out. NATSOptions are passed to Connect.
	NATS        string
	NATSOptions []nats.Option
	// Deployer, when set, deploys every function of the plan before the
	// load; nil means they are deployed already.
	Deployer FunctionDeployer
	// Concurrency is each function's concurrency per instance; zero means
	// 1. MaxInstances bounds regular instances per function (0: the
	// platform's default).
	Concurrency  int
	MaxInstances int
	// MemoryOverheadMB is added to each function's memory (the most one of
	// its calls asks for, times Concurrency: every call an instance runs
	// holds its own) for the instance's own processes. Negative means 0.
	MemoryOverheadMB int
	// Spin makes trace spin the CPU; the default is to sleep.
	Spin bool
	// NoMemory asks trace to hold no memory (the functions keep their
	// memory limits); the default is each call's sampled memory.
	NoMemory bool
	// Async sends with Prefer: respond-async and polls GET /results/<id>
	// every Poll (zero: 50 ms) once the requested run time has passed.
	Async bool
	Poll  time.Duration
	// Timeout bounds one invocation from send to answer (for async, to its
	// result); zero means the plan's run-time cap plus 2 minutes.
	Timeout time.Duration
	// Settle is how long to wait after deploying for the platform to see
	// the functions; zero means 1 s.
	Settle time.Duration
	// Out is the run folder, created if missing.
	Out string
	// Meta carries what the caller knows (Mode, Platform); RunTrace fills
	// the rest.
	Meta RunMeta
	// Client sends the calls; nil means NewOpenLoopClient().
	Client *http.Client
	// Progress, when set, gets a line per trace minute replayed.
	Progress io.Writer
}

func (c TraceRunConfig) validate() error {
	u, err := url.Parse(c.Gateway)
	switch {
	case c.Plan == nil || len(c.Plan.Calls) == 0:
		return fmt.Errorf("%w: the plan has no calls (are the minutes empty?)", ErrBadTraceRun)
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("%w: gateway URL %q: want http://host:port", ErrBadTraceRun, c.Gateway)
	case c.Out == "":
		return fmt.Errorf("%w: no run folder", ErrBadTraceRun)
	case c.Concurrency < 0 || c.MaxInstances < 0:
		return fmt.Errorf("%w: concurrency %d, max instances %d: must not be negative", ErrBadTraceRun, c.Concurrency, c.MaxInstances)
	}
	return nil
}

// RunTrace replays a plan against a running WaveLink and writes the run
// folder: it subscribes to instance records (when NATS is set), deploys
// the plan's functions (when Deployer is set), sends every call at its
// time open-loop (each from its own goroutine, so slow answers never delay
// later calls), waits for every answer, and writes invocations.csv,
// instances.csv, summary.json and run.json into cfg.Out. When ctx ends,
// calls not yet sent are left out, those in flight are cancelled and
// recorded as errors, the files are written with what there is, and ctx's
// error is returned with the summary. A bad configuration gives an error
// wrapping ErrBadTraceRun before anything is sent.
func RunTrace(ctx context.Context, cfg TraceRunConfig) (RunSummary, error) {
	if err := cfg.validate(); err != nil {
		return RunSummary{}, err
	}
	cfg.Gateway = strings.TrimRight(cfg.Gateway, "/")
	cfg.Concurrency = max(cfg.Concurrency, 1)
	cfg.MemoryOverheadMB = max(cfg.MemoryOverheadMB, 0)
	if cfg.Poll <= 0 {
		cfg.Poll = 50 * time.Millisecond
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = cfg.Plan.Options.MaxRun + 2*time.Minute
	}
	if cfg.Settle <= 0 {
		cfg.Settle = time.Second
	}
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return RunSummary{}, fmt.Errorf("%w: run folder: %v", ErrBadTraceRun, err)
	}
	client := cfg.Client
	if client == nil {
		client = NewOpenLoopClient()
		defer client.CloseIdleConnections()
	}
	meta := fillMeta(cfg)

	var rec *CostRecorder
	accountFrom := time.Now()
	if cfg.NATS != "" {
		nc, err := nats.Connect(cfg.NATS, append([]nats.Option{nats.Name("wavelink-loadgen-trace")}, cfg.NATSOptions...)...)
		if err != nil {
			return RunSummary{}, fmt.Errorf("connect to NATS at %s for instance records: %w", cfg.NATS, err)
		}
		defer nc.Close()
		if rec, err = StartCostRecorder(nc); err != nil {
			return RunSummary{}, err
		}
		accountFrom = time.Now()
	}
	if cfg.Deployer != nil {
		if err := deployPlan(ctx, cfg); err != nil {
			return RunSummary{}, err
		}
		select {
		case <-ctx.Done():
			return RunSummary{}, ctx.Err()
		case <-time.After(cfg.Settle):
		}
	}

	recs, start, notSent := replay(ctx, cfg, client)
	end := time.Now()
	if rec != nil {
		rec.Stop(2 * time.Second)
	}
	meta.StartedAt, meta.EndedAt, meta.Interrupted = start, end, ctx.Err() != nil

	var (
		instRows []InstanceRow
		cost     CostSummary
		preRun   = map[string]bool{}
	)
	if rec != nil {
		instRows, cost = rec.Close(CostWindow{RunStart: start, From: accountFrom, To: end}, instanceUse(recs))
		for _, r := range instRows {
			if r.StartedUs < accountFrom.Sub(start).Microseconds() {
				preRun[r.ID] = true
			}
		}
	}
	rows := invocationRows(cfg.Plan, recs, preRun)
	sum := SummarizeRun(rows, meta, notSent, cost)
	if err := writeRunFolder(cfg.Out, rows, instRows, sum); err != nil {
		return sum, err
	}
	return sum, ctx.Err()
}

// fillMeta sets the run metadata that follows from the configuration.
func fillMeta(cfg TraceRunConfig) RunMeta {
	m, p := cfg.Meta, cfg.Plan
	o := p.Options
	m.Gateway, m.NATS, m.Trace = cfg.Gateway, cfg.NATS, p.Source
	m.Minutes, m.FirstMinute, m.LastMinute = o.Minutes.String(), o.Minutes.First, o.Minutes.Last
	m.Compress, m.MinuteSeconds = o.Compress, 60/o.Compress
	m.TraceMode = "sleep"
	if cfg.Spin {
		m.TraceMode = "spin"
	}
	m.TraceMemory = "held"
	if cfg.NoMemory {
		m.TraceMemory = "not held"
	}
	m.Distribution, m.Seed, m.MaxRunMs = string(o.Distribution), o.Seed, int(o.MaxRun/time.Millisecond)
	m.MaxRate, m.MaxRateAction, m.WarmupTraceS = o.MaxRate, "drop", o.Warmup.Seconds()
	m.Invoke = "sync"
	if cfg.Async {
		m.Invoke = "async"
	}
	m.Concurrency, m.MaxInstances = cfg.Concurrency, cfg.MaxInstances
	m.MemoryColumn, m.MemoryOverheadMB = MemoryColumn, cfg.MemoryOverheadMB
	m.Functions, m.Calls, m.Dropped = p.Functions, len(p.Calls), p.Dropped
	m.Cores = runtime.NumCPU()
	m.Host, _ = os.Hostname()
	return m
}

// deployPlan deploys every function of the plan.
func deployPlan(ctx context.Context, cfg TraceRunConfig) error {
	timeout := cfg.Plan.Options.MaxRun + 30*time.Second
	for _, f := range cfg.Plan.Functions {
		spec := TraceFunctionSpec{Name: f.Name, MemoryMB: f.MemoryMB*cfg.Concurrency + cfg.MemoryOverheadMB, Concurrency: cfg.Concurrency,
			MaxInstances: cfg.MaxInstances, Timeout: timeout}
		if err := cfg.Deployer.DeployTrace(ctx, spec); err != nil {
			return fmt.Errorf("deploy %s (trace function %s): %w", f.Name, f.Hash, err)
		}
	}
	return nil
}

// replay sends the plan's calls open-loop and waits for them all. It
// returns one record per call (in plan order), the start of the run, and
// how many calls were not sent because ctx ended.
func replay(ctx context.Context, cfg TraceRunConfig, client *http.Client) ([]traceRecord, time.Time, int) {
	calls := cfg.Plan.Calls
	recs := make([]traceRecord, len(calls))
	start := time.Now()
	s := &traceSender{client: client, gateway: cfg.Gateway, spin: cfg.Spin, noMemory: cfg.NoMemory, timeout: cfg.Timeout, poll: cfg.Poll, start: start}
	var (
		wg                    sync.WaitGroup
		sent, answered, erred atomic.Int64
	)
	stopProgress := progress(cfg, start, &sent, &answered, &erred)
	defer stopProgress()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	i := 0
	for ; i < len(calls); i++ {
		c := calls[i]
		recs[i].Index, recs[i].Scheduled = i, c.At
		if wait := c.At - time.Since(start); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		sent.Add(1)
		go func(r *traceRecord, c TraceCall) {
			defer wg.Done()
			s.send(ctx, cfg.Plan.Functions[c.Function].Name, c, cfg.Async, r)
			if r.Answered() {
				answered.Add(1)
			} else {
				erred.Add(1)
			}
		}(&recs[i], c)
	}
	notSent := len(calls) - i
	wg.Wait()
	return recs, start, notSent
}

// progress prints a line per trace minute until stopped.
func progress(cfg TraceRunConfig, start time.Time, sent, answered, erred *atomic.Int64) (stop func()) {
	if cfg.Progress == nil {
		return func() {}
	}
	every := max(time.Duration(float64(time.Minute)/cfg.Plan.Options.Compress), time.Second)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		total := len(cfg.Plan.Calls)
		for {
			select {
			case <-done:
				return
			case <-t.C:
				s, a, e := sent.Load(), answered.Load(), erred.Load()
				fmt.Fprintf(cfg.Progress, "loadgen trace: %s: sent %d of %d, answered %d, errors %d, in flight %d\n",
					time.Since(start).Round(time.Second), s, total, a, e, s-a-e)
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}
