package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wavelink/wavelink/schemas"
	"github.com/wavelink/wavelink/services/registry"
	"github.com/wavelink/wavelink/streams"
)

// await waits for the result of a synchronous invocation and answers with
// it (see wait).
func (g *Gateway) await(w http.ResponseWriter, r *http.Request, spec registry.Spec, fn string, wt *waiter) {
	res, herr := g.wait(r, spec, fn, wt)
	switch {
	case herr != nil:
		writeError(w, herr)
	case res != nil:
		writeResult(w, res, fn)
	}
}

// wait waits for the result of a synchronous invocation. It stops waiting
// when the client goes away (returning neither a result nor an error: there
// is no one to answer), when the function's sync wait passes (504: the
// invocation stays queued), or when a shutdown runs out of time (503); in
// each case the invocation still runs. A result that cannot be read is a
// 502.
func (g *Gateway) wait(r *http.Request, spec registry.Spec, fn string, wt *waiter) (*schemas.Result, *httpError) {
	bound := g.cfg.SyncWait(spec)
	start := time.Now()
	timer := time.NewTimer(bound)
	defer timer.Stop()
	defer func() { g.m.syncWait.Observe(time.Since(start).Seconds()) }()
	select {
	case <-wt.done:
		if wt.err != nil {
			var herr *httpError
			if !errors.As(wt.err, &herr) {
				herr = &httpError{code: http.StatusServiceUnavailable, msg: wt.err.Error(), function: fn, invocation: wt.id}
			}
			return nil, herr
		}
		res, err := schemas.DecodeResultNATS(wt.msg.Header, wt.msg.Data)
		if err != nil {
			g.log.Warn().Err(err).Str("function", fn).Str("invocation", wt.id).Msg("unreadable result")
			return nil, &httpError{code: http.StatusBadGateway, function: fn, invocation: wt.id,
				msg: fmt.Sprintf("the instance sent a result the gateway cannot read: %v", err)}
		}
		return &res, nil
	case <-r.Context().Done():
		g.log.Debug().Str("function", fn).Str("invocation", wt.id).Msg("client went away; the invocation still runs")
		return nil, nil
	case <-timer.C:
		return nil, &httpError{code: http.StatusGatewayTimeout, function: fn, invocation: wt.id,
			msg: fmt.Sprintf("no result within %s; invocation %q stays queued and will run", bound, wt.id)}
	case <-g.stop:
		return nil, &httpError{code: http.StatusServiceUnavailable, function: fn, invocation: wt.id,
			msg: fmt.Sprintf("the gateway is shutting down; invocation %q stays queued and will run", wt.id)}
	}
}

// writeResult answers with a finished invocation: the function's status and
// body when it succeeded, a JSON error otherwise (502 for an error answer or
// a crash, 504 for a timeout). The result's ce-* headers come with either.
func writeResult(w http.ResponseWriter, res *schemas.Result, fn string) {
	if res.Function != "" {
		fn = res.Function
	}
	schemas.SetResultHeadersHTTP(res, w.Header())
	herr := &httpError{function: fn, invocation: res.InvocationID, status: res.Status, outcome: string(res.Outcome)}
	switch res.Outcome {
	case schemas.OutcomeOK:
		code := res.Status
		if code < 200 || code > 599 {
			code = http.StatusOK
		}
		h := w.Header()
		if res.ContentType != "" {
			h.Set("Content-Type", res.ContentType)
		} else {
			h["Content-Type"] = nil // no type: send none, do not sniff one
		}
		h.Set("Content-Length", strconv.Itoa(len(res.Data)))
		w.WriteHeader(code)
		_, _ = w.Write(res.Data)
		return
	case schemas.OutcomeError:
		herr.code = http.StatusBadGateway
		herr.msg = fmt.Sprintf("function %q answered with status %d", fn, res.Status)
	case schemas.OutcomeCrash:
		herr.code = http.StatusBadGateway
		herr.msg = fmt.Sprintf("function %q crashed before answering", fn)
	case schemas.OutcomeTimeout:
		herr.code = http.StatusGatewayTimeout
		herr.msg = fmt.Sprintf("function %q ran past its timeout", fn)
	default:
		herr.code = http.StatusBadGateway
		herr.msg = fmt.Sprintf("function %q ended with unknown outcome %q", fn, res.Outcome)
	}
	if res.Error != "" {
		herr.msg += ": " + res.Error
	}
	writeError(w, herr)
}

// result serves GET {ResultPath}{id}: the stored result of an asynchronous
// invocation, or 404 while there is none.
func (g *Gateway) result(w http.ResponseWriter, r *http.Request) {
	esc := r.URL.EscapedPath()
	id, err := url.PathUnescape(esc[min(len(g.cfg.ResultPath), len(esc)):])
	if err != nil || id == "" {
		writeError(w, &httpError{code: http.StatusNotFound, msg: fmt.Sprintf("%s needs an invocation id: GET %s{id}", r.URL.Path, g.cfg.ResultPath)})
		return
	}
	st, err := g.resultStream(r.Context())
	if err != nil {
		writeError(w, g.resultError(id, err))
		return
	}
	m, err := st.GetLastMsgForSubject(r.Context(), streams.ResultSubject(id))
	if err != nil {
		writeError(w, g.resultError(id, err))
		return
	}
	res, err := schemas.DecodeResultNATS(m.Header, m.Data)
	if err != nil {
		writeError(w, &httpError{code: http.StatusBadGateway, invocation: id,
			msg: fmt.Sprintf("the stored result cannot be read: %v", err)})
		return
	}
	writeResult(w, &res, "")
}

func (g *Gateway) resultError(id string, err error) *httpError {
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return &httpError{code: http.StatusNotFound, invocation: id, msg: fmt.Sprintf(
			"no result for invocation %q: it has not finished yet, its result expired, or it was not sent with Prefer: respond-async", id)}
	}
	g.log.Warn().Err(err).Str("invocation", id).Msg("reading a result failed")
	return &httpError{code: http.StatusServiceUnavailable, invocation: id,
		msg: fmt.Sprintf("NATS is unavailable: reading the result of invocation %q: %v", id, err)}
}

// resultStream holds the WL_RESULT handle once looked up.
type resultStream struct{ jetstream.Stream }

// resultStream returns WL_RESULT, looked up once.
func (g *Gateway) resultStream(ctx context.Context) (jetstream.Stream, error) {
	if st := g.results.Load(); st != nil {
		return st.Stream, nil
	}
	st, err := g.js.Stream(ctx, streams.StreamResult)
	if err != nil {
		return nil, fmt.Errorf("gateway: stream %s: %w", streams.StreamResult, err)
	}
	g.results.Store(&resultStream{st})
	return st, nil
}
