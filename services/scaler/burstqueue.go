package scaler

import "sync"

// burstJob is one unit of the burst senders' work: a request for count
// instances of fn on node, or, with no node, deciding fn's burst again
// (after a refusal, or for a function whose spec the arrival path did not
// know yet).
type burstJob struct {
	fn, node string
	count    int
}

type burstKey struct{ fn, node string }

// burstQueue collects burst work for the senders. Adding never blocks.
// Requests for the same function and node that wait together are merged;
// a function waiting to be decided again is queued once. Its size is
// bounded by functions × nodes.
type burstQueue struct {
	mu      sync.Mutex
	asks    map[burstKey]int
	order   []burstKey // keys of asks, oldest first
	again   map[string]struct{}
	againFn []string // keys of again, oldest first
	wake    chan struct{}
}

func newBurstQueue() *burstQueue {
	return &burstQueue{asks: map[burstKey]int{}, again: map[string]struct{}{}, wake: make(chan struct{}, 1)}
}

// add queues a request for n instances of fn on node.
func (q *burstQueue) add(fn, node string, n int) {
	if n <= 0 {
		return
	}
	k := burstKey{fn, node}
	q.mu.Lock()
	if _, ok := q.asks[k]; !ok {
		q.order = append(q.order, k)
	}
	q.asks[k] += n
	q.mu.Unlock()
	q.signal()
}

// decideAgain queues fn to be decided again by a sender.
func (q *burstQueue) decideAgain(fn string) {
	q.mu.Lock()
	if _, ok := q.again[fn]; !ok {
		q.again[fn] = struct{}{}
		q.againFn = append(q.againFn, fn)
	}
	q.mu.Unlock()
	q.signal()
}

func (q *burstQueue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// next takes the oldest job: requests first, at most limit instances of
// one (the rest stays queued at the back), then functions to decide again.
// It wakes another sender when work remains.
func (q *burstQueue) next(limit int) (burstJob, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var job burstJob
	switch {
	case len(q.order) > 0:
		k := q.order[0]
		q.order = q.order[1:]
		n := q.asks[k]
		take := min(n, limit)
		if n > take {
			q.asks[k] = n - take
			q.order = append(q.order, k)
		} else {
			delete(q.asks, k)
		}
		job = burstJob{fn: k.fn, node: k.node, count: take}
	case len(q.againFn) > 0:
		fn := q.againFn[0]
		q.againFn = q.againFn[1:]
		delete(q.again, fn)
		job = burstJob{fn: fn}
	default:
		return burstJob{}, false
	}
	if len(q.order) > 0 || len(q.againFn) > 0 {
		q.signal()
	}
	return job, true
}

// drain empties the queue and returns the requests it held.
func (q *burstQueue) drain() []burstJob {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]burstJob, 0, len(q.order))
	for _, k := range q.order {
		out = append(out, burstJob{fn: k.fn, node: k.node, count: q.asks[k]})
	}
	clear(q.asks)
	q.order = nil
	clear(q.again)
	q.againFn = nil
	return out
}
