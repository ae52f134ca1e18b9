package loadgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// Response headers the gateway sets on every synchronous answer.
const (
	HeaderTrack    = "Ce-Wltrack"    // "regular" or "emergency"
	HeaderInstance = "Ce-Wlinstance" // the instance that ran the invocation
	HeaderOutcome  = "Ce-Wloutcome"  // ok, error, crash, timeout
	HeaderRunTime  = "Ce-Wlduration" // the function's run time in µs
)

// Tracks as the gateway names them.
const (
	TrackRegular   = "regular"
	TrackEmergency = "emergency"
)

// OpenLoopConfig describes an open-loop run of synchronous invocations.
type OpenLoopConfig struct {
	// URL is the function's URL at the gateway, e.g.
	// http://127.0.0.1:8080/functions/trace.
	URL string
	// Header is sent with every invocation.
	Header http.Header
	// Body is sent with every invocation.
	Body []byte
	// Arrivals are the send times as offsets from the start, in increasing
	// order (see Schedule).
	Arrivals []time.Duration
	// Timeout bounds one invocation from its send to the end of its answer;
	// past it the invocation is recorded as an error. Zero means 2 minutes.
	Timeout time.Duration
	// Client sends the invocations; nil means NewOpenLoopClient().
	Client *http.Client
}

// Record is what happened to one invocation. Times are offsets from the
// start of the run; Sent is zero when the invocation was not sent, FirstByte
// and Done when no answer came.
type Record struct {
	Index     int
	Scheduled time.Duration
	Sent      time.Duration
	FirstByte time.Duration
	Done      time.Duration
	Status    int    // HTTP status, 0 when none came
	Track     string // ce-wltrack of the answer
	Instance  string // ce-wlinstance of the answer
	Outcome   string // ce-wloutcome of the answer
	RunTime   time.Duration
	Err       string // why the invocation got no successful answer
}

// Answered reports whether the invocation got a successful answer: a 2xx
// status with its whole body read.
func (r Record) Answered() bool { return r.Err == "" && r.Status >= 200 && r.Status < 300 }

// Latency is the time from the invocation's scheduled arrival to the end of
// its answer, so any delay of the generator itself counts against it.
func (r Record) Latency() time.Duration { return r.Done - r.Scheduled }

// NewOpenLoopClient returns an HTTP client for open-loop runs: no bound on
// connections per host (each outstanding invocation holds one) and many
// idle connections kept for reuse.
func NewOpenLoopClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 0
	tr.MaxIdleConnsPerHost = 4096
	tr.MaxConnsPerHost = 0
	tr.DisableCompression = true
	tr.DialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	return &http.Client{Transport: tr}
}

// RunOpenLoop sends one POST to cfg.URL at each arrival time, each from its
// own goroutine, so answers that are slow or never come do not delay later
// arrivals. It returns one record per arrival, in schedule order, once every
// invocation is answered or has failed, and the wall-clock start of the run.
// A failed invocation is recorded, not retried. When ctx ends, arrivals not
// yet sent are recorded as not sent and ctx's error is returned with the
// records. A bad configuration gives an error wrapping ErrBadOpenLoop.
func RunOpenLoop(ctx context.Context, cfg OpenLoopConfig) ([]Record, time.Time, error) {
	if err := cfg.validate(); err != nil {
		return nil, time.Time{}, err
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	client := cfg.Client
	if client == nil {
		client = NewOpenLoopClient()
		defer client.CloseIdleConnections()
	}
	recs := make([]Record, len(cfg.Arrivals))
	var wg sync.WaitGroup
	start := time.Now()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	i := 0
	for ; i < len(cfg.Arrivals); i++ {
		at := cfg.Arrivals[i]
		recs[i] = Record{Index: i, Scheduled: at}
		if wait := at - time.Since(start); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func(r *Record) {
			defer wg.Done()
			send(ctx, client, cfg, timeout, start, r)
		}(&recs[i])
	}
	for ; i < len(cfg.Arrivals); i++ {
		recs[i] = Record{Index: i, Scheduled: cfg.Arrivals[i], Err: "not sent: " + ctx.Err().Error()}
	}
	wg.Wait()
	return recs, start, ctx.Err()
}

func (cfg OpenLoopConfig) validate() error {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: URL %q: want http://host:port/functions/NAME", ErrBadOpenLoop, cfg.URL)
	}
	if len(cfg.Arrivals) == 0 {
		return fmt.Errorf("%w: no arrivals", ErrBadOpenLoop)
	}
	for i, a := range cfg.Arrivals {
		if a < 0 || (i > 0 && a < cfg.Arrivals[i-1]) {
			return fmt.Errorf("%w: arrival %d at %s is negative or earlier than the one before", ErrBadOpenLoop, i, a)
		}
	}
	return nil
}

// send makes one invocation and fills r.
func send(ctx context.Context, client *http.Client, cfg OpenLoopConfig, timeout time.Duration, start time.Time, r *Record) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotFirstResponseByte: func() { r.FirstByte = time.Since(start) },
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.URL, bytes.NewReader(cfg.Body))
	if err != nil {
		r.Err = err.Error()
		return
	}
	for k, v := range cfg.Header {
		req.Header[k] = v
	}
	r.Sent = time.Since(start)
	resp, err := client.Do(req)
	if err != nil {
		r.Done = time.Since(start)
		r.Err = describe(ctx, err)
		return
	}
	_, err = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	r.Done = time.Since(start)
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
		r.Err = "status " + strconv.Itoa(r.Status)
	}
}

// describe names a transport error briefly, so errors group in a summary.
func describe(ctx context.Context, err error) string {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return "timeout"
	case errors.Is(ctx.Err(), context.Canceled):
		return "canceled"
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return op.Op + ": " + op.Err.Error()
	}
	return err.Error()
}
