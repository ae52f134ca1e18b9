package scaler

import (
	"context"
	"sync"

	"github.com/wavelink/wavelink/services/registry"
	"github.com/wavelink/wavelink/services/scaler/policy"
)

// pokeQueue collects functions to poke. Adding never blocks; a function
// added many times before the poke goroutine wakes is poked once.
type pokeQueue struct {
	mu      sync.Mutex
	pending map[string]struct{}
	wake    chan struct{}
}

func newPokeQueue() *pokeQueue {
	return &pokeQueue{pending: map[string]struct{}{}, wake: make(chan struct{}, 1)}
}

func (q *pokeQueue) add(fn string) {
	q.mu.Lock()
	q.pending[fn] = struct{}{}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *pokeQueue) take() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]string, 0, len(q.pending))
	for fn := range q.pending {
		out = append(out, fn)
	}
	clear(q.pending)
	return out
}

// pokeLoop scales poked functions until ctx ends: from zero, or, in
// ModeSync, by the instances arrivals asked for.
func (s *Scaler) pokeLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.pokes.wake:
			for _, fn := range s.pokes.take() {
				if s.cfg.Mode == ModeSync {
					s.grow(ctx, fn)
				} else {
					s.poke(ctx, fn)
				}
			}
		}
	}
}

// pokedState returns the state of a poked function, loading specs
// deployed since the last tick, or false when fn is not deployed. s.mu must
// be held.
func (s *Scaler) pokedState(fn string) (*fnState, bool) {
	spec, ok := s.specByName[fn]
	if !ok {
		// Deployed since the last tick, or not deployed at all.
		s.refreshSpecs()
		if spec, ok = s.specByName[fn]; !ok {
			s.log.Debug().Str("function", fn).Msg("arrival for a function that is not deployed")
			return nil, false
		}
	}
	return s.state(spec), true
}

// poke asks for the function's first instance if its desired count is
// still zero.
func (s *Scaler) poke(ctx context.Context, fn string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fs, ok := s.pokedState(fn)
	if !ok {
		return
	}
	spec := fs.spec
	if fs.policy.Desired() > 0 {
		return
	}
	now := s.cfg.Clock.Now()
	n, st, err := policy.Poke(fs.policy, now, limitsOf(spec))
	if err != nil {
		s.log.Error().Err(err).Str("function", fn).Msg("cannot poke")
		return
	}
	if err := s.mgr.Scale(ctx, spec, n); err != nil {
		s.metrics.scaleErrors.WithLabelValues(fn).Inc()
		s.log.Error().Err(err).Str("function", fn).Int("desired", n).Msg("scale from zero failed")
		fs.sig.atZero.Store(true) // the next arrival tries again
		return
	}
	from := fs.asked
	fs.policy = st
	s.setAsked(fs, n)
	fs.gauges.desired.Set(float64(n))
	s.metrics.pokes.Inc()
	s.log.Info().Str("function", fn).Int("from", max(from, 0)).Int("to", n).
		Str("reason", "arrival at zero").Msg("scale")
}

// refreshSpecs reloads every spec into specByName. s.mu must be held.
func (s *Scaler) refreshSpecs() {
	for _, spec := range s.specs.All() {
		s.specByName[spec.Name] = spec
	}
}

// limitsOf are the policy's bounds from a spec.
func limitsOf(spec registry.Spec) policy.Limits {
	return policy.Limits{Concurrency: spec.Concurrency, MinInstances: spec.MinInstances, MaxInstances: spec.MaxInstances}
}
