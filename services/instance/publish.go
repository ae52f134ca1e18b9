package instance

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/wavelink/wavelink/schemas"
	"github.com/wavelink/wavelink/streams"
)

// Storing an async result is retried this often, this far apart, before
// the invocation is given back for redelivery.
const (
	resultAttempts = 3
	resultTimeout  = 5 * time.Second
)

// resultHeader is the result event's headers alone: the completion notice.
func resultHeader(res *schemas.Result) nats.Header {
	msg := nats.NewMsg("")
	schemas.EncodeResultNATS(&schemas.Result{
		InvocationID: res.InvocationID, Function: res.Function, Outcome: res.Outcome, Status: res.Status,
		Error: res.Error, Instance: res.Instance, Track: res.Track, Duration: res.Duration,
		Attempt: res.Attempt, Time: res.Time, ContentType: res.ContentType,
	}, msg)
	return msg.Header
}

// publishResult sends the result to the sync caller's reply subject with a
// core publish, or, for an async invocation (reply ""), stores it in
// WL_RESULT and waits for the server's ack. It returns the result's headers
// for the completion notice.
func (r *runtime) publishResult(res *schemas.Result, reply string) (nats.Header, error) {
	msg := nats.NewMsg(reply)
	schemas.EncodeResultNATS(res, msg)
	if reply != "" {
		if err := r.nc.PublishMsg(msg); err != nil {
			return nil, fmt.Errorf("instance: reply to %s: %w", reply, err)
		}
		// The message is encoded by now, so its headers can be reused.
		return msg.Header, nil
	}
	msg.Subject = streams.ResultSubject(res.InvocationID)
	msg.Header[streams.HeaderMsgID] = []string{res.InvocationID}
	var err error
	for i := range resultAttempts {
		if i > 0 {
			time.Sleep(backoff(uint64(i)))
		}
		ctx, cancel := context.WithTimeout(r.work, resultTimeout)
		_, err = r.js.PublishMsg(ctx, msg)
		cancel()
		if err == nil {
			delete(msg.Header, streams.HeaderMsgID)
			return msg.Header, nil
		}
	}
	return nil, fmt.Errorf("instance: store result of %s: %w", res.InvocationID, err)
}

// publishDone announces on wl.done.<fn> that an invocation is over: the
// result event's headers with no data.
func (r *runtime) publishDone(h nats.Header) {
	if err := r.nc.PublishMsg(&nats.Msg{Subject: streams.DoneSubject(r.cfg.Function), Header: h}); err != nil {
		r.log.Warn().Err(err).Msg("completion notice not published")
	}
}
