package schemas

// CloudEvent types WaveLink defines.
const (
	// TypeInvocation is the type the gateway gives an invocation made with a
	// plain HTTP request. Invocations sent as CloudEvents keep their own type.
	TypeInvocation = "dev.wavelink.invocation.v1"
	// TypeResult is the type of an invocation's result.
	TypeResult = "dev.wavelink.result.v1"
	// TypeBurst is the type of a burst request to a Wavelet.
	TypeBurst = "dev.wavelink.burst.v1"
	// TypeNodeStatus is the type of a Wavelet's node status.
	TypeNodeStatus = "dev.wavelink.node.status.v1"
)

// SpecVersion is the CloudEvents version WaveLink speaks.
const SpecVersion = "1.0"

// Binary-mode header names. On NATS and HTTP alike an attribute X travels
// as the header "ce-X"; the data's media type travels as Content-Type.
const (
	HeaderPrefix          = "ce-"
	HeaderID              = "ce-id"
	HeaderSource          = "ce-source"
	HeaderType            = "ce-type"
	HeaderSpecVersion     = "ce-specversion"
	HeaderSubject         = "ce-subject"
	HeaderTime            = "ce-time"
	HeaderDataSchema      = "ce-dataschema"
	HeaderContentType     = "Content-Type"
	ContentTypeStructured = "application/cloudevents+json"
	// ContentTypeBatch is the batch content mode, which WaveLink refuses:
	// one event per message or request.
	ContentTypeBatch = "application/cloudevents-batch+json"
	// ContentTypeJSON is the media type of control events' data and of
	// structured-mode data given as a JSON value.
	ContentTypeJSON = "application/json"
)

// DefaultSource is the source InvocationFromRequest gives an invocation made
// with a plain HTTP request that names none.
const DefaultSource = "/wavelink/gateway"

// Extension attributes WaveLink sets on results.
const (
	ExtInvocation = "wlinvocation" // the invocation's id
	ExtFunction   = "wlfunction"   // the function's name
	ExtOutcome    = "wloutcome"    // an Outcome
	ExtStatus     = "wlstatus"     // the function's HTTP status, when it answered
	ExtError      = "wlerror"      // why it failed, when it did
	ExtInstance   = "wlinstance"   // the instance that ran it
	ExtTrack      = "wltrack"      // "regular" or "emergency"
	ExtDuration   = "wlduration"   // the function's run time in microseconds
	ExtAttempt    = "wlattempt"    // which delivery produced this result (1-based)
)

// Outcome says how an invocation ended.
type Outcome string

// Outcomes.
const (
	// OutcomeOK: the function answered with a 2xx status.
	OutcomeOK Outcome = "ok"
	// OutcomeError: the function answered with a non-2xx status on its last
	// delivery.
	OutcomeError Outcome = "error"
	// OutcomeCrash: the function did not answer (its process failed, or the
	// connection broke) on its last delivery.
	OutcomeCrash Outcome = "crash"
	// OutcomeTimeout: the function ran past its timeout and was cancelled.
	OutcomeTimeout Outcome = "timeout"
)

// Valid reports whether o is one of the defined outcomes.
func (o Outcome) Valid() bool {
	switch o {
	case OutcomeOK, OutcomeError, OutcomeCrash, OutcomeTimeout:
		return true
	}
	return false
}
