package schemas

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// wire is the transport a binary-mode event arrived on.
type wire uint8

const (
	wireNATS wire = iota // header values as they are; names keep their case
	wireHTTP             // ce-* values percent-encoded; hop-by-hop headers dropped
)

// Bits of binaryRead.seen, one per attribute, to refuse an attribute given
// twice under two spellings of its header name.
const (
	seenID uint16 = 1 << iota
	seenSource
	seenType
	seenSpecVersion
	seenSubject
	seenTime
	seenDataSchema
	seenContentType
)

// readBinary fills inv from a binary-mode header map in one pass: ce-*
// headers become attributes, Content-Type the data content type, and every
// other header that is not a transport header of w is kept in inv.Header.
// It returns the ce-specversion given ("" when none). It does not validate
// the attributes; the callers do.
func readBinary(h map[string][]string, w wire, inv *Invocation) (specVersion string, err error) {
	var seen uint16
	var hop []string
	if w == wireHTTP {
		hop = connectionTokens(h)
	}
	once := func(bit uint16, name string) error {
		if seen&bit != 0 {
			return &FieldError{Field: name, Problem: "is given twice"}
		}
		seen |= bit
		return nil
	}
	for k, vs := range h {
		if len(vs) == 0 {
			continue
		}
		name, isAttr := cutPrefixFold(k, HeaderPrefix)
		if !isAttr {
			if strings.EqualFold(k, HeaderContentType) {
				if err := once(seenContentType, "datacontenttype"); err != nil {
					return "", err
				}
				if len(vs) > 1 {
					return "", &FieldError{Field: "datacontenttype", Problem: "is given twice"}
				}
				inv.DataContentType = vs[0]
				continue
			}
			if w == wireNATS && natsTransportHeader(k) || w == wireHTTP && (httpTransportHeader(k) || containsFold(hop, k)) {
				continue
			}
			if inv.Header == nil {
				inv.Header = make(http.Header, min(len(h), 8))
			}
			inv.Header[k] = slices.Clip(vs)
			continue
		}
		name = asciiLower(name)
		if len(vs) > 1 {
			return "", &FieldError{Field: name, Problem: "is given twice"}
		}
		v := vs[0]
		if w == wireHTTP {
			v = percentDecode(v)
		}
		switch name {
		case "id":
			err = once(seenID, name)
			inv.ID = v
		case "source":
			err = once(seenSource, name)
			inv.Source = v
		case "type":
			err = once(seenType, name)
			inv.Type = v
		case "specversion":
			err = once(seenSpecVersion, name)
			specVersion = v
		case "subject":
			err = once(seenSubject, name)
			inv.Subject = v
		case "time":
			if err = once(seenTime, name); err == nil && v != "" {
				inv.Time, err = parseTime(v)
			}
		case "dataschema":
			err = once(seenDataSchema, name)
			inv.DataSchema = v
		default:
			if _, dup := inv.Extensions[name]; dup {
				return "", &FieldError{Field: name, Problem: "is given twice"}
			}
			if inv.Extensions == nil {
				inv.Extensions = make(map[string]string, 4)
			}
			inv.Extensions[name] = v
		}
		if err != nil {
			return "", err
		}
	}
	return specVersion, nil
}

// parseTime reads a CloudEvents Timestamp (RFC 3339) as UTC.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, &FieldError{Field: "time", Problem: "must be an RFC 3339 timestamp, got " + quote(s)}
	}
	return t.UTC(), nil
}

// checkSpecVersion requires the CloudEvents version WaveLink speaks.
func checkSpecVersion(sv string) error {
	switch sv {
	case SpecVersion:
		return nil
	case "":
		return &FieldError{Field: "specversion", Problem: "is required"}
	}
	return &FieldError{Field: "specversion", Problem: "must be " + SpecVersion + ", got " + quote(sv)}
}

// keepHeaders copies into inv.Header every header of h that is not a ce-*
// header or a transport header of w (structured mode, where the attributes
// are in the body).
func keepHeaders(h map[string][]string, w wire, inv *Invocation) {
	var hop []string
	if w == wireHTTP {
		hop = connectionTokens(h)
	}
	for k, vs := range h {
		if len(vs) == 0 {
			continue
		}
		if w == wireNATS && natsTransportHeader(k) || w == wireHTTP && (httpTransportHeader(k) || containsFold(hop, k)) {
			continue
		}
		if inv.Header == nil {
			inv.Header = make(http.Header, min(len(h), 8))
		}
		inv.Header[k] = slices.Clip(vs)
	}
}

// headerWriter sets headers under exact keys, with the values of all
// single-valued headers in one backing array.
type headerWriter struct {
	h    map[string][]string
	vals []string
}

func newHeaderWriter(h map[string][]string, n int) headerWriter {
	return headerWriter{h: h, vals: make([]string, 0, n)}
}

func (w *headerWriter) set(k, v string) {
	w.vals = append(w.vals, v)
	n := len(w.vals)
	w.h[k] = w.vals[n-1 : n : n]
}
