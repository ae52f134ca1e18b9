package schemas

import (
	"math"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
)

// Result is the domain form of a result CloudEvent: how one invocation ended.
type Result struct {
	// InvocationID is the id of the invocation this answers. It is also the
	// result event's own id.
	InvocationID string
	Function     string
	Outcome      Outcome
	// Status is the HTTP status the function answered with, or 0 when it did
	// not answer (crash, timeout).
	Status int
	// Error says why the invocation failed; empty on OutcomeOK.
	Error    string
	Instance string
	Track    string
	// Duration is how long the function ran.
	Duration time.Duration
	// Attempt is the delivery (1-based) that produced this result.
	Attempt     int
	Time        time.Time
	ContentType string
	Data        []byte
}

// ResultSource is the CloudEvent source of results of fn.
func ResultSource(fn string) string { return "/wavelink/functions/" + fn }

// EncodeResultNATS writes the result onto msg in binary mode. It leaves
// msg's subject and any other header alone. A zero r.Time writes no
// ce-time.
func EncodeResultNATS(r *Result, msg *nats.Msg) {
	if msg.Header == nil {
		msg.Header = make(nats.Header, 16)
	}
	w := newHeaderWriter(msg.Header, 15)
	writeResult(r, w.set)
	msg.Data = r.Data
}

// writeResult calls set for each binary-mode header of r, under lower-case
// names.
func writeResult(r *Result, set func(k, v string)) {
	set(HeaderSpecVersion, SpecVersion)
	set(HeaderID, r.InvocationID)
	set(HeaderSource, ResultSource(r.Function))
	set(HeaderType, TypeResult)
	if !r.Time.IsZero() {
		set(HeaderTime, r.Time.UTC().Format(time.RFC3339Nano))
	}
	set(HeaderPrefix+ExtInvocation, r.InvocationID)
	set(HeaderPrefix+ExtFunction, r.Function)
	set(HeaderPrefix+ExtOutcome, string(r.Outcome))
	if r.Status != 0 {
		set(HeaderPrefix+ExtStatus, strconv.Itoa(r.Status))
	}
	if r.Error != "" {
		set(HeaderPrefix+ExtError, r.Error)
	}
	if r.Instance != "" {
		set(HeaderPrefix+ExtInstance, r.Instance)
	}
	if r.Track != "" {
		set(HeaderPrefix+ExtTrack, r.Track)
	}
	set(HeaderPrefix+ExtDuration, strconv.FormatInt(r.Duration.Microseconds(), 10))
	if r.Attempt > 0 {
		set(HeaderPrefix+ExtAttempt, strconv.Itoa(r.Attempt))
	}
	if r.ContentType != "" {
		set(HeaderContentType, r.ContentType)
	}
}

// DecodeResultNATS reads a result from a NATS message's headers and body.
// Its error is a *FieldError naming the bad attribute, and wraps ErrInvalid.
func DecodeResultNATS(h nats.Header, data []byte) (Result, error) {
	return readResult(func(k string) string { return header(h, k) }, data)
}

// readResult reads a result's attributes through get, which returns a
// header's value by its lower-case name, "" when absent.
func readResult(get func(k string) string, data []byte) (Result, error) {
	if sv := get(HeaderSpecVersion); sv != "" {
		if err := checkSpecVersion(sv); err != nil {
			return Result{}, err
		}
	}
	if ty := get(HeaderType); ty != TypeResult {
		return Result{}, &FieldError{Field: "type", Problem: "must be " + TypeResult + ", got " + quote(ty)}
	}
	r := Result{
		InvocationID: get(HeaderPrefix + ExtInvocation),
		Function:     get(HeaderPrefix + ExtFunction),
		Outcome:      Outcome(get(HeaderPrefix + ExtOutcome)),
		Error:        get(HeaderPrefix + ExtError),
		Instance:     get(HeaderPrefix + ExtInstance),
		Track:        get(HeaderPrefix + ExtTrack),
		ContentType:  get(HeaderContentType),
		Data:         data,
	}
	if r.InvocationID == "" {
		return Result{}, &FieldError{Field: ExtInvocation, Problem: "is required"}
	}
	if !r.Outcome.Valid() {
		return Result{}, &FieldError{Field: ExtOutcome, Problem: "must be ok, error, crash or timeout, got " + quote(string(r.Outcome))}
	}
	if s := get(HeaderPrefix + ExtStatus); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 100 || n > 599 {
			return Result{}, &FieldError{Field: ExtStatus, Problem: "must be an HTTP status code, got " + quote(s)}
		}
		r.Status = n
	}
	if s := get(HeaderPrefix + ExtDuration); s != "" {
		us, err := strconv.ParseInt(s, 10, 64)
		if err != nil || us < 0 || us > math.MaxInt64/int64(time.Microsecond) {
			return Result{}, &FieldError{Field: ExtDuration, Problem: "must be a non-negative number of microseconds, got " + quote(s)}
		}
		r.Duration = time.Duration(us) * time.Microsecond
	}
	if s := get(HeaderPrefix + ExtAttempt); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return Result{}, &FieldError{Field: ExtAttempt, Problem: "must be a positive integer, got " + quote(s)}
		}
		r.Attempt = n
	}
	if s := get(HeaderTime); s != "" {
		t, err := parseTime(s)
		if err != nil {
			return Result{}, err
		}
		r.Time = t
	}
	return r, nil
}

// EncodeCompletionNATS writes the short notice an instance publishes on
// wl.done.<fn> when an invocation is over: its id, outcome, track and run
// time, and no data. Completions are counted on the hot path, so they carry
// only what a counter needs; the full result goes to the caller.
func EncodeCompletionNATS(r *Result, msg *nats.Msg) {
	if msg.Header == nil {
		msg.Header = make(nats.Header, 4)
	}
	w := newHeaderWriter(msg.Header, 4)
	w.set(HeaderPrefix+ExtInvocation, r.InvocationID)
	w.set(HeaderPrefix+ExtOutcome, string(r.Outcome))
	if r.Track != "" {
		w.set(HeaderPrefix+ExtTrack, r.Track)
	}
	w.set(HeaderPrefix+ExtDuration, strconv.FormatInt(r.Duration.Microseconds(), 10))
	msg.Data = nil
}

// DecodeCompletionNATS reads a completion notice written by
// EncodeCompletionNATS. Its error is a *FieldError naming the bad attribute.
func DecodeCompletionNATS(h nats.Header) (Result, error) {
	r := Result{
		InvocationID: header(h, HeaderPrefix+ExtInvocation),
		Outcome:      Outcome(header(h, HeaderPrefix+ExtOutcome)),
		Track:        header(h, HeaderPrefix+ExtTrack),
	}
	if r.InvocationID == "" {
		return Result{}, &FieldError{Field: ExtInvocation, Problem: "is required"}
	}
	if !r.Outcome.Valid() {
		return Result{}, &FieldError{Field: ExtOutcome, Problem: "must be ok, error, crash or timeout, got " + quote(string(r.Outcome))}
	}
	if s := header(h, HeaderPrefix+ExtDuration); s != "" {
		us, err := strconv.ParseInt(s, 10, 64)
		if err != nil || us < 0 || us > math.MaxInt64/int64(time.Microsecond) {
			return Result{}, &FieldError{Field: ExtDuration, Problem: "must be a non-negative number of microseconds, got " + quote(s)}
		}
		r.Duration = time.Duration(us) * time.Microsecond
	}
	return r, nil
}
