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

// publishResult sends the result to the sync caller's reply subject with a
// core publish, or, for an async invocation (reply ""), stores it in
// WL_RESULT and waits for the server's ack.
func (r *runtime) publishResult(res *schemas.Result, reply string) error {
	msg := nats.NewMsg(reply)
	schemas.EncodeResultNATS(res, msg)
	if reply != "" {
		if err := r.nc.PublishMsg(msg); err != nil {
			return fmt.Errorf("instance: reply to %s: %w", reply, err)
		}
		return nil
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
			return nil
		}
	}
	return fmt.Errorf("instance: store result of %s: %w", res.InvocationID, err)
}

// publishDone announces on wl.done.<fn> that an invocation is over, in the
// short completion form.
func (r *runtime) publishDone(res *schemas.Result) {
	msg := nats.NewMsg(streams.DoneSubject(r.cfg.Function))
	schemas.EncodeCompletionNATS(res, msg)
	if err := r.nc.PublishMsg(msg); err != nil {
		r.log.Warn().Err(err).Msg("completion notice not published")
	}
}
