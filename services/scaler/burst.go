package scaler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/wavelink/wavelink/schemas"
	"github.com/wavelink/wavelink/streams"
)

// expedite makes fn's burst decision at now: how many emergency instances
// its outstanding work needs beyond its ready regular instances (none in
// ModeFastpath) and its emergency ones, and where. It queues the requests
// for the senders and never blocks. When the burst fits on no node, the
// regular track takes the work: see fallBack.
func (s *Scaler) expedite(fn string, c *counters, sp *fnSpec, now time.Time) {
	regular := 0
	if s.cfg.Mode == ModeWavelink {
		regular = int(c.ready.Load())
	}
	shares, want, usable, err := s.fleet.claim(s.cfg.Expedite, fn, sp, expediteDemand(c, sp, regular), now)
	if err != nil {
		// A spec the tick reports as bad; no burst for it.
		s.log.Debug().Err(err).Str("function", fn).Msg("no burst decision")
		return
	}
	if want == 0 {
		return
	}
	if len(shares) == 0 {
		reason := "no Wavelet has room"
		if usable == 0 {
			reason = "no Wavelet available"
		}
		s.fallBack(fn, c, want, reason)
		return
	}
	for _, sh := range shares {
		s.bursts.add(fn, sh.Node, sh.Count)
	}
}

// fallBack hands fn's work to the regular track when no Wavelet can take
// it: the poke goroutine asks for an instance if fn has none wanted, and
// the function counts as served by the regular track until a Wavelet
// accepts a burst of it again.
func (s *Scaler) fallBack(fn string, c *counters, want int, reason string) {
	if c.fellBack.CompareAndSwap(false, true) {
		s.metrics.fallbacks.WithLabelValues(fn).Inc()
		s.log.Warn().Str("function", fn).Int("wanted", want).Str("reason", reason).
			Msg("burst fits on no Wavelet; the regular track serves the function")
	}
	s.pokes.add(fn)
}

// burstLoop is one sender: it runs queued burst work until ctx ends.
func (s *Scaler) burstLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.bursts.wake:
		}
		for ctx.Err() == nil {
			job, ok := s.bursts.next(s.cfg.Expedite.MaxPerRequest)
			if !ok {
				break
			}
			if job.node == "" {
				s.decideAgain(job.fn)
				continue
			}
			s.sendBurst(ctx, job)
		}
	}
}

// decideAgain makes fn's burst decision in a sender, loading its spec
// first if the arrival path did not know it.
func (s *Scaler) decideAgain(fn string) {
	c := s.signals.get(fn)
	sp := c.spec.Load()
	if sp == nil {
		for _, spec := range s.specs.All() {
			if spec.Name == fn {
				c.setSpec(spec)
				break
			}
		}
		if sp = c.spec.Load(); sp == nil {
			s.log.Debug().Str("function", fn).Msg("arrival for a function that is not deployed")
			return
		}
	}
	s.expedite(fn, c, sp, s.cfg.Clock.Now())
}

// sendBurst asks job.node's Wavelet for job.count instances of job.fn and
// records its answer. No answer within Config.BurstTimeout, an error or a
// reply that cannot be read counts as none accepted. When fewer were
// accepted than asked, the function's burst is decided again, without that
// node until its next status.
func (s *Scaler) sendBurst(ctx context.Context, job burstJob) {
	fn, node, asked := job.fn, job.node, job.count
	req := schemas.BurstRequest{Function: fn, Count: asked, Reason: "backlog"}
	if s.cfg.Mode == ModeFastpath {
		req.IdleTimeout, req.MaxLifetime = s.cfg.KeepAlive, FastpathMaxLifetime
		req.Reason = "fastpath"
	}
	reply, err := s.requestBurst(ctx, node, req)
	now := s.cfg.Clock.Now()
	accepted := 0
	if err == nil {
		accepted = min(max(reply.Accepted, 0), asked)
	}
	s.fleet.settle(node, fn, asked, accepted, err != nil, now)
	c := s.signals.get(fn)
	stopping := err != nil && ctx.Err() != nil
	switch {
	case stopping:
	case err != nil:
		s.log.Warn().Err(err).Str("function", fn).Str("node", node).Int("asked", asked).Msg("burst request failed")
	default:
		ev := s.log.Info().Str("function", fn).Str("node", node).Int("asked", asked).Int("accepted", accepted)
		if reply.Refused != "" {
			ev = ev.Str("refused", reply.Refused)
		}
		ev.Msg("burst")
	}
	m := s.metrics
	m.burstRequests.WithLabelValues(fn).Inc()
	m.burstAsked.WithLabelValues(fn).Add(float64(asked))
	m.burstAccepted.WithLabelValues(fn).Add(float64(accepted))
	m.burstRefused.WithLabelValues(fn).Add(float64(asked - accepted))
	if stopping {
		return
	}
	if err != nil {
		m.burstFailures.WithLabelValues(fn).Inc()
	}
	if accepted > 0 && c.fellBack.CompareAndSwap(true, false) {
		s.log.Info().Str("function", fn).Str("node", node).Msg("a Wavelet takes the function's bursts again")
	}
	if accepted < asked {
		s.bursts.decideAgain(fn)
	}
}

// errNoBurstReply wraps the NATS error of a burst request nobody answered.
var errNoBurstReply = errors.New("no reply")

// requestBurst sends one burst request and reads its reply.
func (s *Scaler) requestBurst(ctx context.Context, node string, req schemas.BurstRequest) (schemas.BurstReply, error) {
	msg := nats.NewMsg(streams.BurstSubject(node))
	if err := schemas.EncodeControlNATS(schemas.TypeBurst, BurstSource, uuid.NewString(), req, msg); err != nil {
		return schemas.BurstReply{}, fmt.Errorf("encode burst request: %w", err)
	}
	rctx, cancel := context.WithTimeout(ctx, s.cfg.BurstTimeout)
	defer cancel()
	resp, err := s.nc.RequestMsgWithContext(rctx, msg)
	if err != nil {
		return schemas.BurstReply{}, fmt.Errorf("%w from %s: %w", errNoBurstReply, streams.BurstSubject(node), err)
	}
	if why := resp.Header.Get(streams.HeaderRefused); why != "" && len(resp.Data) == 0 {
		return schemas.BurstReply{Node: node, Function: req.Function, Refused: why}, nil
	}
	reply, err := schemas.DecodeBurstReply(resp.Data)
	if err != nil {
		return schemas.BurstReply{}, fmt.Errorf("burst reply from %s: %w", node, err)
	}
	return reply, nil
}

// releaseBursts forgets the queued requests and every node, when Run ends.
func (s *Scaler) releaseBursts() {
	s.bursts.drain()
	s.fleet.reset()
}
