package instance

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/wavelink/wavelink/schemas"
)

// function is what the runtime calls for each invocation: a built-in
// handler in process, or a packaged function's process over HTTP.
type function interface {
	// Call runs one invocation and returns the function's answer. An error
	// means there was no answer: the context ended, or the function crashed
	// (wrapping ErrNoAnswer).
	Call(ctx context.Context, inv *schemas.Invocation) (status int, contentType string, body []byte, err error)
}

// stopper is a function with something to stop when the instance ends.
type stopper interface {
	// Stop ends the function's process and releases what it holds.
	Stop()
}

// failer is a function that can fail for good while the instance runs.
type failer interface {
	// Failed is closed when the function can no longer be called; Err then
	// says why.
	Failed() <-chan struct{}
	Err() error
}

// newFunctionRequest makes the HTTP request of the function contract for
// inv: POST to url, the data as the body, the invocation's request headers,
// its attributes as ce-* headers and its data's media type as Content-Type.
func newFunctionRequest(ctx context.Context, url string, inv *schemas.Invocation) (*http.Request, error) {
	h := make(http.Header, 8+len(inv.Header)+len(inv.Extensions))
	body := schemas.EncodeInvocationHTTP(inv, h)
	// A result keeps only the answer's body and Content-Type, so the answer
	// must not be content-encoded: without the caller's Accept-Encoding, and
	// with the process transport's own compression off, nothing asks the
	// function to encode it.
	for k := range h {
		if strings.EqualFold(k, "Accept-Encoding") {
			delete(h, k)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("instance: request for invocation %s: %w", inv.ID, err)
	}
	req.Header = h
	return req, nil
}

// handlerFunction calls a built-in http.Handler in process: no network, a
// request built as a server would hand it over, and a small ResponseWriter
// that keeps the answer.
type handlerFunction struct {
	name    string
	handler http.Handler
}

var _ function = (*handlerFunction)(nil)

// Call runs the handler. A panic in the handler is a crash: the error wraps
// ErrNoAnswer.
func (f *handlerFunction) Call(ctx context.Context, inv *schemas.Invocation) (status int, contentType string, body []byte, err error) {
	req, err := newFunctionRequest(ctx, "/", inv)
	if err != nil {
		return 0, "", nil, err
	}
	req.RequestURI = "/"
	req.Host = f.name
	req.RemoteAddr = "127.0.0.1:0"
	w := &answer{header: make(http.Header, 2)}
	defer func() {
		if r := recover(); r != nil {
			status, contentType, body = 0, "", nil
			err = fmt.Errorf("%w: built-in %s panicked: %v", ErrNoAnswer, f.name, r)
		}
	}()
	f.handler.ServeHTTP(w, req)
	if err := ctx.Err(); err != nil && w.status == 0 {
		return 0, "", nil, err
	}
	return w.result()
}

// answer is the ResponseWriter of an in-process call.
type answer struct {
	header http.Header
	status int
	body   []byte
}

func (a *answer) Header() http.Header { return a.header }

func (a *answer) WriteHeader(code int) {
	if a.status != 0 || code < 200 { // first status wins; informational ones are dropped
		return
	}
	a.status = code
}

func (a *answer) Write(b []byte) (int, error) {
	if a.status == 0 {
		a.WriteHeader(http.StatusOK)
	}
	if a.body == nil {
		a.body = make([]byte, 0, len(b)) // most handlers write their answer at once
	}
	a.body = append(a.body, b...)
	return len(b), nil
}

// result returns the answer as a server would have sent it: status 200 if
// none was written, and a sniffed Content-Type if the handler set none.
func (a *answer) result() (int, string, []byte, error) {
	status := a.status
	if status == 0 {
		status = http.StatusOK
	}
	ct := a.header.Get("Content-Type")
	if _, set := a.header["Content-Type"]; !set && len(a.body) > 0 {
		ct = http.DetectContentType(a.body)
	}
	return status, ct, a.body, nil
}
