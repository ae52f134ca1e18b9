package gateway

import (
	"strconv"
	"unicode/utf8"
)

// jsonObject builds a flat JSON object by appending, without reflection:
// the gateway's answers are a handful of string, number and boolean fields.
type jsonObject []byte

func (o jsonObject) key(k string) jsonObject {
	if len(o) == 0 {
		o = append(o, '{')
	} else {
		o = append(o, ',')
	}
	o = appendJSONString(o, k)
	return append(o, ':')
}

// str adds a string field.
func (o jsonObject) str(k, v string) jsonObject { return appendJSONString(o.key(k), v) }

// num adds an integer field.
func (o jsonObject) num(k string, v int64) jsonObject { return strconv.AppendInt(o.key(k), v, 10) }

// boolean adds a boolean field.
func (o jsonObject) boolean(k string, v bool) jsonObject { return strconv.AppendBool(o.key(k), v) }

// bytes closes the object and returns it with a trailing newline.
func (o jsonObject) bytes() []byte {
	if len(o) == 0 {
		return []byte("{}\n")
	}
	return append(o, '}', '\n')
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes
// U+FFFD; control characters, '"' and '\\' are escaped.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, "\ufffd"...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
