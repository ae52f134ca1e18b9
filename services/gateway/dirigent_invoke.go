package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wavelink/wavelink/schemas"
	"github.com/wavelink/wavelink/streams"
)

// Headers of the Dirigent routes.
const (
	// traceModeHeader tells the trace function to spin or sleep; it is the
	// trace built-in's x-trace-mode.
	traceModeHeader = "X-Trace-Mode"
	// durationHeader carries, on an async result, the microseconds from the
	// invocation's acceptance to its result being read.
	durationHeader = "Duration-Microseconds"
	// errorHeader says why the async result route answered an empty body.
	errorHeader = "Wl-Error"
)

// invoke serves POST {Prefix}invoke (sync) and {Prefix}invoke-async: the
// function is named by the Host header, the request's headers (the loader's
// requested_cpu, requested_memory and the rest) go to the function with the
// configured trace mode, and the body is the data.
func (d *Dirigent) invoke(w http.ResponseWriter, r *http.Request, async bool) {
	name := hostFunctionName(r.Host)
	fn, err := DirigentFunctionName(name)
	if err != nil {
		writeError(w, &httpError{code: http.StatusNotFound, field: "Host",
			msg: fmt.Sprintf("the Host header %q names no function: %v", r.Host, err)})
		return
	}
	spec, herr := d.g.lookup(fn)
	if herr != nil {
		writeError(w, herr)
		return
	}
	d.remember(name, fn)
	buf, herr := d.g.readBody(r)
	if herr != nil {
		herr.function = fn
		writeError(w, herr)
		return
	}
	newID := uuid.NewString
	if async {
		newID = d.asyncID
	}
	inv, herr := decodeInvocation(r, buf.Bytes(), false, newID)
	if herr != nil {
		d.g.putBuf(buf)
		herr.function = fn
		writeError(w, herr)
		return
	}
	if inv.Header == nil {
		inv.Header = make(http.Header, 1)
	}
	inv.Header.Set(traceModeHeader, d.cfg.TraceMode)

	if async {
		_, herr = d.g.publish(r.Context(), fn, &inv, "")
		d.g.putBuf(buf)
		if herr != nil {
			writeError(w, herr)
			return
		}
		writeText(w, http.StatusOK, inv.ID)
		return
	}
	wt, created := d.g.replies.register(inv.ID)
	defer d.g.replies.release(wt)
	var dup bool
	if created {
		dup, herr = d.g.publish(r.Context(), fn, &inv, wt.subject)
	}
	d.g.putBuf(buf)
	if herr == nil && dup {
		herr = &httpError{code: http.StatusConflict, function: fn, invocation: inv.ID,
			msg: fmt.Sprintf("invocation %q was already accepted and was not run again", inv.ID)}
	}
	if herr != nil {
		d.g.replies.fail(wt, herr)
		writeError(w, herr)
		return
	}
	res, herr := d.g.wait(r, spec, fn, wt)
	switch {
	case herr != nil:
		writeError(w, herr)
	case res != nil:
		d.writeReply(w, res, fn, name)
	}
}

// asyncID makes the id of an async invocation: the time it was accepted, in
// Unix microseconds, then '-' and a UUID. The async result route reads the
// time back for its Duration-Microseconds.
func (d *Dirigent) asyncID() string {
	return strconv.FormatInt(d.now().UnixMicro(), 10) + "-" + uuid.NewString()
}

// acceptedAt reads the acceptance time from an async id.
func acceptedAt(id string) (time.Time, bool) {
	us, _, ok := strings.Cut(id, "-")
	if !ok {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(us, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}, false
	}
	return time.UnixMicro(n), true
}

// loaderReply is the answer the loader reads; the loader unmarshals it into
// a struct of exactly these fields and types.
type loaderReply struct {
	Status        string `json:"Status"`
	Function      string `json:"Function"`
	MachineName   string `json:"MachineName"`
	ExecutionTime int64  `json:"ExecutionTime"` // microseconds
}

// loaderBody rewrites a function's JSON answer into the loader's form, with
// Function set to the name the loader knows. It returns false for an
// answer that is not such a JSON object, which then goes to the loader as
// it is.
func loaderBody(data []byte, name string) ([]byte, bool) {
	if t := bytes.TrimSpace(data); len(t) == 0 || t[0] != '{' {
		return nil, false
	}
	var rep loaderReply
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, false
	}
	return jsonObject(make([]byte, 0, 96+len(name)+len(rep.Status)+len(rep.MachineName))).
		str("Status", rep.Status).str("Function", name).str("MachineName", rep.MachineName).
		num("ExecutionTime", rep.ExecutionTime).bytes(), true
}

// writeReply answers a finished invocation the loader's way: a successful
// one with the loader's JSON (or the function's own body when it is not
// such JSON), a failed one as writeResult does (502 or 504 with a JSON
// error).
func (d *Dirigent) writeReply(w http.ResponseWriter, res *schemas.Result, fn, name string) {
	if res.Outcome != schemas.OutcomeOK {
		writeResult(w, res, fn)
		return
	}
	body, ok := loaderBody(res.Data, name)
	if !ok {
		writeResult(w, res, fn)
		return
	}
	schemas.SetResultHeadersHTTP(res, w.Header())
	code := res.Status
	if code < 200 || code > 599 {
		code = http.StatusOK
	}
	writeJSON(w, code, body)
}

// result serves GET {Prefix}async-result: the id is the request body (or,
// for clients that send no body with GET, the id query parameter). A
// finished invocation is answered as a synchronous one is, with a
// Duration-Microseconds header: the time from its acceptance to now. Any
// other answer has an empty body, which the loader counts as a failed
// invocation, and says why in a Wl-Error header: 400 without an id, 404
// while there is no result, 502 or 504 for a failed invocation, 503 when
// NATS is unavailable.
func (d *Dirigent) result(w http.ResponseWriter, r *http.Request) {
	start := d.now()
	b, err := io.ReadAll(io.LimitReader(r.Body, MaxIDLength+1))
	if err != nil {
		emptyAnswer(w, http.StatusBadRequest, fmt.Sprintf("reading the request body: %v", err))
		return
	}
	id := strings.TrimSpace(string(b))
	if id == "" {
		id = r.URL.Query().Get("id")
	}
	switch {
	case id == "":
		emptyAnswer(w, http.StatusBadRequest, "the invocation id is required as the request body")
		return
	case len(id) > MaxIDLength:
		emptyAnswer(w, http.StatusBadRequest, fmt.Sprintf("the invocation id is more than %d bytes", MaxIDLength))
		return
	}
	st, err := d.g.resultStream(r.Context())
	var m *jetstream.RawStreamMsg
	if err == nil {
		m, err = st.GetLastMsgForSubject(r.Context(), streams.ResultSubject(id))
	}
	if err != nil {
		herr := d.g.resultError(id, err)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			herr.msg = fmt.Sprintf("no result for invocation %q: it has not finished yet, its result expired, or it was not sent to %s%s",
				id, d.cfg.Prefix, dirigentAsyncPath)
		}
		emptyAnswer(w, herr.code, herr.msg)
		return
	}
	res, err := schemas.DecodeResultNATS(m.Header, m.Data)
	if err != nil {
		emptyAnswer(w, http.StatusBadGateway, fmt.Sprintf("the stored result of invocation %q cannot be read: %v", id, err))
		return
	}
	fn := res.Function
	name := d.loaderName(fn)
	if res.Outcome != schemas.OutcomeOK {
		herr := &httpError{code: http.StatusBadGateway, msg: fmt.Sprintf("function %q ended with outcome %s", fn, res.Outcome)}
		if res.Outcome == schemas.OutcomeTimeout {
			herr.code = http.StatusGatewayTimeout
		}
		if res.Error != "" {
			herr.msg += ": " + res.Error
		}
		schemas.SetResultHeadersHTTP(&res, w.Header())
		emptyAnswer(w, herr.code, herr.msg)
		return
	}
	if accepted, ok := acceptedAt(id); ok && !res.Time.IsZero() {
		e2e := max(res.Time.Sub(accepted), 0) + max(d.now().Sub(start), 0)
		w.Header().Set(durationHeader, strconv.FormatInt(e2e.Microseconds(), 10))
	}
	d.writeReply(w, &res, fn, name)
}

// emptyAnswer answers code with no body, the reason in the Wl-Error header.
func emptyAnswer(w http.ResponseWriter, code int, reason string) {
	h := w.Header()
	h.Del("Content-Type")
	h.Set(errorHeader, strings.NewReplacer("\r", " ", "\n", " ").Replace(reason))
	h.Set("Content-Length", "0")
	w.WriteHeader(code)
}
