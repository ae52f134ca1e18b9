package scaler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wavelink/wavelink/services/registry"
	"github.com/wavelink/wavelink/services/scaler/expedite"
	"github.com/wavelink/wavelink/services/scaler/policy"
)

// Tick decides every deployed function at now and calls Scale for those
// whose desired count changed or is due to be re-asserted, and scales
// removed functions to zero. Run calls it on each tick; tests call it with a
// fake time. Ticks are serialised. It returns the per-function failures (bad
// spec, unreadable queue, refused Scale) joined, after deciding every
// function it could.
func (s *Scaler) Tick(ctx context.Context, now time.Time) error {
	s.tickMu.Lock()
	defer s.tickMu.Unlock()
	start := s.cfg.Clock.Now()
	defer func() { s.metrics.tick.Observe(s.cfg.Clock.Now().Sub(start).Seconds()) }()

	if s.cfg.Mode.bursts() {
		for _, node := range s.fleet.prune(now) {
			s.log.Info().Str("node", node).Msg("Wavelet status expired")
		}
	}
	specs := s.specs.All()
	work, removeErr := s.gather(ctx, specs, now)
	toRead := make([]string, 0, len(work))
	for _, w := range work {
		if w.read {
			toRead = append(toRead, w.spec.Name)
		}
	}
	depths := s.readQueues(ctx, toRead)
	var reported map[string]int
	if s.cfg.Mode.bursts() {
		reported = s.fleet.reportedAll()
	}
	return errors.Join(removeErr, s.decide(ctx, now, work, depths, reported))
}

// item is one function's inputs to a tick.
type item struct {
	spec                  registry.Spec
	fs                    *fnState
	arrivals, completions int
	ready                 int
	read                  bool
}

// gather takes each function's counters and ready count, forgets removed
// functions and picks the queues to read. The error is that of forgetting
// removed functions.
func (s *Scaler) gather(ctx context.Context, specs []registry.Spec, now time.Time) ([]item, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tickNo++
	current := make(map[string]registry.Spec, len(specs))
	for _, spec := range specs {
		current[spec.Name] = spec
	}
	removeErr := s.forgetRemoved(ctx, current)
	s.specByName = current

	work := make([]item, len(specs))
	var idle []int
	for i, spec := range specs {
		fs := s.state(spec)
		it := item{spec: spec, fs: fs, ready: s.mgr.Ready(spec.Name)}
		if c, ok := s.signals.lookup(spec.Name); ok {
			it.arrivals, it.completions = c.take()
		}
		busy := it.arrivals > 0 || it.completions > 0 || fs.waiting > 0 || fs.inFlight > 0 ||
			it.ready > 0 || fs.policy.Desired() > 0 || spec.Draining
		if busy {
			fs.lastActive = now
		}
		it.read = !s.swept || busy || now.Sub(fs.lastActive) < s.cfg.ActiveFor
		if !it.read {
			idle = append(idle, i)
		}
		work[i] = it
	}
	s.swept = true
	// Read a few idle queues, round robin, in case an arrival was missed.
	if n := min(s.cfg.IdleSweep, len(idle)); n > 0 {
		for j := range n {
			work[idle[(s.sweepPos+j)%len(idle)]].read = true
		}
		s.sweepPos = (s.sweepPos + n) % len(idle)
	}
	return work, removeErr
}

// forgetRemoved drops the state of functions no longer deployed, and asks
// for zero instances of those it had asked instances for; a function whose
// Scale fails is kept, and tried again next tick. It returns those failures
// joined. s.mu must be held.
func (s *Scaler) forgetRemoved(ctx context.Context, current map[string]registry.Spec) error {
	var errs []error
	for fn, fs := range s.fns {
		if _, ok := current[fn]; ok {
			continue
		}
		if fs.asked > 0 {
			if err := s.mgr.Scale(ctx, fs.spec, 0); err != nil {
				s.metrics.scaleErrors.WithLabelValues(fn).Inc()
				s.log.Error().Err(err).Str("function", fn).Msg("scale a removed function to zero")
				errs = append(errs, fmt.Errorf("scaler: scale removed %s to 0: %w", fn, err))
				continue // try again next tick
			}
			s.log.Info().Str("function", fn).Int("from", fs.asked).Int("to", 0).Str("reason", "function removed").Msg("scale")
		}
		delete(s.fns, fn)
		s.metrics.forget(fn)
	}
	s.signals.retain(func(fn string) bool { _, ok := current[fn]; return ok })
	return errors.Join(errs...)
}

// state returns the function's state, creating it, and records spec as its
// latest. s.mu must be held.
func (s *Scaler) state(spec registry.Spec) *fnState {
	fs, ok := s.fns[spec.Name]
	if !ok {
		fs = &fnState{asked: -1, gauges: s.metrics.forFunction(spec.Name)}
		s.fns[spec.Name] = fs
	}
	fs.spec = spec
	// The counters are dropped with a removed function, so look them up
	// each time.
	fs.sig = s.signals.get(spec.Name)
	fs.sig.setSpec(spec)
	return fs
}

// setAsked records n as the count the cluster manager accepted. s.mu must
// be held.
func (s *Scaler) setAsked(fs *fnState, n int) {
	fs.asked, fs.askedTick = n, s.tickNo
	fs.sig.asked.Store(int64(n))
}

// decide runs the policy for every function and calls Scale where needed.
// reported holds the emergency instances the Wavelets report per function
// (nil in the modes without them).
func (s *Scaler) decide(ctx context.Context, now time.Time, work []item, depths []depth, reported map[string]int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	d := 0
	for _, it := range work {
		fs, name := it.fs, it.spec.Name
		if it.read {
			if q := depths[d]; q.err != nil {
				errs = append(errs, q.err) // keep the last reading
			} else {
				fs.waiting, fs.inFlight = q.waiting, q.inFlight
			}
			d++
		}
		if s.fns[name] != fs {
			continue // removed meanwhile
		}
		fs.sig.depth.Store(int64(fs.waiting + fs.inFlight))
		fs.sig.ready.Store(int64(it.ready))
		if s.cfg.Mode.bursts() && fs.waiting > 0 && !it.spec.Draining {
			// Work waits that no arrival will prompt a burst for: delivered
			// again after an instance died, or announced by a lost notice.
			s.bursts.decideAgain(name)
		}
		obs := policy.Observation{
			Waiting: fs.waiting, InFlight: fs.inFlight,
			Arrivals: it.arrivals, Completions: it.completions,
			Ready: it.ready, Draining: it.spec.Draining,
			Limits: limitsOf(it.spec),
		}
		dec, st, err := s.decideOne(now, it, obs)
		if err != nil {
			err = fmt.Errorf("scaler: %s: %w", name, err)
			if msg := err.Error(); msg != fs.lastErr {
				fs.lastErr = msg
				s.log.Error().Err(err).Str("function", name).Msg("cannot decide")
			}
			errs = append(errs, err)
			continue
		}
		fs.lastErr = ""
		fs.policy = st
		fs.gauges.desired.Set(float64(dec.Desired))
		fs.gauges.ready.Set(float64(it.ready))
		fs.gauges.panicking.Set(boolGauge(dec.Panic))
		if s.cfg.Mode.bursts() {
			fs.gauges.emergency.Set(float64(reported[name]))
		}
		fs.sig.atZero.Store(dec.Desired == 0)
		if err := s.apply(ctx, it, dec, obs); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// apply sends the decision to the cluster manager when it changed or is due
// again, and logs what changed. s.mu must be held.
func (s *Scaler) apply(ctx context.Context, it item, dec policy.Decision, obs policy.Observation) error {
	fs, name := it.fs, it.spec.Name
	known := fs.asked
	if known < 0 {
		known = it.ready // before the first Scale, what runs is what was asked
	}
	changed := dec.Desired != known
	due := fs.asked >= 0 && s.tickNo-fs.askedTick >= uint64(s.cfg.ReassertEvery) &&
		(dec.Desired > 0 || it.ready != dec.Desired)
	if changed || due {
		if err := s.mgr.Scale(ctx, it.spec, dec.Desired); err != nil {
			s.metrics.scaleErrors.WithLabelValues(name).Inc()
			s.log.Error().Err(err).Str("function", name).Int("desired", dec.Desired).Msg("scale failed")
			return fmt.Errorf("scaler: scale %s to %d: %w", name, dec.Desired, err)
		}
		s.setAsked(fs, dec.Desired)
	}
	if changed || dec.Panic != fs.panicking {
		s.log.Info().Str("function", name).Int("from", known).Int("to", dec.Desired).
			Bool("panic", dec.Panic).Str("reason", dec.Reason).
			Int("queued", obs.Concurrency()).Int("ready", it.ready).
			Float64("stable", dec.StableConcurrency).Float64("burst", dec.PanicConcurrency).
			Msg("scale")
	}
	fs.panicking = dec.Panic
	return nil
}

// decideOne runs the mode's decider for one function. s.mu must be held.
//   - ModeAsync: the KPA decider.
//   - ModeSync: the peak decider over the keep-alive, utilisation 1.
//   - ModeWavelink: the peak decider; a rare function gets no regular
//     instances beyond its minimum, unless no Wavelet could take its work.
//   - ModeFastpath: none at all, unless no Wavelet could take its work;
//     then the peak decider, so the regular track serves it.
func (s *Scaler) decideOne(now time.Time, it item, obs policy.Observation) (policy.Decision, policy.State, error) {
	fs := it.fs
	switch s.cfg.Mode {
	case ModeAsync:
		return policy.Decide(s.cfg.Params, fs.policy, now, obs)
	case ModeSync:
		return policy.DecidePeak(s.syncParams, fs.policy, now, obs)
	case ModeFastpath:
		if !fs.sig.fellBack.Load() {
			obs.Expedited = true
			obs.Limits.MinInstances = 0
		}
		dec, st, err := policy.DecidePeak(s.cfg.Params, fs.policy, now, obs)
		if obs.Expedited && err == nil {
			dec.Reason = "fastpath: every instance comes from Wavelets"
		}
		return dec, st, err
	}
	arrivals, err := fs.arrivals.Record(s.cfg.Expedite, now, it.arrivals)
	if err != nil {
		return policy.Decision{}, fs.policy, err
	}
	fs.arrivals = arrivals
	rare := expedite.Rare(s.cfg.Expedite, arrivals, now)
	obs.Expedited = rare && !fs.sig.fellBack.Load()
	dec, st, err := policy.DecidePeak(s.cfg.Params, fs.policy, now, obs)
	if obs.Expedited && err == nil {
		mean, ok := arrivals.MeanInterArrival(now)
		if ok {
			dec.Reason = fmt.Sprintf("rare: mean inter-arrival %s above %s (%s)", mean.Round(time.Second), s.cfg.Expedite.RareAfter, dec.Reason)
		} else {
			_, span := arrivals.Observed(now)
			dec.Reason = fmt.Sprintf("rare: no arrival in %s (%s)", span.Round(time.Second), dec.Reason)
		}
	}
	return dec, st, err
}
