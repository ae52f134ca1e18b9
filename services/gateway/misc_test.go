package gateway

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wavelink/wavelink/services/registry"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name      string
		change    func(*Config)
		wantField string // "" means valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"negative body limit", func(c *Config) { c.MaxBody = -1 }, "MaxBody"},
		{"result path without slashes", func(c *Config) { c.ResultPath = "results" }, "ResultPath"},
		{"result path over a route", func(c *Config) { c.ResultPath = "/functions/" }, "ResultPath"},
		{"result path above a route", func(c *Config) { c.ResultPath = "/ev/" }, ""},
		{"root result path", func(c *Config) { c.ResultPath = "/" }, "ResultPath"},
		{"result path that needs escaping", func(c *Config) { c.ResultPath = "/my results/" }, "ResultPath"},
		{"result path with a percent sign", func(c *Config) { c.ResultPath = "/r%41/" }, "ResultPath"},
		{"result path with safe punctuation", func(c *Config) { c.ResultPath = "/v1/results~x/" }, ""},
		{"negative shutdown timeout", func(c *Config) { c.ShutdownTimeout = -time.Second }, "ShutdownTimeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Config{}
			tc.change(&c)
			err := c.WithDefaults().Validate()
			if tc.wantField == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.wantField) {
				t.Fatalf("Validate: %v, want ErrInvalidConfig naming %s", err, tc.wantField)
			}
		})
	}
}

func TestDefaultSyncWait(t *testing.T) {
	s := registry.Spec{Timeout: registry.Duration(10 * time.Second), MaxDeliver: 4}
	if got, want := DefaultSyncWait(s), 70*time.Second; got != want {
		t.Errorf("DefaultSyncWait = %s, want %s", got, want)
	}
	if got := FixedSyncWait(time.Second)(s); got != time.Second {
		t.Errorf("FixedSyncWait = %s", got)
	}
}

func TestNewRejectsMissingArguments(t *testing.T) {
	if _, err := New(Config{}, nil, nil, nil); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("New without a connection: %v, want ErrInvalidConfig", err)
	}
	if _, err := New(Config{MaxBody: -5}, nil, nil, nil); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "MaxBody") {
		t.Errorf("New with a bad config: %v, want ErrInvalidConfig naming MaxBody", err)
	}
}

func TestAppendJSONString(t *testing.T) {
	tests := []string{"", "plain", `quote " and \ backslash`, "tab\tnew\nline\rcr", "\x00\x01\x1f", "héllo ✓", "bad \xff utf8", "</script>"}
	for _, s := range tests {
		t.Run(s, func(t *testing.T) {
			b := appendJSONString(nil, s)
			var got string
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("%q is not a JSON string: %v", b, err)
			}
			want := strings.ToValidUTF8(s, "\ufffd")
			if got != want {
				t.Errorf("round trip %q, want %q", got, want)
			}
		})
	}
}

func TestPrefersAsync(t *testing.T) {
	tests := []struct {
		values []string
		want   bool
	}{
		{nil, false},
		{[]string{"respond-async"}, true},
		{[]string{"Respond-Async"}, true},
		{[]string{"return=minimal, respond-async; wait=10"}, true},
		{[]string{"wait=10", "respond-async"}, true},
		{[]string{"return=representation"}, false},
		{[]string{"respond-asynchronously"}, false},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.values, "|"), func(t *testing.T) {
			h := http.Header{}
			for _, v := range tc.values {
				h.Add("Prefer", v)
			}
			if got := prefersAsync(h); got != tc.want {
				t.Errorf("prefersAsync(%q) = %v, want %v", tc.values, got, tc.want)
			}
		})
	}
}

// panicSpecs is a Specs whose lookups panic.
type panicSpecs struct{}

func (panicSpecs) Lookup(string) (registry.Spec, bool) { panic("lookup exploded") }

func TestPanicIsRecovered(t *testing.T) {
	f := newFixture(t, fixtureOptions{specs: panicSpecs{}})
	resp, body := f.request(t, http.MethodPost, "/functions/echo", "x", nil)
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status %d body %q, want 500", resp.StatusCode, body)
	}
	if msg, _ := decodeJSON(t, body)["error"].(string); msg == "" {
		t.Errorf("body %q has no error", body)
	}
	// The gateway keeps serving.
	if resp, body := f.request(t, http.MethodGet, "/healthz", "", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("healthz after a panic: %d %q", resp.StatusCode, body)
	}
}

func TestHealthzAndMetrics(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	startResponder(t, f.env, "echo", echo)
	if resp, body := f.request(t, http.MethodGet, "/healthz", "", nil); resp.StatusCode != http.StatusOK || decodeJSON(t, body)["status"] != "ok" {
		t.Fatalf("healthz: %d %q", resp.StatusCode, body)
	}
	f.request(t, http.MethodPost, "/functions/echo", "x", nil)
	f.request(t, http.MethodPost, "/functions/nope", "x", nil)
	resp, body := f.request(t, http.MethodGet, "/metrics", "", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("metrics: %d", resp.StatusCode)
	}
	for _, want := range []string{
		`wavelink_gateway_requests_total{code="200",route="functions"} 1`,
		`wavelink_gateway_requests_total{code="404",route="functions"} 1`,
		`wavelink_gateway_requests_total{code="200",route="healthz"} 1`,
		`wavelink_gateway_sync_wait_seconds_count 1`,
		`wavelink_gateway_in_flight_requests 1`, // this request
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestMetricsNeedTheirOwnRegisterer(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := newMetrics(reg); err != nil {
		t.Fatalf("first: %v", err)
	}
	if _, err := newMetrics(reg); err == nil || !strings.Contains(err.Error(), "own Registerer") {
		t.Errorf("second gateway on one Registerer: %v, want an error saying so", err)
	}
}

func TestCustomResultPath(t *testing.T) {
	f := newFixture(t, fixtureOptions{cfg: Config{ResultPath: "/r/"}})
	resp, body := f.request(t, http.MethodPost, "/functions/echo", "x", map[string]string{"Prefer": "respond-async", "Ce-Id": "rp-1"})
	if resp.StatusCode != http.StatusAccepted || resp.Header.Get("Location") != "/r/rp-1" {
		t.Fatalf("status %d Location %q body %q, want 202 /r/rp-1", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if resp, body := f.request(t, http.MethodGet, "/r/rp-1", "", nil); resp.StatusCode != http.StatusNotFound || decodeJSON(t, body)["invocation"] != "rp-1" {
		t.Errorf("GET /r/rp-1: %d %q, want 404 naming the invocation", resp.StatusCode, body)
	}
	if resp, _ := f.request(t, http.MethodGet, "/results/rp-1", "", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the default result path still answers: %d", resp.StatusCode)
	}
}
