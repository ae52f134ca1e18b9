package schemas

import (
	"math"
	"math/big"
	"strings"
)

// JSON numbers, for the schema keywords type "integer", minimum and
// maximum. A number is read exactly from its literal, as a decimal, so
// "1.0" and "1e2" are integers and no literal, however long its exponent,
// costs more than a scan of its characters.

// decimal is a JSON number literal as neg × digits × 10^exp, with digits
// free of leading and trailing zeros ("" for zero).
type decimal struct {
	literal string
	neg     bool
	digits  string
	exp     int64
}

// maxExponent bounds exponents; a literal whose exponent goes past it
// keeps this value, which still places it beyond any int64 bound.
const maxExponent = 1 << 40

// parseDecimal reads a number literal, as encoding/json accepts it
// (-?int(.frac)?([eE][+-]?digits)?). ok is false for anything else.
func parseDecimal(lit string) (d decimal, ok bool) {
	d.literal = lit
	s := lit
	if strings.HasPrefix(s, "-") {
		d.neg = true
		s = s[1:]
	}
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i == 0 {
		return decimal{}, false
	}
	intPart, frac := s[:i], ""
	s = s[i:]
	if strings.HasPrefix(s, ".") {
		j := 1
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		if j == 1 {
			return decimal{}, false
		}
		frac, s = s[1:j], s[j:]
	}
	var exp int64
	if s != "" {
		if s[0] != 'e' && s[0] != 'E' {
			return decimal{}, false
		}
		s = s[1:]
		expNeg := false
		if s != "" && (s[0] == '+' || s[0] == '-') {
			expNeg = s[0] == '-'
			s = s[1:]
		}
		if s == "" {
			return decimal{}, false
		}
		for _, c := range []byte(s) {
			if !isDigit(c) {
				return decimal{}, false
			}
			if exp < maxExponent {
				exp = exp*10 + int64(c-'0')
			}
		}
		if expNeg {
			exp = -exp
		}
	}
	digits := strings.TrimLeft(intPart+frac, "0")
	exp -= int64(len(frac))
	trimmed := strings.TrimRight(digits, "0")
	exp += int64(len(digits) - len(trimmed))
	d.digits = trimmed
	if d.digits == "" {
		d.neg, d.exp = false, 0
	} else {
		d.exp = exp
	}
	return d, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isInteger reports whether d has no fractional part.
func (d decimal) isInteger() bool { return d.digits == "" || d.exp >= 0 }

// cmp compares d with b: -1 when d < b, 0 when equal, +1 when d > b.
func (d decimal) cmp(b int64) int {
	if d.digits == "" {
		return cmpInt(0, b)
	}
	whole, frac, huge := d.magnitude()
	if !d.neg {
		switch {
		case huge || b < 0 || whole > uint64(b):
			return 1
		case whole < uint64(b):
			return -1 // whole+frac < whole+1 <= b
		case frac:
			return 1
		}
		return 0
	}
	if b >= 0 {
		return -1
	}
	m := uint64(-(b + 1)) + 1 // |b|, without overflowing at math.MinInt64
	switch {
	case huge || whole > m:
		return -1
	case whole < m:
		return 1
	case frac:
		return -1
	}
	return 0
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// magnitude returns the whole part of |d|, whether a fraction is left, and
// huge when the whole part does not fit a uint64's 19 digits.
func (d decimal) magnitude() (whole uint64, frac, huge bool) {
	n := int64(len(d.digits)) + d.exp // digits before the decimal point
	if n > 19 {
		return 0, d.exp < 0, true
	}
	intDigits := d.digits
	if d.exp < 0 {
		frac = true
		if n <= 0 {
			return 0, true, false
		}
		intDigits = d.digits[:n]
	}
	for _, c := range []byte(intDigits) {
		whole = whole*10 + uint64(c-'0')
	}
	for range max(d.exp, 0) {
		whole *= 10
	}
	return whole, frac, false
}

// maxShownDigits bounds the digits a number is written out with in
// messages.
const maxShownDigits = 1000

// String writes d for an error message: in lowest terms as big.Rat's
// RatString does ("100", "-3/2"), or as its literal when that would take
// more than maxShownDigits digits.
func (d decimal) String() string {
	if d.digits == "" {
		return "0"
	}
	sign := ""
	if d.neg {
		sign = "-"
	}
	if d.isInteger() {
		if int64(len(d.digits))+d.exp > maxShownDigits {
			return d.literal
		}
		return sign + d.digits + strings.Repeat("0", int(d.exp))
	}
	if len(d.digits) > maxShownDigits || -d.exp > maxShownDigits {
		return d.literal
	}
	r, ok := new(big.Rat).SetString(d.literal)
	if !ok {
		return d.literal
	}
	return r.RatString()
}

// int64 returns d as an int64; ok is false when d is not an integer or does
// not fit.
func (d decimal) int64() (i int64, ok bool) {
	if !d.isInteger() {
		return 0, false
	}
	if d.digits == "" {
		return 0, true
	}
	if d.cmp(math.MinInt64) < 0 || d.cmp(math.MaxInt64) > 0 {
		return 0, false
	}
	whole, _, _ := d.magnitude()
	if d.neg {
		return -int64(whole-1) - 1, true
	}
	return int64(whole), true
}
