package instance

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/wavelink/wavelink/schemas"
	"github.com/wavelink/wavelink/streams"
)

// delivery is one delivery of an invocation message.
type delivery struct {
	msg       jetstream.Msg
	reply     string // the sync caller's subject; "" for async
	seq       uint64 // the invocation's sequence in WL_INVOKE
	delivered uint64 // 1-based delivery count
}

// handle runs one delivery from decoding to settling. It never acks before
// the result is out.
func (r *runtime) handle(msg jetstream.Msg) {
	d := delivery{msg: msg, reply: headerFold(msg.Headers(), streams.HeaderReply), delivered: 1}
	if meta, err := msg.Metadata(); err == nil {
		d.seq, d.delivered = meta.Sequence.Stream, meta.NumDelivered
	} else {
		r.log.Warn().Err(err).Msg("invocation without metadata; taken as its first delivery")
	}
	// The ack wait is renewed until the delivery is settled, not only while
	// the function runs: storing the result or the dead letter can take
	// seconds of retries, and past the ack wait the server would hand the
	// invocation out again.
	stop := r.keepAlive(msg)
	defer stop()
	inv, err := schemas.DecodeInvocationNATS(msg.Headers(), msg.Data())
	if err != nil {
		r.reject(d, err)
		return
	}
	var (
		a     called
		took  time.Duration
		dec   decision
		limit = uint64(max(r.spec.MaxDeliver, 1))
	)
	if d.delivered > limit {
		// The consumer allows one delivery more than the spec (see
		// streams.ConsumerParams): this one only comes when the last
		// allowed delivery got no answer at all. It is not run again.
		dec = unanswered(d.delivered, limit)
	} else {
		start := r.now()
		a = r.call(&inv)
		took = r.now().Sub(start)
		dec = decide(a.attempt, d.delivered, limit)
	}
	log := func() *zerolog.Logger { // built only off the hot path
		l := r.log.With().Str("invocation", inv.ID).Uint64("attempt", d.delivered).Logger()
		return &l
	}
	if dec.settle == settleRetry {
		log().Warn().Str("outcome", string(dec.outcome)).Str("error", dec.reason).Dur("retry_in", dec.delay).Msg("invocation failed; redelivering")
		if err := msg.NakWithDelay(dec.delay); err != nil {
			log().Error().Err(err).Msg("nak")
		}
		return
	}
	res := &schemas.Result{
		InvocationID: inv.ID,
		Function:     r.cfg.Function,
		Outcome:      dec.outcome,
		Status:       a.status,
		Error:        dec.reason,
		Instance:     r.cfg.ID,
		Track:        r.cfg.Track,
		Duration:     took,
		Attempt:      int(d.delivered),
		Time:         r.now(),
	}
	switch {
	case dec.outcome == schemas.OutcomeTimeout || dec.outcome == schemas.OutcomeCrash:
		res.Status = 0 // whatever a cancelled call answered is not the function's answer
	case len(a.body) <= r.maxAnswer:
		res.ContentType, res.Data = a.contentType, a.body
	}
	if err := r.publishResult(res, d.reply); err != nil {
		// The result is not out, so the invocation must not end here: a
		// redelivery publishes it (on the last delivery the dead-letterer
		// takes over).
		log().Error().Err(err).Msg("result not published; redelivering")
		_ = msg.NakWithDelay(backoff(d.delivered))
		return
	}
	if dec.settle == settleAck {
		r.served.Add(1)
		if err := msg.Ack(); err != nil {
			log().Error().Err(err).Msg("ack")
		}
	} else {
		r.failed.Add(1)
		l := log()
		l.Error().Str("outcome", string(dec.outcome)).Str("error", dec.reason).Msg("invocation failed for good")
		if err := streams.PublishDeadLetter(r.work, r.js, r.cfg.Function, msg.Headers(), msg.Data(), d.seq, dec.reason, d.delivered); err != nil {
			l.Error().Err(err).Msg("dead letter not stored")
		}
		if err := term(msg, dec.termReason); err != nil {
			l.Error().Err(err).Msg("term")
		}
	}
	r.publishDone(res)
}

// reject ends a delivery that does not decode: the sync caller, if any, gets
// an error result naming the problem, the message is dead-lettered, then
// terminated.
func (r *runtime) reject(d delivery, decodeErr error) {
	reason := oneLine("undecodable invocation: " + decodeErr.Error())
	h := d.msg.Headers()
	id := headerFold(h, schemas.HeaderID)
	if id == "" {
		id = headerFold(h, streams.HeaderMsgID)
	}
	if id == "" {
		id = "seq-" + strconv.FormatUint(d.seq, 10)
	}
	log := r.log.With().Str("invocation", id).Uint64("seq", d.seq).Logger()
	log.Error().Str("error", reason).Msg("invocation rejected")
	r.failed.Add(1)
	res := &schemas.Result{
		InvocationID: id,
		Function:     r.cfg.Function,
		Outcome:      schemas.OutcomeError,
		Error:        reason,
		Instance:     r.cfg.ID,
		Track:        r.cfg.Track,
		Attempt:      int(d.delivered),
		Time:         r.now(),
	}
	if d.reply != "" {
		if err := r.publishResult(res, d.reply); err != nil {
			log.Error().Err(err).Msg("answer to the caller not published")
		}
	}
	if err := streams.PublishDeadLetter(r.work, r.js, r.cfg.Function, h, d.msg.Data(), d.seq, reason, d.delivered); err != nil {
		// Keep it until it can be stored: a later delivery tries again,
		// and past the last one the dead-letterer moves it.
		log.Error().Err(err).Msg("dead letter not stored; redelivering")
		_ = d.msg.NakWithDelay(backoff(d.delivered))
		return
	}
	if err := term(d.msg, reason); err != nil {
		log.Error().Err(err).Msg("term")
	}
	r.publishDone(res)
}

// headerFold reads a NATS header whatever the case of its name: NATS
// headers are case-sensitive, and publishers do not all agree on case.
func headerFold(h nats.Header, k string) string {
	if v := h[k]; len(v) > 0 {
		return v[0]
	}
	for key, v := range h {
		if len(v) > 0 && strings.EqualFold(key, k) {
			return v[0]
		}
	}
	return ""
}

func term(msg jetstream.Msg, reason string) error {
	if reason == "" {
		return msg.Term()
	}
	return msg.TermWithReason(reason)
}

// called is attempt plus what only a successful call has.
type called struct {
	attempt
	contentType string
}

// call runs the function with the spec's timeout. A panic is a crash.
func (r *runtime) call(inv *schemas.Invocation) (a called) {
	a.timeout, a.maxAnswer = r.timeout, r.maxAnswer
	ctx, cancel := context.WithTimeout(r.work, r.timeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			a.status, a.body, a.contentType = 0, nil, ""
			a.err = fmt.Errorf("%w: panic: %v", ErrNoAnswer, p)
		}
	}()
	a.status, a.contentType, a.body, a.err = r.fn.Call(ctx, inv)
	answeredOK := a.err == nil && a.status >= 200 && a.status <= 299
	if !answeredOK && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		a.timedOut = true
	}
	return a
}

// keepAlive tells the server every progress interval that msg is still
// being worked on, until the returned stop is called.
func (r *runtime) keepAlive(msg jetstream.Msg) (stop func()) {
	var mu sync.Mutex
	stopped := false
	mu.Lock()
	defer mu.Unlock()
	var t *time.Timer
	t = time.AfterFunc(r.progress, func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		_ = msg.InProgress()
		t.Reset(r.progress)
	})
	return func() {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		t.Stop()
	}
}
