package schemas

import (
	"net/textproto"
	"strings"
)

// Which headers travel with an invocation as Invocation.Header, and which
// belong to the transport. Every comparison here ignores ASCII case: HTTP
// canonicalises header names, NATS keeps them as written.

// natsTransportHeader reports whether a NATS header is not one of the
// invocation's request headers: a ce-* attribute, Content-Type, or one of
// NATS's (Nats-*) or WaveLink's (Wl-*) transport headers.
func natsTransportHeader(k string) bool {
	if len(k) < 3 {
		return false
	}
	switch k[0] | 0x20 {
	case 'c':
		return hasPrefixFold(k, HeaderPrefix) || strings.EqualFold(k, HeaderContentType)
	case 'n':
		return hasPrefixFold(k, "nats-")
	case 'w':
		return hasPrefixFold(k, "wl-")
	}
	return false
}

// httpTransportHeader reports whether an HTTP header is not one of the
// invocation's request headers: everything natsTransportHeader names, plus
// Content-Length, Host and the hop-by-hop headers.
func httpTransportHeader(k string) bool {
	if natsTransportHeader(k) {
		return true
	}
	if hasPrefixFold(k, "proxy-") {
		return true
	}
	switch len(k) {
	case 2:
		return strings.EqualFold(k, "TE")
	case 4:
		return strings.EqualFold(k, "Host")
	case 7:
		return strings.EqualFold(k, "Upgrade") || strings.EqualFold(k, "Trailer")
	case 10:
		return strings.EqualFold(k, "Connection") || strings.EqualFold(k, "Keep-Alive")
	case 14:
		return strings.EqualFold(k, "Content-Length")
	case 17:
		return strings.EqualFold(k, "Transfer-Encoding")
	}
	return false
}

// connectionTokens returns the header names an HTTP Connection header lists:
// those are hop-by-hop too. It returns nil when there is no such header.
func connectionTokens(h map[string][]string) []string {
	var out []string
	for k, vs := range h {
		if !strings.EqualFold(k, "Connection") {
			continue
		}
		for _, v := range vs {
			for tok := range strings.SplitSeq(v, ",") {
				if tok = strings.TrimSpace(tok); tok != "" {
					out = append(out, tok)
				}
			}
		}
	}
	return out
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// hasPrefixFold reports whether s starts with prefix, ignoring ASCII case.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// cutPrefixFold is strings.CutPrefix ignoring ASCII case.
func cutPrefixFold(s, prefix string) (string, bool) {
	if hasPrefixFold(s, prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// asciiLower lower-cases ASCII letters, allocating only when s has an upper
// case letter.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// header reads a header whatever the case it was written in.
func header(h map[string][]string, k string) string {
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

// contentType returns the Content-Type header, whatever its case, without
// allocating in the usual cases.
func contentType(h map[string][]string) string {
	if v := h[HeaderContentType]; len(v) > 0 {
		return v[0]
	}
	if v := h["content-type"]; len(v) > 0 {
		return v[0]
	}
	for k, v := range h {
		if len(v) > 0 && strings.EqualFold(k, HeaderContentType) {
			return v[0]
		}
	}
	return ""
}
