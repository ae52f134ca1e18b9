package scaler

import (
	"sync"
	"sync/atomic"

	"github.com/nats-io/nats.go"

	"github.com/wavelink/wavelink/services/registry"
	"github.com/wavelink/wavelink/streams"
)

// counters are one function's signals between ticks, and what the
// per-arrival path needs to know of it. The NATS callbacks only touch
// atomics here, so they never wait on a tick.
type counters struct {
	arrivals    atomic.Int64
	completions atomic.Int64
	// atZero is set while the function's desired count is zero; the first
	// arrival that clears it requests a poke (ModeAsync).
	atZero atomic.Bool
	// depth is the work queued plus in flight as the last tick read it.
	depth atomic.Int64
	// ready is the ready regular instances the last tick saw.
	ready atomic.Int64
	// asked is the regular count the cluster manager last accepted.
	asked atomic.Int64
	// grows is how many more regular instances arrivals asked for since
	// the poke goroutine last looked (ModeSync).
	grows atomic.Int64
	// fellBack is set while no Wavelet could take the function's work, so
	// the regular track serves it; the next accepted burst clears it.
	fellBack atomic.Bool
	// spec is what the per-arrival path needs of the function's spec; nil
	// until a tick or a poke saw it.
	spec atomic.Pointer[fnSpec]
}

// fnSpec is the part of a spec the per-arrival path reads.
type fnSpec struct {
	concurrency, memoryMB, maxInstances int
}

// take returns the counts since the last take and resets them.
func (c *counters) take() (arrivals, completions int) {
	return int(c.arrivals.Swap(0)), int(c.completions.Swap(0))
}

// outstanding estimates the work queued plus in flight: the depth the last
// tick read, plus arrivals minus completions counted since then. Each tick
// corrects it.
func (c *counters) outstanding() int {
	return int(max(0, c.depth.Load()+c.arrivals.Load()-c.completions.Load()))
}

// setSpec records the spec's fields the per-arrival path reads, when they
// changed.
func (c *counters) setSpec(spec registry.Spec) {
	next := fnSpec{concurrency: spec.Concurrency, memoryMB: spec.MemoryMB, maxInstances: spec.MaxInstances}
	if cur := c.spec.Load(); cur == nil || *cur != next {
		c.spec.Store(&next)
	}
}

// signals holds the counters of every function that sent one.
type signals struct {
	m sync.Map // function name -> *counters
}

// get returns the function's counters, creating them at zero (and at a
// desired count of zero) for a function not seen yet.
func (s *signals) get(fn string) *counters {
	if c, ok := s.m.Load(fn); ok {
		return c.(*counters)
	}
	c := &counters{}
	c.atZero.Store(true)
	c.asked.Store(-1)
	actual, _ := s.m.LoadOrStore(fn, c)
	return actual.(*counters)
}

// lookup returns the function's counters if it has any.
func (s *signals) lookup(fn string) (*counters, bool) {
	c, ok := s.m.Load(fn)
	if !ok {
		return nil, false
	}
	return c.(*counters), true
}

// retain drops the counters of every function keep rejects.
func (s *signals) retain(keep func(fn string) bool) {
	s.m.Range(func(k, _ any) bool {
		if fn := k.(string); !keep(fn) {
			s.m.Delete(fn)
		}
		return true
	})
}

// subscribe starts counting arrival and completion notices. The returned
// subscriptions are the caller's to end.
func (s *Scaler) subscribe() ([]*nats.Subscription, error) {
	arrivals, err := s.nc.Subscribe(streams.ArrivalAll, func(m *nats.Msg) {
		if fn := streams.FunctionFromSubject(m.Subject); streams.ValidFunctionName(fn) {
			s.onArrival(fn, s.cfg.Clock.Now())
		}
	})
	if err != nil {
		return nil, err
	}
	done, err := s.nc.Subscribe(streams.DoneAll, func(m *nats.Msg) {
		if fn := streams.FunctionFromSubject(m.Subject); streams.ValidFunctionName(fn) {
			s.signals.get(fn).completions.Add(1)
		}
	})
	if err != nil {
		_ = arrivals.Unsubscribe()
		return nil, err
	}
	return []*nats.Subscription{arrivals, done}, nil
}
