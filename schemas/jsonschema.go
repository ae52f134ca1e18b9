package schemas

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
)

// The JSON Schemas (draft 2020-12) of the control events' data and of the
// burst reply, embedded and loaded once, on first use, by WaveLink's own
// validator (jsonschema_load.go, jsonschema_validate.go), which supports
// exactly the keywords these files use.

//go:embed jsonschema/*.json
var schemaFiles embed.FS

// schemaBaseURL prefixes each schema file's name to make its $id.
const schemaBaseURL = "https://schemas.wavelink.dev/"

// Schema file names.
const (
	schemaBurst      = "burst.v1.json"
	schemaBurstReply = "burst-reply.v1.json"
	schemaNodeStatus = "node-status.v1.json"
)

// schemaNames lists every embedded schema.
func schemaNames() []string { return []string{schemaBurst, schemaBurstReply, schemaNodeStatus} }

// compiledSchemas holds every embedded schema, loaded, by file name.
type compiledSchemas map[string]*schemaNode

// loadSchemas loads the embedded schemas once; the result never changes.
var loadSchemas = sync.OnceValues(compileSchemas)

func compileSchemas() (compiledSchemas, error) {
	names := schemaNames()
	out := make(compiledSchemas, len(names))
	for _, name := range names {
		b, err := schemaFiles.ReadFile("jsonschema/" + name)
		if err != nil {
			return nil, fmt.Errorf("schema %s: %w", name, err)
		}
		s, err := loadSchema(name, b)
		if err != nil {
			return nil, err
		}
		out[name] = s
	}
	return out, nil
}

// decodeValidated checks b against the named schema, then decodes it into
// out, refusing unknown fields. Errors are *FieldErrors whose Field is a
// path under prefix, such as "data.count".
func decodeValidated(name, prefix string, b []byte, out any) error {
	all, err := loadSchemas()
	if err != nil {
		return err
	}
	if err := checkSchema(all[name], prefix, b); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		return jsonFieldError(prefix, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return &FieldError{Field: prefix, Problem: "has data after the JSON value"}
	}
	return nil
}

// checkSchema checks that b is one JSON value that matches s. Its error is
// a *FieldError whose Field is a path under prefix.
func checkSchema(s *schemaNode, prefix string, b []byte) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return &FieldError{Field: prefix, Problem: "is empty: a JSON object is required"}
	}
	doc, err := decodeJSONValue(b)
	if err != nil {
		return &FieldError{Field: prefix, Problem: "is not valid JSON: " + err.Error()}
	}
	if fe := validateJSON(s, prefix, doc); fe != nil {
		return fe
	}
	return nil
}

// decodeJSONValue decodes one JSON value, numbers as json.Number, and
// refuses anything after it.
func decodeJSONValue(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("invalid character after top-level value")
	}
	return doc, nil
}

func joinPath(prefix string, parts ...string) string {
	if len(parts) == 0 {
		return prefix
	}
	return prefix + "." + strings.Join(parts, ".")
}

// jsonFieldError names the field of an encoding/json error, for what the
// schema lets through but the Go type cannot hold.
func jsonFieldError(prefix string, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &FieldError{Field: joinPath(prefix, te.Field), Problem: "must be " + te.Type.String() + ", got JSON " + te.Value}
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return &FieldError{Field: joinPath(prefix, strings.Trim(f, `"`)), Problem: "is not a known field"}
	}
	return &FieldError{Field: prefix, Problem: err.Error()}
}
