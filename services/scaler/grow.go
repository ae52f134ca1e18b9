package scaler

import (
	"context"

	"github.com/wavelink/wavelink/services/scaler/policy"
)

// grow asks the cluster manager for the regular instances arrivals asked
// for since it last ran (ModeSync): one more per arrival that found none
// free, on top of the count last accepted, within the function's max. The
// need is recorded in the decider's window, so the instances stay for
// Config.KeepAlive after it. When Scale fails, the asks are kept for the
// next arrival's poke.
func (s *Scaler) grow(ctx context.Context, fn string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fs, ok := s.pokedState(fn)
	if !ok {
		return
	}
	g := int(fs.sig.grows.Swap(0))
	if g == 0 {
		return
	}
	from := max(fs.asked, 0)
	n, st, err := policy.Grow(s.syncParams, fs.policy, s.cfg.Clock.Now(), from+g, limitsOf(fs.spec))
	if err != nil {
		s.log.Error().Err(err).Str("function", fn).Msg("cannot grow")
		return
	}
	if n == fs.asked {
		fs.policy = st // at its max already
		return
	}
	if err := s.mgr.Scale(ctx, fs.spec, n); err != nil {
		s.metrics.scaleErrors.WithLabelValues(fn).Inc()
		s.log.Error().Err(err).Str("function", fn).Int("desired", n).Msg("scale up for an arrival failed")
		fs.sig.grows.Add(int64(g))
		return
	}
	fs.policy = st
	s.setAsked(fs, n)
	fs.gauges.desired.Set(float64(n))
	s.metrics.grows.Inc()
	s.log.Info().Str("function", fn).Int("from", from).Int("to", n).
		Str("reason", "arrival found no free instance").Msg("scale")
}
