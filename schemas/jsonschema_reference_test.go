package schemas

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// The reference validator: the embedded schemas compiled by the JSON Schema
// library github.com/santhosh-tekuri/jsonschema/v6, its errors turned into
// *FieldErrors: of all the most specific errors, the first by field, then
// by problem. Only tests use it, to check that WaveLink's validator gives
// the same verdict and the same error.

// loadReference compiles the embedded schemas with the library once.
var loadReference = sync.OnceValues(compileReference)

// compileReference compiles the embedded schemas with the library.
func compileReference() (map[string]*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	names := schemaNames()
	for _, name := range names {
		b, err := schemaFiles.ReadFile("jsonschema/" + name)
		if err != nil {
			return nil, fmt.Errorf("schema %s: %w", name, err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("schema %s: %w", name, err)
		}
		if err := c.AddResource(schemaBaseURL+name, doc); err != nil {
			return nil, fmt.Errorf("schema %s: %w", name, err)
		}
	}
	out := make(map[string]*jsonschema.Schema, len(names))
	for _, name := range names {
		s, err := c.Compile(schemaBaseURL + name)
		if err != nil {
			return nil, fmt.Errorf("schema %s: %w", name, err)
		}
		out[name] = s
	}
	return out, nil
}

// referenceCheck is checkSchema done by the library.
func referenceCheck(t testing.TB, name, prefix string, b []byte) error {
	t.Helper()
	all, err := loadReference()
	if err != nil {
		t.Fatal(err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return &FieldError{Field: prefix, Problem: "is empty: a JSON object is required"}
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return &FieldError{Field: prefix, Problem: "is not valid JSON: " + err.Error()}
	}
	if err := all[name].Validate(doc); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			return referenceFieldError(prefix, ve)
		}
		return &FieldError{Field: prefix, Problem: err.Error()}
	}
	return nil
}

// referenceFieldError reports the first (in path order) of the most
// specific errors a validation found.
func referenceFieldError(prefix string, ve *jsonschema.ValidationError) error {
	var leaves []*FieldError
	collectLeaves(prefix, nil, ve, &leaves)
	if len(leaves) == 0 {
		return &FieldError{Field: prefix, Problem: "does not match its schema"}
	}
	sort.Slice(leaves, func(i, j int) bool {
		if leaves[i].Field != leaves[j].Field {
			return leaves[i].Field < leaves[j].Field
		}
		return leaves[i].Problem < leaves[j].Problem
	})
	return leaves[0]
}

// collectLeaves gathers the errors without causes, and property-name errors
// (whose causes are about the name, not a value). parentLoc is the instance
// location of ve's parent.
func collectLeaves(prefix string, parentLoc []string, ve *jsonschema.ValidationError, out *[]*FieldError) {
	if pn, ok := ve.ErrorKind.(*kind.PropertyNames); ok {
		// The library reports a property-name error at a wrong instance
		// location; the object is where the parent error is.
		*out = append(*out, &FieldError{Field: joinPath(joinPath(prefix, parentLoc...), pn.Property),
			Problem: "is not a valid key: it must be a function name (a DNS label)"})
		return
	}
	if len(ve.Causes) == 0 {
		*out = append(*out, describe(prefix, ve)...)
		return
	}
	for _, c := range ve.Causes {
		collectLeaves(prefix, ve.InstanceLocation, c, out)
	}
}

// describe turns one validation error into fields and their problems.
func describe(prefix string, ve *jsonschema.ValidationError) []*FieldError {
	field := joinPath(prefix, ve.InstanceLocation...)
	one := func(f, problem string) []*FieldError { return []*FieldError{{Field: f, Problem: problem}} }
	switch k := ve.ErrorKind.(type) {
	case *kind.Required:
		out := make([]*FieldError, len(k.Missing))
		for i, m := range k.Missing {
			out[i] = &FieldError{Field: joinPath(field, m), Problem: "is required"}
		}
		return out
	case *kind.AdditionalProperties:
		out := make([]*FieldError, len(k.Properties))
		for i, p := range k.Properties {
			out[i] = &FieldError{Field: joinPath(field, p), Problem: "is not a known field"}
		}
		return out
	case *kind.Type:
		return one(field, "must be "+strings.Join(k.Want, " or ")+", got "+k.Got)
	case *kind.Minimum:
		return one(field, "must be at least "+k.Want.RatString()+", got "+k.Got.RatString())
	case *kind.Maximum:
		return one(field, "must be at most "+k.Want.RatString()+", got "+k.Got.RatString())
	case *kind.MinLength:
		if k.Want == 1 {
			return one(field, "must not be empty")
		}
		return one(field, fmt.Sprintf("must be at least %d characters, got %d", k.Want, k.Got))
	case *kind.MaxLength:
		return one(field, fmt.Sprintf("must be at most %d characters, got %d", k.Want, k.Got))
	case *kind.Pattern:
		return one(field, "must match "+k.Want+", got "+quote(k.Got))
	}
	return one(field, ve.ErrorKind.LocalizedString(message.NewPrinter(language.English)))
}
