package scaler

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/wavelink/wavelink/services/registry"
	"github.com/wavelink/wavelink/services/scaler/expedite"
	"github.com/wavelink/wavelink/services/scaler/policy"
)

const tick = 2 * time.Second

func TestConfigValidate(t *testing.T) {
	badParams := policy.DefaultParams()
	badParams.PanicWindow = time.Hour
	tests := []struct {
		name   string
		change func(c *Config)
		field  string // "" means valid
	}{
		{"defaults", func(c *Config) {}, ""},
		{"negative tick", func(c *Config) { c.Tick = -time.Second }, "Tick"},
		{"reassert zero after defaults", func(c *Config) { c.ReassertEvery = -1 }, "ReassertEvery"},
		{"no concurrent reads", func(c *Config) { c.QueueReads = -3 }, "QueueReads"},
		{"negative read timeout", func(c *Config) { c.QueueTimeout = -time.Second }, "QueueTimeout"},
		{"negative active span", func(c *Config) { c.ActiveFor = -time.Second }, "ActiveFor"},
		{"bad params", func(c *Config) { c.Params = badParams }, "PanicWindow"},
		{"unknown mode", func(c *Config) { c.Mode = "turbo" }, `"turbo"`},
		{"negative keep-alive", func(c *Config) { c.KeepAlive = -time.Second }, "KeepAlive"},
		{"sync keep-alive longer than the window holds", func(c *Config) { c.Mode = ModeSync; c.KeepAlive = 2 * time.Hour }, "KeepAlive"},
		{"fastpath keep-alive may be long", func(c *Config) { c.Mode = ModeFastpath; c.KeepAlive = 2 * time.Hour }, ""},
		{"negative burst timeout", func(c *Config) { c.BurstTimeout = -time.Second }, "BurstTimeout"},
		{"no burst senders", func(c *Config) { c.BurstSenders = -1 }, "BurstSenders"},
		{"negative node TTL", func(c *Config) { c.NodeTTL = -time.Second }, "NodeTTL"},
		{"bad expedite params", func(c *Config) { c.Expedite = expedite.Params{MaxPerRequest: 5000} }, "MaxPerRequest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Config{}
			tc.change(&c)
			err := c.WithDefaults().Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("valid config rejected: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("error %v, want ErrInvalidConfig naming %s", err, tc.field)
			}
		})
	}
	if err := (Config{}).Validate(); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("a zero config without defaults validated: %v", err)
	}
	for _, m := range Modes() {
		if err := (Config{Mode: m}).WithDefaults().Validate(); err != nil {
			t.Errorf("mode %s: %v", m, err)
		}
	}
	if c := (Config{}).WithDefaults(); c.Mode != ModeWavelink || c.KeepAlive != c.Params.StableWindow {
		t.Fatalf("defaults: mode %q keep-alive %s, want wavelink and the stable window", c.Mode, c.KeepAlive)
	}
}

func TestParseMode(t *testing.T) {
	for _, m := range Modes() {
		if got, err := ParseMode(string(m)); err != nil || got != m {
			t.Errorf("ParseMode(%q) = %q, %v", m, got, err)
		}
	}
	for _, bad := range []string{"", "Wavelink", "knative"} {
		_, err := ParseMode(bad)
		if !errors.Is(err, ErrInvalidConfig) || !containsAll(err.Error(), `"`+bad+`"`, "wavelink, async, sync, fastpath") {
			t.Errorf("ParseMode(%q): %v, want ErrInvalidConfig naming it and the modes", bad, err)
		}
	}
}

func TestNewRejectsMissingDependencies(t *testing.T) {
	h := newHarness(t, false)
	specs := &staticSpecs{}
	tests := []struct {
		name string
		make func() (*Scaler, error)
		want string
	}{
		{"no connection", func() (*Scaler, error) { return New(Config{}, nil, h.env.JS, specs, h.mgr) }, "NATS connection"},
		{"no jetstream", func() (*Scaler, error) { return New(Config{}, h.env.NC, nil, specs, h.mgr) }, "JetStream"},
		{"no specs", func() (*Scaler, error) { return New(Config{}, h.env.NC, h.env.JS, nil, h.mgr) }, "specs"},
		{"no manager", func() (*Scaler, error) { return New(Config{}, h.env.NC, h.env.JS, specs, nil) }, "cluster manager"},
		{"bad config", func() (*Scaler, error) { return New(Config{Tick: -1}, h.env.NC, h.env.JS, specs, h.mgr) }, "Tick"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := tc.make()
			if s != nil || !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, %v; want ErrInvalidConfig naming %q", s, err, tc.want)
			}
		})
	}
}

func TestPokeFromZeroWithoutATick(t *testing.T) {
	h := newHarness(t, false)
	h.deploy("hello", 10, 0, 5)
	s := h.newScaler(h.config(), h.cache())
	h.run(s)

	h.invoke("hello", 20)
	if n := h.mgr.awaitScale(t, "hello"); n != 1 {
		t.Fatalf("poke asked for %d instances, want 1", n)
	}
	h.awaitCounts(s, "hello", 20, 0)
	if calls := h.mgr.callsFor("hello"); len(calls) != 1 {
		t.Fatalf("20 arrivals at zero made Scale calls %v, want one coalesced poke", calls)
	}
	s.mu.Lock()
	ticks := s.tickNo
	s.mu.Unlock()
	if ticks != 0 {
		t.Fatalf("%d ticks ran; the poke must not wait for one", ticks)
	}
	if got, _ := metricValue(t, h.prom, "wavelink_scaler_pokes_total", ""); got != 1 {
		t.Fatalf("pokes metric %v, want 1", got)
	}
}

func TestPokeForFunctionDeployedAfterTheLastTick(t *testing.T) {
	h := newHarness(t, false)
	specs := &staticSpecs{}
	s := h.newScaler(h.config(), specs)
	h.run(s)
	if err := h.tick(s, tick); err != nil {
		t.Fatal(err)
	}
	specs.set(h.deploy("late", 10, 0, 5))
	h.invoke("late", 1)
	if n := h.mgr.awaitScale(t, "late"); n != 1 {
		t.Fatalf("poke asked for %d, want 1", n)
	}
}

func TestPokeRetriesAfterAFailedScale(t *testing.T) {
	h := newHarness(t, false)
	h.deploy("flaky", 10, 0, 5)
	s := h.newScaler(h.config(), h.cache())
	h.run(s)
	h.mgr.setFail("flaky", errors.New("cluster manager down"))
	h.invoke("flaky", 1)
	h.awaitCounts(s, "flaky", 1, 0)
	// The failed poke re-arms the function: wait until it failed (counted
	// before the re-arm), then until it has re-armed.
	deadline := time.Now().Add(wait)
	for c, _ := s.signals.lookup("flaky"); !c.atZero.Load() || !pokeFailed(t, h, "flaky"); {
		if time.Now().After(deadline) {
			t.Fatal("a failed poke did not re-arm the function")
		}
		time.Sleep(time.Millisecond)
	}
	h.mgr.setFail("flaky", nil)
	h.invoke("flaky", 1)
	if n := h.mgr.awaitScale(t, "flaky"); n != 1 {
		t.Fatalf("second poke asked for %d, want 1", n)
	}
}

// pokeFailed reports whether a Scale of fn was counted as failed.
func pokeFailed(t *testing.T, h *harness, fn string) bool {
	t.Helper()
	n, _ := metricValue(t, h.prom, "wavelink_scaler_scale_errors_total", fn)
	return n > 0
}

func TestBacklogScalesUpAtTick(t *testing.T) {
	h := newHarness(t, false)
	h.deploy("busy", 1, 0, 8)
	s := h.newScaler(h.config(), h.cache())
	h.run(s)

	h.invoke("busy", 30)
	h.mgr.awaitScale(t, "busy") // the poke
	h.awaitCounts(s, "busy", 30, 0)
	h.awaitQueued("busy", 30)
	if err := h.tick(s, tick); err != nil {
		t.Fatal(err)
	}
	// 30 queued at 70% of 1 per instance wants 43; the spec caps it at 8.
	if n, _ := h.mgr.lastFor("busy"); n != 8 {
		t.Fatalf("after a tick with 30 queued: Scale(%d), want 8 (max)", n)
	}
	if got, _ := metricValue(t, h.prom, "wavelink_scaler_desired_instances", "busy"); got != 8 {
		t.Fatalf("desired gauge %v, want 8", got)
	}
	if got, _ := metricValue(t, h.prom, "wavelink_scaler_panic_mode", "busy"); got != 1 {
		t.Fatalf("panic gauge %v, want 1 (30 queued, nothing ready)", got)
	}
}

func TestScaleToZeroAfterTheGrace(t *testing.T) {
	h := newHarness(t, true)
	h.deploy("short", 1, 0, 5)
	cfg := h.config()
	cfg.Params = shortParams()
	s := h.newScaler(cfg, h.cache())
	h.run(s)

	h.invoke("short", 3)
	h.mgr.awaitScale(t, "short")
	h.awaitCounts(s, "short", 3, 0)
	h.awaitQueued("short", 3)
	if err := h.tick(s, tick); err != nil {
		t.Fatal(err)
	}
	if n, _ := h.mgr.lastFor("short"); n < 1 {
		t.Fatalf("with 3 queued: Scale(%d), want at least 1", n)
	}
	h.serve("short", 3)
	h.awaitCounts(s, "short", 0, 3)
	if err := h.tick(s, tick); err != nil { // counts the completions: the last work
		t.Fatal(err)
	}
	lastWork := h.clock.Now()
	for {
		if err := h.tick(s, tick); err != nil {
			t.Fatal(err)
		}
		idle := h.clock.Now().Sub(lastWork)
		n, _ := h.mgr.lastFor("short")
		if n == 0 && idle < cfg.Params.ScaleToZeroGrace {
			t.Fatalf("scaled to zero after %s idle, before the %s grace", idle, cfg.Params.ScaleToZeroGrace)
		}
		if idle >= cfg.Params.ScaleToZeroGrace {
			if n != 0 {
				t.Fatalf("%s idle: Scale(%d), want 0", idle, n)
			}
			break
		}
	}
	if got, ok := metricValue(t, h.prom, "wavelink_scaler_desired_instances", "short"); !ok || got != 0 {
		t.Fatalf("desired gauge %v, want 0", got)
	}
}

func TestBoundsFromTheSpec(t *testing.T) {
	h := newHarness(t, true)
	h.deploy("bounded", 1, 2, 3)
	s := h.newScaler(h.config(), h.cache())
	h.run(s)

	if err := h.tick(s, tick); err != nil {
		t.Fatal(err)
	}
	if n, _ := h.mgr.lastFor("bounded"); n != 2 {
		t.Fatalf("idle with min 2: Scale(%d), want 2", n)
	}
	h.invoke("bounded", 50)
	h.awaitCounts(s, "bounded", 50, 0)
	h.awaitQueued("bounded", 50)
	for range 5 {
		if err := h.tick(s, tick); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range h.mgr.callsFor("bounded") {
		if n < 2 || n > 3 {
			t.Fatalf("Scale calls %v leave [2, 3]", h.mgr.callsFor("bounded"))
		}
	}
	if n, _ := h.mgr.lastFor("bounded"); n != 3 {
		t.Fatalf("50 queued with max 3: Scale(%d), want 3", n)
	}
}

func TestDrainingKeepsInstancesUntilTheQueueIsEmpty(t *testing.T) {
	h := newHarness(t, true)
	spec := h.deploy("leaving", 1, 1, 4)
	specs := &staticSpecs{}
	specs.set(spec)
	s := h.newScaler(h.config(), specs)
	h.run(s)

	h.invoke("leaving", 4)
	h.awaitCounts(s, "leaving", 4, 0)
	h.awaitQueued("leaving", 4)
	if err := h.tick(s, tick); err != nil {
		t.Fatal(err)
	}
	before, _ := h.mgr.lastFor("leaving")
	if before < 2 {
		t.Fatalf("with 4 queued: Scale(%d), want at least 2", before)
	}
	spec.Draining = true
	specs.set(spec)
	for range 40 { // far past the stable window: only the queue holds it
		if err := h.tick(s, tick); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := h.mgr.lastFor("leaving"); n != before {
		t.Fatalf("draining with work queued: Scale(%d), want %d kept", n, before)
	}
	h.serve("leaving", 4)
	if err := h.tick(s, tick); err != nil {
		t.Fatal(err)
	}
	if n, _ := h.mgr.lastFor("leaving"); n != 0 {
		t.Fatalf("draining with an empty queue: Scale(%d), want 0 (min does not apply)", n)
	}
}

func TestRemovedFunctionGoesToZero(t *testing.T) {
	h := newHarness(t, true)
	spec := h.deploy("gone", 1, 2, 4)
	specs := &staticSpecs{}
	specs.set(spec)
	reg := prometheus.NewRegistry()
	cfg := h.config()
	cfg.Registerer = reg
	s := h.newScaler(cfg, specs)
	if err := h.tick(s, tick); err != nil {
		t.Fatal(err)
	}
	if n, _ := h.mgr.lastFor("gone"); n != 2 {
		t.Fatalf("Scale(%d), want 2", n)
	}
	if c := seriesCount(t, reg, "wavelink_scaler_desired_instances"); c != 1 {
		t.Fatalf("%d desired series, want 1", c)
	}
	specs.set()
	if err := h.tick(s, tick); err != nil {
		t.Fatal(err)
	}
	if n, _ := h.mgr.lastFor("gone"); n != 0 {
		t.Fatalf("removed function: Scale(%d), want 0", n)
	}
	if c := seriesCount(t, reg, "wavelink_scaler_desired_instances"); c != 0 {
		t.Fatalf("%d desired series after removal, want 0", c)
	}
}

func TestRemovedFunctionRetriesTheScaleToZero(t *testing.T) {
	h := newHarness(t, true)
	spec := h.deploy("gone", 1, 2, 4)
	specs := &staticSpecs{}
	specs.set(spec)
	s := h.newScaler(h.config(), specs)
	if err := h.tick(s, tick); err != nil {
		t.Fatal(err)
	}
	if n, _ := h.mgr.lastFor("gone"); n != 2 {
		t.Fatalf("Scale(%d), want 2", n)
	}
	specs.set()
	h.mgr.setFail("gone", errors.New("api server unavailable"))
	if err := h.tick(s, tick); err == nil || !containsAll(err.Error(), "gone", "api server unavailable") {
		t.Fatalf("tick error %v, want the failed scale to zero named", err)
	}
	h.mgr.setFail("gone", nil)
	if err := h.tick(s, tick); err != nil {
		t.Fatal(err)
	}
	if n, _ := h.mgr.lastFor("gone"); n != 0 {
		t.Fatalf("removed function after a failed scale to zero: last Scale(%d), want the retry with 0", n)
	}
	if c := seriesCount(t, h.prom, "wavelink_scaler_desired_instances"); c != 0 {
		t.Fatalf("%d desired series after removal, want 0", c)
	}
}

func TestOnlyActiveQueuesAreRead(t *testing.T) {
	h := newHarness(t, false)
	specs := &staticSpecs{}
	var all []registry.Spec
	for _, name := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		all = append(all, h.deploy("idle-"+name, 10, 0, 5))
	}
	specs.set(all...)
	js := &countingJS{JetStream: h.env.JS}
	s, err := New(Config{Clock: h.clock, IdleSweep: -1}, h.env.NC, js, specs, h.mgr)
	if err != nil {
		t.Fatal(err)
	}
	h.run(s)

	tests := []struct {
		name  string
		setup func()
		want  int64
	}{
		{"the first tick reads every queue once", func() {}, 8},
		{"idle functions are not read", func() {}, 0},
		{"an arrival makes its function active", func() {
			h.invoke("idle-c", 1)
			h.awaitCounts(s, "idle-c", 1, 0)
		}, 1},
		{"a function with instances stays active", func() {}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.setup()
			before := js.lookups.Load()
			if err := h.tick(s, tick); err != nil {
				t.Fatal(err)
			}
			if got := js.lookups.Load() - before; got != tc.want {
				t.Fatalf("%d queue reads, want %d", got, tc.want)
			}
		})
	}

	t.Run("the idle sweep reads a few idle queues per tick", func(t *testing.T) {
		s, err := New(Config{Clock: h.clock, IdleSweep: 3}, h.env.NC, js, specs, newFakeManager(false))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Tick(h.ctx, h.clock.Advance(tick)); err != nil { // startup: all
			t.Fatal(err)
		}
		before := js.lookups.Load()
		if err := s.Tick(h.ctx, h.clock.Advance(tick)); err != nil {
			t.Fatal(err)
		}
		// idle-c still holds its invocation, so it is read too.
		if got := js.lookups.Load() - before; got != 1+3 {
			t.Fatalf("%d queue reads, want 1 active and 3 swept", got)
		}
	})
}

func TestReassertAndRetry(t *testing.T) {
	h := newHarness(t, true)
	spec := h.deploy("steady", 1, 1, 4)
	specs := &staticSpecs{}
	specs.set(spec)
	cfg := h.config()
	cfg.ReassertEvery = 3
	s := h.newScaler(cfg, specs)

	if err := h.tick(s, tick); err != nil {
		t.Fatal(err)
	}
	for range 6 {
		if err := h.tick(s, tick); err != nil {
			t.Fatal(err)
		}
	}
	if calls := h.mgr.callsFor("steady"); len(calls) != 3 {
		t.Fatalf("Scale calls %v over 7 ticks with re-assert every 3, want [1 1 1]", calls)
	}

	h.mgr.setFail("steady", errors.New("api server unavailable"))
	spec.MinInstances = 2
	specs.set(spec)
	err := h.tick(s, tick)
	if err == nil || !containsAll(err.Error(), "steady", "api server unavailable") {
		t.Fatalf("tick error %v, want the failed Scale named", err)
	}
	h.mgr.setFail("steady", nil)
	if err := h.tick(s, tick); err != nil {
		t.Fatal(err)
	}
	if n, _ := h.mgr.lastFor("steady"); n != 2 {
		t.Fatalf("after the failure: Scale(%d), want the retry with 2", n)
	}
}

func TestBadSpecIsReportedNotFatal(t *testing.T) {
	h := newHarness(t, false)
	good := h.deploy("good", 1, 1, 2)
	bad := registry.Spec{Name: "bad", Concurrency: 0, MaxInstances: 1}
	specs := &staticSpecs{}
	specs.set(bad, good)
	var logs bytes.Buffer
	cfg := h.config()
	cfg.Logger = zerolog.New(&logs)
	s := h.newScaler(cfg, specs)
	err := h.tick(s, tick)
	if !errors.Is(err, policy.ErrInvalidLimits) || !strings.Contains(err.Error(), "bad") {
		t.Fatalf("tick error %v, want ErrInvalidLimits naming the function", err)
	}
	if n, _ := h.mgr.lastFor("good"); n != 1 {
		t.Fatalf("the good function got Scale(%d), want 1 despite the bad one", n)
	}
	if err := h.tick(s, tick); err == nil {
		t.Fatal("second tick with a bad spec returned no error")
	}
	if c := strings.Count(logs.String(), "cannot decide"); c != 1 {
		t.Fatalf("the same bad spec was logged %d times over two ticks, want once", c)
	}
	if !containsAll(logs.String(), `"component":"scaler"`, `"function":"good"`, `"to":1`) {
		t.Fatalf("no scale line with component and function fields in:\n%s", logs.String())
	}
}

func TestMetricsRegistration(t *testing.T) {
	h := newHarness(t, false)
	reg := prometheus.NewRegistry()
	cfg := h.config()
	cfg.Registerer = reg
	specs := &staticSpecs{}
	specs.set(h.deploy("m", 1, 1, 2))
	s := h.newScaler(cfg, specs)
	h.mgr.setReady("m", 1)
	if err := h.tick(s, tick); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{
		"wavelink_scaler_desired_instances", "wavelink_scaler_ready_instances",
		"wavelink_scaler_panic_mode", "wavelink_scaler_tick_seconds",
	} {
		if seriesCount(t, reg, name) != 1 {
			t.Errorf("metric %s not exported", name)
		}
	}
	if _, err := New(cfg, h.env.NC, h.env.JS, specs, h.mgr); err == nil || !strings.Contains(err.Error(), "already registered") {
		t.Fatalf("a second Scaler on the same registry: %v, want an error", err)
	}
}

func TestRunStopsAndRefusesASecondRun(t *testing.T) {
	h := newHarness(t, false)
	s := h.newScaler(h.config(), &staticSpecs{})
	ctx, cancel := context.WithCancel(h.ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	<-h.clock.made
	if err := s.Run(ctx); !errors.Is(err, ErrAlreadyRunning) {
		t.Fatalf("second Run: %v, want ErrAlreadyRunning", err)
	}
	// A tick from the ticker runs the loop.
	h.clock.mu.Lock()
	tk := h.clock.tickers[0]
	h.clock.mu.Unlock()
	tk.c <- h.clock.Advance(tick)
	deadline := time.Now().Add(wait)
	for {
		s.mu.Lock()
		ticks := s.tickNo
		s.mu.Unlock()
		if ticks == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d ticks ran after one from the ticker, want 1", ticks)
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(wait):
		t.Fatal("Run did not return after its context ended")
	}
	if !tk.stopped.Load() {
		t.Fatal("Run left its ticker running")
	}
}
