package streams

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Anchor keeps one message that no consumer takes in the newest part of a
// work-queue stream stored in files (WL_INVOKE by default), so that acks never
// empty the stream's last block.
//
// Why: nats-server's file store keeps a stream in block files and writes new
// messages to the last one. When an ack removes the last block's only
// message, the store creates a new block file and deletes the old one. A work
// queue that callers keep draining, one invocation at a time, pays that on
// every invocation: about 0.1 ms of file system calls on the server's
// goroutines while the result is on its way to the caller. Worse, while any
// message waits in an older block (for a function at zero scale, or in its
// retry back-off), each new block begins with a tombstone of an earlier
// message and is kept, empty, rather than deleted: in a measurement, 3,000
// one-at-a-time invocations left about 2,000 block files and each took up
// to five times as long. With the anchor's message in the last block, an ack
// costs a tombstone record instead.
//
// The last block fills and a new one begins (every 8 MiB of invocations with
// WaveLink's default byte limit), so Run writes a new anchor every Interval
// and removes the older ones; until the next one, acks that empty the new
// block remake it as before. A stream on memory storage has no blocks; Run
// then returns at once. Run is called once per Anchor. Several Anchors on
// one stream (several control planes) are harmless: each removes every
// anchor but the newest.
type Anchor struct {
	js jetstream.JetStream
	// Stream and Subject say where the anchor is kept. Subject must be one of
	// the stream's subjects that no consumer reads.
	Stream, Subject string
	// Interval is how often the anchor is written again.
	Interval time.Duration
	// OnError is told when the anchor starts failing (NATS away, the stream
	// missing or full), once until it succeeds again; Run carries on. May be
	// nil.
	OnError func(error)

	failing bool
}

// DefaultAnchorInterval is how often an Anchor writes its message again
// unless told otherwise: often enough that a new last block goes without an
// anchor for a small part of the time even when it fills in a second.
const DefaultAnchorInterval = 250 * time.Millisecond

// NewAnchor returns the Anchor of WL_INVOKE.
func NewAnchor(js jetstream.JetStream) *Anchor {
	return &Anchor{js: js, Stream: StreamInvoke, Subject: AnchorSubject, Interval: DefaultAnchorInterval}
}

// Run keeps the anchor until ctx ends, then removes it. It returns at once,
// with nil, when the stream is on memory storage.
func (a *Anchor) Run(ctx context.Context) error {
	switch {
	case a.Interval <= 0:
		return fmt.Errorf("streams: anchor interval must be positive, got %v", a.Interval)
	case a.Stream == "" || a.Subject == "":
		return errors.New("streams: anchor needs a stream and a subject")
	}
	var st jetstream.Stream
	t := time.NewTicker(a.Interval)
	defer t.Stop()
	for {
		if st == nil {
			var err error
			st, err = a.fileStream(ctx)
			if err == nil && st == nil {
				return nil
			}
			a.report(err)
		}
		if st != nil {
			a.report(a.place(ctx, st))
		}
		select {
		case <-ctx.Done():
			if st != nil {
				rctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				err := st.Purge(rctx, jetstream.WithPurgeSubject(a.Subject))
				cancel()
				if err != nil && a.OnError != nil {
					a.OnError(fmt.Errorf("streams: remove the anchor of %s: %w", a.Stream, err))
				}
			}
			return nil
		case <-t.C:
		}
	}
}

// fileStream looks the stream up; it returns nil, nil when the stream is
// stored in memory.
func (a *Anchor) fileStream(ctx context.Context) (jetstream.Stream, error) {
	st, err := a.js.Stream(ctx, a.Stream)
	if err != nil {
		return nil, fmt.Errorf("streams: anchor: stream %s: %w", a.Stream, err)
	}
	if st.CachedInfo().Config.Storage != jetstream.FileStorage {
		return nil, nil
	}
	return st, nil
}

// place writes a new anchor, then removes every older one.
func (a *Anchor) place(ctx context.Context, st jetstream.Stream) error {
	if ctx.Err() != nil {
		return nil
	}
	if _, err := a.js.Publish(ctx, a.Subject, nil); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("streams: write the anchor of %s: %w", a.Stream, err)
	}
	if err := st.Purge(ctx, jetstream.WithPurgeSubject(a.Subject), jetstream.WithPurgeKeep(1)); err != nil && ctx.Err() == nil {
		return fmt.Errorf("streams: remove older anchors of %s: %w", a.Stream, err)
	}
	return nil
}

// report tells OnError of the first error after a success.
func (a *Anchor) report(err error) {
	if err != nil && !a.failing && a.OnError != nil {
		a.OnError(err)
	}
	a.failing = err != nil
}
