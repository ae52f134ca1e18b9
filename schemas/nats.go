package schemas

import (
	"net/textproto"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// EncodeInvocationNATS writes the invocation onto msg in binary mode: one
// ce-* header per attribute, Content-Type for the data's media type, the
// data as the body. It leaves msg's subject and any other header alone.
func EncodeInvocationNATS(inv *Invocation, msg *nats.Msg) {
	if msg.Header == nil {
		msg.Header = nats.Header{}
	}
	h := msg.Header
	setRaw(h, HeaderSpecVersion, SpecVersion)
	setRaw(h, HeaderID, inv.ID)
	setRaw(h, HeaderSource, inv.Source)
	setRaw(h, HeaderType, inv.Type)
	if inv.Subject != "" {
		setRaw(h, HeaderSubject, inv.Subject)
	}
	if !inv.Time.IsZero() {
		setRaw(h, HeaderTime, inv.Time.UTC().Format(time.RFC3339Nano))
	}
	if inv.DataSchema != "" {
		setRaw(h, HeaderDataSchema, inv.DataSchema)
	}
	if inv.DataContentType != "" {
		setRaw(h, HeaderContentType, inv.DataContentType)
	}
	for k, v := range inv.Extensions {
		setRaw(h, HeaderPrefix+k, v)
	}
	msg.Data = inv.Data
}

// setRaw sets a header under exactly this key. nats.Header.Set would
// canonicalise "ce-id" to "Ce-Id"; binary mode on NATS uses lower case.
func setRaw(h nats.Header, k, v string) { h[k] = []string{v} }

// header reads a header whatever the case it was written in.
func header(h nats.Header, k string) string {
	if v, ok := h[k]; ok && len(v) > 0 {
		return v[0]
	}
	if v, ok := h[textproto.CanonicalMIMEHeaderKey(k)]; ok && len(v) > 0 {
		return v[0]
	}
	for key, v := range h {
		if len(v) > 0 && strings.EqualFold(key, k) {
			return v[0]
		}
	}
	return ""
}

// DecodeInvocationNATS reads an invocation from a NATS message's headers and
// body. Binary mode (ce-* headers) and structured mode (Content-Type
// application/cloudevents+json) are both accepted. The result is validated;
// an error is a *FieldError naming the bad attribute.
func DecodeInvocationNATS(h nats.Header, data []byte) (Invocation, error) {
	if isStructured(header(h, HeaderContentType)) {
		return decodeStructured(data)
	}
	inv := Invocation{
		ID:              header(h, HeaderID),
		Source:          header(h, HeaderSource),
		Type:            header(h, HeaderType),
		Subject:         header(h, HeaderSubject),
		DataContentType: header(h, HeaderContentType),
		DataSchema:      header(h, HeaderDataSchema),
		Data:            data,
	}
	if sv := header(h, HeaderSpecVersion); sv != SpecVersion {
		if sv == "" {
			return Invocation{}, &FieldError{Field: "specversion", Problem: "is required"}
		}
		return Invocation{}, &FieldError{Field: "specversion", Problem: "must be " + SpecVersion + ", got " + quote(sv)}
	}
	if t := header(h, HeaderTime); t != "" {
		tt, err := time.Parse(time.RFC3339Nano, t)
		if err != nil {
			return Invocation{}, &FieldError{Field: "time", Problem: "must be an RFC 3339 timestamp, got " + quote(t)}
		}
		inv.Time = tt
	}
	for k, v := range h {
		name, ok := cutPrefixFold(k, HeaderPrefix)
		if !ok || len(v) == 0 {
			continue
		}
		name = strings.ToLower(name)
		switch name {
		case "id", "source", "type", "specversion", "subject", "time", "dataschema":
			continue
		}
		if inv.Extensions == nil {
			inv.Extensions = map[string]string{}
		}
		inv.Extensions[name] = v[0]
	}
	if err := inv.Validate(); err != nil {
		return Invocation{}, err
	}
	return inv, nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

func isStructured(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.EqualFold(strings.TrimSpace(mt), ContentTypeStructured)
}

func quote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return `"` + s + `"`
}
