package schemas

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// Loading a JSON Schema (draft 2020-12) file into a schemaNode tree. Only
// the keywords WaveLink's schemas use are supported; any other keyword, or
// a supported one with a value of the wrong form, makes loading fail with
// an error naming the file and the keyword's location, so a schema can
// never ask for a check that is silently skipped.

// draft2020 is the only $schema accepted.
const draft2020 = "https://json-schema.org/draft/2020-12/schema"

// jsonType is a JSON Schema type name; typeAny means no "type" keyword.
type jsonType uint8

const (
	typeAny jsonType = iota
	typeNull
	typeBoolean
	typeNumber
	typeInteger
	typeString
	typeArray
	typeObject
)

var typeNames = [...]string{typeAny: "any", typeNull: "null", typeBoolean: "boolean", typeNumber: "number",
	typeInteger: "integer", typeString: "string", typeArray: "array", typeObject: "object"}

func (t jsonType) String() string { return typeNames[t] }

// schemaNode is one loaded (sub)schema. A nil pointer field or a negative
// bound means the keyword is absent.
type schemaNode struct {
	loc         string // JSON pointer in its file, "#" for the root
	description string
	typ         jsonType
	enum        []string
	dateTime    bool        // format "date-time"
	ref         *schemaNode // $ref, resolved
	refName     string      // $ref's target under $defs

	properties    map[string]*schemaNode
	required      []string
	closed        bool        // additionalProperties: false
	additional    *schemaNode // additionalProperties as a schema
	propertyNames *schemaNode

	minimum, maximum     *int64
	minLength, maxLength int
	pattern              *regexp.Regexp

	items              *schemaNode
	minItems, maxItems int
}

// loadSchema reads one schema file. name is the file's name, for errors.
func loadSchema(name string, b []byte) (*schemaNode, error) {
	var doc any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	root, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("schema %s: must be a JSON object", name)
	}
	if root["$schema"] != draft2020 {
		return nil, fmt.Errorf("schema %s: $schema must be %q", name, draft2020)
	}
	l := schemaLoader{defs: map[string]*schemaNode{}}
	if raw, ok := root["$defs"]; ok {
		defs, ok := raw.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("schema %s: #/$defs must be an object", name)
		}
		for _, k := range slices.Sorted(maps.Keys(defs)) {
			n, err := l.node(defs[k], "#/$defs/"+k)
			if err != nil {
				return nil, fmt.Errorf("schema %s: %w", name, err)
			}
			l.defs[k] = n
		}
	}
	n, err := l.node(root, "#")
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	for _, r := range l.refs {
		r.ref = l.defs[r.refName]
		if r.ref == nil {
			return nil, fmt.Errorf("schema %s: %s/$ref: no schema #/$defs/%s", name, r.loc, r.refName)
		}
	}
	for _, r := range l.refs {
		if err := refCycle(r); err != nil {
			return nil, fmt.Errorf("schema %s: %w", name, err)
		}
	}
	return n, nil
}

// refCycle reports a chain of $refs that comes back to where it started
// without going into a property or item, which would never end.
func refCycle(n *schemaNode) error {
	seen := map[*schemaNode]bool{}
	for ; n != nil; n = n.ref {
		if seen[n] {
			return fmt.Errorf("%s/$ref: the $ref chain loops", n.loc)
		}
		seen[n] = true
	}
	return nil
}

// schemaLoader holds what a file's nodes share: its $defs and the nodes
// whose $ref waits for them.
type schemaLoader struct {
	defs map[string]*schemaNode
	refs []*schemaNode
}

// node loads the schema v found at loc.
func (l *schemaLoader) node(v any, loc string) (*schemaNode, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: a schema must be a JSON object, got %s", loc, jsonTypeOf(v))
	}
	n := &schemaNode{loc: loc, minLength: -1, maxLength: -1, minItems: -1, maxItems: -1}
	for _, kw := range slices.Sorted(maps.Keys(obj)) {
		if err := l.keyword(n, kw, obj[kw]); err != nil {
			return nil, fmt.Errorf("%s/%s: %w", loc, kw, err)
		}
	}
	return n, nil
}

// keyword sets the keyword kw of n from its value v.
func (l *schemaLoader) keyword(n *schemaNode, kw string, v any) error {
	var err error
	switch kw {
	case "$schema":
		if v != draft2020 {
			return fmt.Errorf("must be %q", draft2020)
		}
	case "$id", "$defs":
		if n.loc != "#" {
			return fmt.Errorf("is only supported at the root")
		}
		if kw == "$id" {
			_, err = stringValue(v)
		}
	case "title":
		_, err = stringValue(v)
	case "description":
		n.description, err = stringValue(v)
	case "type":
		n.typ, err = typeValue(v)
	case "enum":
		n.enum, err = stringsValue(v)
		if err == nil && len(n.enum) == 0 {
			err = fmt.Errorf("must list at least one value")
		}
	case "format":
		if v != "date-time" {
			return fmt.Errorf(`only "date-time" is supported, got %v`, v)
		}
		n.dateTime = true
	case "$ref":
		var s string
		if s, err = stringValue(v); err != nil {
			return err
		}
		name, ok := strings.CutPrefix(s, "#/$defs/")
		if !ok || name == "" || strings.ContainsAny(name, "/~%") {
			return fmt.Errorf("only #/$defs/<name> is supported, got %q", s)
		}
		n.refName = name
		l.refs = append(l.refs, n)
	case "properties":
		obj, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("must be an object, got %s", jsonTypeOf(v))
		}
		n.properties = make(map[string]*schemaNode, len(obj))
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			if n.properties[k], err = l.node(obj[k], n.loc+"/properties/"+k); err != nil {
				return err
			}
		}
	case "required":
		n.required, err = stringsValue(v)
	case "additionalProperties":
		if b, ok := v.(bool); ok {
			n.closed = !b
			return nil
		}
		n.additional, err = l.node(v, n.loc+"/additionalProperties")
	case "propertyNames":
		n.propertyNames, err = l.node(v, n.loc+"/propertyNames")
	case "items":
		n.items, err = l.node(v, n.loc+"/items")
	case "minimum":
		n.minimum, err = int64Value(v)
	case "maximum":
		n.maximum, err = int64Value(v)
	case "minLength":
		n.minLength, err = countValue(v)
	case "maxLength":
		n.maxLength, err = countValue(v)
	case "minItems":
		n.minItems, err = countValue(v)
	case "maxItems":
		n.maxItems, err = countValue(v)
	case "pattern":
		var s string
		if s, err = stringValue(v); err != nil {
			return err
		}
		if n.pattern, err = regexp.Compile(s); err != nil {
			return fmt.Errorf("is not a regular expression: %w", err)
		}
	default:
		return fmt.Errorf("is not a supported keyword")
	}
	return err
}

func stringValue(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("must be a string, got %s", jsonTypeOf(v))
	}
	return s, nil
}

// stringsValue reads an array of distinct strings.
func stringsValue(v any) ([]string, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("must be an array of strings, got %s", jsonTypeOf(v))
	}
	out := make([]string, len(arr))
	for i, e := range arr {
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("item %d must be a string, got %s", i, jsonTypeOf(e))
		}
		if slices.Contains(out[:i], s) {
			return nil, fmt.Errorf("item %d repeats %q", i, s)
		}
		out[i] = s
	}
	return out, nil
}

func typeValue(v any) (jsonType, error) {
	s, ok := v.(string)
	if !ok {
		return typeAny, fmt.Errorf("must be one type name as a string, got %s", jsonTypeOf(v))
	}
	for t, name := range typeNames {
		if t != int(typeAny) && name == s {
			return jsonType(t), nil
		}
	}
	return typeAny, fmt.Errorf("%q is not a JSON Schema type", s)
}

// int64Value reads an integer that fits an int64.
func int64Value(v any) (*int64, error) {
	num, ok := v.(json.Number)
	if !ok {
		return nil, fmt.Errorf("must be an integer, got %s", jsonTypeOf(v))
	}
	d, ok := parseDecimal(string(num))
	if !ok {
		return nil, fmt.Errorf("must be an integer, got %s", num)
	}
	i, ok := d.int64()
	if !ok {
		return nil, fmt.Errorf("must be an integer within 64 bits, got %s", num)
	}
	return &i, nil
}

// countValue reads a non-negative integer that fits an int.
func countValue(v any) (int, error) {
	p, err := int64Value(v)
	if err != nil {
		return 0, err
	}
	if *p < 0 || int64(int(*p)) != *p {
		return 0, fmt.Errorf("must be a non-negative integer, got %d", *p)
	}
	return int(*p), nil
}

// jsonTypeOf names the JSON type of a value decoded with UseNumber.
func jsonTypeOf(v any) jsonType {
	switch v.(type) {
	case nil:
		return typeNull
	case bool:
		return typeBoolean
	case json.Number:
		return typeNumber
	case string:
		return typeString
	case []any:
		return typeArray
	case map[string]any:
		return typeObject
	}
	return typeAny
}
