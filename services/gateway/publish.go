package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/wavelink/wavelink/schemas"
	"github.com/wavelink/wavelink/streams"
)

// PublishTimeout bounds the wait for JetStream to acknowledge a stored
// invocation.
const PublishTimeout = 5 * time.Second

// publish stores the invocation of fn in WL_INVOKE, de-duplicated by its id.
// reply, when set, is the subject its result is to be sent to. dup reports
// that the id was already stored within the duplicate window, so this
// publish stored nothing. A publish once begun runs to its acknowledgement
// even if the client goes away, so that requests that joined it learn
// whether the invocation was accepted.
func (g *Gateway) publish(ctx context.Context, fn string, inv *schemas.Invocation, reply string) (dup bool, herr *httpError) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), PublishTimeout)
	defer cancel()
	msg := nats.NewMsg(streams.InvokeSubject(fn))
	schemas.EncodeInvocationNATS(inv, msg)
	msg.Header[streams.HeaderMsgID] = []string{inv.ID}
	if reply != "" {
		msg.Header[streams.HeaderReply] = []string{reply}
	}
	ack, err := g.js.PublishMsg(ctx, msg)
	if err != nil {
		return false, g.publishError(ctx, fn, inv.ID, err)
	}
	return ack.Duplicate, nil
}

// publishError turns a failed publish into the answer to give.
func (g *Gateway) publishError(ctx context.Context, fn, id string, err error) *httpError {
	herr := &httpError{code: http.StatusServiceUnavailable, function: fn, invocation: id}
	switch {
	case streams.IsQueueFull(err):
		herr.retryAfter = true
		herr.msg = "the invocation queue (" + streams.StreamInvoke + ") is full; the invocation was not accepted, retry later"
	case errors.Is(err, nats.ErrMaxPayload):
		herr.code = http.StatusRequestEntityTooLarge
		herr.msg = fmt.Sprintf("the invocation is over the NATS server's maximum message size of %d bytes", g.nc.MaxPayload())
	case ctx.Err() != nil:
		herr.msg = fmt.Sprintf("NATS is unavailable: no acknowledgement within %s; the invocation may or may not have been accepted", PublishTimeout)
	default:
		herr.msg = fmt.Sprintf("NATS is unavailable: the invocation was not accepted: %v", err)
		g.log.Warn().Err(err).Str("function", fn).Str("invocation", id).Msg("publish failed")
	}
	return herr
}
