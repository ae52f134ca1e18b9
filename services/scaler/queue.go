package scaler

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wavelink/wavelink/streams"
)

// depth is one function's queue as its consumer reports it.
type depth struct {
	waiting  int // stored, not yet handed out (NumPending)
	inFlight int // handed out, not yet acked (NumAckPending)
	err      error
}

// readQueues reads the consumers of fns, at most s.cfg.QueueReads at once,
// each bounded by s.cfg.QueueTimeout. A function without a consumer reads
// as empty.
func (s *Scaler) readQueues(ctx context.Context, fns []string) []depth {
	out := make([]depth, len(fns))
	workers := min(s.cfg.QueueReads, len(fns))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(fns) {
					return
				}
				out[i] = s.readQueue(ctx, fns[i])
			}
		})
	}
	wg.Wait()
	return out
}

func (s *Scaler) readQueue(ctx context.Context, fn string) depth {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.QueueTimeout)
	defer cancel()
	c, err := streams.FunctionConsumer(ctx, s.js, fn)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		return depth{}
	}
	if err != nil {
		return depth{err: fmt.Errorf("scaler: queue of %s: %w", fn, err)}
	}
	info := c.CachedInfo()
	if info == nil {
		return depth{err: fmt.Errorf("scaler: queue of %s: consumer returned no info", fn)}
	}
	return depth{waiting: int(min(info.NumPending, math.MaxInt32)), inFlight: info.NumAckPending}
}
