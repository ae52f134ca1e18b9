package builtin

import "errors"

// ErrBadTraceParam is wrapped by every error ParseTraceParams returns; the
// message names the header and what is wrong with its value.
var ErrBadTraceParam = errors.New("bad trace parameter")
