package schemas

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
)

// Structured content mode: the whole event, attributes and data, is one JSON
// object in the body (application/cloudevents+json). The CloudEvents SDK's
// event model reads and validates it; a first pass over the object's members
// finds the attribute at fault, so every error names it.

// contextAttributes returns the attributes structured mode carries as JSON
// strings.
func contextAttributes() [9]string {
	return [...]string{
		"specversion", "id", "source", "type", "subject", "time",
		"datacontenttype", "dataschema", "data_base64",
	}
}

// mediaType returns the media type of a Content-Type value, without
// parameters.
func mediaType(ct string) string {
	mt, _, _ := strings.Cut(ct, ";")
	return strings.TrimSpace(mt)
}

// isCloudEventsMedia reports whether a Content-Type selects a structured or
// batch content mode rather than binary mode.
func isCloudEventsMedia(ct string) bool {
	mt := mediaType(ct)
	return hasPrefixFold(mt, "application/cloudevents+") || hasPrefixFold(mt, "application/cloudevents-batch+")
}

// decodeStructuredMode reads a structured-mode body of media type ct.
// Only JSON is accepted, and one event at a time.
func decodeStructuredMode(ct string, body []byte) (Invocation, error) {
	mt := mediaType(ct)
	switch {
	case strings.EqualFold(mt, ContentTypeStructured):
		return decodeStructured(body)
	case strings.EqualFold(mt, ContentTypeBatch):
		return Invocation{}, &FieldError{Field: HeaderContentType, Problem: "selects batch mode (" + ContentTypeBatch + "), which is not accepted: send one event per message"}
	}
	return Invocation{}, &FieldError{Field: HeaderContentType, Problem: "selects a structured mode other than JSON, got " + quote(ct) + "; only " + ContentTypeStructured + " is accepted"}
}

// decodeStructured reads an invocation in structured mode (a JSON object
// holding the attributes and the data) and validates it.
func decodeStructured(b []byte) (Invocation, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return Invocation{}, &FieldError{Field: "event", Problem: "is empty: structured mode needs a JSON object"}
	}
	if b[0] != '{' {
		return Invocation{}, &FieldError{Field: "event", Problem: "is not a JSON object"}
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return Invocation{}, &FieldError{Field: "event", Problem: "is not a JSON object: " + err.Error()}
	}
	attrs, err := precheckStructured(raw)
	if err != nil {
		return Invocation{}, err
	}

	var e event.Event
	if err := e.UnmarshalJSON(b); err != nil {
		return Invocation{}, sdkError(err)
	}
	if err := e.Validate(); err != nil {
		return Invocation{}, sdkError(err)
	}

	inv := Invocation{
		ID:      e.ID(),
		Type:    e.Type(),
		Subject: e.Subject(),
		// The SDK re-serialises URIs (escaping some characters); the event
		// keeps the strings it was sent with.
		Source:          attrs["source"],
		DataSchema:      attrs["dataschema"],
		DataContentType: e.DataContentType(),
	}
	if t := e.Time(); !t.IsZero() {
		inv.Time = t.UTC()
	}
	if d, ok := raw["data"]; ok && !isNull(d) {
		inv.Data = e.Data()
		if inv.DataContentType == "" {
			// A JSON value with no media type is JSON.
			inv.DataContentType = ContentTypeJSON
		}
	} else if _, ok := raw["data_base64"]; ok {
		inv.Data = e.Data()
	}
	if ext := e.Extensions(); len(ext) > 0 {
		inv.Extensions = make(map[string]string, len(ext))
		for k, v := range ext {
			s, err := types.Format(v)
			if err != nil {
				return Invocation{}, &FieldError{Field: k, Problem: "is not a CloudEvents attribute value: " + err.Error()}
			}
			inv.Extensions[k] = s
		}
	}
	if err := inv.Validate(); err != nil {
		return Invocation{}, err
	}
	return inv, nil
}

// precheckStructured checks the type and form of each member of a
// structured event and returns the string attributes by name.
func precheckStructured(raw map[string]json.RawMessage) (map[string]string, error) {
	names := contextAttributes()
	attrs := make(map[string]string, len(names))
	for _, name := range names {
		v, ok := raw[name]
		if !ok || isNull(v) {
			continue
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, &FieldError{Field: name, Problem: "must be a JSON string, got " + jsonKind(v)}
		}
		attrs[name] = s
	}
	if err := checkSpecVersion(attrs["specversion"]); err != nil {
		return nil, err
	}
	if t := attrs["time"]; t != "" {
		if _, err := parseTime(t); err != nil {
			return nil, err
		}
	}
	if src, ok := attrs["source"]; ok && !validURIRef(src) {
		return nil, &FieldError{Field: "source", Problem: "must be a URI reference, got " + quote(src)}
	}
	if err := checkDataSchema(attrs["dataschema"]); err != nil {
		return nil, err
	}
	data, hasData := raw["data"]
	if b64, ok := attrs["data_base64"]; ok {
		if hasData {
			return nil, &FieldError{Field: "data_base64", Problem: "must not be given together with data"}
		}
		if _, err := base64.StdEncoding.DecodeString(b64); err != nil {
			return nil, &FieldError{Field: "data_base64", Problem: "must be standard base64: " + err.Error()}
		}
	}
	if hasData && !isNull(data) && data[0] != '"' && !sdkTreatsAsJSON(attrs["datacontenttype"]) {
		return nil, &FieldError{Field: "data", Problem: "must be a JSON string for datacontenttype " + quote(attrs["datacontenttype"]) + ", got " + jsonKind(data)}
	}
	for name, v := range raw {
		if isContextMember(name) {
			continue
		}
		if err := validExtensionName(name); err != nil {
			return nil, err
		}
		if err := checkExtensionValue(name, v); err != nil {
			return nil, err
		}
	}
	return attrs, nil
}

func isContextMember(name string) bool {
	if name == "data" {
		return true
	}
	for _, a := range contextAttributes() {
		if a == name {
			return true
		}
	}
	return false
}

// checkExtensionValue accepts what a CloudEvents extension can hold in JSON:
// a string, a boolean, an integer in the 32-bit range, or null (absent).
func checkExtensionValue(name string, v json.RawMessage) error {
	switch v[0] {
	case '"', 't', 'f', 'n':
		return nil
	case '{', '[':
		return &FieldError{Field: name, Problem: "must be a string, boolean or integer, got " + jsonKind(v)}
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil || f != math.Trunc(f) || f > math.MaxInt32 || f < math.MinInt32 {
		return &FieldError{Field: name, Problem: "must be an integer in the 32-bit range, got " + quote(string(v))}
	}
	return nil
}

// sdkTreatsAsJSON mirrors which media types the SDK reads data of as a JSON
// value; for any other, data must be a JSON string.
func sdkTreatsAsJSON(ct string) bool {
	switch strings.ToLower(mediaType(ct)) {
	case "", ContentTypeJSON, "text/json", ContentTypeStructured, ContentTypeBatch:
		return true
	}
	return false
}

func isNull(v json.RawMessage) bool { return string(v) == "null" }

func jsonKind(v json.RawMessage) string {
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// sdkError turns an error of the SDK's event model into a *FieldError. A
// validation error names its attributes; the first in name order is
// reported.
func sdkError(err error) error {
	var ve event.ValidationError
	if errors.As(err, &ve) && len(ve) > 0 {
		names := make([]string, 0, len(ve))
		for k := range ve {
			names = append(names, k)
		}
		sort.Strings(names)
		return &FieldError{Field: names[0], Problem: ve[names[0]].Error()}
	}
	return &FieldError{Field: "event", Problem: err.Error()}
}
