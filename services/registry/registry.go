package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wavelink/wavelink/streams"
)

// Registry reads and writes function specs in wl_functions.
type Registry struct {
	js jetstream.JetStream
	kv jetstream.KeyValue
}

// Open returns a Registry on the bucket that streams.Ensure created.
func Open(ctx context.Context, js jetstream.JetStream) (*Registry, error) {
	kv, err := js.KeyValue(ctx, streams.BucketFunctions)
	if err != nil {
		return nil, fmt.Errorf("registry: bucket %s: %w", streams.BucketFunctions, err)
	}
	return &Registry{js: js, kv: kv}, nil
}

// Deploy fills in defaults, validates the spec, creates or updates the
// function's consumer and stores the spec. Redeploying a function updates it
// and keeps its queued invocations. It returns the stored spec, or an error
// wrapping ErrInvalidSpec or ErrDraining.
func (r *Registry) Deploy(ctx context.Context, s Spec) (Spec, error) {
	s = s.WithDefaults()
	s.Draining = false
	if err := s.Validate(); err != nil {
		return Spec{}, err
	}
	if old, err := r.Get(ctx, s.Name); err == nil && old.Draining {
		return Spec{}, fmt.Errorf("registry: deploy %s: %w", s.Name, ErrDraining)
	}
	if _, err := streams.EnsureFunctionConsumer(ctx, r.js, s.ConsumerParams()); err != nil {
		return Spec{}, fmt.Errorf("registry: deploy %s: %w", s.Name, err)
	}
	if err := r.put(ctx, s); err != nil {
		return Spec{}, err
	}
	return s, nil
}

func (r *Registry) put(ctx context.Context, s Spec) error {
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("registry: encode %s: %w", s.Name, err)
	}
	if _, err := r.kv.Put(ctx, s.Name, b); err != nil {
		return fmt.Errorf("registry: store %s: %w", s.Name, err)
	}
	return nil
}

// Get returns the function's spec, or an error wrapping ErrNotFound.
func (r *Registry) Get(ctx context.Context, name string) (Spec, error) {
	if !streams.ValidFunctionName(name) {
		return Spec{}, fmt.Errorf("registry: %q: %w", name, ErrNotFound)
	}
	e, err := r.kv.Get(ctx, name)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Spec{}, fmt.Errorf("registry: %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return Spec{}, fmt.Errorf("registry: get %s: %w", name, err)
	}
	return decodeSpec(e.Value())
}

func decodeSpec(b []byte) (Spec, error) {
	var s Spec
	if err := json.Unmarshal(b, &s); err != nil {
		return Spec{}, fmt.Errorf("registry: stored spec: %w", err)
	}
	return s, nil
}

// List returns every deployed function's spec, sorted by name.
func (r *Registry) List(ctx context.Context) ([]Spec, error) {
	lister, err := r.kv.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("registry: list: %w", err)
	}
	var specs []Spec
	for k := range lister.Keys() {
		s, err := r.Get(ctx, k)
		if errors.Is(err, ErrNotFound) {
			continue // removed meanwhile
		}
		if err != nil {
			return nil, err
		}
		specs = append(specs, s)
	}
	slices.SortFunc(specs, func(a, b Spec) int { return strings.Compare(a.Name, b.Name) })
	return specs, nil
}

// RemoveOptions control Remove.
type RemoveOptions struct {
	// DrainTimeout bounds the wait for queued and running invocations to
	// finish. Zero means 60 seconds.
	DrainTimeout time.Duration
	// Force dead-letters whatever is still queued when the drain times out,
	// instead of failing.
	Force bool
	// Poll is how often the queue is checked while draining. Zero means 100ms.
	Poll time.Duration
}

// Remove stops new invocations of the function (its spec is marked
// draining, which the gateway refuses), waits until its queue is empty and
// nothing runs, then deletes its consumer and spec. If invocations remain
// when the drain timeout ends it returns an error wrapping ErrDrainTimeout
// and leaves the function draining, unless Force, which moves them to
// WL_DLQ first. It returns an error wrapping ErrNotFound for an unknown
// function.
func (r *Registry) Remove(ctx context.Context, name string, o RemoveOptions) error {
	if o.DrainTimeout == 0 {
		o.DrainTimeout = time.Minute
	}
	if o.Poll == 0 {
		o.Poll = 100 * time.Millisecond
	}
	s, err := r.Get(ctx, name)
	if err != nil {
		return err
	}
	if !s.Draining {
		s.Draining = true
		if err := r.put(ctx, s); err != nil {
			return err
		}
	}
	deadline := time.Now().Add(o.DrainTimeout)
	for {
		left, err := r.queued(ctx, name)
		if err != nil {
			return err
		}
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			if !o.Force {
				return fmt.Errorf("registry: remove %s: %w: %d left after %s (remove again to keep waiting, or force to dead-letter them)", name, ErrDrainTimeout, left, o.DrainTimeout)
			}
			if err := r.deadLetterQueued(ctx, name); err != nil {
				return err
			}
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("registry: remove %s: %w", name, ctx.Err())
		case <-time.After(o.Poll):
		}
	}
	if err := streams.DeleteFunctionConsumer(ctx, r.js, name); err != nil {
		return err
	}
	if err := r.kv.Delete(ctx, name); err != nil {
		return fmt.Errorf("registry: delete %s: %w", name, err)
	}
	return nil
}

// queued counts the function's invocations that are stored and not yet
// finished (waiting or handed out): what WL_INVOKE, a work queue, still
// holds on its subject. The stream is asked rather than the consumer,
// whose pending count can lag a moment behind a message just stored.
func (r *Registry) queued(ctx context.Context, name string) (uint64, error) {
	st, err := r.js.Stream(ctx, streams.StreamInvoke)
	if err != nil {
		return 0, fmt.Errorf("registry: %s: %w", streams.StreamInvoke, err)
	}
	subject := streams.InvokeSubject(name)
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(subject))
	if err != nil {
		return 0, fmt.Errorf("registry: queue of %s: %w", name, err)
	}
	return info.State.Subjects[subject], nil
}

// deadLetterQueued moves every stored invocation of the function to WL_DLQ.
func (r *Registry) deadLetterQueued(ctx context.Context, name string) error {
	st, err := r.js.Stream(ctx, streams.StreamInvoke)
	if err != nil {
		return fmt.Errorf("registry: %s: %w", streams.StreamInvoke, err)
	}
	var seq uint64
	for {
		m, err := st.GetMsg(ctx, seq+1, jetstream.WithGetMsgSubject(streams.InvokeSubject(name)))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("registry: read queued invocation of %s: %w", name, err)
		}
		seq = m.Sequence
		if err := streams.PublishDeadLetter(ctx, r.js, name, m.Header, m.Data, seq, "function removed before it ran", 0); err != nil {
			return err
		}
		if err := st.DeleteMsg(ctx, seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
			return fmt.Errorf("registry: delete dead-lettered invocation %d: %w", seq, err)
		}
	}
}
