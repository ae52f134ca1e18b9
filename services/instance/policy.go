package instance

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wavelink/wavelink/schemas"
)

// The pure decisions of the runtime: what to do with a delivery once the
// function's call is over. Nothing here reads a clock or does I/O.

// Back-off of redeliveries after a failed delivery.
const (
	retryBase = 100 * time.Millisecond
	retryCap  = 5 * time.Second
)

// maxErrorBody bounds how much of a failed answer's body goes into its
// error message.
const maxErrorBody = 1 << 10

// backoff is the delay before redelivering an invocation whose delivery
// number n (1-based) failed, and before the n-th restart in a row of a
// function's process: 100ms × 2^(n-1), at most 5s.
func backoff(n uint64) time.Duration {
	if n <= 1 {
		return retryBase
	}
	if n > 7 { // 100ms × 2^6 is already past the cap
		return retryCap
	}
	return min(retryBase<<(n-1), retryCap)
}

// progressInterval is how often a running invocation tells the server it is
// still being worked on: a third of the ack wait.
func progressInterval(ackWait time.Duration) time.Duration {
	return max(ackWait/3, 10*time.Millisecond)
}

// settle is what happens to the delivery.
type settle int

const (
	// settleAck: the function answered 2xx; the result goes out, then Ack.
	settleAck settle = iota
	// settleRetry: a failed delivery that is not the last; NakWithDelay and
	// no result.
	settleRetry
	// settleTerm: the invocation is over without success; the result goes
	// out, it is dead-lettered, then Term.
	settleTerm
)

// attempt is how one call of the function went.
type attempt struct {
	// status is the function's HTTP status; 0 when it did not answer.
	status int
	body   []byte
	// err is set when the function did not answer (a crash).
	err error
	// timedOut is set when the call ran into the function's timeout.
	timedOut bool
	// timeout is the function's timeout.
	timeout time.Duration
	// maxAnswer is the largest answer body a result can carry.
	maxAnswer int
}

// decision is what the runtime does after an attempt.
type decision struct {
	settle  settle
	outcome schemas.Outcome
	// reason says why the invocation failed: the result's error, the dead
	// letter's last error. Empty on success.
	reason string
	// termReason is given to TermWithReason; empty means plain Term.
	termReason string
	// delay is the redelivery back-off of settleRetry.
	delay time.Duration
}

// decide turns an attempt on delivery number delivered (1-based) of an
// invocation allowed maxDeliver deliveries into a decision.
func decide(a attempt, delivered, maxDeliver uint64) decision {
	if a.timedOut {
		return decision{
			settle:     settleTerm,
			outcome:    schemas.OutcomeTimeout,
			reason:     "timed out after " + a.timeout.String(),
			termReason: "timeout after " + a.timeout.String(),
		}
	}
	var outcome schemas.Outcome
	var reason string
	switch {
	case a.err != nil:
		outcome, reason = schemas.OutcomeCrash, oneLine("no answer: "+a.err.Error())
	case a.status < 200 || a.status > 299:
		outcome, reason = schemas.OutcomeError, answerError(a.status, a.body)
	case a.maxAnswer > 0 && len(a.body) > a.maxAnswer:
		outcome = schemas.OutcomeError
		reason = fmt.Sprintf("answer of %d bytes is larger than a result can carry (%d bytes)", len(a.body), a.maxAnswer)
	default:
		return decision{settle: settleAck, outcome: schemas.OutcomeOK}
	}
	if delivered < maxDeliver {
		return decision{settle: settleRetry, outcome: outcome, reason: reason, delay: backoff(delivered)}
	}
	return decision{settle: settleTerm, outcome: outcome, reason: reason}
}

// unanswered is the decision for a delivery beyond the spec's limit: the
// limit-th delivery got no answer (its instance stopped, or its ack wait
// passed), so the invocation is dead-lettered without running again.
func unanswered(delivered, limit uint64) decision {
	reason := fmt.Sprintf("no answer from delivery %d of %d (its instance stopped or its ack wait passed); not run again", delivered-1, limit)
	return decision{settle: settleTerm, outcome: schemas.OutcomeCrash, reason: reason, termReason: reason}
}

// answerError is the error of a non-2xx answer: the status and the first
// KiB of the body, trimmed, on one line.
func answerError(status int, body []byte) string {
	b := body
	if len(b) > maxErrorBody {
		b = b[:maxErrorBody]
		// Do not leave half a character at the cut.
		for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
			if r, size := utf8.DecodeLastRune(b); r != utf8.RuneError || size > 1 {
				break
			}
			b = b[:len(b)-1]
		}
	}
	text := oneLine(string(b))
	if text == "" {
		return fmt.Sprintf("function answered %d", status)
	}
	return fmt.Sprintf("function answered %d: %s", status, text)
}

// oneLine trims s and replaces each run of whitespace or control characters
// with one space, so it fits in a header value.
func oneLine(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if r < ' ' || r == 0x7f || r == ' ' || r == utf8.RuneError {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}
