package instance

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wavelink/wavelink/schemas"
)

func TestBackoff(t *testing.T) {
	tests := []struct {
		n    uint64
		want time.Duration
	}{
		{0, 100 * time.Millisecond},
		{1, 100 * time.Millisecond},
		{2, 200 * time.Millisecond},
		{3, 400 * time.Millisecond},
		{6, 3200 * time.Millisecond},
		{7, 5 * time.Second},
		{8, 5 * time.Second},
		{100, 5 * time.Second},
		{1 << 40, 5 * time.Second},
	}
	for _, tc := range tests {
		if got := backoff(tc.n); got != tc.want {
			t.Errorf("backoff(%d) = %s, want %s", tc.n, got, tc.want)
		}
	}
}

func TestProgressInterval(t *testing.T) {
	tests := []struct{ ackWait, want time.Duration }{
		{30 * time.Second, 10 * time.Second},
		{1500 * time.Millisecond, 500 * time.Millisecond},
		{time.Millisecond, 10 * time.Millisecond},
	}
	for _, tc := range tests {
		if got := progressInterval(tc.ackWait); got != tc.want {
			t.Errorf("progressInterval(%s) = %s, want %s", tc.ackWait, got, tc.want)
		}
	}
}

func TestDecide(t *testing.T) {
	crash := errors.New("connection reset")
	tests := []struct {
		name                  string
		a                     attempt
		delivered, maxDeliver uint64
		want                  decision
	}{
		{"ok", attempt{status: 200, body: []byte("x")}, 1, 3,
			decision{settle: settleAck, outcome: schemas.OutcomeOK}},
		{"ok on the last delivery", attempt{status: 204}, 3, 3,
			decision{settle: settleAck, outcome: schemas.OutcomeOK}},
		{"error retried", attempt{status: 500, body: []byte("boom")}, 1, 3,
			decision{settle: settleRetry, outcome: schemas.OutcomeError, reason: "function answered 500: boom", delay: 100 * time.Millisecond}},
		{"error retried with back-off", attempt{status: 404}, 2, 3,
			decision{settle: settleRetry, outcome: schemas.OutcomeError, reason: "function answered 404", delay: 200 * time.Millisecond}},
		{"error on the last delivery", attempt{status: 502, body: []byte("bad\ngateway")}, 3, 3,
			decision{settle: settleTerm, outcome: schemas.OutcomeError, reason: "function answered 502: bad gateway"}},
		{"redirect is not success", attempt{status: 302}, 1, 1,
			decision{settle: settleTerm, outcome: schemas.OutcomeError, reason: "function answered 302"}},
		{"crash retried", attempt{err: crash}, 1, 2,
			decision{settle: settleRetry, outcome: schemas.OutcomeCrash, reason: "no answer: connection reset", delay: 100 * time.Millisecond}},
		{"crash on the last delivery", attempt{err: crash}, 2, 2,
			decision{settle: settleTerm, outcome: schemas.OutcomeCrash, reason: "no answer: connection reset"}},
		{"timeout is never retried", attempt{timedOut: true, timeout: 5 * time.Second, err: crash}, 1, 3,
			decision{settle: settleTerm, outcome: schemas.OutcomeTimeout, reason: "timed out after 5s", termReason: "timeout after 5s"}},
		{"answer too large", attempt{status: 200, body: make([]byte, 11), maxAnswer: 10}, 1, 1,
			decision{settle: settleTerm, outcome: schemas.OutcomeError, reason: "answer of 11 bytes is larger than a result can carry (10 bytes)"}},
		{"answer at the limit", attempt{status: 200, body: make([]byte, 10), maxAnswer: 10}, 1, 1,
			decision{settle: settleAck, outcome: schemas.OutcomeOK}},
		{"delivered past max deliver", attempt{status: 500}, 5, 3,
			decision{settle: settleTerm, outcome: schemas.OutcomeError, reason: "function answered 500"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := decide(tc.a, tc.delivered, tc.maxDeliver); got != tc.want {
				t.Fatalf("decide = %+v\nwant     %+v", got, tc.want)
			}
		})
	}
}

func TestAnswerError(t *testing.T) {
	long := strings.Repeat("é", 600) // 1200 bytes; the cut falls inside a character
	tests := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"empty body", 500, "", "function answered 500"},
		{"blank body", 500, " \n\t ", "function answered 500"},
		{"trimmed, one line", 400, "  bad\r\nrequest\x00here  ", "function answered 400: bad request here"},
		{"first KiB, whole characters", 500, long, "function answered 500: " + strings.Repeat("é", 512)},
		{"invalid UTF-8", 500, "a\xffb", "function answered 500: a b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := answerError(tc.status, []byte(tc.body)); got != tc.want {
				t.Fatalf("answerError = %q\nwant          %q", got, tc.want)
			}
		})
	}
}
