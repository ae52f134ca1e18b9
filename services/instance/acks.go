package instance

import (
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"
)

// AckHold is how long an instance may keep the ack of a settled invocation
// before sending it; the next delivery it receives sends it sooner.
//
// Acking later than the result is safe: the result is already out, and an
// invocation whose ack is lost is redelivered as if the instance had died
// just before acking. It is cheaper for the server: a work-queue stream on
// file storage deletes and recreates its block file each time an ack leaves
// it empty (about 0.1 ms of file system calls on the server per invocation
// when calls come one at a time), and it does that work beside the reply on
// its way to the caller. Holding each ack until the next invocation is
// stored means the stream is not empty when the ack arrives, so it writes a
// tombstone instead; when no next invocation comes, the ack goes after
// AckHold, off every caller's path.
//
// The held ack still counts as in flight in the consumer's ack-pending
// count that the scaler reads: at most one batch per instance, released by
// the next delivery, so the count is off by about one per busy instance.
const AckHold = 2 * time.Millisecond

// heldAcks keeps the acks of settled invocations until the instance's next
// delivery or until hold has passed, then sends them in order.
type heldAcks struct {
	hold time.Duration
	log  zerolog.Logger

	mu    sync.Mutex
	msgs  []jetstream.Msg
	timer *time.Timer // armed while msgs is not empty
}

func newHeldAcks(hold time.Duration, log zerolog.Logger) *heldAcks {
	return &heldAcks{hold: hold, log: log}
}

// add holds msg's ack; with no hold it is sent at once.
func (h *heldAcks) add(msg jetstream.Msg) {
	if h.hold <= 0 {
		h.ack(msg)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.msgs = append(h.msgs, msg)
	if h.timer == nil {
		h.timer = time.AfterFunc(h.hold, h.send)
	} else if len(h.msgs) == 1 {
		h.timer.Reset(h.hold)
	}
}

// send sends every held ack. The instance calls it when a delivery arrives
// and before it stops; the timer calls it when hold has passed.
func (h *heldAcks) send() {
	h.mu.Lock()
	msgs := h.msgs
	h.msgs = nil
	if h.timer != nil {
		h.timer.Stop()
	}
	h.mu.Unlock()
	for _, m := range msgs {
		h.ack(m)
	}
}

func (h *heldAcks) ack(msg jetstream.Msg) {
	if err := msg.Ack(); err != nil {
		// The invocation is redelivered after its ack wait; its result is
		// out, so the caller has its answer.
		h.log.Error().Err(err).Msg("ack")
	}
}
