package streams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// PublishDeadLetter stores an invocation of fn in WL_DLQ with the reason its
// last delivery failed. h and data are the invocation's headers and body as
// stored in WL_INVOKE; seq is its sequence there. The dead letter keeps the
// invocation's CloudEvent id as its Nats-Msg-Id, so moving the same
// invocation twice stores it once.
func PublishDeadLetter(ctx context.Context, js jetstream.JetStream, fn string, h nats.Header, data []byte, seq uint64, reason string, deliveries uint64) error {
	msg := nats.NewMsg(DLQSubject(fn))
	for k, v := range h {
		if k == HeaderReply {
			continue
		}
		msg.Header[k] = append([]string(nil), v...)
	}
	msg.Header.Set(HeaderLastError, reason)
	msg.Header.Set(HeaderDeliveries, strconv.FormatUint(deliveries, 10))
	msg.Header.Set(HeaderStreamSeq, strconv.FormatUint(seq, 10))
	msg.Data = data
	if _, err := js.PublishMsg(ctx, msg); err != nil {
		return fmt.Errorf("streams: dead-letter invocation %d of %s: %w", seq, fn, err)
	}
	return nil
}

// maxDeliveriesAdvisory is the subject on which the server announces that a
// message of WL_INVOKE reached its consumer's MaxDeliver.
const maxDeliveriesAdvisory = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + StreamInvoke + ".*"

type maxDeliveries struct {
	Stream     string `json:"stream"`
	Consumer   string `json:"consumer"`
	StreamSeq  uint64 `json:"stream_seq"`
	Deliveries uint64 `json:"deliveries"`
}

// DeadLetterer moves invocations that reached their consumer's MaxDeliver
// without any instance answering (an instance crashed, or an ack wait
// passed, on the last delivery) from WL_INVOKE to WL_DLQ. Invocations whose
// last delivery failed with an answer are dead-lettered by the instance
// itself, with that answer as the reason.
//
// Advisories are core NATS messages: one that fires while no DeadLetterer
// runs is lost, and its invocation stays stored with its deliveries spent.
// So a DeadLetterer also sweeps, when it starts and every SweepEvery: when a
// consumer has nothing handed out (no ack pending), an invocation of it
// still stored at or below its last delivered sequence can only be one whose
// deliveries ran out (a work queue deletes what is acked or terminated), and
// it is moved too. A consumer that is never idle at a sweep keeps such an
// invocation until it is.
type DeadLetterer struct {
	nc *nats.Conn
	js jetstream.JetStream
	// OnError is told of each advisory that could not be handled; may be nil.
	OnError func(error)
	// SweepEvery is how often Run sweeps; zero means a minute.
	SweepEvery time.Duration
}

// NewDeadLetterer returns a DeadLetterer on the connection.
func NewDeadLetterer(nc *nats.Conn, js jetstream.JetStream) *DeadLetterer {
	return &DeadLetterer{nc: nc, js: js}
}

// Run handles advisories and sweeps until ctx ends.
func (d *DeadLetterer) Run(ctx context.Context) error {
	ch := make(chan *nats.Msg, 1024)
	sub, err := d.nc.ChanSubscribe(maxDeliveriesAdvisory, ch)
	if err != nil {
		return fmt.Errorf("streams: subscribe to max-deliveries advisories: %w", err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	every := d.SweepEvery
	if every <= 0 {
		every = time.Minute
	}
	sweep := time.NewTimer(0)
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case m := <-ch:
			d.report(d.handle(ctx, m.Data))
		case <-sweep.C:
			_, err := d.Sweep(ctx)
			d.report(err)
			sweep.Reset(every)
		}
	}
}

func (d *DeadLetterer) report(err error) {
	if err != nil && d.OnError != nil {
		d.OnError(err)
	}
}

// Sweep moves to WL_DLQ every invocation whose deliveries ran out that is
// still stored, for each function consumer with nothing handed out, and
// returns how many it moved.
func (d *DeadLetterer) Sweep(ctx context.Context) (int, error) {
	st, err := d.js.Stream(ctx, StreamInvoke)
	if err != nil {
		return 0, fmt.Errorf("streams: %s: %w", StreamInvoke, err)
	}
	moved := 0
	infos := st.ListConsumers(ctx)
	for info := range infos.Info() {
		fn := FunctionFromSubject(info.Config.FilterSubject)
		if fn == "" {
			continue
		}
		if info.NumAckPending != 0 {
			continue // what it handed out cannot be told from what it gave up on
		}
		floor := info.Delivered.Stream
		for seq := uint64(1); seq <= floor; {
			m, err := st.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(InvokeSubject(fn)))
			if errors.Is(err, jetstream.ErrMsgNotFound) {
				break
			}
			if err != nil {
				return moved, fmt.Errorf("streams: sweep %s: %w", fn, err)
			}
			if m.Sequence > floor {
				break
			}
			reason := fmt.Sprintf("deliveries exhausted (%d) with no answer; found by a sweep", info.Config.MaxDeliver)
			if err := PublishDeadLetter(ctx, d.js, fn, m.Header, m.Data, m.Sequence, reason, uint64(info.Config.MaxDeliver)); err != nil {
				return moved, err
			}
			if err := st.DeleteMsg(ctx, m.Sequence); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
				return moved, fmt.Errorf("streams: remove swept invocation %d: %w", m.Sequence, err)
			}
			moved++
			seq = m.Sequence + 1
		}
	}
	if err := infos.Err(); err != nil {
		return moved, fmt.Errorf("streams: list consumers: %w", err)
	}
	return moved, nil
}

func (d *DeadLetterer) handle(ctx context.Context, advisory []byte) error {
	var a maxDeliveries
	if err := json.Unmarshal(advisory, &a); err != nil {
		return fmt.Errorf("streams: max-deliveries advisory: %w", err)
	}
	st, err := d.js.Stream(ctx, StreamInvoke)
	if err != nil {
		return fmt.Errorf("streams: %s: %w", StreamInvoke, err)
	}
	m, err := st.GetMsg(ctx, a.StreamSeq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil // acked or moved meanwhile
	}
	if err != nil {
		return fmt.Errorf("streams: read invocation %d: %w", a.StreamSeq, err)
	}
	fn := FunctionFromSubject(m.Subject)
	reason := fmt.Sprintf("no answer after %d deliveries (the instance crashed or its ack wait passed)", a.Deliveries)
	if err := PublishDeadLetter(ctx, d.js, fn, m.Header, m.Data, a.StreamSeq, reason, a.Deliveries); err != nil {
		return err
	}
	if err := st.DeleteMsg(ctx, a.StreamSeq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return fmt.Errorf("streams: remove dead-lettered invocation %d: %w", a.StreamSeq, err)
	}
	return nil
}
