package schemas

import (
	"time"
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
	Data       []byte
}

// Validate checks the required attributes and the form of the optional ones.
// Its error is a *FieldError naming the first bad attribute.
func (inv *Invocation) Validate() error {
	switch {
	case inv.ID == "":
		return &FieldError{Field: "id", Problem: "is required"}
	case inv.Source == "":
		return &FieldError{Field: "source", Problem: "is required"}
	case inv.Type == "":
		return &FieldError{Field: "type", Problem: "is required"}
	}
	for name := range inv.Extensions {
		if err := validExtensionName(name); err != nil {
			return err
		}
	}
	return nil
}

func validExtensionName(name string) error {
	if name == "" || len(name) > 20 {
		return &FieldError{Field: name, Problem: "an extension attribute name must be 1 to 20 characters"}
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return &FieldError{Field: name, Problem: "an extension attribute name must be lower-case letters and digits"}
		}
	}
	switch name {
	case "id", "source", "type", "specversion", "subject", "time", "datacontenttype", "dataschema", "data", "data_base64":
		return &FieldError{Field: name, Problem: "is not an extension attribute"}
	}
	return nil
}
