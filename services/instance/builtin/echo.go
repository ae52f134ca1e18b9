package builtin

import (
	"fmt"
	"io"
	"net/http"
)

// MaxEchoBytes bounds the body echo reads; a larger body is answered with 413.
const MaxEchoBytes = 8 << 20

// Echo answers the request body unchanged, with the request's Content-Type.
type Echo struct{}

// ServeHTTP implements the echo function.
func (Echo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength > MaxEchoBytes {
		http.Error(w, fmt.Sprintf("echo: body larger than %d bytes", MaxEchoBytes), http.StatusRequestEntityTooLarge)
		return
	}
	body, err := readBody(r)
	if err != nil {
		http.Error(w, fmt.Sprintf("echo: read body: %v", err), http.StatusBadRequest)
		return
	}
	if len(body) > MaxEchoBytes {
		http.Error(w, fmt.Sprintf("echo: body larger than %d bytes", MaxEchoBytes), http.StatusRequestEntityTooLarge)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// readBody reads at most MaxEchoBytes+1 bytes of the body, in one
// allocation when the request says its length.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.ContentLength == 0 {
		return nil, nil
	}
	if r.ContentLength < 0 {
		return io.ReadAll(io.LimitReader(r.Body, MaxEchoBytes+1))
	}
	body := make([]byte, r.ContentLength)
	if _, err := io.ReadFull(r.Body, body); err != nil {
		return nil, err
	}
	return body, nil
}
