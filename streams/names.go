package streams

import (
	"regexp"
	"strings"
)

// Stream names.
const (
	// StreamInvoke holds every accepted invocation until an instance acks or
	// terminates it (work-queue retention).
	StreamInvoke = "WL_INVOKE"
	// StreamResult keeps results of asynchronous invocations for a while.
	StreamResult = "WL_RESULT"
	// StreamDLQ keeps invocations that exhausted their deliveries, with their
	// last error.
	StreamDLQ = "WL_DLQ"
)

// Key-value bucket names.
const (
	// BucketFunctions holds one function spec per key (the function's name).
	BucketFunctions = "wl_functions"
	// BucketNodes holds one Wavelet status per key (the node's name), with a TTL.
	BucketNodes = "wl_nodes"
)

// Subject prefixes. Use the functions below to build full subjects.
const (
	invokePrefix   = "wl.invoke."
	arrivalPrefix  = "wl.arrival."
	donePrefix     = "wl.done."
	resultPrefix   = "wl.result."
	dlqPrefix      = "wl.dlq."
	waveletPrefix  = "wl.wavelet."
	instancePrefix = "wl.instance."

	// InvokeAll matches every invocation subject (the WL_INVOKE stream's subjects).
	InvokeAll = invokePrefix + ">"
	// ArrivalAll matches every arrival notice (the RePublish destination).
	ArrivalAll = arrivalPrefix + ">"
	// DoneAll matches every completion notice.
	DoneAll = donePrefix + ">"
	// ResultAll matches every stored result (the WL_RESULT stream's subjects).
	ResultAll = resultPrefix + ">"
	// DLQAll matches every dead letter (the WL_DLQ stream's subjects).
	DLQAll = dlqPrefix + ">"
	// InstanceAll matches every instance's start and stop records.
	InstanceAll = instancePrefix + ">"
)

// Headers WaveLink sets on NATS messages besides the CloudEvent's own ce-*
// headers (those belong to package schemas).
const (
	// HeaderMsgID is JetStream's de-duplication header; WaveLink sets it to the
	// CloudEvent id, so a retried id is stored once.
	HeaderMsgID = "Nats-Msg-Id"
	// HeaderReply carries the core NATS subject that waits for the result of a
	// synchronous invocation. Without it the result is stored in WL_RESULT.
	HeaderReply = "Wl-Reply"
	// HeaderLastError carries, on a dead letter, why the last delivery failed.
	HeaderLastError = "Wl-Last-Error"
	// HeaderDeliveries carries, on a dead letter, how many deliveries were made.
	HeaderDeliveries = "Wl-Deliveries"
	// HeaderStreamSeq carries, on a dead letter, the invocation's sequence in WL_INVOKE.
	HeaderStreamSeq = "Wl-Stream-Seq"
	// HeaderRefused carries, on a Wavelet's bodiless reply to a burst
	// request it could not read, why it refused it.
	HeaderRefused = "Wl-Refused"
)

// PriorityGroup is the one priority group of every function consumer, whose
// policy is "prioritized": the server hands each invocation to a waiting
// pull of the lowest priority number. Regular instances pull with
// PriorityRegular and emergency instances with PriorityEmergency, so an
// emergency instance gets an invocation only when no regular instance has a
// pull waiting: while the regular ones are all busy, or there are none.
const PriorityGroup = "wl"

// Pull priorities in PriorityGroup (lower is served first).
const (
	PriorityRegular   uint8 = 0
	PriorityEmergency uint8 = 1
)

// InvokeSubject is the subject invocations of fn are published on.
func InvokeSubject(fn string) string { return invokePrefix + fn }

// ArrivalSubject is the headers-only republish of each stored invocation of fn.
func ArrivalSubject(fn string) string { return arrivalPrefix + fn }

// DoneSubject carries a completion notice for each finished invocation of fn.
func DoneSubject(fn string) string { return donePrefix + fn }

// ResultSubject is where the result of invocation id is stored. The id is
// escaped with ResultToken, since CloudEvent ids may hold any character.
func ResultSubject(id string) string { return resultPrefix + ResultToken(id) }

// DLQSubject is where dead letters of fn are stored.
func DLQSubject(fn string) string { return dlqPrefix + fn }

// AnchorSubject is where the Anchor keeps its message in WL_INVOKE. Its last
// token is not a function name (a DNS label has no '_'), so no function's
// consumer takes it and readers of wl.arrival.<fn> skip its arrival notices.
const AnchorSubject = invokePrefix + "_anchor"

// InstanceSubject carries the start and stop records of fn's instances
// (core NATS: for whoever listens, such as cost accounting).
func InstanceSubject(fn string) string { return instancePrefix + fn }

// BurstSubject is the request/reply subject of the Wavelet on node.
func BurstSubject(node string) string { return waveletPrefix + node + ".burst" }

// ConsumerName is the durable name of fn's pull consumer on WL_INVOKE.
func ConsumerName(fn string) string { return fn }

// FunctionFromSubject returns the function token of a wl.invoke.<fn>,
// wl.arrival.<fn>, wl.done.<fn> or wl.dlq.<fn> subject, or "" when the
// subject is none of those.
func FunctionFromSubject(subject string) string {
	for _, p := range []string{invokePrefix, arrivalPrefix, donePrefix, dlqPrefix} {
		if rest, ok := strings.CutPrefix(subject, p); ok && !strings.Contains(rest, ".") {
			return rest
		}
	}
	return ""
}

var functionName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

// ValidFunctionName reports whether name is a DNS label, and so a valid
// subject token, consumer name, key and Kubernetes name.
func ValidFunctionName(name string) bool { return functionName.MatchString(name) }

// ResultToken turns a CloudEvent id into one subject token: characters that
// are not letters, digits, '-' or '_' become '~' followed by two hex digits.
// The mapping is one to one, so distinct ids never share a result subject.
func ResultToken(id string) string {
	safe := true
	for i := 0; i < len(id); i++ {
		if !tokenSafe(id[i]) {
			safe = false
			break
		}
	}
	if safe && id != "" {
		return id
	}
	const hex = "0123456789abcdef"
	var b strings.Builder
	b.Grow(len(id) + 8)
	if id == "" {
		return "~"
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if tokenSafe(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('~')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xf])
	}
	return b.String()
}

func tokenSafe(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}
