package gateway

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wavelink/wavelink/schemas"
	"github.com/wavelink/wavelink/streams"
)

// decodeJSON reads an answer body as a JSON object, failing on anything else.
func decodeJSON(t testing.TB, body string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("answer is not a JSON object: %v: %q", err, body)
	}
	return m
}

func TestSyncInvokeOK(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	startResponder(t, f.env, "echo", echo)

	resp, body := f.request(t, http.MethodPost, "/functions/echo", "hello", map[string]string{"Content-Type": "text/plain"})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, body %q", resp.StatusCode, body)
	}
	if body != "hello" {
		t.Errorf("body %q, want %q", body, "hello")
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/plain" {
		t.Errorf("Content-Type %q, want text/plain", ct)
	}
	if got := resp.Header.Get("Ce-Wloutcome"); got != "ok" {
		t.Errorf("ce-wloutcome %q, want ok (headers %v)", got, resp.Header)
	}
	if got := resp.Header.Get("Ce-Type"); got != schemas.TypeResult {
		t.Errorf("ce-type %q, want %s", got, schemas.TypeResult)
	}
	if n := f.gw.replies.waiting(); n != 0 {
		t.Errorf("%d waiters left after the answer", n)
	}
}

func TestAttributesAndHeadersReachTheInstance(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	r := startResponder(t, f.env, "echo", echo)

	resp, body := f.request(t, http.MethodPost, "/functions/echo", `{"x":1}`, map[string]string{
		"Content-Type":   "application/json",
		"Ce-Id":          "client-id-1",
		"Ce-Source":      "/test/client",
		"Ce-Type":        "com.example.thing",
		"Ce-Myext":       "value",
		"X-Request-Note": "kept",
	})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, body %q", resp.StatusCode, body)
	}
	got := r.next(t)
	checks := []struct{ what, got, want string }{
		{"id", got.inv.ID, "client-id-1"},
		{"source", got.inv.Source, "/test/client"},
		{"type", got.inv.Type, "com.example.thing"},
		{"extension myext", got.inv.Extensions["myext"], "value"},
		{"datacontenttype", got.inv.DataContentType, "application/json"},
		{"data", string(got.inv.Data), `{"x":1}`},
		{"request header", got.inv.Header.Get("X-Request-Note"), "kept"},
		{"Nats-Msg-Id", got.header.Get(streams.HeaderMsgID), "client-id-1"},
	}
	for _, c := range checks {
		t.Run(c.what, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
			}
		})
	}
	if reply := got.header.Get(streams.HeaderReply); !strings.HasPrefix(reply, f.gw.replies.prefix) {
		t.Errorf("Wl-Reply %q is not under the gateway's reply prefix %q", reply, f.gw.replies.prefix)
	}
}

func TestPlainRequestGetsIDTypeAndTime(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	r := startResponder(t, f.env, "echo", echo)
	before := time.Now().Add(-time.Second)
	resp, body := f.request(t, http.MethodPost, "/functions/echo", "x", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, body %q", resp.StatusCode, body)
	}
	got := r.next(t)
	if got.inv.ID == "" || got.inv.Type != schemas.TypeInvocation {
		t.Errorf("id %q type %q, want a new id and type %s", got.inv.ID, got.inv.Type, schemas.TypeInvocation)
	}
	if got.inv.Time.Before(before) {
		t.Errorf("time %s is not the time of the request", got.inv.Time)
	}
	if got.header.Get(streams.HeaderMsgID) != got.inv.ID {
		t.Errorf("Nats-Msg-Id %q differs from the id %q", got.header.Get(streams.HeaderMsgID), got.inv.ID)
	}
}

func TestAsyncInvokeAndResult(t *testing.T) {
	f := newFixture(t, fixtureOptions{})

	resp, body := f.request(t, http.MethodPost, "/functions/echo", "later", map[string]string{
		"Prefer": "respond-async", "Content-Type": "text/plain"})
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("status %d, body %q", resp.StatusCode, body)
	}
	m := decodeJSON(t, body)
	id, _ := m["invocation"].(string)
	loc := resp.Header.Get("Location")
	if id == "" || loc != "/results/"+id || m["result"] != loc {
		t.Fatalf("Location %q, body %v: want the result URL of the id", loc, m)
	}

	resp, body = f.request(t, http.MethodGet, loc, "", nil)
	if resp.StatusCode != http.StatusNotFound || decodeJSON(t, body)["invocation"] != id {
		t.Fatalf("before the result: status %d body %q, want 404 naming the invocation", resp.StatusCode, body)
	}

	startResponder(t, f.env, "echo", echo)
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, body = f.request(t, http.MethodGet, loc, "", nil)
		if resp.StatusCode != http.StatusNotFound || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if resp.StatusCode != http.StatusOK || body != "later" {
		t.Fatalf("result: status %d body %q, want 200 %q", resp.StatusCode, body, "later")
	}
	if resp.Header.Get("Ce-Wlinvocation") != id || resp.Header.Get("Content-Type") != "text/plain" {
		t.Errorf("result headers %v: want ce-wlinvocation %s and the data's content type", resp.Header, id)
	}
}

func TestResultIDWithSpecialCharacters(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	startResponder(t, f.env, "echo", echo)
	id := "a/b c?d%"
	resp, body := f.request(t, http.MethodPost, "/functions/echo", "odd", map[string]string{
		"Prefer": "respond-async", "Ce-Id": "a%2Fb%20c?d%25"})
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("status %d, body %q", resp.StatusCode, body)
	}
	if got := decodeJSON(t, body)["invocation"]; got != id {
		t.Fatalf("invocation %q, want %q", got, id)
	}
	loc := resp.Header.Get("Location")
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, body = f.request(t, http.MethodGet, loc, "", nil)
		if resp.StatusCode != http.StatusNotFound || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if resp.StatusCode != http.StatusOK || body != "odd" {
		t.Fatalf("GET %s: status %d body %q", loc, resp.StatusCode, body)
	}
}

func TestCloudEventsEndpoint(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	r := startResponder(t, f.env, "echo", echo)

	structured := `{"specversion":"1.0","id":"ev-2","source":"/src","type":"com.example.structured",` +
		`"wlfunction":"echo","datacontenttype":"text/plain","data":"from structured"}`
	tests := []struct {
		name     string
		path     string
		body     string
		header   map[string]string
		wantID   string
		wantType string
		wantData string
	}{
		{
			name: "binary mode with the function in the path", path: "/events/echo", body: "from binary",
			header: map[string]string{"Ce-Specversion": "1.0", "Ce-Id": "ev-1", "Ce-Source": "/src",
				"Ce-Type": "com.example.binary", "Content-Type": "text/plain"},
			wantID: "ev-1", wantType: "com.example.binary", wantData: "from binary",
		},
		{
			name: "structured mode with the function in wlfunction", path: "/events", body: structured,
			header: map[string]string{"Content-Type": schemas.ContentTypeStructured},
			wantID: "ev-2", wantType: "com.example.structured", wantData: "from structured",
		},
		{
			name: "binary mode with the function in wlfunction", path: "/events", body: "b3",
			header: map[string]string{"Ce-Specversion": "1.0", "Ce-Id": "ev-3", "Ce-Source": "/src",
				"Ce-Type": "com.example.binary", "Ce-Wlfunction": "echo"},
			wantID: "ev-3", wantType: "com.example.binary", wantData: "b3",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := f.request(t, http.MethodPost, tc.path, tc.body, tc.header)
			if resp.StatusCode != http.StatusOK || body != tc.wantData {
				t.Fatalf("status %d body %q, want 200 %q", resp.StatusCode, body, tc.wantData)
			}
			got := r.next(t)
			if got.inv.ID != tc.wantID || got.inv.Type != tc.wantType {
				t.Errorf("instance got id %q type %q, want %q %q", got.inv.ID, got.inv.Type, tc.wantID, tc.wantType)
			}
		})
	}

	t.Run("async", func(t *testing.T) {
		resp, body := f.request(t, http.MethodPost, "/events/echo", "a", map[string]string{"Prefer": "respond-async",
			"Ce-Specversion": "1.0", "Ce-Id": "ev-4", "Ce-Source": "/src", "Ce-Type": "com.example.binary"})
		if resp.StatusCode != http.StatusAccepted || resp.Header.Get("Location") != "/results/ev-4" {
			t.Fatalf("status %d Location %q body %q, want 202 /results/ev-4", resp.StatusCode, resp.Header.Get("Location"), body)
		}
	})
}

func TestOutcomes(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	startResponder(t, f.env, "echo", func(inv schemas.Invocation) *schemas.Result {
		res := &schemas.Result{InvocationID: inv.ID, Function: "echo", Outcome: schemas.Outcome(inv.Data)}
		switch res.Outcome {
		case schemas.OutcomeOK:
			res.Status, res.Data = 201, []byte("made")
		case schemas.OutcomeError:
			res.Status, res.Error = 500, "boom"
		case schemas.OutcomeCrash:
			res.Error = "process exited with status 2"
		case schemas.OutcomeTimeout:
			res.Error = "ran 5s"
		}
		return res
	})
	tests := []struct {
		outcome    schemas.Outcome
		wantCode   int
		wantStatus float64 // the function's status in the JSON body; 0: absent
		wantInMsg  string
	}{
		{schemas.OutcomeOK, 201, 0, ""},
		{schemas.OutcomeError, http.StatusBadGateway, 500, "status 500: boom"},
		{schemas.OutcomeCrash, http.StatusBadGateway, 0, "crashed"},
		{schemas.OutcomeTimeout, http.StatusGatewayTimeout, 0, "timeout"},
	}
	for _, tc := range tests {
		t.Run(string(tc.outcome), func(t *testing.T) {
			resp, body := f.request(t, http.MethodPost, "/functions/echo", string(tc.outcome), nil)
			if resp.StatusCode != tc.wantCode {
				t.Fatalf("status %d body %q, want %d", resp.StatusCode, body, tc.wantCode)
			}
			if tc.outcome == schemas.OutcomeOK {
				if body != "made" {
					t.Errorf("body %q, want made", body)
				}
				return
			}
			m := decodeJSON(t, body)
			msg, _ := m["error"].(string)
			if !strings.Contains(msg, tc.wantInMsg) || m["invocation"] == "" || m["outcome"] != string(tc.outcome) {
				t.Errorf("body %v: want an error with %q, the invocation and outcome %s", m, tc.wantInMsg, tc.outcome)
			}
			if st, _ := m["status"].(float64); st != tc.wantStatus {
				t.Errorf("status field %v, want %v", m["status"], tc.wantStatus)
			}
		})
	}
}

func TestSyncWaitExpires(t *testing.T) {
	f := newFixture(t, fixtureOptions{cfg: Config{SyncWait: FixedSyncWait(50 * time.Millisecond)}})
	resp, body := f.request(t, http.MethodPost, "/functions/echo", "nobody answers", map[string]string{"Ce-Id": "slow-1"})
	if resp.StatusCode != http.StatusGatewayTimeout {
		t.Fatalf("status %d body %q, want 504", resp.StatusCode, body)
	}
	m := decodeJSON(t, body)
	if msg, _ := m["error"].(string); !strings.Contains(msg, "stays queued and will run") || m["invocation"] != "slow-1" {
		t.Errorf("body %v: want a message saying the invocation stays queued, with its id", m)
	}
	if n := f.gw.replies.waiting(); n != 0 {
		t.Errorf("%d waiters left after giving up", n)
	}
	// The invocation is still stored for an instance to run.
	r := startResponder(t, f.env, "echo", echo)
	if got := r.next(t); got.inv.ID != "slow-1" {
		t.Errorf("instance got %q, want slow-1", got.inv.ID)
	}
}
