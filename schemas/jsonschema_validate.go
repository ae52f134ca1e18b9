package schemas

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Validating a decoded JSON document against a loaded schema. A document
// may break several keywords; every problem is found and the one reported
// is the first in order of field, then of problem text, so the same
// document always gets the same error.

// validateJSON checks doc, a JSON value decoded with UseNumber, against s.
// It returns nil when doc matches, else the first problem as a *FieldError
// whose Field is a path under prefix, such as "data.count".
func validateJSON(s *schemaNode, prefix string, doc any) *FieldError {
	v := validation{prefix: prefix}
	v.value(s, doc)
	return v.first
}

// validation is one run of validateJSON.
type validation struct {
	prefix string
	path   []string // keys and array indexes from the root to the value checked
	first  *FieldError
}

// report records a problem of the value being checked.
func (v *validation) report(problem string) { v.record(v.field(), problem) }

// reportKey records a problem of the member key of the object being
// checked.
func (v *validation) reportKey(key, problem string) { v.record(v.field()+"."+key, problem) }

// field is the path of the value being checked.
func (v *validation) field() string {
	if len(v.path) == 0 {
		return v.prefix
	}
	return v.prefix + "." + strings.Join(v.path, ".")
}

// record keeps the problem if it comes first so far.
func (v *validation) record(field, problem string) {
	if v.first == nil || field < v.first.Field || field == v.first.Field && problem < v.first.Problem {
		v.first = &FieldError{Field: field, Problem: problem}
	}
}

// value checks x against s. As in JSON Schema validators generally, a
// value of the wrong type, outside its enum or not of its format gets that
// one problem and no other.
func (v *validation) value(s *schemaNode, x any) {
	t := jsonTypeOf(x)
	var num decimal
	if n, ok := x.(json.Number); ok {
		if num, ok = parseDecimal(string(n)); !ok {
			v.report("is not a JSON number: " + quote(string(n)))
			return
		}
	}
	if s.typ != typeAny && s.typ != t && (s.typ != typeInteger || t != typeNumber || !num.isInteger()) {
		v.report("must be " + s.typ.String() + ", got " + t.String())
		return
	}
	str, isString := x.(string)
	if s.enum != nil && (!isString || !slices.Contains(s.enum, str)) {
		v.report(enumProblem(s.enum))
		return
	}
	if s.dateTime && isString {
		if err := checkDateTime(str); err != nil {
			v.report(singleQuote(str) + " is not valid date-time: " + err.Error())
			return
		}
	}
	if s.ref != nil {
		v.value(s.ref, x)
	}
	switch x := x.(type) {
	case map[string]any:
		v.object(s, x)
	case []any:
		v.array(s, x)
	case string:
		v.string(s, x)
	case json.Number:
		v.number(s, num)
	}
}

func (v *validation) object(s *schemaNode, obj map[string]any) {
	for _, k := range s.required {
		if _, ok := obj[k]; !ok {
			v.reportKey(k, "is required")
		}
	}
	for k, x := range obj {
		sub := s.properties[k]
		if sub == nil {
			sub = s.additional
		}
		switch {
		case sub != nil:
			v.path = append(v.path, k)
			v.value(sub, x)
			v.path = v.path[:len(v.path)-1]
		case s.closed:
			v.reportKey(k, "is not a known field")
		}
		if s.propertyNames != nil {
			if fe := validateJSON(s.propertyNames, "", k); fe != nil {
				v.reportKey(k, keyProblem(s.propertyNames, fe))
			}
		}
	}
}

// keyProblem says why a member's key is refused: what the property-name
// schema's description says a key must be, or else the key's problem.
func keyProblem(names *schemaNode, fe *FieldError) string {
	if names.description != "" {
		return "is not a valid key: it must be " + names.description
	}
	return "is not a valid key: it " + fe.Problem
}

func (v *validation) array(s *schemaNode, arr []any) {
	if s.minItems >= 0 && len(arr) < s.minItems {
		v.report("minItems: got " + groupDigits(len(arr)) + ", want " + groupDigits(s.minItems))
	}
	if s.maxItems >= 0 && len(arr) > s.maxItems {
		v.report("maxItems: got " + groupDigits(len(arr)) + ", want " + groupDigits(s.maxItems))
	}
	if s.items == nil {
		return
	}
	for i, x := range arr {
		v.path = append(v.path, strconv.Itoa(i))
		v.value(s.items, x)
		v.path = v.path[:len(v.path)-1]
	}
}

func (v *validation) string(s *schemaNode, str string) {
	if s.minLength >= 0 || s.maxLength >= 0 {
		n := utf8.RuneCountInString(str)
		if n < s.minLength {
			if s.minLength == 1 {
				v.report("must not be empty")
			} else {
				v.report(fmt.Sprintf("must be at least %d characters, got %d", s.minLength, n))
			}
		}
		if s.maxLength >= 0 && n > s.maxLength {
			v.report(fmt.Sprintf("must be at most %d characters, got %d", s.maxLength, n))
		}
	}
	if s.pattern != nil && !s.pattern.MatchString(str) {
		v.report("must match " + s.pattern.String() + ", got " + quote(str))
	}
}

func (v *validation) number(s *schemaNode, d decimal) {
	if s.minimum != nil && d.cmp(*s.minimum) < 0 {
		v.report("must be at least " + strconv.FormatInt(*s.minimum, 10) + ", got " + d.String())
	}
	if s.maximum != nil && d.cmp(*s.maximum) > 0 {
		v.report("must be at most " + strconv.FormatInt(*s.maximum, 10) + ", got " + d.String())
	}
}

// enumProblem lists the values an enum allows.
func enumProblem(values []string) string {
	if len(values) == 1 {
		return "value must be " + singleQuote(values[0])
	}
	quoted := make([]string, len(values))
	for i, s := range values {
		quoted[i] = singleQuote(s)
	}
	return "value must be one of " + strings.Join(quoted, ", ")
}

// singleQuote quotes s in single quotes, escaped as Go escapes a string,
// with double quotes left bare and single quotes escaped.
func singleQuote(s string) string {
	q := strconv.Quote(s)
	q = strings.ReplaceAll(q, `\"`, `"`)
	q = strings.ReplaceAll(q, `'`, `\'`)
	return "'" + q[1:len(q)-1] + "'"
}

// groupDigits writes a count with a comma between groups of three digits
// ("1,001"), as the JSON Schema library's English messages do.
func groupDigits(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i := range len(s) {
		if i > 0 && s[i-1] != '-' && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
