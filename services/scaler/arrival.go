package scaler

import (
	"time"

	"github.com/wavelink/wavelink/services/scaler/expedite"
)

// onArrival is the per-arrival path: it runs in the NATS callback once per
// stored invocation of fn, so it never blocks nor waits on the cluster
// manager or a Wavelet. It counts the arrival for the next tick, then, by
// mode:
//   - ModeAsync: when fn's desired count is zero, hands fn to the poke
//     goroutine, which asks for an instance at once;
//   - ModeSync: when fn's estimated outstanding work exceeds its requested
//     regular instances × concurrency, hands the poke goroutine a request
//     for one more instance;
//   - ModeWavelink and ModeFastpath: makes fn's burst decision and queues
//     the burst requests for the senders (see expedite).
//
// now is the arrival's time.
func (s *Scaler) onArrival(fn string, now time.Time) {
	c := s.signals.get(fn)
	c.arrivals.Add(1)
	switch s.cfg.Mode {
	case ModeAsync:
		if c.atZero.CompareAndSwap(true, false) {
			s.pokes.add(fn)
		}
	case ModeSync:
		s.syncArrival(fn, c)
	default:
		sp := c.spec.Load()
		if sp == nil {
			s.bursts.decideAgain(fn) // a sender loads its spec
			return
		}
		s.expedite(fn, c, sp, now)
	}
}

// syncArrival asks for one more regular instance when the arrival finds
// none free: the outstanding work exceeds the instances requested so far,
// counting those asked for by earlier arrivals and not yet sent, times the
// concurrency, and the function's max is not reached.
func (s *Scaler) syncArrival(fn string, c *counters) {
	sp := c.spec.Load()
	if sp == nil {
		c.grows.Add(1) // the poke goroutine loads the spec
		s.pokes.add(fn)
		return
	}
	requested := max(c.asked.Load(), 0) + c.grows.Load()
	if requested >= int64(sp.maxInstances) || int64(c.outstanding()) <= requested*int64(sp.concurrency) {
		return
	}
	c.grows.Add(1)
	s.pokes.add(fn)
}

// expediteDemand is fn's demand at an arrival; the fleet fills in its
// emergency instances.
func expediteDemand(c *counters, sp *fnSpec, regular int) expedite.Demand {
	return expedite.Demand{
		Outstanding: c.outstanding(), Concurrency: sp.concurrency,
		MaxInstances: sp.maxInstances, Regular: regular,
	}
}
