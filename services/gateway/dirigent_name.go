package gateway

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/wavelink/wavelink/streams"
)

// MaxDirigentNameLength bounds a function name the loader registers or
// invokes.
const MaxDirigentNameLength = 253

// dirigentHashLength is how many hex digits of the name's SHA-256 a
// rewritten name ends with; maxLabel is the longest DNS label.
const (
	dirigentHashLength = 8
	maxLabel           = 63
)

// DirigentFunctionName returns the WaveLink function a name the loader uses
// maps to. A name that is already a DNS label is kept. Any other is
// lower-cased, each run of characters other than letters and digits becomes
// one '-', it is cut to fit, and it ends with '-' and the first 8 hex digits
// of the SHA-256 of the name as given, so that two names never share a
// function ("Fn_A" becomes "fn-a-" plus the hash). The mapping is a pure
// function of the name: every gateway, and a gateway restarted, finds the
// same function.
//
// The error wraps ErrInvalidName for an empty name, one longer than
// MaxDirigentNameLength bytes, or one with a character other than ASCII
// letters, digits, '-', '_' and '.' (a Host header could not carry it).
func DirigentFunctionName(name string) (string, error) {
	if streams.ValidFunctionName(name) {
		return name, nil
	}
	switch {
	case name == "":
		return "", fmt.Errorf("%w: the name is empty", ErrInvalidName)
	case len(name) > MaxDirigentNameLength:
		return "", fmt.Errorf("%w: the name is %d bytes, more than the %d allowed", ErrInvalidName, len(name), MaxDirigentNameLength)
	}
	var b strings.Builder
	b.Grow(len(name) + 1 + dirigentHashLength)
	dash := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteByte(c)
			dash = false
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
			dash = false
		case c == '-' || c == '_' || c == '.':
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = true
		default:
			return "", fmt.Errorf("%w: %q has the character %q at byte %d (allowed: ASCII letters, digits, '-', '_' and '.')",
				ErrInvalidName, name, rune(c), i)
		}
	}
	const keep = maxLabel - 1 - dirigentHashLength
	base := b.String()
	if len(base) > keep {
		base = base[:keep]
	}
	base = strings.TrimRight(base, "-")
	sum := sha256.Sum256([]byte(name))
	hash := hex.EncodeToString(sum[:dirigentHashLength/2])
	if base == "" {
		return "fn-" + hash, nil
	}
	return base + "-" + hash, nil
}

// hostFunctionName returns the function name a request carries in its Host
// header (":authority" in HTTP/2), without a port.
func hostFunctionName(host string) string {
	if i := strings.LastIndexByte(host, ':'); i >= 0 && allDigits(host[i+1:]) {
		host = host[:i]
	}
	return host
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
