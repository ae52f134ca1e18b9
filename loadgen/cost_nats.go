package loadgen

import (
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/wavelink/wavelink/schemas"
	"github.com/wavelink/wavelink/streams"
)

// CostRecorder listens to every instance's start and stop records (core
// NATS, streams.InstanceAll) and adds them to a CostLedger. Records that
// cannot be decoded are counted and skipped.
type CostRecorder struct {
	nc  *nats.Conn
	sub *nats.Subscription

	mu       sync.Mutex
	ledger   *CostLedger
	rejected int
}

// StartCostRecorder subscribes on nc and waits until the server has the
// subscription, so no record published after it returns is missed.
func StartCostRecorder(nc *nats.Conn) (*CostRecorder, error) {
	c := &CostRecorder{ledger: NewCostLedger()}
	sub, err := nc.Subscribe(streams.InstanceAll, c.handle)
	if err != nil {
		return nil, fmt.Errorf("subscribe to instance records: %w", err)
	}
	if err := sub.SetPendingLimits(-1, -1); err != nil {
		_ = sub.Unsubscribe()
		return nil, fmt.Errorf("instance records: %w", err)
	}
	if err := nc.Flush(); err != nil {
		_ = sub.Unsubscribe()
		return nil, fmt.Errorf("subscribe to instance records: %w", err)
	}
	c.nc, c.sub = nc, sub
	return c, nil
}

func (c *CostRecorder) handle(m *nats.Msg) {
	rec, err := schemas.DecodeInstanceRecord(m.Data)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.rejected++
		return
	}
	c.ledger.Add(rec)
}

// Stop takes in the records already sent to it, then unsubscribes; it
// waits at most wait for them.
func (c *CostRecorder) Stop(wait time.Duration) {
	if c.sub == nil {
		return
	}
	_ = c.nc.FlushTimeout(wait)
	if err := c.sub.Drain(); err != nil {
		_ = c.sub.Unsubscribe()
		return
	}
	deadline := time.Now().Add(wait)
	for c.sub.IsValid() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
}

// Close computes the rows and summary of what was received so far (see
// CostLedger.Close).
func (c *CostRecorder) Close(w CostWindow, use map[string]InstanceUse) ([]InstanceRow, CostSummary) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rows, s := c.ledger.Close(w, use)
	s.Rejected = c.rejected
	return rows, s
}
