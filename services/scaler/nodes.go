package scaler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wavelink/wavelink/schemas"
	"github.com/wavelink/wavelink/streams"
)

// nodeWatchRetry is how long the node watcher waits before it tries again
// after the wl_nodes bucket could not be watched.
const nodeWatchRetry = 2 * time.Second

// nodeStatuses is the part of the wl_nodes bucket the scaler reads.
// jetstream.KeyValue satisfies it.
type nodeStatuses interface {
	WatchAll(ctx context.Context, opts ...jetstream.WatchOpt) (jetstream.KeyWatcher, error)
}

// watchNodes keeps the fleet up to date with the Wavelets' statuses until
// ctx ends, watching the wl_nodes bucket again whenever the watch fails.
func (s *Scaler) watchNodes(ctx context.Context) {
	for {
		err := s.watchNodesOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		s.log.Warn().Err(err).Dur("retry_in", nodeWatchRetry).Msg("cannot watch the Wavelets' status")
		t := time.NewTimer(nodeWatchRetry)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func (s *Scaler) watchNodesOnce(ctx context.Context) error {
	kv, err := s.js.KeyValue(ctx, streams.BucketNodes)
	if err != nil {
		return fmt.Errorf("scaler: bucket %s: %w", streams.BucketNodes, err)
	}
	return s.followNodes(ctx, kv)
}

// followNodes applies every status put into b, and forgets the nodes whose
// key is deleted, until ctx ends (nil) or the watch ends (an error).
func (s *Scaler) followNodes(ctx context.Context, b nodeStatuses) error {
	w, err := b.WatchAll(ctx)
	if err != nil {
		return fmt.Errorf("scaler: watch %s: %w", streams.BucketNodes, err)
	}
	defer func() { _ = w.Stop() }()
	bad := map[string]bool{} // nodes whose last status could not be read
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-w.Updates():
			if !ok {
				return errors.New("scaler: node status watch closed")
			}
			if e == nil {
				continue // the initial values are in
			}
			s.applyNode(e, bad)
		}
	}
}

// applyNode applies one change of the wl_nodes bucket. A status that
// cannot be read is logged once until the node's statuses read again, and
// leaves the node's last good status in place until it expires.
func (s *Scaler) applyNode(e jetstream.KeyValueEntry, bad map[string]bool) {
	node := e.Key()
	switch e.Operation() {
	case jetstream.KeyValueDelete, jetstream.KeyValuePurge:
		s.fleet.remove(node)
		delete(bad, node)
		s.log.Info().Str("node", node).Msg("Wavelet gone")
	default:
		st, err := schemas.DecodeNodeStatusJSON(e.Value())
		if err != nil {
			if !bad[node] {
				bad[node] = true
				s.log.Warn().Err(err).Str("node", node).Msg("unreadable Wavelet status")
			}
			return
		}
		delete(bad, node)
		if s.fleet.update(node, st, s.cfg.Clock.Now()) {
			s.log.Info().Str("node", node).Int("slots", st.Slots.Total).Int("memory_mb", st.MemoryMB.Total).Msg("Wavelet seen")
		}
	}
}
