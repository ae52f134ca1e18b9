package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/wavelink/wavelink/schemas"
	"github.com/wavelink/wavelink/services/registry"
	"github.com/wavelink/wavelink/streams"
)

// MaxIDLength bounds an invocation id: the id becomes a header and, escaped,
// a subject token of its result.
const MaxIDLength = 512

// invoke serves POST /functions/{name} (events false: a plain request whose
// body is the data) and POST /events[/{name}] (events true: a CloudEvent in
// binary or structured mode; with no name in the path its wlfunction
// attribute names the function).
func (g *Gateway) invoke(w http.ResponseWriter, r *http.Request, name string, events bool) {
	var spec registry.Spec
	if !events || name != "" {
		var herr *httpError
		if spec, herr = g.lookup(name); herr != nil {
			writeError(w, herr)
			return
		}
	}
	buf, herr := g.readBody(r)
	if herr != nil {
		herr.function = name
		writeError(w, herr)
		return
	}
	inv, herr := decodeInvocation(r, buf.Bytes(), events, uuid.NewString)
	if herr == nil && events {
		name, spec, herr = g.eventFunction(name, spec, &inv)
	}
	if herr != nil {
		g.putBuf(buf)
		if herr.function == "" {
			herr.function = name
		}
		writeError(w, herr)
		return
	}

	sync := !prefersAsync(r.Header)
	var wt *waiter
	created := true
	if sync {
		wt, created = g.replies.register(inv.ID)
		defer g.replies.release(wt)
	}
	var dup bool
	if created {
		reply := ""
		if sync {
			reply = wt.subject
		}
		dup, herr = g.publish(r.Context(), name, &inv, reply)
	}
	g.putBuf(buf) // the message was copied out by the publish
	if herr != nil {
		if sync {
			g.replies.fail(wt, herr)
		}
		writeError(w, herr)
		return
	}
	if !sync {
		g.accepted(w, inv.ID, dup)
		return
	}
	if dup {
		herr := &httpError{
			code: http.StatusConflict, function: name, invocation: inv.ID,
			msg: fmt.Sprintf("invocation %q was already accepted and was not run again; this gateway keeps no "+
				"synchronous result for it (send with Prefer: respond-async to fetch results by id from %s{id})",
				inv.ID, g.cfg.ResultPath),
		}
		g.replies.fail(wt, herr)
		writeError(w, herr)
		return
	}
	g.await(w, r, spec, name, wt)
}

// lookup returns the spec of a function that takes invocations, or the 404
// to answer.
func (g *Gateway) lookup(name string) (registry.Spec, *httpError) {
	if !streams.ValidFunctionName(name) {
		return registry.Spec{}, &httpError{code: http.StatusNotFound, msg: fmt.Sprintf(
			"%q is not a function name (a DNS label: lower-case letters, digits and '-', at most 63, starting and ending with a letter or digit)", name)}
	}
	spec, ok := g.specs.Lookup(name)
	if !ok {
		return registry.Spec{}, &httpError{code: http.StatusNotFound, function: name,
			msg: fmt.Sprintf("function %q is not deployed", name)}
	}
	if spec.Draining {
		return registry.Spec{}, &httpError{code: http.StatusNotFound, function: name,
			msg: fmt.Sprintf("function %q is being removed and takes no new invocations", name)}
	}
	return spec, nil
}

// eventFunction resolves the function a CloudEvent goes to: the path's name
// or, without one, the event's wlfunction attribute. The two must agree when
// both are given.
func (g *Gateway) eventFunction(name string, spec registry.Spec, inv *schemas.Invocation) (string, registry.Spec, *httpError) {
	attr := inv.Extensions[schemas.ExtFunction]
	if name != "" {
		if attr != "" && attr != name {
			return name, spec, &httpError{code: http.StatusBadRequest, field: schemas.ExtFunction, invocation: inv.ID,
				msg: fmt.Sprintf("invalid CloudEvent: %s names function %q but the path names %q", schemas.ExtFunction, attr, name)}
		}
		return name, spec, nil
	}
	if attr == "" {
		return "", spec, &httpError{code: http.StatusBadRequest, field: schemas.ExtFunction, invocation: inv.ID,
			msg: "invalid CloudEvent: " + schemas.ExtFunction + " is required on POST /events (or post to /events/{name})"}
	}
	spec, herr := g.lookup(attr)
	return attr, spec, herr
}

// decodeInvocation reads the invocation from the request: leniently from a
// plain request (an id from newID and the current time unless ce-* headers
// give them), strictly from a CloudEvent.
func decodeInvocation(r *http.Request, body []byte, events bool, newID func() string) (schemas.Invocation, *httpError) {
	var (
		inv schemas.Invocation
		err error
	)
	if events {
		inv, err = schemas.DecodeInvocationHTTP(r.Header, body)
	} else {
		inv, err = schemas.InvocationFromRequest(r.Header, body, newID, time.Now())
	}
	if err != nil {
		herr := &httpError{code: http.StatusBadRequest, msg: err.Error()}
		var fe *schemas.FieldError
		if errors.As(err, &fe) {
			herr.field = fe.Field
		}
		return inv, herr
	}
	if len(inv.ID) > MaxIDLength {
		return inv, &httpError{code: http.StatusBadRequest, field: "id",
			msg: fmt.Sprintf("%v: id is %d bytes, more than the %d allowed", schemas.ErrInvalid, len(inv.ID), MaxIDLength)}
	}
	return inv, nil
}

// accepted answers 202 for an asynchronous invocation that is stored
// (dup: it was stored before, under the same id).
func (g *Gateway) accepted(w http.ResponseWriter, id string, dup bool) {
	loc := g.cfg.ResultPath + url.PathEscape(id)
	h := w.Header()
	h.Set("Location", loc)
	h.Set("Preference-Applied", "respond-async")
	writeJSON(w, http.StatusAccepted, make(jsonObject, 0, 64+2*len(loc)).
		str("invocation", id).str("result", loc).boolean("duplicate", dup).bytes())
}

// prefersAsync reports whether the request asks for an asynchronous answer
// (RFC 7240 Prefer: respond-async).
func prefersAsync(h http.Header) bool {
	for _, v := range h.Values("Prefer") {
		for part := range strings.SplitSeq(v, ",") {
			tok, _, _ := strings.Cut(part, ";")
			if strings.EqualFold(strings.TrimSpace(tok), "respond-async") {
				return true
			}
		}
	}
	return false
}
