package loadgen

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"time"
)

// Request headers trace reads (the first two are the vHive loader's).
const (
	HeaderRequestedCPU    = "requested_cpu"    // run time, ms
	HeaderRequestedMemory = "requested_memory" // memory to hold, MiB
	HeaderTraceMode       = "x-trace-mode"     // sleep or spin
)

// maxAnswerBytes bounds how much of an answer is read.
const maxAnswerBytes = 1 << 20

// traceRecord is what happened to one call. Times are offsets from the
// start of the run.
type traceRecord struct {
	Record
	// SentAt is the wall-clock time of the send.
	SentAt time.Time
	// Headers is when the answer's headers came (of the submission, for
	// async).
	Headers time.Duration
	// NoAnswer: the request failed before any status came.
	NoAnswer bool
	// MemoryMiB is what trace says it held.
	MemoryMiB int64
	// Async only: how long the submission and the successful fetch took.
	Submit, Fetch time.Duration
	sent          bool
}

// traceSender makes the HTTP calls of a trace run.
type traceSender struct {
	client  *http.Client
	gateway string
	spin    bool
	// noMemory asks trace to hold no memory.
	noMemory bool
	timeout  time.Duration
	poll     time.Duration
	start    time.Time
}

func (s *traceSender) since() time.Duration { return time.Since(s.start) }

// request builds the POST of one call.
func (s *traceSender) request(ctx context.Context, fn string, c TraceCall, async bool) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.gateway+"/functions/"+fn, http.NoBody)
	if err != nil {
		return nil, err
	}
	mode := "sleep"
	if s.spin {
		mode = "spin"
	}
	// Set directly: the loader's header names are not canonical.
	req.Header[HeaderRequestedCPU] = []string{strconv.Itoa(c.RunMs)}
	mem := c.MemoryMB
	if s.noMemory {
		mem = 0
	}
	req.Header[HeaderRequestedMemory] = []string{strconv.Itoa(mem)}
	req.Header[HeaderTraceMode] = []string{mode}
	if async {
		req.Header.Set("Prefer", "respond-async")
	}
	return req, nil
}

// send makes one call, synchronous or asynchronous, and fills r.
func (s *traceSender) send(ctx context.Context, fn string, c TraceCall, async bool, r *traceRecord) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if async {
		s.sendAsync(ctx, fn, c, r)
		return
	}
	firstByte := time.Duration(0)
	tctx := httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotFirstResponseByte: func() { firstByte = s.since() }})
	resp, ok := s.submit(tctx, fn, c, false, r)
	if !ok {
		return
	}
	s.readAnswer(ctx, resp, &r.Record, &r.MemoryMiB)
	r.Done = s.since()
	r.FirstByte = firstByte
}

// submit sends the POST of one call and records when it was sent and when
// its headers came back; false when no answer came (r says why).
func (s *traceSender) submit(ctx context.Context, fn string, c TraceCall, async bool, r *traceRecord) (*http.Response, bool) {
	req, err := s.request(ctx, fn, c, async)
	if err != nil {
		r.Err, r.NoAnswer = err.Error(), true
		return nil, false
	}
	r.sent, r.SentAt, r.Sent = true, time.Now(), s.since()
	resp, err := s.client.Do(req)
	if err != nil {
		r.Done, r.Err, r.NoAnswer = s.since(), describe(ctx, err), true
		return nil, false
	}
	r.Headers = s.since() - r.Sent
	return resp, true
}

// readAnswer reads an answer's status, WaveLink headers and body.
func (s *traceSender) readAnswer(ctx context.Context, resp *http.Response, r *Record, memMiB *int64) {
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	_ = resp.Body.Close()
	r.Status = resp.StatusCode
	r.Track = resp.Header.Get(HeaderTrack)
	r.Instance = resp.Header.Get(HeaderInstance)
	r.Outcome = resp.Header.Get(HeaderOutcome)
	if us, perr := strconv.ParseInt(resp.Header.Get(HeaderRunTime), 10, 64); perr == nil {
		r.RunTime = time.Duration(us) * time.Microsecond
	}
	switch {
	case err != nil:
		r.Err = "reading the answer: " + describe(ctx, err)
	case r.Status < 200 || r.Status > 299:
		r.Err = "status " + strconv.Itoa(r.Status) + answerReason(body)
	default:
		var reply struct{ MemoryMB int64 }
		if json.Unmarshal(body, &reply) == nil {
			*memMiB = reply.MemoryMB
		}
	}
}

// answerReason is the error message of a JSON error answer, briefly.
func answerReason(body []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error == "" {
		return ""
	}
	msg := e.Error
	if len(msg) > 120 {
		msg = msg[:120] + "..."
	}
	return ": " + msg
}

// sendAsync submits a call with Prefer: respond-async, then fetches its
// result from the Location the gateway answers with: first once the
// requested run time has passed, then every poll until it is there.
func (s *traceSender) sendAsync(ctx context.Context, fn string, c TraceCall, r *traceRecord) {
	resp, ok := s.submit(ctx, fn, c, true, r)
	if !ok {
		return
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	_ = resp.Body.Close()
	r.Submit = s.since() - r.Sent
	loc := resp.Header.Get("Location")
	switch {
	case err != nil:
		r.Done, r.Status, r.Err = s.since(), resp.StatusCode, "reading the submission's answer: "+describe(ctx, err)
		return
	case resp.StatusCode != http.StatusAccepted || loc == "":
		r.Done, r.Status = s.since(), resp.StatusCode
		r.Err = "submission answered status " + strconv.Itoa(resp.StatusCode) + answerReason(body)
		return
	}
	resultURL := loc
	if strings.HasPrefix(loc, "/") {
		resultURL = s.gateway + loc
	}
	wait := time.Duration(c.RunMs)*time.Millisecond - (s.since() - r.Sent)
	timer := time.NewTimer(max(wait, 0))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			r.Done, r.Err = s.since(), "no result: "+describe(ctx, ctx.Err())
			return
		case <-timer.C:
		}
		if s.fetch(ctx, resultURL, r) {
			return
		}
		timer.Reset(s.poll)
	}
}

// fetch asks for an async result once; it reports whether the invocation
// is finished with (a result came, or the fetch failed for good).
func (s *traceSender) fetch(ctx context.Context, url string, r *traceRecord) bool {
	firstByte := time.Duration(0)
	tctx := httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotFirstResponseByte: func() { firstByte = s.since() }})
	req, err := http.NewRequestWithContext(tctx, http.MethodGet, url, http.NoBody)
	if err != nil {
		r.Done, r.Err = s.since(), err.Error()
		return true
	}
	began := s.since()
	resp, err := s.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			r.Done, r.Err = s.since(), "no result: "+describe(ctx, err)
			return true
		}
		return false // a failed poll is tried again
	}
	if resp.StatusCode == http.StatusNotFound { // not finished yet
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswerBytes))
		_ = resp.Body.Close()
		return false
	}
	var rec Record
	s.readAnswer(ctx, resp, &rec, &r.MemoryMiB)
	rec.Index, rec.Scheduled, rec.Sent = r.Index, r.Scheduled, r.Sent
	r.Record = rec
	r.Done = s.since()
	r.FirstByte = firstByte
	r.Fetch = r.Done - began
	return true
}
