package schemas

import (
	"net/http"
	"net/textproto"
	"time"
)

// On HTTP, binary mode writes each attribute as a ce-* header with its value
// percent-encoded (the CloudEvents HTTP binding), under the canonical
// header name ("Ce-Id"); reading matches names in any case.

// DecodeInvocationHTTP reads a CloudEvent from an HTTP request's headers and
// body, strictly: binary mode (ce-* headers, ce-specversion 1.0 required) or
// structured mode (Content-Type application/cloudevents+json); batch mode is
// refused. The request's other headers, less hop-by-hop and transport
// headers, are kept in Header. The result is validated; an error is a
// *FieldError naming the bad attribute, and wraps ErrInvalid.
func DecodeInvocationHTTP(h http.Header, body []byte) (Invocation, error) {
	if ct := contentType(h); ct != "" && isCloudEventsMedia(ct) {
		return decodeStructuredHTTP(h, ct, body)
	}
	inv := Invocation{Data: body}
	sv, err := readBinary(h, wireHTTP, &inv)
	if err != nil {
		return Invocation{}, err
	}
	if sv == "" {
		return Invocation{}, &FieldError{Field: "specversion", Problem: "is required: send a ce-specversion header (binary mode) or Content-Type " + ContentTypeStructured + " (structured mode)"}
	}
	if err := checkSpecVersion(sv); err != nil {
		return Invocation{}, err
	}
	if err := inv.Validate(); err != nil {
		return Invocation{}, err
	}
	return inv, nil
}

// InvocationFromRequest makes an invocation of a plain HTTP request, such as
// POST /functions/{name}: the body is the data and Content-Type its media
// type. Any ce-* headers given are kept (a client sets ce-id to make retries
// idempotent); a ce-specversion given must be 1.0. A missing id is made with
// newID, a missing source is DefaultSource, a missing type TypeInvocation,
// a missing time now. A structured-mode Content-Type makes it read the body
// as a whole event, strictly, as DecodeInvocationHTTP does. The result is
// validated; an error is a *FieldError naming the bad attribute. With a nil
// newID, an id is required.
func InvocationFromRequest(h http.Header, body []byte, newID func() string, now time.Time) (Invocation, error) {
	if ct := contentType(h); ct != "" && isCloudEventsMedia(ct) {
		return decodeStructuredHTTP(h, ct, body)
	}
	inv := Invocation{Data: body}
	sv, err := readBinary(h, wireHTTP, &inv)
	if err != nil {
		return Invocation{}, err
	}
	if sv != "" {
		if err := checkSpecVersion(sv); err != nil {
			return Invocation{}, err
		}
	}
	if inv.ID == "" && newID != nil {
		inv.ID = newID()
	}
	if inv.Source == "" {
		inv.Source = DefaultSource
	}
	if inv.Type == "" {
		inv.Type = TypeInvocation
	}
	if inv.Time.IsZero() && !now.IsZero() {
		inv.Time = now.UTC()
	}
	if err := inv.Validate(); err != nil {
		return Invocation{}, err
	}
	return inv, nil
}

func decodeStructuredHTTP(h http.Header, ct string, body []byte) (Invocation, error) {
	inv, err := decodeStructuredMode(ct, body)
	if err != nil {
		return Invocation{}, err
	}
	keepHeaders(h, wireHTTP, &inv)
	return inv, nil
}

// Canonical HTTP names of the attribute headers.
const (
	httpSpecVersion = "Ce-Specversion"
	httpID          = "Ce-Id"
	httpSource      = "Ce-Source"
	httpType        = "Ce-Type"
	httpSubject     = "Ce-Subject"
	httpTime        = "Ce-Time"
	httpDataSchema  = "Ce-Dataschema"
)

// EncodeInvocationHTTP writes the invocation's attributes onto an outgoing
// request's header in binary mode (percent-encoded ce-* headers), with its
// request headers (inv.Header, less hop-by-hop and transport headers) and
// Content-Type, and returns the body to send: how an instance calls a
// packaged function. It does not validate inv.
func EncodeInvocationHTTP(inv *Invocation, h http.Header) []byte {
	for k, vs := range inv.Header {
		if len(vs) > 0 && !httpTransportHeader(k) {
			h[k] = vs[:len(vs):len(vs)]
		}
	}
	w := newHeaderWriter(h, 8+len(inv.Extensions))
	w.set(httpSpecVersion, SpecVersion)
	w.set(httpID, percentEncode(inv.ID))
	w.set(httpSource, percentEncode(inv.Source))
	w.set(httpType, percentEncode(inv.Type))
	if inv.Subject != "" {
		w.set(httpSubject, percentEncode(inv.Subject))
	}
	if !inv.Time.IsZero() {
		w.set(httpTime, inv.Time.UTC().Format(time.RFC3339Nano))
	}
	if inv.DataSchema != "" {
		w.set(httpDataSchema, percentEncode(inv.DataSchema))
	}
	if inv.DataContentType != "" {
		w.set(HeaderContentType, inv.DataContentType)
	}
	for k, v := range inv.Extensions {
		w.set(textproto.CanonicalMIMEHeaderKey(HeaderPrefix+k), percentEncode(v))
	}
	return inv.Data
}

// SetResultHeadersHTTP writes a result's attributes onto a response's header
// as percent-encoded ce-* headers (Ce-Id, Ce-Type, Ce-Source, Ce-Time,
// Ce-Wlinvocation, Ce-Wlfunction, Ce-Wloutcome, Ce-Wlstatus, Ce-Wlerror,
// Ce-Wlinstance, Ce-Wltrack, Ce-Wlduration, Ce-Wlattempt), and its
// Content-Type. The body to send is r.Data.
func SetResultHeadersHTTP(r *Result, h http.Header) {
	w := newHeaderWriter(h, 15)
	writeResult(r, func(k, v string) {
		if k == HeaderContentType {
			w.set(k, v)
			return
		}
		w.set(textproto.CanonicalMIMEHeaderKey(k), percentEncode(v))
	})
}

// DecodeResultHTTP reads a result from an HTTP response's headers and body,
// as SetResultHeadersHTTP wrote them. Its error is a *FieldError naming the
// bad attribute, and wraps ErrInvalid.
func DecodeResultHTTP(h http.Header, body []byte) (Result, error) {
	return readResult(func(k string) string {
		if k == HeaderContentType {
			return contentType(h)
		}
		return percentDecode(header(h, k))
	}, body)
}
