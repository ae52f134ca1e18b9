package scaler

import (
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"

	"github.com/wavelink/wavelink/schemas"
	"github.com/wavelink/wavelink/services/scaler/expedite"
	"github.com/wavelink/wavelink/streams"
)

func TestBurstAskedOnceForTheSameBacklog(t *testing.T) {
	h := newHarness(t, false)
	h.deploy("wide", 10, 0, 50)
	var logs logBuffer
	cfg := h.burstConfig(ModeWavelink)
	cfg.Logger = zerolog.New(&logs)
	s := h.newScaler(cfg, h.cache())
	h.run(s)
	w := h.wavelet("node-a", acceptAll)
	h.putStatus(s, status("node-a", h.clock.Now(), 8, 4096, nil, nil))

	// Concurrency 10: five arrivals need one instance; the first arrival
	// asks for it and the next four count it.
	h.invoke("wide", 5)
	req := w.await(t)
	if req.Function != "wide" || req.Count != 1 || req.IdleTimeout != 0 || req.MaxLifetime != 0 {
		t.Fatalf("burst request %+v, want 1 instance of wide with the Wavelet's lifetimes", req)
	}
	h.awaitCounts(s, "wide", 5, 0)
	h.awaitMetric("wavelink_scaler_burst_instances_accepted_total", "wide", 1)
	h.awaitQueued("wide", 5)
	if err := h.tick(s, tick); err != nil { // reads the queue: 5
		t.Fatal(err)
	}
	h.putStatus(s, status("node-a", h.clock.Now(), 8, 4096, map[string]int{"wide": 1}, nil))
	// Up to 10 outstanding, the same instance serves.
	h.invoke("wide", 5)
	h.awaitCounts(s, "wide", 5, 0)
	if got := w.asked("wide"); got != 1 {
		t.Fatalf("%d instances asked for a backlog one instance serves, want 1", got)
	}
	// The eleventh needs a second one.
	h.invoke("wide", 1)
	if req := w.await(t); req.Count != 1 {
		t.Fatalf("burst request %+v, want 1 more instance", req)
	}
	h.awaitMetric("wavelink_scaler_burst_requests_total", "wide", 2)
	for name, want := range map[string]float64{
		"wavelink_scaler_burst_instances_asked_total":    2,
		"wavelink_scaler_burst_instances_accepted_total": 2,
		"wavelink_scaler_burst_instances_refused_total":  0,
	} {
		if got, _ := metricValue(t, h.prom, name, "wide"); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if err := h.tick(s, tick); err != nil {
		t.Fatal(err)
	}
	if got, _ := metricValue(t, h.prom, "wavelink_scaler_emergency_instances", "wide"); got != 1 {
		t.Fatalf("emergency instances gauge %v, want 1 as the node reported", got)
	}
	if c := strings.Count(logs.String(), `"message":"burst"`); c != 2 ||
		!containsAll(logs.String(), `"function":"wide"`, `"node":"node-a"`, `"asked":1`, `"accepted":1`) {
		t.Fatalf("want one info line per burst request with function, node, asked and accepted; logs:\n%s", logs.String())
	}
}

func TestBurstAsksForEveryInstanceTheBacklogNeeds(t *testing.T) {
	h := newHarness(t, false)
	h.deploy("narrow", 1, 0, 50)
	s := h.newScaler(h.burstConfig(ModeWavelink), h.cache())
	h.run(s)
	w := h.wavelet("node-a", acceptAll)
	h.putStatus(s, status("node-a", h.clock.Now(), 32, 8192, nil, nil))

	h.invoke("narrow", 12)
	h.awaitCounts(s, "narrow", 12, 0)
	h.awaitMetric("wavelink_scaler_burst_instances_accepted_total", "narrow", 12)
	if got := w.asked("narrow"); got != 12 {
		t.Fatalf("%d instances asked for 12 arrivals at concurrency 1, want 12", got)
	}
	if calls := h.mgr.callsFor("narrow"); len(calls) != 0 {
		t.Fatalf("the cluster manager was asked %v while the Wavelet took the burst", calls)
	}
}

func TestPlacementPrefersPoolNodes(t *testing.T) {
	h := newHarness(t, false)
	h.deploy("pooled", 1, 0, 50)
	s := h.newScaler(h.burstConfig(ModeWavelink), h.cache())
	h.run(s)
	big := h.wavelet("node-big", acceptAll)
	warm := h.wavelet("node-warm", acceptAll)
	h.putStatus(s, status("node-big", h.clock.Now(), 16, 8192, nil, nil))
	h.putStatus(s, status("node-warm", h.clock.Now(), 2, 8192, nil, map[string]int{"pooled": 1}))

	h.invoke("pooled", 1)
	if req := warm.await(t); req.Count != 1 {
		t.Fatalf("pool node asked %+v, want 1", req)
	}
	h.awaitMetric("wavelink_scaler_burst_instances_accepted_total", "pooled", 1)
	// Its pool entry is taken: the next goes to the most free slots.
	h.invoke("pooled", 1)
	if req := big.await(t); req.Count != 1 {
		t.Fatalf("node with the most free slots asked %+v, want 1", req)
	}
	if n := len(warm.requests()); n != 1 {
		t.Fatalf("pool node got %d requests, want 1", n)
	}
}

func TestNoWaveletFallsBackToTheRegularPoke(t *testing.T) {
	tests := []struct {
		name  string
		setup func(h *harness, s *Scaler) *fakeWavelet
	}{
		{"no nodes", func(h *harness, s *Scaler) *fakeWavelet { return nil }},
		{"the only node refuses", func(h *harness, s *Scaler) *fakeWavelet {
			w := h.wavelet("node-full", refuseAll)
			h.putStatus(s, status("node-full", h.clock.Now(), 4, 4096, nil, nil))
			return w
		}},
		{"the only node does not answer", func(h *harness, s *Scaler) *fakeWavelet {
			h.putStatus(s, status("node-dead", h.clock.Now(), 4, 4096, nil, nil))
			return nil
		}},
		{"the only node cannot read the request", func(h *harness, s *Scaler) *fakeWavelet {
			sub, err := h.env.NC.Subscribe(streams.BurstSubject("node-odd"), func(m *nats.Msg) {
				reply := nats.NewMsg(m.Reply)
				reply.Header.Set(streams.HeaderRefused, "bad burst request")
				_ = m.RespondMsg(reply)
			})
			if err != nil {
				h.t.Fatal(err)
			}
			h.t.Cleanup(func() { _ = sub.Unsubscribe() })
			h.putStatus(s, status("node-odd", h.clock.Now(), 4, 4096, nil, nil))
			return nil
		}},
		{"no node has room", func(h *harness, s *Scaler) *fakeWavelet {
			w := h.wavelet("node-small", acceptAll)
			h.putStatus(s, status("node-small", h.clock.Now(), 4, 64, nil, nil)) // 64 MB < 128 MB
			return w
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, false)
			h.deploy("lonely", 1, 0, 5)
			cfg := h.burstConfig(ModeWavelink)
			cfg.BurstTimeout = 200 * time.Millisecond
			s := h.newScaler(cfg, h.cache())
			h.run(s)
			w := tc.setup(h, s)

			h.invoke("lonely", 3)
			if n := h.mgr.awaitScale(t, "lonely"); n != 1 {
				t.Fatalf("fallback poke asked for %d, want 1", n)
			}
			h.awaitMetric("wavelink_scaler_burst_fallbacks_total", "lonely", 1)
			if w != nil {
				if got := w.asked("lonely"); got > 3 {
					t.Fatalf("%d instances asked of the Wavelet for 3 arrivals", got)
				}
			}
			// The regular track keeps serving it: no rarity rule while it
			// relies on the fallback.
			if err := h.tick(s, tick); err != nil {
				t.Fatal(err)
			}
			if n, _ := h.mgr.lastFor("lonely"); n < 1 {
				t.Fatalf("after the fallback a tick asked for %d regular instances, want at least 1", n)
			}
		})
	}
}

func TestAsyncModeAsksNoBursts(t *testing.T) {
	h := newHarness(t, false)
	h.deploy("classic", 1, 0, 5)
	s := h.newScaler(h.config(), h.cache()) // ModeAsync
	h.run(s)
	w := h.wavelet("node-a", acceptAll)
	kvStatus(h, status("node-a", h.clock.Now(), 8, 4096, nil, nil))

	h.invoke("classic", 4)
	if n := h.mgr.awaitScale(t, "classic"); n != 1 {
		t.Fatalf("poke asked for %d, want 1", n)
	}
	h.awaitCounts(s, "classic", 4, 0)
	if err := h.tick(s, tick); err != nil {
		t.Fatal(err)
	}
	// The arrival path is synchronous: with every arrival counted, its
	// decisions are made.
	for i := range 10 {
		s.onArrival("classic", h.clock.Now().Add(time.Duration(i)))
	}
	if job, ok := s.bursts.next(1000); ok {
		t.Fatalf("async mode queued burst work %+v", job)
	}
	if n := s.fleet.size(); n != 0 {
		t.Fatalf("async mode watched %d nodes, want none", n)
	}
	if len(w.requests()) != 0 {
		t.Fatalf("async mode sent burst requests %+v", w.requests())
	}
}

// kvStatus writes a node status without waiting for a scaler to see it.
func kvStatus(h *harness, st schemas.NodeStatus) {
	h.t.Helper()
	kv, err := h.env.JS.KeyValue(h.ctx, "wl_nodes")
	if err != nil {
		h.t.Fatal(err)
	}
	b, err := schemas.EncodeNodeStatusJSON("/wavelet/"+st.Node, st.Node+"-x", st)
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := kv.Put(h.ctx, st.Node, b); err != nil {
		h.t.Fatal(err)
	}
}

func TestSyncModeScalesPerArrivalAndAfterTheKeepAlive(t *testing.T) {
	h := newHarness(t, true)
	h.deploy("lambda", 1, 0, 5)
	cfg := h.config()
	cfg.Mode = ModeSync
	cfg.KeepAlive = 10 * time.Second
	s := h.newScaler(cfg, h.cache())
	h.run(s)

	// Three arrivals at zero: each finds no free instance and asks for one
	// more, without a tick.
	h.invoke("lambda", 3)
	deadline := time.Now().Add(wait)
	for n, _ := h.mgr.lastFor("lambda"); n != 3; n, _ = h.mgr.lastFor("lambda") {
		if time.Now().After(deadline) {
			t.Fatalf("Scale calls %v after 3 arrivals, want them to reach 3", h.mgr.callsFor("lambda"))
		}
		time.Sleep(time.Millisecond)
	}
	calls := h.mgr.callsFor("lambda")
	for i := 1; i < len(calls); i++ {
		if calls[i] <= calls[i-1] {
			t.Fatalf("Scale calls %v, want each arrival to add instances", calls)
		}
	}
	s.mu.Lock()
	ticks := s.tickNo
	s.mu.Unlock()
	if ticks != 0 {
		t.Fatalf("%d ticks ran; the scale-up must not wait for one", ticks)
	}
	if got, _ := metricValue(t, h.prom, "wavelink_scaler_sync_scale_ups_total", ""); got < 1 {
		t.Fatalf("sync scale-ups metric %v, want at least 1", got)
	}

	h.serve("lambda", 3)
	h.awaitCounts(s, "lambda", 3, 3)
	h.awaitQueued("lambda", 0)
	if err := h.tick(s, tick); err != nil { // corrects the estimate: nothing outstanding
		t.Fatal(err)
	}
	// A new arrival finds a free instance: no scale-up. The next tick
	// sees it: the instance it used was last used then.
	n := len(h.mgr.callsFor("lambda"))
	s.onArrival("lambda", h.clock.Now())
	lastUse := h.clock.Now().Add(tick)
	if g := s.signals.get("lambda").grows.Load(); g != 0 {
		t.Fatalf("an arrival with 3 idle instances asked for %d more", g)
	}
	if got := len(h.mgr.callsFor("lambda")); got != n {
		t.Fatalf("Scale calls %v after an arrival that found a free instance", h.mgr.callsFor("lambda"))
	}

	// The instances stay for the keep-alive after they were last needed,
	// the one used last for the keep-alive after that use, then go.
	lastNeed := t0
	for h.clock.Now().Sub(lastUse) <= cfg.KeepAlive+2*tick {
		if err := h.tick(s, tick); err != nil {
			t.Fatal(err)
		}
		idle := h.clock.Now().Sub(lastNeed)
		last, _ := h.mgr.lastFor("lambda")
		if idle < cfg.KeepAlive && last != 3 {
			t.Fatalf("%s after the last need: Scale(%d), want 3 kept", idle, last)
		}
		if idle > cfg.KeepAlive+time.Second && last > 1 {
			t.Fatalf("%s after the last need: Scale(%d), want at most the one used last past the %s keep-alive", idle, last, cfg.KeepAlive)
		}
		if unused := h.clock.Now().Sub(lastUse); unused > cfg.KeepAlive+time.Second && last != 0 {
			t.Fatalf("%s after the last use: Scale(%d), want 0 past the %s keep-alive", unused, last, cfg.KeepAlive)
		}
	}
}

func TestFastpathModeTakesEveryInstanceFromWavelets(t *testing.T) {
	h := newHarness(t, true)
	h.deploy("dirigent", 1, 1, 10)
	cfg := h.burstConfig(ModeFastpath)
	cfg.KeepAlive = 45 * time.Second
	s := h.newScaler(cfg, h.cache())
	h.run(s)
	w := h.wavelet("node-a", acceptAll)
	h.putStatus(s, status("node-a", h.clock.Now(), 8, 4096, nil, nil))

	h.invoke("dirigent", 3)
	h.awaitCounts(s, "dirigent", 3, 0)
	h.awaitMetric("wavelink_scaler_burst_instances_accepted_total", "dirigent", 3)
	for _, req := range w.requests() {
		if req.IdleTimeout != cfg.KeepAlive || req.MaxLifetime != FastpathMaxLifetime {
			t.Fatalf("burst request %+v, want idle timeout %s and max lifetime %s", req, cfg.KeepAlive, FastpathMaxLifetime)
		}
	}
	for range 10 {
		if err := h.tick(s, tick); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range h.mgr.callsFor("dirigent") {
		if n != 0 {
			t.Fatalf("fastpath asked the cluster manager for %v regular instances", h.mgr.callsFor("dirigent"))
		}
	}
	if got, _ := metricValue(t, h.prom, "wavelink_scaler_desired_instances", "dirigent"); got != 0 {
		t.Fatalf("desired gauge %v, want 0", got)
	}
}

func TestWavelinkRegularCountFollowsThePeak(t *testing.T) {
	h := newHarness(t, true)
	h.deploy("peaky", 1, 0, 50)
	cfg := h.burstConfig(ModeWavelink)
	cfg.Params = shortParams() // stable window 10 s, grace 30 s
	s := h.newScaler(cfg, h.cache())
	h.run(s)
	h.wavelet("node-a", acceptAll)
	h.putStatus(s, status("node-a", h.clock.Now(), 32, 8192, nil, nil))

	h.invoke("peaky", 7)
	h.awaitCounts(s, "peaky", 7, 0)
	h.awaitMetric("wavelink_scaler_burst_instances_accepted_total", "peaky", 7)
	h.awaitQueued("peaky", 7)
	if err := h.tick(s, tick); err != nil {
		t.Fatal(err)
	}
	// 7 outstanding at 70% of 1 per instance.
	if n, _ := h.mgr.lastFor("peaky"); n != 10 {
		t.Fatalf("with 7 outstanding: Scale(%d), want 10; calls %v", n, h.mgr.callsFor("peaky"))
	}
	h.serve("peaky", 7)
	h.awaitCounts(s, "peaky", 0, 7)
	h.awaitQueued("peaky", 0)
	peakAt := h.clock.Now()
	for h.clock.Now().Sub(peakAt) < cfg.Params.StableWindow-tick {
		if err := h.tick(s, tick); err != nil {
			t.Fatal(err)
		}
		if n, _ := h.mgr.lastFor("peaky"); n != 10 {
			t.Fatalf("%s after the peak: Scale(%d), want the peak's 10 held for the window", h.clock.Now().Sub(peakAt), n)
		}
		if got, _ := metricValue(t, h.prom, "wavelink_scaler_panic_mode", "peaky"); got != 0 {
			t.Fatal("panic mode in wavelink mode")
		}
	}
	for range 3 {
		if err := h.tick(s, tick); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := h.mgr.lastFor("peaky"); n != 1 {
		t.Fatalf("once the peak left the window: Scale(%d), want 1 (the grace)", n)
	}
}

func TestWavelinkRareFunctionGetsNoRegularInstances(t *testing.T) {
	h := newHarness(t, true)
	h.deploy("rare", 1, 0, 10)
	h.deploy("busy", 1, 0, 10)
	cfg := h.burstConfig(ModeWavelink)
	cfg.Expedite = expedite.Params{MaxPerRequest: 16, RareAfter: 10 * time.Second, RareLookback: time.Minute}
	var logs logBuffer
	cfg.Logger = zerolog.New(&logs)
	s := h.newScaler(cfg, h.cache())
	h.run(s)
	h.wavelet("node-a", acceptAll)
	h.putStatus(s, status("node-a", h.clock.Now(), 64, 1<<16, nil, nil))

	for range 15 { // observe both for 30 s
		if err := h.tick(s, tick); err != nil {
			t.Fatal(err)
		}
	}
	total := 0
	for range 3 { // busy: 5 arrivals a tick; rare: one in all
		h.invoke("busy", 5)
		total += 5
		h.awaitCounts(s, "busy", 5, 0)
		h.awaitQueued("busy", total)
		if err := h.tick(s, tick); err != nil {
			t.Fatal(err)
		}
	}
	h.invoke("rare", 1)
	h.awaitCounts(s, "rare", 1, 0)
	h.awaitMetric("wavelink_scaler_burst_instances_accepted_total", "rare", 1)
	h.awaitQueued("rare", 1)
	if err := h.tick(s, tick); err != nil {
		t.Fatal(err)
	}
	if n, _ := h.mgr.lastFor("busy"); n < 1 {
		t.Fatalf("busy function (%d arrivals in 6 s): Scale(%d), want regular instances", total, n)
	}
	if calls := h.mgr.callsFor("rare"); len(calls) != 0 {
		t.Fatalf("rare function (1 arrival in 38 s, rare above 10 s) got Scale calls %v, want none", calls)
	}
	if got, _ := metricValue(t, h.prom, "wavelink_scaler_desired_instances", "rare"); got != 0 {
		t.Fatalf("rare function's desired gauge %v with work queued, want 0: the expedited track serves it", got)
	}
}

// Work that no arrival announces (queued before the scaler ran, or delivered
// again after an instance died) still gets a burst, at the next tick.
func TestTickAsksForWorkNoArrivalAnnounced(t *testing.T) {
	h := newHarness(t, false)
	h.deploy("quiet", 2, 0, 50)
	h.invoke("quiet", 4) // before the scaler subscribes: no arrival reaches it
	h.awaitQueued("quiet", 4)
	s := h.newScaler(h.burstConfig(ModeWavelink), h.cache())
	h.run(s)
	w := h.wavelet("node-a", acceptAll)
	h.putStatus(s, status("node-a", h.clock.Now(), 8, 4096, nil, nil))
	if got := w.asked("quiet"); got != 0 {
		t.Fatalf("%d instances asked before any tick", got)
	}
	if err := h.tick(s, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	h.awaitMetric("wavelink_scaler_burst_instances_accepted_total", "quiet", 2)
	if got := w.asked("quiet"); got != 2 {
		t.Fatalf("%d instances asked for 4 queued invocations at concurrency 2, want 2", got)
	}
}
