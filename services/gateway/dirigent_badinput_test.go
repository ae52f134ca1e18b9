package gateway

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wavelink/wavelink/services/registry"
)

func TestRegistrationBadInput(t *testing.T) {
	f := newDirigentFixture(t, DirigentConfig{})
	l := newLoaderSide(t, f.addr, "", "http1")
	form := func(changes map[string][]string) url.Values {
		v := loaderForm("trace-func-3-1")
		for k, val := range changes {
			if val == nil {
				v.Del(k)
			} else {
				v[k] = val
			}
		}
		return v
	}
	tests := []struct {
		name      string
		form      url.Values
		wantCode  int
		wantField string
	}{
		{"no name", form(map[string][]string{"name": nil}), http.StatusBadRequest, "name"},
		{"no image", form(map[string][]string{"image": nil}), http.StatusBadRequest, "image"},
		{"bad protocol", form(map[string][]string{"port_forwarding": {"80", "quic"}}), http.StatusBadRequest, "port_forwarding"},
		{"bad memory", form(map[string][]string{"requested_memory": {"12MiB"}}), http.StatusBadRequest, "requested_memory"},
		{"bounds the wrong way", form(map[string][]string{"scaling_upper_bound": {"1"}, "scaling_lower_bound": {"4"}}), http.StatusBadRequest, "scaling_lower_bound"},
		{"not a trace function", form(map[string][]string{"name": {"echo"}}), http.StatusConflict, "name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := l.registerFunction(tc.form)
			if code != tc.wantCode {
				t.Fatalf("status %d body %q, want %d", code, body, tc.wantCode)
			}
			if got := decodeJSON(t, body)["field"]; got != tc.wantField {
				t.Errorf("field %v, want %s (body %q)", got, tc.wantField, body)
			}
		})
	}
	if spec, _ := f.cache.Lookup("echo"); spec.Package.Builtin != "echo" {
		t.Errorf("echo was replaced: %+v", spec)
	}

	t.Run("not a form", func(t *testing.T) {
		resp, err := http.Post("http://"+f.addr+"/", "application/json", strings.NewReader(`{"name":"x"}`))
		if err != nil {
			t.Fatal(err)
		}
		code, body := readAll(t, resp)
		if code != http.StatusBadRequest || !strings.Contains(body, "form") {
			t.Errorf("%d %q, want 400 saying a form is wanted", code, body)
		}
	})
	t.Run("GET /", func(t *testing.T) {
		resp, err := http.Get("http://" + f.addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		if code, _ := readAll(t, resp); code != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != http.MethodPost {
			t.Errorf("%d Allow %q, want 405 POST", code, resp.Header.Get("Allow"))
		}
	})
	t.Run("check", func(t *testing.T) {
		tests := []struct {
			query string
			want  int
		}{
			{"", http.StatusBadRequest},
			{"?name=", http.StatusBadRequest},
			{"?name=a%20b", http.StatusBadRequest},
			{"?name=trace-func-never", http.StatusNotFound},
			{"?name=echo", http.StatusOK},
		}
		for _, tc := range tests {
			resp, err := http.Get("http://" + f.addr + "/check" + tc.query)
			if err != nil {
				t.Fatal(err)
			}
			if code, body := readAll(t, resp); code != tc.want {
				t.Errorf("check%s: %d %q, want %d", tc.query, code, body, tc.want)
			}
		}
	})
}

func TestLoaderInvocationFailures(t *testing.T) {
	t.Parallel()
	f := newDirigentFixture(t, DirigentConfig{})
	const name = "trace-func-4-1"
	if code, body := newLoaderSide(t, f.addr, "", "http1").registerFunction(loaderForm(name)); code != http.StatusOK {
		t.Fatalf("registration: %d %q", code, body)
	}
	f.runInstance(t, name)
	ep := f.addr + "/invoke"
	for _, proto := range []string{"http1", "http2"} {
		l := newLoaderSide(t, f.addr, f.addr+"/async-result", proto)
		t.Run(proto, func(t *testing.T) {
			tests := []struct {
				what     string
				call     invocation
				header   map[string]string
				wantCode int
			}{
				{"unknown function", invocation{endpoint: ep, name: "trace-func-unknown"}, nil, http.StatusNotFound},
				{"name no function can have", invocation{endpoint: ep, name: "fn*x"}, nil, http.StatusNotFound},
				{"run time the function refuses", invocation{endpoint: ep, name: name, runtimeMs: -5}, nil, http.StatusBadGateway},
			}
			for _, tc := range tests {
				t.Run(tc.what, func(t *testing.T) {
					resp, body := l.call(tc.call)
					if succeeded(resp, body) || resp.StatusCode != tc.wantCode {
						t.Errorf("%d %q, want %d (a failure for the loader)", resp.StatusCode, body, tc.wantCode)
					}
				})
			}
			t.Run("GET on invoke", func(t *testing.T) {
				req, _ := http.NewRequest(http.MethodGet, "http://"+ep, nil)
				req.Host = name
				resp, err := l.invoke.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				if code, _ := readAll(t, resp); code != http.StatusMethodNotAllowed {
					t.Errorf("%d, want 405", code)
				}
			})
			t.Run("async results", func(t *testing.T) {
				for _, id := range []string{"", "1755091234567890-no-such-invocation", strings.Repeat("x", MaxIDLength+1)} {
					resp, body := l.fetchResult(id)
					if body != "" || resp.StatusCode == http.StatusOK || resp.Header.Get("Wl-Error") == "" {
						t.Errorf("fetch %.20q: %d %q Wl-Error %q; want an empty body, not 200, a reason",
							id, resp.StatusCode, body, resp.Header.Get("Wl-Error"))
					}
				}
			})
		})
	}
}

// slowSpecs never shows a deployed function.
type slowSpecs struct{ Specs }

func (slowSpecs) Lookup(string) (registry.Spec, bool) { return registry.Spec{}, false }

func TestRegistrationWaitsForTheGateway(t *testing.T) {
	f := newFixture(t, fixtureOptions{specs: slowSpecs{}})
	d, err := NewDirigent(DirigentConfig{RegisterWait: 50 * time.Millisecond}, f.gw, f.reg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(d.Handler())
	t.Cleanup(srv.Close)
	resp, err := http.PostForm(srv.URL+"/", loaderForm("trace-func-6-1"))
	if err != nil {
		t.Fatal(err)
	}
	code, body := readAll(t, resp)
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "did not see it") {
		t.Errorf("%d %q, want 503 saying the gateway did not see the function", code, body)
	}
}
