package schemas

import (
	"strings"
	"testing"
)

// schemaText wraps members of a root schema object with the draft's $schema.
func schemaText(members string) string {
	if members != "" {
		members = "," + members
	}
	return `{"$schema":"` + draft2020 + `"` + members + `}`
}

func TestLoadSchemaRefusesWhatItDoesNotSupport(t *testing.T) {
	cases := []struct {
		name, schema, want string
	}{
		{"unknown keyword", schemaText(`"type":"object","uniqueItems":true`), "#/uniqueItems: is not a supported keyword"},
		{"unknown keyword in a property", schemaText(`"properties":{"a":{"const":1}}`), "#/properties/a/const: is not a supported keyword"},
		{"unknown keyword in items", schemaText(`"items":{"contains":{}}`), "#/items/contains: is not a supported keyword"},
		{"unknown keyword in a definition", schemaText(`"$defs":{"d":{"oneOf":[]}}`), "#/$defs/d/oneOf: is not a supported keyword"},
		{"unknown keyword in property names", schemaText(`"propertyNames":{"maxLength":3,"minProperties":1}`), "#/propertyNames/minProperties: is not a supported keyword"},
		{"unknown keyword in additionalProperties", schemaText(`"additionalProperties":{"if":{}}`), "#/additionalProperties/if: is not a supported keyword"},
		{"another draft's keyword", schemaText(`"definitions":{}`), "#/definitions: is not a supported keyword"},
		{"type list", schemaText(`"type":["string","null"]`), "#/type: must be one type name as a string, got array"},
		{"unknown type", schemaText(`"type":"float"`), `#/type: "float" is not a JSON Schema type`},
		{"other format", schemaText(`"format":"email"`), `#/format: only "date-time" is supported, got email`},
		{"remote $ref", schemaText(`"$ref":"other.json"`), `#/$ref: only #/$defs/<name> is supported, got "other.json"`},
		{"$ref into a definition", schemaText(`"$ref":"#/$defs/a/properties/b"`), "only #/$defs/<name> is supported"},
		{"$ref to nothing", schemaText(`"$ref":"#/$defs/none"`), "#/$ref: no schema #/$defs/none"},
		{"$ref loop", schemaText(`"$defs":{"a":{"$ref":"#/$defs/b"},"b":{"$ref":"#/$defs/a"}},"$ref":"#/$defs/a"`), "the $ref chain loops"},
		{"nested $defs", schemaText(`"properties":{"a":{"$defs":{}}}`), "#/properties/a/$defs: is only supported at the root"},
		{"nested $id", schemaText(`"properties":{"a":{"$id":"x"}}`), "#/properties/a/$id: is only supported at the root"},
		{"fractional minimum", schemaText(`"minimum":1.5`), "#/minimum: must be an integer within 64 bits, got 1.5"},
		{"minimum too big", schemaText(`"maximum":1e30`), "#/maximum: must be an integer within 64 bits, got 1e30"},
		{"minimum a string", schemaText(`"minimum":"1"`), "#/minimum: must be an integer, got string"},
		{"negative length", schemaText(`"maxLength":-1`), "#/maxLength: must be a non-negative integer, got -1"},
		{"items count a string", schemaText(`"maxItems":"3"`), "#/maxItems: must be an integer, got string"},
		{"bad pattern", schemaText(`"pattern":"("`), "#/pattern: is not a regular expression"},
		{"enum of numbers", schemaText(`"enum":[1,2]`), "#/enum: item 0 must be a string, got number"},
		{"empty enum", schemaText(`"enum":[]`), "#/enum: must list at least one value"},
		{"required twice", schemaText(`"required":["a","a"]`), `#/required: item 1 repeats "a"`},
		{"boolean schema", schemaText(`"properties":{"a":true}`), "#/properties/a: a schema must be a JSON object, got boolean"},
		{"additionalProperties a string", schemaText(`"additionalProperties":"no"`), "#/additionalProperties: a schema must be a JSON object, got string"},
		{"title a number", schemaText(`"title":1`), "#/title: must be a string, got number"},
		{"other draft", `{"$schema":"http://json-schema.org/draft-07/schema#"}`, "$schema must be"},
		{"no $schema", `{"type":"object"}`, "$schema must be"},
		{"not an object", `[]`, "must be a JSON object"},
		{"not JSON", `{"type":`, "unexpected EOF"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadSchema("test.json", []byte(tc.schema))
			if err == nil {
				t.Fatalf("loaded %s", tc.schema)
			}
			if !strings.HasPrefix(err.Error(), "schema test.json: ") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q, want it to name the file and say %q", err, tc.want)
			}
		})
	}
}

// TestValidateEveryKeyword checks each supported keyword on a schema that
// uses them all, with the problem each bad value gets.
func TestValidateEveryKeyword(t *testing.T) {
	s, err := loadSchema("all.json", []byte(schemaText(`
		"$id": "https://schemas.wavelink.dev/all.json", "title": "t", "description": "d",
		"type": "object",
		"required": ["n"],
		"additionalProperties": false,
		"properties": {
			"n": {"type": "integer", "minimum": -2, "maximum": 5},
			"x": {"type": "number"},
			"s": {"type": "string", "minLength": 2, "maxLength": 3, "pattern": "^[a-z]+$"},
			"one": {"minLength": 1},
			"e": {"enum": ["a", "b"]},
			"e1": {"enum": ["only"]},
			"t": {"type": "string", "format": "date-time"},
			"a": {"type": "array", "minItems": 1, "maxItems": 2, "items": {"type": "boolean"}},
			"z": {"type": "null"},
			"m": {"$ref": "#/$defs/map"},
			"k": {"type": "object", "propertyNames": {"maxLength": 1}}
		},
		"$defs": {
			"map": {"type": "object", "propertyNames": {"description": "one lower-case letter", "pattern": "^[a-z]$"},
				"additionalProperties": {"type": "integer"}}
		}`)))
	mustNoErr(t, err)
	cases := []struct {
		doc, field, problem string
	}{
		{`{"n":0}`, "", ""},
		{`{"n":5,"x":1.5,"s":"ab","one":"x","e":"b","e1":"only","t":"2026-01-02T03:04:05Z","a":[true],"z":null,"m":{"a":1},"k":{"é":1}}`, "", ""},
		{`{"n":-2.0}`, "", ""},
		{`{}`, "d.n", "is required"},
		{`{"n":0,"other":1}`, "d.other", "is not a known field"},
		{`[]`, "d", "must be object, got array"},
		{`{"n":"1"}`, "d.n", "must be integer, got string"},
		{`{"n":1.5}`, "d.n", "must be integer, got number"},
		{`{"n":-3}`, "d.n", "must be at least -2, got -3"},
		{`{"n":6}`, "d.n", "must be at most 5, got 6"},
		{`{"n":5e0}`, "", ""},
		{`{"n":0,"x":true}`, "d.x", "must be number, got boolean"},
		{`{"n":0,"s":"a"}`, "d.s", "must be at least 2 characters, got 1"},
		{`{"n":0,"s":"abcd"}`, "d.s", "must be at most 3 characters, got 4"},
		{`{"n":0,"s":"A1"}`, "d.s", `must match ^[a-z]+$, got "A1"`},
		{`{"n":0,"one":""}`, "d.one", "must not be empty"},
		{`{"n":0,"e":"c"}`, "d.e", "value must be one of 'a', 'b'"},
		{`{"n":0,"e":1}`, "d.e", "value must be one of 'a', 'b'"},
		{`{"n":0,"e1":"x"}`, "d.e1", "value must be 'only'"},
		{`{"n":0,"t":"today"}`, "d.t", "'today' is not valid date-time: less than 20 characters long"},
		{`{"n":0,"a":[]}`, "d.a", "minItems: got 0, want 1"},
		{`{"n":0,"a":[true,true,true]}`, "d.a", "maxItems: got 3, want 2"},
		{`{"n":0,"a":[true,1]}`, "d.a.1", "must be boolean, got number"},
		{`{"n":0,"z":0}`, "d.z", "must be null, got number"},
		{`{"n":0,"m":{"ab":1}}`, "d.m.ab", "is not a valid key: it must be one lower-case letter"},
		{`{"n":0,"m":{"a":"1"}}`, "d.m.a", "must be integer, got string"},
		{`{"n":0,"k":{"ab":1}}`, "d.k.ab", "is not a valid key: it must be at most 1 characters, got 2"},
		// Several problems: the first by field, then by problem, is reported.
		{`{"n":9,"s":"A","a":[]}`, "d.a", "minItems: got 0, want 1"},
		{`{"s":"A"}`, "d.n", "is required"},
		{`{"n":0,"s":"A"}`, "d.s", `must be at least 2 characters, got 1`},
	}
	for _, tc := range cases {
		t.Run(tc.doc, func(t *testing.T) {
			err := checkSchema(s, "d", []byte(tc.doc))
			if tc.field == "" {
				mustNoErr(t, err)
				return
			}
			wantFieldError(t, err, tc.field)
			if fe := err.(*FieldError); fe.Problem != tc.problem {
				t.Fatalf("problem %q, want %q", fe.Problem, tc.problem)
			}
		})
	}
}

func TestDecimal(t *testing.T) {
	cases := []struct {
		lit     string
		integer bool
		cmp     map[int64]int // bound -> want cmp
		str     string
	}{
		{"0", true, map[int64]int{0: 0, 1: -1, -1: 1}, "0"},
		{"-0.000", true, map[int64]int{0: 0}, "0"},
		{"1.0", true, map[int64]int{1: 0, 2: -1, 0: 1}, "1"},
		{"1.5", false, map[int64]int{1: 1, 2: -1}, "3/2"},
		{"-1.5", false, map[int64]int{-1: -1, -2: 1}, "-3/2"},
		{"0.5e1", true, map[int64]int{5: 0}, "5"},
		{"10e-1", true, map[int64]int{1: 0}, "1"},
		{"1e2", true, map[int64]int{100: 0, 99: 1, 101: -1}, "100"},
		{"1E+3", true, map[int64]int{1000: 0}, "1000"},
		{"9223372036854775807", true, map[int64]int{9223372036854775807: 0, 0: 1}, "9223372036854775807"},
		{"9223372036854775808", true, map[int64]int{9223372036854775807: 1}, "9223372036854775808"},
		{"-9223372036854775808", true, map[int64]int{-9223372036854775808: 0, 0: -1}, "-9223372036854775808"},
		{"-9223372036854775809", true, map[int64]int{-9223372036854775808: -1}, "-9223372036854775809"},
		{"1e400", true, map[int64]int{9223372036854775807: 1}, "1" + strings.Repeat("0", 400)},
		{"-1e400", true, map[int64]int{-9223372036854775808: -1}, "-1" + strings.Repeat("0", 400)},
		{"1e-400", false, map[int64]int{0: 1, 1: -1}, ""},
		{"1e99999999999999999999", true, map[int64]int{0: 1}, "1e99999999999999999999"},
		{"-1e99999999999999999999", true, map[int64]int{0: -1}, "-1e99999999999999999999"},
		{"1e-99999999999999999999", false, map[int64]int{0: 1, 1: -1}, "1e-99999999999999999999"},
		{"0.9999999999999999999999", false, map[int64]int{0: 1, 1: -1}, ""},
		{"12345678901234567890.5", false, map[int64]int{9223372036854775807: 1}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.lit, func(t *testing.T) {
			d, ok := parseDecimal(tc.lit)
			if !ok {
				t.Fatal("not parsed")
			}
			if d.isInteger() != tc.integer {
				t.Errorf("isInteger %v, want %v", d.isInteger(), tc.integer)
			}
			for b, want := range tc.cmp {
				if got := d.cmp(b); got != want {
					t.Errorf("cmp(%d) = %d, want %d", b, got, want)
				}
			}
			if tc.str != "" && d.String() != tc.str {
				t.Errorf("String() = %.80s, want %.80s", d.String(), tc.str)
			}
		})
	}
	for _, bad := range []string{"", "-", "+1", ".5", "1.", "1e", "1e+", "0x10", "1_000", "1.5.5", "--1", "1e5x"} {
		if _, ok := parseDecimal(bad); ok {
			t.Errorf("parseDecimal(%q) accepted", bad)
		}
	}
}
