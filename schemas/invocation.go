package schemas

import (
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Invocation is the domain form of an invocation CloudEvent: one call of one
// function. The function is not an attribute: it comes from the subject or
// the URL the event was sent to.
type Invocation struct {
	ID              string
	Source          string
	Type            string
	Subject         string
	Time            time.Time // zero when the event had none
	DataContentType string
	DataSchema      string
	// Extensions holds every other attribute, by lower-case name, as its
	// canonical string form.
	Extensions map[string]string
	// Header holds the request headers that travel with the invocation to
	// the function: those of the HTTP request that made it, or the plain
	// headers of the NATS message that carried it. It never holds ce-*
	// headers, Content-Type, Content-Length, Host, hop-by-hop headers, or
	// WaveLink's and NATS's transport headers (Wl-*, Nats-*). Names keep the
	// case they arrived in: HTTP canonicalises them, NATS does not. Nil when
	// there are none.
	Header http.Header
	Data   []byte
}

// Validate checks the required attributes and the form of the optional ones:
// attribute values are UTF-8 without control characters, the source is a
// URI reference, the data schema an absolute URI, the data content type a
// media type, extension names lower-case letters and digits. Its error is a
// *FieldError naming the first bad attribute.
func (inv *Invocation) Validate() error {
	switch {
	case inv.ID == "":
		return &FieldError{Field: "id", Problem: "is required"}
	case inv.Source == "":
		return &FieldError{Field: "source", Problem: "is required"}
	case inv.Type == "":
		return &FieldError{Field: "type", Problem: "is required"}
	}
	for _, a := range [...]struct{ name, value string }{
		{"id", inv.ID}, {"source", inv.Source}, {"type", inv.Type}, {"subject", inv.Subject},
		{"datacontenttype", inv.DataContentType}, {"dataschema", inv.DataSchema},
	} {
		if err := checkString(a.name, a.value); err != nil {
			return err
		}
	}
	if !validURIRef(inv.Source) {
		return &FieldError{Field: "source", Problem: "must be a URI reference, got " + quote(inv.Source)}
	}
	if err := checkDataSchema(inv.DataSchema); err != nil {
		return err
	}
	if inv.DataContentType != "" && !validMediaType(inv.DataContentType) {
		return &FieldError{Field: "datacontenttype", Problem: "must be a media type such as text/plain, got " + quote(inv.DataContentType)}
	}
	for name, v := range inv.Extensions {
		if err := validExtensionName(name); err != nil {
			return err
		}
		if err := checkString(name, v); err != nil {
			return err
		}
	}
	return nil
}

func validExtensionName(name string) error {
	if name == "" {
		return &FieldError{Field: `extension ""`, Problem: "has an empty name"}
	}
	if len(name) > 20 {
		return &FieldError{Field: name, Problem: "is not a valid extension attribute name: at most 20 characters"}
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return &FieldError{Field: name, Problem: "is not a valid extension attribute name: lower-case letters and digits only"}
		}
	}
	switch name {
	case "id", "source", "type", "specversion", "subject", "time", "datacontenttype", "dataschema", "data", "data_base64":
		return &FieldError{Field: name, Problem: "is not an extension attribute"}
	}
	return nil
}

// checkString checks a CloudEvents String: valid UTF-8 with no control
// characters (U+0000–U+001F, U+007F–U+009F).
func checkString(field, s string) error {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return &FieldError{Field: field, Problem: "must not hold control characters"}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return &FieldError{Field: field, Problem: "must be valid UTF-8"}
		}
		if r >= 0x80 && r <= 0x9f {
			return &FieldError{Field: field, Problem: "must not hold control characters"}
		}
		i += size
	}
	return nil
}

// validURIRef reports whether s parses as a URI reference. Values without
// ':' or '%' and not starting with "//" (paths such as "/wavelink/gateway")
// always do, and are accepted without parsing.
func validURIRef(s string) bool {
	if !strings.ContainsAny(s, ":%") && !strings.HasPrefix(s, "//") {
		return true
	}
	_, err := url.Parse(s)
	return err == nil
}

// checkDataSchema requires an absolute URI, or nothing.
func checkDataSchema(s string) error {
	if s == "" {
		return nil
	}
	if u, err := url.Parse(s); err != nil || !u.IsAbs() {
		return &FieldError{Field: "dataschema", Problem: "must be an absolute URI, got " + quote(s)}
	}
	return nil
}

// validMediaType checks the form type/subtype, both RFC 9110 tokens,
// optionally followed by ";" and parameters.
func validMediaType(s string) bool {
	mt, _, _ := strings.Cut(s, ";")
	mt = strings.TrimSpace(mt)
	typ, sub, ok := strings.Cut(mt, "/")
	return ok && isToken(typ) && isToken(sub)
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}
