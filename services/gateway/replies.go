package gateway

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/nats-io/nats.go"
)

// replies receives the results of this gateway's synchronous invocations on
// one wildcard subscription (<inbox>.*) and hands each to the requests
// waiting for it. Each invocation waited for gets its own token, the last
// subject token of its reply subject.
type replies struct {
	prefix string // reply subjects are prefix + token
	sub    *nats.Subscription
	next   atomic.Uint64
	// unclaimed is called for a result no request waits for any more.
	unclaimed func()

	mu      sync.Mutex
	byToken map[string]*waiter
	byID    map[string]*waiter
}

// waiter is one invocation that one or more requests of this gateway wait
// for. Exactly one of msg and err is set before done is closed.
type waiter struct {
	id      string
	token   string
	subject string
	refs    int // requests waiting; guarded by replies.mu
	done    chan struct{}
	msg     *nats.Msg // the result message
	err     error     // why no result will come
}

func newReplies(nc *nats.Conn, unclaimed func()) (*replies, error) {
	r := &replies{
		prefix:    nc.NewInbox() + ".",
		unclaimed: unclaimed,
		byToken:   map[string]*waiter{},
		byID:      map[string]*waiter{},
	}
	sub, err := nc.Subscribe(r.prefix+"*", r.dispatch)
	if err != nil {
		return nil, fmt.Errorf("gateway: subscribe to replies: %w", err)
	}
	r.sub = sub
	return r, nil
}

func (r *replies) close() error {
	if err := r.sub.Unsubscribe(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) && !errors.Is(err, nats.ErrBadSubscription) {
		return fmt.Errorf("gateway: unsubscribe from replies: %w", err)
	}
	return nil
}

// register returns the waiter for invocation id, creating it when no request
// of this gateway waits for id yet; created says which. Either way the
// caller holds one reference and must end with release or fail.
func (r *replies) register(id string) (w *waiter, created bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if w, ok := r.byID[id]; ok {
		w.refs++
		return w, false
	}
	token := strconv.FormatUint(r.next.Add(1), 36)
	w = &waiter{id: id, token: token, subject: r.prefix + token, refs: 1, done: make(chan struct{})}
	r.byToken[token] = w
	r.byID[id] = w
	return w, true
}

// release drops one request's interest in w. The last one out stops waiting
// for the result; a result arriving after that is unclaimed.
func (r *replies) release(w *waiter) {
	r.mu.Lock()
	defer r.mu.Unlock()
	w.refs--
	if w.refs == 0 && r.byToken[w.token] == w {
		delete(r.byToken, w.token)
		delete(r.byID, w.id)
	}
}

// fail tells every request waiting on w that no result will come, and why.
func (r *replies) fail(w *waiter, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byToken[w.token] != w {
		return // already completed
	}
	delete(r.byToken, w.token)
	delete(r.byID, w.id)
	w.err = err
	close(w.done)
}

// dispatch runs on the subscription's goroutine: it hands a result to its
// waiter. Decoding is left to the waiting requests.
func (r *replies) dispatch(m *nats.Msg) {
	token, _ := strings.CutPrefix(m.Subject, r.prefix)
	r.mu.Lock()
	w, ok := r.byToken[token]
	if ok {
		delete(r.byToken, token)
		delete(r.byID, w.id)
		w.msg = m
		close(w.done)
	}
	r.mu.Unlock()
	if !ok && r.unclaimed != nil {
		r.unclaimed()
	}
}

// waiting is how many invocations requests of this gateway wait for.
func (r *replies) waiting() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.byToken)
}
