package schemas

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The JSON Schema format "date-time": an RFC 3339 date-time
// (yyyy-mm-ddThh:mm:ss[.frac](Z|±hh:mm), T and Z in either case, a leap
// second allowed at 23:59:60 UTC). Its messages are word for word those
// of the JSON Schema library the tests compare the validator with.

// checkDateTime returns why s is not a date-time, or nil.
func checkDateTime(s string) error {
	if len(s) < 20 {
		return errors.New("less than 20 characters long")
	}
	if s[10] != 't' && s[10] != 'T' {
		return errors.New("11th character must be t or T")
	}
	if _, err := time.Parse(time.DateOnly, s[:10]); err != nil {
		return fmt.Errorf("invalid date element: %w", err)
	}
	if err := checkTimeOfDay(s[11:]); err != nil {
		return fmt.Errorf("invalid time element: %w", err)
	}
	return nil
}

// checkTimeOfDay returns why s is not an RFC 3339 full-time, or nil.
func checkTimeOfDay(s string) error {
	if len(s) < 9 {
		return errors.New("less than 9 characters long")
	}
	if s[2] != ':' || s[5] != ':' {
		return errors.New("missing colon in correct place")
	}
	var hms [3]int
	for i, tok := range strings.SplitN(s[:8], ":", 3) {
		n, err := strconv.Atoi(tok)
		if err != nil {
			return errors.New("invalid hour/min/sec")
		}
		if n < 0 {
			return errors.New("non-positive hour/min/sec")
		}
		hms[i] = n
	}
	h, m, sec := hms[0], hms[1], hms[2]
	if h > 23 || m > 59 || sec > 60 {
		return errors.New("hour/min/sec out of range")
	}
	s = s[8:]
	if rest, ok := strings.CutPrefix(s, "."); ok {
		n := 0
		for n < len(rest) && isDigit(rest[n]) {
			n++
		}
		if n == 0 {
			return errors.New("no digits in second fraction")
		}
		s = rest[n:]
	}
	if s != "z" && s != "Z" {
		if len(s) != 6 {
			return errors.New("offset must be 6 characters long")
		}
		var sign int
		switch s[0] {
		case '+':
			sign = -1
		case '-':
			sign = +1
		default:
			return errors.New("offset must begin with plus/minus")
		}
		s = s[1:]
		if s[2] != ':' {
			return errors.New("missing colon in offset in correct place")
		}
		var zhm [2]int
		for i, tok := range strings.SplitN(s, ":", 2) {
			n, err := strconv.Atoi(tok)
			if err != nil {
				return errors.New("invalid hour/min in offset")
			}
			if n < 0 {
				return errors.New("non-positive hour/min in offset")
			}
			zhm[i] = n
		}
		if zhm[0] > 23 || zhm[1] > 59 {
			return errors.New("hour/min in offset out of range")
		}
		// The time in UTC, to place a leap second.
		hm := h*60 + m + sign*(zhm[0]*60+zhm[1])
		if hm < 0 {
			hm += 24 * 60
		}
		h, m = hm/60, hm%60
	}
	if sec >= 60 && (h != 23 || m != 59) {
		return errors.New("invalid leap second")
	}
	return nil
}
