package instance

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// ackRecorder is a delivery whose acks are recorded in order.
type ackRecorder struct {
	jetstream.Msg // only Ack is called
	name          string
	log           *ackLog
	err           error
}

type ackLog struct {
	mu    sync.Mutex
	acked []string
}

func (m *ackRecorder) Ack() error {
	m.log.mu.Lock()
	defer m.log.mu.Unlock()
	m.log.acked = append(m.log.acked, m.name)
	return m.err
}

func (l *ackLog) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.acked...)
}

func TestHeldAcksWaitForSendInOrder(t *testing.T) {
	log, _ := testLogger(t)
	l := &ackLog{}
	h := newHeldAcks(time.Hour, log)
	h.add(&ackRecorder{name: "a", log: l})
	h.add(&ackRecorder{name: "b", log: l})
	if got := l.get(); len(got) != 0 {
		t.Fatalf("acked %v before send", got)
	}
	h.send()
	if got := strings.Join(l.get(), ","); got != "a,b" {
		t.Fatalf("acked %q, want a,b", got)
	}
	h.send() // nothing held: nothing sent again
	if got := strings.Join(l.get(), ","); got != "a,b" {
		t.Fatalf("acked %q after a second send, want a,b", got)
	}
}

func TestHeldAcksGoAfterTheHold(t *testing.T) {
	log, _ := testLogger(t)
	l := &ackLog{}
	const hold = 20 * time.Millisecond
	h := newHeldAcks(hold, log)
	for round, name := range []string{"a", "b"} { // the timer is re-armed after it fired
		start := time.Now()
		h.add(&ackRecorder{name: name, log: l})
		deadline := time.Now().Add(wait)
		for len(l.get()) < round+1 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if len(l.get()) < round+1 {
			t.Fatalf("round %d: ack not sent within %s of a %s hold", round, wait, hold)
		}
		if took := time.Since(start); took < hold {
			t.Fatalf("round %d: ack sent after %s, before the %s hold", round, took, hold)
		}
	}
}

func TestHeldAcksWithoutHoldAckAtOnce(t *testing.T) {
	log, buf := testLogger(t)
	l := &ackLog{}
	h := newHeldAcks(0, log)
	h.add(&ackRecorder{name: "a", log: l, err: errors.New("connection closed")})
	if got := strings.Join(l.get(), ","); got != "a" {
		t.Fatalf("acked %q, want a at once", got)
	}
	if !strings.Contains(buf.String(), "connection closed") {
		t.Fatalf("a failed ack was not logged: %s", buf.String())
	}
}
