package builtin_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wavelink/wavelink/services/instance/builtin"
)

func TestEcho(t *testing.T) {
	tests := []struct {
		name, contentType string
		body              []byte
		wantStatus        int
		unknownLength     bool
	}{
		{"unknown length", "text/plain", []byte("streamed"), http.StatusOK, true},
		{"unknown length, too large", "text/plain", make([]byte, builtin.MaxEchoBytes+1), http.StatusRequestEntityTooLarge, true},
		{"text", "text/plain", []byte("hello"), http.StatusOK, false},
		{"json", "application/json", []byte(`{"a":1}`), http.StatusOK, false},
		{"empty", "", nil, http.StatusOK, false},
		{"too large", "application/octet-stream", make([]byte, builtin.MaxEchoBytes+1), http.StatusRequestEntityTooLarge, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(tc.body))
			if tc.unknownLength {
				r.ContentLength = -1
			}
			if tc.contentType != "" {
				r.Header.Set("Content-Type", tc.contentType)
			}
			w := httptest.NewRecorder()
			builtin.Echo{}.ServeHTTP(w, r)
			if w.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d", w.Code, tc.wantStatus)
			}
			if tc.wantStatus != http.StatusOK {
				return
			}
			if !bytes.Equal(w.Body.Bytes(), tc.body) {
				t.Errorf("body %q, want %q", w.Body.Bytes(), tc.body)
			}
			if got := w.Header().Get("Content-Type"); got != tc.contentType {
				t.Errorf("Content-Type %q, want %q", got, tc.contentType)
			}
		})
	}
}
