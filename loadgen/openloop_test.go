package loadgen

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func evenArrivals(n int, gap time.Duration) []time.Duration {
	a := make([]time.Duration, n)
	for i := range a {
		a[i] = time.Duration(i) * gap
	}
	return a
}

// TestRunOpenLoopRecordsAnswers runs against a gateway stand-in that names a
// track and instance, and answers every fifth invocation with 502.
func TestRunOpenLoopRecordsAnswers(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Requested_cpu") != "20" || r.Method != http.MethodPost {
			http.Error(w, "header or method missing", http.StatusBadRequest)
			return
		}
		i := n.Add(1)
		track := TrackRegular
		if i%2 == 0 {
			track = TrackEmergency
		}
		w.Header().Set(HeaderTrack, track)
		w.Header().Set(HeaderInstance, track+"-1")
		w.Header().Set(HeaderRunTime, "20000")
		if i%5 == 0 {
			w.Header().Set(HeaderOutcome, "error")
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		w.Header().Set(HeaderOutcome, "ok")
		_, _ = w.Write([]byte("done"))
	}))
	defer srv.Close()
	arr := evenArrivals(40, time.Millisecond)
	recs, start, err := RunOpenLoop(context.Background(), OpenLoopConfig{
		URL: srv.URL + "/functions/trace", Header: http.Header{"Requested_cpu": {"20"}}, Arrivals: arr})
	if err != nil || start.IsZero() {
		t.Fatal(err, start)
	}
	if len(recs) != len(arr) {
		t.Fatalf("%d records for %d arrivals", len(recs), len(arr))
	}
	answered, failed := 0, 0
	for i, r := range recs {
		if r.Index != i || r.Scheduled != arr[i] {
			t.Fatalf("record %d: index %d scheduled %s", i, r.Index, r.Scheduled)
		}
		if r.Sent < r.Scheduled || r.FirstByte < r.Sent || r.Done < r.FirstByte || r.FirstByte == 0 {
			t.Fatalf("record %d: times out of order: %+v", i, r)
		}
		if r.RunTime != 20*time.Millisecond || !strings.HasSuffix(r.Instance, "-1") || r.Track == "" {
			t.Fatalf("record %d: headers not read: %+v", i, r)
		}
		switch {
		case r.Answered() && r.Status == 200 && r.Outcome == "ok":
			answered++
		case !r.Answered() && r.Status == 502 && r.Err == "status 502":
			failed++
		default:
			t.Fatalf("record %d: %+v", i, r)
		}
	}
	if answered != 32 || failed != 8 {
		t.Fatalf("%d answered, %d failed; want 32 and 8", answered, failed)
	}
}

// TestRunOpenLoopDoesNotWaitForAnswers answers nothing until every
// invocation has arrived: a generator that waited for answers before
// sending more would never finish.
func TestRunOpenLoopDoesNotWaitForAnswers(t *testing.T) {
	const total = 60
	var n atomic.Int64
	all := make(chan struct{})
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == total {
			once.Do(func() { close(all) })
		}
		select {
		case <-all:
			_, _ = w.Write([]byte("ok"))
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a guard against a hang, not a threshold
	defer cancel()
	recs, _, err := RunOpenLoop(ctx, OpenLoopConfig{URL: srv.URL + "/f", Arrivals: evenArrivals(total, time.Millisecond)})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if !r.Answered() {
			t.Fatalf("record %d not answered: %+v", r.Index, r)
		}
	}
}

func TestRunOpenLoopRecordsTransportErrors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close() // nothing listens there now
	recs, _, err := RunOpenLoop(context.Background(), OpenLoopConfig{URL: "http://" + addr + "/functions/trace", Arrivals: evenArrivals(3, 0)})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Answered() || r.Status != 0 || !strings.HasPrefix(r.Err, "dial:") {
			t.Fatalf("record %+v", r)
		}
	}
	s := Summarize(recs, SummaryOptions{})
	if s.Errors != 3 || s.Answered != 0 {
		t.Fatalf("summary %+v", s)
	}
}

func TestRunOpenLoopTimesOutSlowAnswers(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	recs, _, err := RunOpenLoop(context.Background(), OpenLoopConfig{URL: srv.URL, Arrivals: []time.Duration{0}, Timeout: time.Millisecond})
	if err != nil || recs[0].Err != "timeout" || recs[0].Done == 0 {
		t.Fatalf("%v, %+v", err, recs)
	}
}

func TestRunOpenLoopStopsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cancel()
		_, _ = w.Write([]byte("ok"))
	}))
	defer srv.Close()
	recs, _, err := RunOpenLoop(ctx, OpenLoopConfig{URL: srv.URL, Arrivals: []time.Duration{0, time.Hour}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if len(recs) != 2 || recs[1].Sent != 0 || !strings.HasPrefix(recs[1].Err, "not sent") {
		t.Fatalf("records %+v", recs)
	}
}

func TestRunOpenLoopRejectsBadConfigs(t *testing.T) {
	for i, cfg := range []OpenLoopConfig{
		{URL: "", Arrivals: []time.Duration{0}},
		{URL: "ftp://h/x", Arrivals: []time.Duration{0}},
		{URL: "http:///functions/x", Arrivals: []time.Duration{0}},
		{URL: "http://h/f"},
		{URL: "http://h/f", Arrivals: []time.Duration{2, 1}},
		{URL: "http://h/f", Arrivals: []time.Duration{-1}},
	} {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			if _, _, err := RunOpenLoop(context.Background(), cfg); !errors.Is(err, ErrBadOpenLoop) {
				t.Fatalf("error %v, want ErrBadOpenLoop", err)
			}
		})
	}
}
