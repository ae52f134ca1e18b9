package schemas

import (
	"errors"
	"fmt"
)

// ErrInvalid is wrapped by every *FieldError, so callers can test
// errors.Is(err, ErrInvalid).
var ErrInvalid = errors.New("invalid CloudEvent")

// FieldError names the attribute or data field that is missing or wrong.
type FieldError struct {
	Field   string // attribute name ("id", "time") or JSON path in data ("data.count")
	Problem string // what is wrong with it
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%v: %s %s", ErrInvalid, e.Field, e.Problem)
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *FieldError) Unwrap() error { return ErrInvalid }
