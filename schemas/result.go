package schemas

import (
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
// msg's subject and any other header alone.
func EncodeResultNATS(r *Result, msg *nats.Msg) {
	if msg.Header == nil {
		msg.Header = nats.Header{}
	}
	h := msg.Header
	setRaw(h, HeaderSpecVersion, SpecVersion)
	setRaw(h, HeaderID, r.InvocationID)
	setRaw(h, HeaderSource, ResultSource(r.Function))
	setRaw(h, HeaderType, TypeResult)
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	setRaw(h, HeaderTime, t.UTC().Format(time.RFC3339Nano))
	setRaw(h, HeaderPrefix+ExtInvocation, r.InvocationID)
	setRaw(h, HeaderPrefix+ExtFunction, r.Function)
	setRaw(h, HeaderPrefix+ExtOutcome, string(r.Outcome))
	if r.Status != 0 {
		setRaw(h, HeaderPrefix+ExtStatus, strconv.Itoa(r.Status))
	}
	if r.Error != "" {
		setRaw(h, HeaderPrefix+ExtError, r.Error)
	}
	if r.Instance != "" {
		setRaw(h, HeaderPrefix+ExtInstance, r.Instance)
	}
	if r.Track != "" {
		setRaw(h, HeaderPrefix+ExtTrack, r.Track)
	}
	setRaw(h, HeaderPrefix+ExtDuration, strconv.FormatInt(r.Duration.Microseconds(), 10))
	if r.Attempt > 0 {
		setRaw(h, HeaderPrefix+ExtAttempt, strconv.Itoa(r.Attempt))
	}
	if r.ContentType != "" {
		setRaw(h, HeaderContentType, r.ContentType)
	}
	msg.Data = r.Data
}

// DecodeResultNATS reads a result from a NATS message's headers and body.
// Its error is a *FieldError naming the bad attribute.
func DecodeResultNATS(h nats.Header, data []byte) (Result, error) {
	if ty := header(h, HeaderType); ty != TypeResult {
		return Result{}, &FieldError{Field: "type", Problem: "must be " + TypeResult + ", got " + quote(ty)}
	}
	r := Result{
		InvocationID: header(h, HeaderPrefix+ExtInvocation),
		Function:     header(h, HeaderPrefix+ExtFunction),
		Outcome:      Outcome(header(h, HeaderPrefix+ExtOutcome)),
		Error:        header(h, HeaderPrefix+ExtError),
		Instance:     header(h, HeaderPrefix+ExtInstance),
		Track:        header(h, HeaderPrefix+ExtTrack),
		ContentType:  header(h, HeaderContentType),
		Data:         data,
	}
	if r.InvocationID == "" {
		return Result{}, &FieldError{Field: ExtInvocation, Problem: "is required"}
	}
	if !r.Outcome.Valid() {
		return Result{}, &FieldError{Field: ExtOutcome, Problem: "must be ok, error, crash or timeout, got " + quote(string(r.Outcome))}
	}
	if s := header(h, HeaderPrefix+ExtStatus); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 100 || n > 599 {
			return Result{}, &FieldError{Field: ExtStatus, Problem: "must be an HTTP status code, got " + quote(s)}
		}
		r.Status = n
	}
	if s := header(h, HeaderPrefix+ExtDuration); s != "" {
		us, err := strconv.ParseInt(s, 10, 64)
		if err != nil || us < 0 {
			return Result{}, &FieldError{Field: ExtDuration, Problem: "must be a non-negative number of microseconds, got " + quote(s)}
		}
		r.Duration = time.Duration(us) * time.Microsecond
	}
	if s := header(h, HeaderPrefix+ExtAttempt); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return Result{}, &FieldError{Field: ExtAttempt, Problem: "must be a positive integer, got " + quote(s)}
		}
		r.Attempt = n
	}
	if s := header(h, HeaderTime); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return Result{}, &FieldError{Field: "time", Problem: "must be an RFC 3339 timestamp, got " + quote(s)}
		}
		r.Time = t
	}
	return r, nil
}
