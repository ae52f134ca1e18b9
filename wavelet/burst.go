package wavelet

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/wavelink/wavelink/schemas"
	"github.com/wavelink/wavelink/services/registry"
	"github.com/wavelink/wavelink/streams"
)

// serveBurst answers one burst request, once the instances it accepted are
// ready (or failed).
func (w *Wavelet) serveBurst(ctx context.Context, m *nats.Msg, received time.Time) {
	req, err := schemas.DecodeBurstNATS(m.Header, m.Data)
	if err != nil {
		w.metrics.bursts.WithLabelValues("bad").Inc()
		w.log.Warn().Err(err).Msg("bad burst request refused")
		reply := nats.NewMsg(m.Reply)
		reply.Header.Set(streams.HeaderRefused, "bad burst request: "+err.Error())
		_ = m.RespondMsg(reply)
		return
	}
	r := w.burst(ctx, req, received)
	outcome := "accepted"
	switch {
	case r.Accepted == 0:
		outcome = "refused"
	case r.Accepted < req.Count:
		outcome = "partial"
	}
	w.metrics.bursts.WithLabelValues(outcome).Inc()
	ev := w.log.Info()
	if r.Accepted < req.Count {
		ev = w.log.Warn()
	}
	ev.Str("function", req.Function).Int("asked", req.Count).Int("accepted", r.Accepted).
		Str("refused", r.Refused).Str("reason", req.Reason).
		Dur("took", time.Since(received)).Msg("burst request answered")
	b, err := schemas.EncodeBurstReply(r)
	if err != nil { // our own reply does not fit its schema: say so rather than go silent
		reply := nats.NewMsg(m.Reply)
		reply.Header.Set(streams.HeaderRefused, "reply cannot be encoded: "+err.Error())
		_ = m.RespondMsg(reply)
		return
	}
	_ = m.Respond(b)
}

// burst starts up to req.Count emergency instances of req.Function, from
// the pool first, and returns the reply once they are ready or failed.
func (w *Wavelet) burst(ctx context.Context, req schemas.BurstRequest, received time.Time) schemas.BurstReply {
	r := schemas.BurstReply{Node: w.cfg.Node, Function: req.Function}
	spec, ok := w.specs.Lookup(req.Function)
	if !ok {
		r.Refused = fmt.Sprintf("unknown function %q: it is not deployed", req.Function)
		return r
	}
	if spec.Draining {
		r.Refused = fmt.Sprintf("function %s is being removed", spec.Name)
		return r
	}
	if why := w.crashedRecently(spec.Name); why != "" {
		r.Refused = why
		return r
	}
	w.noteBurst(spec.Name, req.Count)
	if _, err := w.bundles.rootfs(ctx, spec.Package); err != nil && (w.containers || spec.Package.Kind() != "builtin") {
		w.noteCrash(spec.Name, "its package cannot be prepared: "+err.Error())
		r.Refused = "package of " + spec.Name + " cannot be prepared: " + err.Error()
		return r
	}
	pooled, generic, cold, short := w.reserve(spec, req.Count)
	if len(pooled)+len(generic) > 0 {
		select { // make up what was taken
		case w.refill <- struct{}{}:
		default:
		}
	}
	life := lifetimes{idle: w.cfg.IdleTimeout, max: w.cfg.MaxLifetime}
	if req.IdleTimeout > 0 {
		life.idle = req.IdleTimeout
	}
	if req.MaxLifetime > 0 {
		life.max = req.MaxLifetime
	}

	type result struct {
		id  string
		err error
	}
	results := make(chan result, len(pooled)+len(generic)+cold)
	var wg sync.WaitGroup
	for _, in := range pooled {
		wg.Go(func() {
			err := w.startPooled(ctx, in, life, received)
			results <- result{in.id, err}
		})
	}
	for _, in := range generic {
		wg.Go(func() {
			err := w.startGeneric(ctx, in, life, received)
			results <- result{in.id, err}
		})
	}
	for range cold {
		wg.Go(func() {
			id, err := w.startCold(ctx, spec, life, received)
			results <- result{id, err}
		})
	}
	wg.Wait()
	close(results)
	var failures []string
	for res := range results {
		if res.err != nil {
			failures = append(failures, res.err.Error())
			continue
		}
		r.Accepted++
		r.Instances = append(r.Instances, res.id)
	}
	var why []string
	if short != "" {
		why = append(why, short)
	}
	if len(failures) > 0 {
		why = append(why, fmt.Sprintf("%d instance(s) failed to start: %s", len(failures), failures[0]))
	}
	r.Refused = strings.Join(why, "; ")
	if len(r.Refused) > 1000 {
		r.Refused = r.Refused[:1000] + "…"
	}
	return r
}

// lifetimes are when a started instance retires.
type lifetimes struct {
	idle, max time.Duration
}

// reserve takes up to count of fn's pooled instances, then (for a
// built-in function) generic ones, and reserves slots and memory for cold
// ones, releasing other functions' pooled instances when the node is short.
// short says why fewer than count were granted.
func (w *Wavelet) reserve(spec registry.Spec, count int) (pooled, generic []*inst, cold int, short string) {
	mem := spec.MemoryMB + w.cfg.OverheadMB
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopping {
		return nil, nil, 0, "the Wavelet is stopping"
	}
	entries := w.pool[spec.Name]
	n := min(count, len(entries))
	pooled = append(pooled, entries[len(entries)-n:]...) // newest first: the oldest retire sooner
	w.pool[spec.Name] = entries[:len(entries)-n]
	for _, in := range pooled {
		w.insts[in.id] = in
	}
	rest := count - n
	if spec.Package.Kind() == "builtin" {
		key := specKey(spec)
		for rest > 0 && len(w.generics) > 0 {
			g := w.generics[len(w.generics)-1]
			if w.usedMB+mem-g.memMB > w.cfg.MemoryMB {
				break
			}
			w.generics = w.generics[:len(w.generics)-1]
			w.usedMB += mem - g.memMB
			g.memMB, g.fn, g.specKey = mem, spec.Name, key
			w.insts[g.id] = g
			generic = append(generic, g)
			rest--
		}
	}
	var evict []*inst
	fits := func() int {
		return min(rest, w.cfg.Slots-w.usedSlots, (w.cfg.MemoryMB-w.usedMB)/max(mem, 1))
	}
	for fits() < rest {
		victim := w.evictable(spec.Name)
		if victim == nil {
			break
		}
		evict = append(evict, victim)
		w.usedSlots--
		w.usedMB -= victim.memMB
	}
	cold = max(fits(), 0)
	w.usedSlots += cold
	w.usedMB += cold * mem
	if n+len(generic)+cold < count {
		if w.cfg.Slots-w.usedSlots <= 0 {
			short = fmt.Sprintf("node full: all %d emergency instance slots in use", w.cfg.Slots)
		} else {
			short = fmt.Sprintf("node out of memory: an instance of %s needs %d MiB, %d MiB of %d free",
				spec.Name, mem, w.cfg.MemoryMB-w.usedMB, w.cfg.MemoryMB)
		}
	}
	for _, in := range evict {
		w.log.Info().Str("function", in.fn).Str("instance", in.id).Str("for", spec.Name).Msg("pooled instance released for a burst")
		in.released = true
		in.stop()
	}
	return pooled, generic, cold, short
}

// evictable removes and returns the oldest pooled instance of a function
// other than fn, or nil. Called with w.mu held.
func (w *Wavelet) evictable(fn string) *inst {
	var victim *inst
	for name, entries := range w.pool {
		if name == fn || len(entries) == 0 {
			continue
		}
		if victim == nil || entries[0].created.Before(victim.created) {
			victim = entries[0]
		}
	}
	if victim != nil {
		w.pool[victim.fn] = w.pool[victim.fn][1:]
	}
	return victim
}

// startPooled lets a pooled instance go and waits until it pulls.
func (w *Wavelet) startPooled(ctx context.Context, in *inst, life lifetimes, received time.Time) error {
	if err := in.unpark(life); err != nil {
		in.stop()
		return err
	}
	if err := in.await(ctx, lineReady, w.cfg.ReadyTimeout); err != nil {
		in.stop()
		return err
	}
	w.nowRunning(in, "pool", life, received)
	return nil
}

// startGeneric gives a generic instance its function's memory limit and
// lets it go for that function, then waits until it pulls.
func (w *Wavelet) startGeneric(ctx context.Context, in *inst, life lifetimes, received time.Time) error {
	if err := in.sb.SetMemory(in.memMB); err != nil {
		in.stop()
		return fmt.Errorf("instance %s: memory limit: %w", in.id, err)
	}
	if err := in.unpark(life); err != nil {
		in.stop()
		return err
	}
	if err := in.await(ctx, lineReady, w.cfg.ReadyTimeout); err != nil {
		in.stop()
		return err
	}
	w.nowRunning(in, "generic", life, received)
	return nil
}

// startCold makes and starts a new instance and waits until it pulls. Its
// slot and memory are reserved already; they are given back on failure.
func (w *Wavelet) startCold(ctx context.Context, spec registry.Spec, life lifetimes, received time.Time) (string, error) {
	in, err := w.launch(ctx, spec, false, life)
	if err != nil {
		w.release(spec.MemoryMB + w.cfg.OverheadMB)
		w.log.Warn().Err(err).Str("function", spec.Name).Msg("emergency instance not started")
		return "", err
	}
	w.mu.Lock()
	w.insts[in.id] = in
	w.mu.Unlock()
	w.work.Go(func() { w.reap(in) })
	if err := in.await(ctx, lineReady, w.cfg.ReadyTimeout); err != nil {
		w.noteCrash(spec.Name, err.Error())
		in.stop()
		return in.id, err
	}
	w.nowRunning(in, "cold", life, received)
	return in.id, nil
}

// nowRunning records that in pulls, and arms its lifetime backstop: an
// instance that outlives its max lifetime by stopGrace is stopped, and
// destroyed stopGrace later.
func (w *Wavelet) nowRunning(in *inst, source string, life lifetimes, received time.Time) {
	now := time.Now()
	in.setRunning(source, now)
	took := now.Sub(received)
	w.metrics.spawn.WithLabelValues(source).Observe(took.Seconds())
	w.log.Info().Str("function", in.fn).Str("instance", in.id).Str("from", source).
		Float64("spawn_ms", float64(took.Microseconds())/1000).Msg("emergency instance pulling")
	if life.max > 0 {
		w.mu.Lock()
		in.backstop = time.AfterFunc(life.max+stopGrace, func() {
			in.stop()
			time.AfterFunc(stopGrace, func() { _ = in.sb.Destroy() })
		})
		w.mu.Unlock()
	}
}

// release gives back one instance's slot and memory.
func (w *Wavelet) release(memMB int) {
	w.mu.Lock()
	w.usedSlots--
	w.usedMB -= memMB
	w.mu.Unlock()
}

// noteCrash refuses fn for CrashBackoff, with reason.
func (w *Wavelet) noteCrash(fn, reason string) {
	w.mu.Lock()
	w.crashed[fn] = crash{until: time.Now().Add(w.cfg.CrashBackoff), reason: reason}
	w.mu.Unlock()
}

// crashedRecently says why fn is refused, or "".
func (w *Wavelet) crashedRecently(fn string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	c, ok := w.crashed[fn]
	if !ok {
		return ""
	}
	left := time.Until(c.until)
	if left <= 0 {
		delete(w.crashed, fn)
		return ""
	}
	return fmt.Sprintf("function %s failed to start on this node (%s); refused for another %s",
		fn, c.reason, left.Round(100*time.Millisecond))
}
