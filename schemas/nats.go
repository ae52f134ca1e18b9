package schemas

import (
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
)

// EncodeInvocationNATS writes the invocation onto msg in binary mode: one
// ce-* header per attribute, Content-Type for the data's media type, the
// request headers (inv.Header) under their own names, the data as the body.
// Headers in inv.Header that decoding would not give back (ce-*,
// Content-Type, Nats-*, Wl-*) are not written. It leaves msg's subject and
// any other header alone. It does not validate inv.
func EncodeInvocationNATS(inv *Invocation, msg *nats.Msg) {
	n := 4 + len(inv.Extensions)
	for _, v := range [...]string{inv.Subject, inv.DataSchema, inv.DataContentType} {
		if v != "" {
			n++
		}
	}
	if !inv.Time.IsZero() {
		n++
	}
	if msg.Header == nil {
		msg.Header = make(nats.Header, n+len(inv.Header))
	}
	w := newHeaderWriter(msg.Header, n)
	w.set(HeaderSpecVersion, SpecVersion)
	w.set(HeaderID, inv.ID)
	w.set(HeaderSource, inv.Source)
	w.set(HeaderType, inv.Type)
	if inv.Subject != "" {
		w.set(HeaderSubject, inv.Subject)
	}
	if !inv.Time.IsZero() {
		w.set(HeaderTime, inv.Time.UTC().Format(time.RFC3339Nano))
	}
	if inv.DataSchema != "" {
		w.set(HeaderDataSchema, inv.DataSchema)
	}
	if inv.DataContentType != "" {
		w.set(HeaderContentType, inv.DataContentType)
	}
	for k, v := range inv.Extensions {
		w.set(HeaderPrefix+k, v)
	}
	for k, vs := range inv.Header {
		if len(vs) > 0 && !natsTransportHeader(k) {
			msg.Header[k] = vs[:len(vs):len(vs)]
		}
	}
	msg.Data = inv.Data
}

// DecodeInvocationNATS reads an invocation from a NATS message's headers and
// body. Binary mode (ce-* headers, matched in any case) and structured mode
// (Content-Type application/cloudevents+json) are both accepted; batch mode
// is refused. Headers other than ce-*, Content-Type, Nats-* and Wl-* are
// kept in Header under their names as given. The result is validated; an
// error is a *FieldError naming the bad attribute, and wraps ErrInvalid.
func DecodeInvocationNATS(h nats.Header, data []byte) (Invocation, error) {
	if ct := contentType(h); ct != "" && isCloudEventsMedia(ct) {
		inv, err := decodeStructuredMode(ct, data)
		if err != nil {
			return Invocation{}, err
		}
		keepHeaders(h, wireNATS, &inv)
		return inv, nil
	}
	inv := Invocation{Data: data}
	sv, err := readBinary(h, wireNATS, &inv)
	if err != nil {
		return Invocation{}, err
	}
	if err := checkSpecVersion(sv); err != nil {
		return Invocation{}, err
	}
	if err := inv.Validate(); err != nil {
		return Invocation{}, err
	}
	return inv, nil
}

// quote quotes a bad value for an error message, cut to 64 bytes.
func quote(s string) string {
	if len(s) > 64 {
		return strconv.Quote(s[:64]) + "…"
	}
	return strconv.Quote(s)
}
