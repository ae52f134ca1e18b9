package loadgen

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestRawPostReadsLengthAndChunkedAnswers(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.Header.Get("X-Test") != "yes" {
			http.Error(w, "bad request line or header", http.StatusBadRequest)
			return
		}
		if r.URL.Path == "/chunked" {
			w.WriteHeader(http.StatusAccepted)
			for i := 0; i < 3; i++ {
				_, _ = w.Write(body)
				w.(http.Flusher).Flush() // forces chunked encoding
			}
			return
		}
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, tc := range []struct {
		path         string
		status, size int
	}{
		{"/plain", 200, 5},
		{"/chunked", 202, 15},
	} {
		c, err := newRawPost(srv.URL+tc.path, []byte("hello"), "X-Test: yes")
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ { // the connection is reused
			status, n, err := c.do(ctx)
			if err != nil || status != tc.status || n != tc.size {
				t.Fatalf("%s: %d, %d bytes, %v; want %d, %d bytes", tc.path, status, n, err, tc.status, tc.size)
			}
		}
		c.close()
	}
	if _, err := newRawPost("https://example.invalid/", nil); err == nil {
		t.Fatal("https accepted")
	}
}

func TestSummarise(t *testing.T) {
	var s []time.Duration
	for i := 100; i >= 1; i-- {
		s = append(s, time.Duration(i)*time.Millisecond)
	}
	l := Summarise(s)
	if l.N != 100 || l.P50 != 50*time.Millisecond || l.P99 != 99*time.Millisecond || l.Max != 100*time.Millisecond {
		t.Fatalf("Summarise = %+v", l)
	}
	if s[0] != 100*time.Millisecond {
		t.Fatal("Summarise sorted its input in place")
	}
	if (Summarise(nil) != Latencies{}) {
		t.Fatal("empty input")
	}
}

func TestFloorMeasuresSomething(t *testing.T) {
	f, err := MeasureFloor(context.Background(), FloorConfig{InFlight: 4, Duration: 200 * time.Millisecond, Serial: 50, PayloadBytes: 64})
	if err != nil {
		t.Fatal(err)
	}
	if f.Throughput <= 0 || f.Latency.N != 50 || f.Errors != 0 {
		t.Fatalf("floor figures %+v", f)
	}
}
