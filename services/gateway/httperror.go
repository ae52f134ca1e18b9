package gateway

import (
	"net/http"
	"strconv"
)

// httpError is an answer the gateway gives instead of a result. It is
// written as a JSON object whose "error" names the problem, with the other
// fields that are set.
type httpError struct {
	code       int    // HTTP status of the answer
	msg        string // what went wrong, for a person
	function   string // the function, when known
	invocation string // the invocation id, when one was made
	field      string // the CloudEvent attribute at fault (400)
	status     int    // the function's own HTTP status, when it answered
	outcome    string // the invocation's outcome, when it ended
	retryAfter bool   // set Retry-After: 1
}

func (e *httpError) Error() string { return e.msg }

func (e *httpError) body() []byte {
	o := make(jsonObject, 0, 96+len(e.msg)).str("error", e.msg)
	if e.function != "" {
		o = o.str("function", e.function)
	}
	if e.invocation != "" {
		o = o.str("invocation", e.invocation)
	}
	if e.field != "" {
		o = o.str("field", e.field)
	}
	if e.status != 0 {
		o = o.num("status", int64(e.status))
	}
	if e.outcome != "" {
		o = o.str("outcome", e.outcome)
	}
	return o.bytes()
}

// writeError answers with e.
func writeError(w http.ResponseWriter, e *httpError) {
	if e.retryAfter {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, e.code, e.body())
}

// writeJSON answers with a JSON body.
func writeJSON(w http.ResponseWriter, code int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	_, _ = w.Write(body)
}
