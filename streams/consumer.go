package streams

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// ConsumerParams derive one function's durable pull consumer on WL_INVOKE.
type ConsumerParams struct {
	// Function is the function's name (a DNS label).
	Function string
	// Timeout is the function's timeout; the ack wait follows from it.
	Timeout time.Duration
	// MaxDeliver bounds the runs of one invocation; past it the invocation
	// goes to WL_DLQ. The consumer allows one delivery more: when the last
	// allowed delivery gets no answer at all (its instance died), the extra
	// one brings it back to an instance, which dead-letters it without
	// running it. The server itself never gives up on a message in normal
	// operation (with a MaxDeliver of 1 it would hold an unanswered message
	// forever, never redelivering it).
	MaxDeliver int
	// MaxAckPending bounds invocations handed out and not yet acked, over
	// every instance of the function.
	MaxAckPending int
}

// MaxAckWait caps the ack wait of a function consumer. Instances send
// InProgress while work runs, so a long timeout does not mean a long wait
// before a crashed instance's invocations are redelivered.
const MaxAckWait = 30 * time.Second

// AckWait is the ack wait for a function with the given timeout: the timeout
// plus a second of slack, at most MaxAckWait.
func AckWait(timeout time.Duration) time.Duration {
	w := timeout + time.Second
	if w > MaxAckWait {
		w = MaxAckWait
	}
	return w
}

// Config is the consumer configuration these parameters make.
func (p ConsumerParams) Config() (jetstream.ConsumerConfig, error) {
	switch {
	case !ValidFunctionName(p.Function):
		return jetstream.ConsumerConfig{}, fmt.Errorf("%w: function name %q is not a DNS label", ErrInvalidConsumer, p.Function)
	case p.Timeout <= 0:
		return jetstream.ConsumerConfig{}, fmt.Errorf("%w: timeout must be positive, got %s", ErrInvalidConsumer, p.Timeout)
	case p.MaxDeliver < 1:
		return jetstream.ConsumerConfig{}, fmt.Errorf("%w: max deliver must be at least 1, got %d", ErrInvalidConsumer, p.MaxDeliver)
	case p.MaxAckPending < 1:
		return jetstream.ConsumerConfig{}, fmt.Errorf("%w: max ack pending must be at least 1, got %d", ErrInvalidConsumer, p.MaxAckPending)
	}
	return jetstream.ConsumerConfig{
		Durable:        ConsumerName(p.Function),
		Description:    "invocations of " + p.Function,
		FilterSubject:  InvokeSubject(p.Function),
		AckPolicy:      jetstream.AckExplicitPolicy,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		AckWait:        AckWait(p.Timeout),
		MaxDeliver:     p.MaxDeliver + 1,
		MaxAckPending:  p.MaxAckPending,
		MaxWaiting:     4096,
		PriorityPolicy: jetstream.PriorityPolicyPrioritized,
		PriorityGroups: []string{PriorityGroup},
	}, nil
}

// EnsureFunctionConsumer creates the function's consumer, or updates it to
// these parameters if it exists. Invocations already queued are kept.
func EnsureFunctionConsumer(ctx context.Context, js jetstream.JetStream, p ConsumerParams) (jetstream.Consumer, error) {
	cfg, err := p.Config()
	if err != nil {
		return nil, err
	}
	c, err := js.CreateOrUpdateConsumer(ctx, StreamInvoke, cfg)
	if err != nil {
		return nil, fmt.Errorf("streams: consumer for %s: %w", p.Function, err)
	}
	return c, nil
}

// FunctionConsumer returns the function's existing consumer. It returns an
// error wrapping jetstream.ErrConsumerNotFound when the function has none.
func FunctionConsumer(ctx context.Context, js jetstream.JetStream, fn string) (jetstream.Consumer, error) {
	c, err := js.Consumer(ctx, StreamInvoke, ConsumerName(fn))
	if err != nil {
		return nil, fmt.Errorf("streams: consumer for %s: %w", fn, err)
	}
	return c, nil
}

// DeleteFunctionConsumer deletes the function's consumer and purges any
// invocation of it still stored. Deleting a consumer that does not exist is
// not an error.
func DeleteFunctionConsumer(ctx context.Context, js jetstream.JetStream, fn string) error {
	if err := js.DeleteConsumer(ctx, StreamInvoke, ConsumerName(fn)); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return fmt.Errorf("streams: delete consumer for %s: %w", fn, err)
	}
	s, err := js.Stream(ctx, StreamInvoke)
	if err != nil {
		return fmt.Errorf("streams: %s: %w", StreamInvoke, err)
	}
	if err := s.Purge(ctx, jetstream.WithPurgeSubject(InvokeSubject(fn))); err != nil {
		return fmt.Errorf("streams: purge invocations of %s: %w", fn, err)
	}
	return nil
}
