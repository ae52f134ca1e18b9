package schemas

import "strings"

// The CloudEvents HTTP binding percent-encodes attribute values in ce-*
// headers: space, '"', '%' and every byte outside printable ASCII travel as
// %XX, so any string survives HTTP's header rules. NATS headers carry
// values as they are.

func mustPercentEncode(c byte) bool {
	return c <= ' ' || c >= 0x7f || c == '"' || c == '%'
}

// percentEncode returns s with every byte that may not travel as is in an
// HTTP ce-* header written as %XX. It returns s itself when nothing needs
// encoding.
func percentEncode(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if mustPercentEncode(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !mustPercentEncode(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xf])
	}
	return b.String()
}

// percentDecode reverses percentEncode. A '%' not followed by two hex digits
// is kept as it is, so values from senders that do not encode still read.
// It returns s itself when s holds no '%'.
func percentDecode(s string) string {
	i := strings.IndexByte(s, '%')
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
