package gateway

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wavelink/wavelink/services/registry"
	"github.com/wavelink/wavelink/streams"
)

func TestErrorAnswers(t *testing.T) {
	f := newFixture(t, fixtureOptions{cfg: Config{MaxBody: 1024}})
	deploy(t, f.reg, "leaving")
	f.waitForSpec(t, "leaving", func(_ registry.Spec, ok bool) bool { return ok })
	// One queued invocation keeps "leaving" draining: nobody pulls it.
	if resp, body := f.request(t, http.MethodPost, "/functions/leaving", "x", map[string]string{"Prefer": "respond-async"}); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("queue an invocation: %d %q", resp.StatusCode, body)
	}
	err := f.reg.Remove(f.ctx, "leaving", registry.RemoveOptions{DrainTimeout: time.Millisecond, Poll: time.Millisecond})
	if !errors.Is(err, registry.ErrDrainTimeout) {
		t.Fatalf("Remove: %v, want a drain timeout that leaves the function draining", err)
	}
	f.waitForSpec(t, "leaving", func(s registry.Spec, _ bool) bool { return s.Draining })

	ce := map[string]string{"Ce-Specversion": "1.0", "Ce-Id": "e1", "Ce-Source": "/src", "Ce-Type": "t"}
	without := func(k string) map[string]string {
		h := map[string]string{}
		for kk, v := range ce {
			if kk != k {
				h[kk] = v
			}
		}
		return h
	}
	tests := []struct {
		name      string
		method    string
		path      string
		body      string
		header    map[string]string
		wantCode  int
		wantInMsg string
		wantField string
		wantAllow string
	}{
		{name: "unknown function", method: "POST", path: "/functions/nope", wantCode: 404, wantInMsg: `function "nope" is not deployed`},
		{name: "draining function", method: "POST", path: "/functions/leaving", wantCode: 404, wantInMsg: "being removed"},
		{name: "name that is not a DNS label", method: "POST", path: "/functions/Bad_Name", wantCode: 404, wantInMsg: "not a function name"},
		{name: "empty name", method: "POST", path: "/functions/", wantCode: 404, wantInMsg: "not a function name"},
		{name: "nested path", method: "POST", path: "/functions/echo/x", wantCode: 404, wantInMsg: "not a function name"},
		{name: "unknown function on /events", method: "POST", path: "/events/nope", header: ce, wantCode: 404, wantInMsg: "not deployed"},
		{name: "unknown function in wlfunction", method: "POST", path: "/events", header: map[string]string{
			"Ce-Specversion": "1.0", "Ce-Id": "e1", "Ce-Source": "/src", "Ce-Type": "t", "Ce-Wlfunction": "nope"}, wantCode: 404, wantInMsg: "not deployed"},
		{name: "CloudEvent without type", method: "POST", path: "/events/echo", header: without("Ce-Type"), wantCode: 400, wantField: "type"},
		{name: "CloudEvent without id", method: "POST", path: "/events/echo", header: without("Ce-Id"), wantCode: 400, wantField: "id"},
		{name: "CloudEvent without specversion", method: "POST", path: "/events/echo", header: without("Ce-Specversion"), wantCode: 400, wantField: "specversion"},
		{name: "CloudEvent with a bad time", method: "POST", path: "/events/echo", header: map[string]string{
			"Ce-Specversion": "1.0", "Ce-Id": "e1", "Ce-Source": "/src", "Ce-Type": "t", "Ce-Time": "yesterday"}, wantCode: 400, wantField: "time"},
		{name: "structured event that is not JSON", method: "POST", path: "/events/echo", body: "{",
			header: map[string]string{"Content-Type": "application/cloudevents+json"}, wantCode: 400},
		{name: "no function for /events", method: "POST", path: "/events", header: ce, wantCode: 400, wantField: "wlfunction"},
		{name: "wlfunction disagrees with the path", method: "POST", path: "/events/echo", header: map[string]string{
			"Ce-Specversion": "1.0", "Ce-Id": "e1", "Ce-Source": "/src", "Ce-Type": "t", "Ce-Wlfunction": "other"}, wantCode: 400, wantField: "wlfunction"},
		{name: "id too long", method: "POST", path: "/functions/echo", header: map[string]string{"Ce-Id": strings.Repeat("i", MaxIDLength+1)}, wantCode: 400, wantField: "id"},
		{name: "body over MaxBody", method: "POST", path: "/functions/echo", body: strings.Repeat("b", 1025), wantCode: 413, wantInMsg: "limit of 1024 bytes"},
		{name: "event body over MaxBody", method: "POST", path: "/events/echo", body: strings.Repeat("b", 1025), header: ce, wantCode: 413, wantInMsg: "limit of 1024 bytes"},
		{name: "GET on a function", method: "GET", path: "/functions/echo", wantCode: 405, wantAllow: "POST", wantInMsg: "method GET is not allowed"},
		{name: "PUT on /events", method: "PUT", path: "/events", wantCode: 405, wantAllow: "POST"},
		{name: "POST on a result", method: "POST", path: "/results/x", wantCode: 405, wantAllow: "GET, HEAD"},
		{name: "DELETE on /healthz", method: "DELETE", path: "/healthz", wantCode: 405, wantAllow: "GET, HEAD"},
		{name: "no such route", method: "GET", path: "/nowhere", wantCode: 404, wantInMsg: "no route for /nowhere"},
		{name: "result path without an id", method: "GET", path: "/results/", wantCode: 404, wantInMsg: "needs an invocation id"},
		{name: "result not there", method: "GET", path: "/results/never", wantCode: 404, wantInMsg: `no result for invocation "never"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := f.request(t, tc.method, tc.path, tc.body, tc.header)
			if resp.StatusCode != tc.wantCode {
				t.Fatalf("status %d body %q, want %d", resp.StatusCode, body, tc.wantCode)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			m := decodeJSON(t, body)
			msg, _ := m["error"].(string)
			if msg == "" || !strings.Contains(msg, tc.wantInMsg) {
				t.Errorf("error %q, want it to contain %q", msg, tc.wantInMsg)
			}
			if tc.wantField != "" {
				if m["field"] != tc.wantField || !strings.Contains(msg, tc.wantField) {
					t.Errorf("body %v: want field %q named in the error", m, tc.wantField)
				}
			}
			if tc.wantAllow != "" && resp.Header.Get("Allow") != tc.wantAllow {
				t.Errorf("Allow %q, want %q", resp.Header.Get("Allow"), tc.wantAllow)
			}
		})
	}
}

func TestQueueFull(t *testing.T) {
	topo := streams.DefaultTopology()
	topo.InvokeMaxBytes = 4 << 10
	f := newFixture(t, fixtureOptions{topology: &topo})
	body := strings.Repeat("q", 1<<10)
	for i := range 16 {
		resp, answer := f.request(t, http.MethodPost, "/functions/echo", body, map[string]string{"Prefer": "respond-async"})
		if resp.StatusCode == http.StatusAccepted {
			continue
		}
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("request %d: status %d body %q, want 202 until the queue is full, then 503", i, resp.StatusCode, answer)
		}
		if resp.Header.Get("Retry-After") != "1" {
			t.Errorf("Retry-After %q, want 1", resp.Header.Get("Retry-After"))
		}
		if msg, _ := decodeJSON(t, answer)["error"].(string); !strings.Contains(msg, "queue") || !strings.Contains(msg, "full") {
			t.Errorf("error %q does not say the queue is full", msg)
		}
		if i == 0 {
			t.Fatal("the first invocation was refused: the queue was never filled")
		}
		// A synchronous request is refused the same way, and leaves no waiter.
		resp, answer = f.request(t, http.MethodPost, "/functions/echo", body, nil)
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" {
			t.Errorf("sync: status %d body %q, want 503 with Retry-After", resp.StatusCode, answer)
		}
		if n := f.gw.replies.waiting(); n != 0 {
			t.Errorf("%d waiters left after a refused publish", n)
		}
		return
	}
	t.Fatal("WL_INVOKE never refused an invocation")
}

func TestNATSUnavailable(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	nc, err := f.env.Server.Connect("gateway-under-test")
	if err != nil {
		t.Fatal(err)
	}
	gw, err := New(Config{}, nc, jetstreamOn(t, nc), f.cache)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gw.Close() })
	nc.Close()

	for _, tc := range []struct {
		name, method, path string
		header             map[string]string
	}{
		{"sync", "POST", "/functions/echo", nil},
		{"async", "POST", "/functions/echo", map[string]string{"Prefer": "respond-async"}},
		{"result", "GET", "/results/some-id", nil},
		{"healthz", "GET", "/healthz", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := serveRecorded(gw, tc.method, tc.path, "x", tc.header)
			if rec.Code != http.StatusServiceUnavailable {
				t.Fatalf("status %d body %q, want 503", rec.Code, rec.Body.String())
			}
			if msg, _ := decodeJSON(t, rec.Body.String())["error"].(string); !strings.Contains(msg, "NATS") {
				t.Errorf("error %q does not name NATS", msg)
			}
		})
	}
}
