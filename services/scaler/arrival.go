package scaler

import "time"

// onArrival is the per-arrival path: it runs in the NATS callback once per
// stored invocation of fn, so it must not block. It counts the arrival for
// the next tick and, when fn's desired count is zero, hands fn to the poke
// goroutine, which asks for an instance at once.
//
// The expedited track's per-arrival burst decision plugs in here; now is
// the arrival's time for it.
func (s *Scaler) onArrival(fn string, now time.Time) {
	c := s.signals.get(fn)
	c.arrivals.Add(1)
	if c.atZero.CompareAndSwap(true, false) {
		s.pokes.add(fn)
	}
}
