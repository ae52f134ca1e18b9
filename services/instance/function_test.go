package instance

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wavelink/wavelink/schemas"
)

func TestHandlerFunctionCall(t *testing.T) {
	inv := &schemas.Invocation{ID: "h-1", Source: "/s", Type: "t.v1", DataContentType: "text/plain",
		Header: http.Header{"X-Pass": {"yes"}}, Extensions: map[string]string{"wlx": "1"}, Data: []byte("data")}
	tests := []struct {
		name       string
		handler    http.HandlerFunc
		wantStatus int
		wantType   string
		wantBody   string
		wantErr    error
	}{
		{"sees the function contract", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/x-seen")
			b := make([]byte, 16)
			n, _ := r.Body.Read(b)
			_, _ = w.Write([]byte(strings.Join([]string{r.Method, r.Header.Get("Ce-Id"), r.Header.Get("Ce-Specversion"),
				r.Header.Get("Ce-Wlx"), r.Header.Get("Content-Type"), r.Header.Get("X-Pass"), string(b[:n])}, " ")))
		}, 200, "text/x-seen", "POST h-1 1.0 1 text/plain yes data", nil},
		{"no status written means 200, type sniffed", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte("<html></html>"))
		}, 200, "text/html; charset=utf-8", "<html></html>", nil},
		{"first status wins", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusTeapot)
			w.WriteHeader(http.StatusOK)
		}, http.StatusTeapot, "", "", nil},
		{"empty answer", func(http.ResponseWriter, *http.Request) {}, 200, "", "", nil},
		{"panic is a crash", func(http.ResponseWriter, *http.Request) { panic("oh no") }, 0, "", "", ErrNoAnswer},
		{"abort is a crash", func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }, 0, "", "", ErrNoAnswer},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &handlerFunction{name: "t", handler: tc.handler}
			status, ct, body, err := f.Call(context.Background(), inv)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			if status != tc.wantStatus || ct != tc.wantType || string(body) != tc.wantBody {
				t.Fatalf("answer %d %q %q, want %d %q %q", status, ct, body, tc.wantStatus, tc.wantType, tc.wantBody)
			}
		})
	}
}

func TestHandlerFunctionGivesUpWithTheContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	f := &handlerFunction{name: "t", handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})}
	if _, _, _, err := f.Call(ctx, &schemas.Invocation{ID: "x", Source: "/s", Type: "t"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want the context's", err)
	}
}

func TestFunctionRequestLeavesContentEncodingToTheTransport(t *testing.T) {
	inv := schemas.Invocation{ID: "i", Source: "/s", Type: "t", Header: http.Header{"Accept-Encoding": {"gzip"}, "accept-encoding": {"br"}, "X-Keep": {"1"}}}
	req, err := newFunctionRequest(context.Background(), "http://127.0.0.1:1/", &inv)
	if err != nil {
		t.Fatal(err)
	}
	for k := range req.Header {
		if strings.EqualFold(k, "Accept-Encoding") {
			t.Fatalf("Accept-Encoding forwarded: %v", req.Header)
		}
	}
	if req.Header.Get("X-Keep") != "1" {
		t.Fatalf("other headers lost: %v", req.Header)
	}
}
