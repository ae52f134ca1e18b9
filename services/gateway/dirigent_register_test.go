package gateway

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wavelink/wavelink/services/registry"
)

// loaderForm is the registration form the loader sends for one function of
// its example dirigent.json (pkg/driver/deployment/dirigent.go): every
// field, the unused ones included; env_vars and program_args are empty
// lists, which url.Values leaves out.
func loaderForm(name string) url.Values {
	return url.Values{
		"name":                {name},
		"image":               {"docker.io/cvetkovic/dirigent_grpc_function:latest"},
		"port_forwarding":     {"80", "tcp"},
		"scaling_upper_bound": {"1"},
		"scaling_lower_bound": {"0"},
		"requested_cpu":       {"100"},
		"requested_memory":    {"300"},
		"env_vars":            nil,
		"program_args":        nil,
		"prepull_mode":        {""},
		"num_args":            {"0"},
		"num_rets":            {"0"},
		"requested_gpu":       {"0"},
		"node_affinity":       {""},
		"node_port":           {"0"},
	}
}

func TestParseRegistration(t *testing.T) {
	with := func(changes map[string][]string) url.Values {
		f := loaderForm("trace-func-0-1")
		for k, v := range changes {
			if v == nil {
				f.Del(k)
			} else {
				f[k] = v
			}
		}
		return f
	}
	tests := []struct {
		name      string
		form      url.Values
		want      registration
		wantField string // a 400 naming this field
	}{
		{name: "loader form", form: loaderForm("trace-func-0-1"),
			want: registration{name: "trace-func-0-1", function: "trace-func-0-1", requestedMemoryMB: 300, maxInstances: 1}},
		{name: "bounds", form: with(map[string][]string{"scaling_upper_bound": {"5"}, "scaling_lower_bound": {"2"}}),
			want: registration{name: "trace-func-0-1", function: "trace-func-0-1", requestedMemoryMB: 300, minInstances: 2, maxInstances: 5}},
		{name: "upper bound 0 means none", form: with(map[string][]string{"scaling_upper_bound": {"0"}, "scaling_lower_bound": {"3"}}),
			want: registration{name: "trace-func-0-1", function: "trace-func-0-1", requestedMemoryMB: 300, minInstances: 3}},
		{name: "upper bound absent", form: with(map[string][]string{"scaling_upper_bound": nil}),
			want: registration{name: "trace-func-0-1", function: "trace-func-0-1", requestedMemoryMB: 300}},
		{name: "upper bound above the cap", form: with(map[string][]string{"scaling_upper_bound": {"2147483647"}}),
			want: registration{name: "trace-func-0-1", function: "trace-func-0-1", requestedMemoryMB: 300, maxInstances: registry.MaxInstanceCap}},
		{name: "no memory", form: with(map[string][]string{"requested_memory": nil, "requested_cpu": nil}),
			want: registration{name: "trace-func-0-1", function: "trace-func-0-1", maxInstances: 1}},
		{name: "rewritten name", form: with(map[string][]string{"name": {"Trace_Func"}}),
			want: registration{name: "Trace_Func", function: mustName(t, "Trace_Func"), requestedMemoryMB: 300, maxInstances: 1}},

		{name: "no name", form: with(map[string][]string{"name": nil}), wantField: "name"},
		{name: "bad name", form: with(map[string][]string{"name": {"a b"}}), wantField: "name"},
		{name: "no image", form: with(map[string][]string{"image": nil}), wantField: "image"},
		{name: "no port forwarding", form: with(map[string][]string{"port_forwarding": nil}), wantField: "port_forwarding"},
		{name: "port only", form: with(map[string][]string{"port_forwarding": {"80"}}), wantField: "port_forwarding"},
		{name: "bad port", form: with(map[string][]string{"port_forwarding": {"http", "tcp"}}), wantField: "port_forwarding"},
		{name: "port 0", form: with(map[string][]string{"port_forwarding": {"0", "tcp"}}), wantField: "port_forwarding"},
		{name: "bad protocol", form: with(map[string][]string{"port_forwarding": {"80", "sctp"}}), wantField: "port_forwarding"},
		{name: "cpu not a number", form: with(map[string][]string{"requested_cpu": {"1.5"}}), wantField: "requested_cpu"},
		{name: "negative cpu", form: with(map[string][]string{"requested_cpu": {"-1"}}), wantField: "requested_cpu"},
		{name: "memory not a number", form: with(map[string][]string{"requested_memory": {"lots"}}), wantField: "requested_memory"},
		{name: "memory too large", form: with(map[string][]string{"requested_memory": {"1000000"}}), wantField: "requested_memory"},
		{name: "upper bound not a number", form: with(map[string][]string{"scaling_upper_bound": {"x"}}), wantField: "scaling_upper_bound"},
		{name: "lower bound negative", form: with(map[string][]string{"scaling_lower_bound": {"-1"}}), wantField: "scaling_lower_bound"},
		{name: "lower above upper", form: with(map[string][]string{"scaling_upper_bound": {"2"}, "scaling_lower_bound": {"3"}}), wantField: "scaling_lower_bound"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, herr := parseRegistration(tc.form)
			if tc.wantField != "" {
				if herr == nil || herr.code != http.StatusBadRequest || herr.field != tc.wantField || !strings.Contains(herr.msg, tc.wantField) {
					t.Fatalf("got %+v, %+v; want a 400 naming %s", got, herr, tc.wantField)
				}
				return
			}
			if herr != nil {
				t.Fatalf("parseRegistration: %v", herr)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func mustName(t *testing.T, name string) string {
	t.Helper()
	fn, err := DirigentFunctionName(name)
	if err != nil {
		t.Fatal(err)
	}
	return fn
}

func TestRegistrationSpec(t *testing.T) {
	cfg := DirigentConfig{Concurrency: 4, Timeout: time.Minute}.WithDefaults()
	tests := []struct {
		name string
		reg  registration
		want registry.Spec
	}{
		{"memory above the floor", registration{function: "f", requestedMemoryMB: 300, minInstances: 1, maxInstances: 3},
			registry.Spec{Name: "f", Package: registry.Package{Builtin: "trace"}, MemoryMB: 300, Concurrency: 4,
				Timeout: registry.Duration(time.Minute), MinInstances: 1, MaxInstances: 3}},
		{"memory floored", registration{function: "f", requestedMemoryMB: 12},
			registry.Spec{Name: "f", Package: registry.Package{Builtin: "trace"}, MemoryMB: DefaultDirigentMinMemoryMB, Concurrency: 4,
				Timeout: registry.Duration(time.Minute)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.reg.spec(cfg)
			if got.Name != tc.want.Name || got.Package != tc.want.Package || got.MemoryMB != tc.want.MemoryMB ||
				got.Concurrency != tc.want.Concurrency || got.Timeout != tc.want.Timeout ||
				got.MinInstances != tc.want.MinInstances || got.MaxInstances != tc.want.MaxInstances {
				t.Errorf("spec %+v, want %+v", got, tc.want)
			}
			if err := got.WithDefaults().Validate(); err != nil {
				t.Errorf("the spec does not validate: %v", err)
			}
		})
	}
}

func TestDirigentConfigValidate(t *testing.T) {
	tests := []struct {
		name      string
		cfg       DirigentConfig
		wantField string // empty: valid
	}{
		{"defaults", DirigentConfig{}, ""},
		{"spin", DirigentConfig{TraceMode: TraceSpin, Prefix: "/dirigent/", Advertise: "10.0.1.253:9091"}, ""},
		{"prefix without slash", DirigentConfig{Prefix: "dirigent"}, "Prefix"},
		{"prefix needs escaping", DirigentConfig{Prefix: "/a b/"}, "Prefix"},
		{"unknown mode", DirigentConfig{TraceMode: "nap"}, "TraceMode"},
		{"timeout too long", DirigentConfig{Timeout: time.Hour}, "Timeout"},
		{"negative concurrency", DirigentConfig{Concurrency: -1}, "Concurrency"},
		{"memory floor too large", DirigentConfig{MinMemoryMB: registry.MaxMemoryMB + 1}, "MinMemoryMB"},
		{"negative register wait", DirigentConfig{RegisterWait: -time.Second}, "RegisterWait"},
		{"advertise without port", DirigentConfig{Advertise: "10.0.1.253"}, "Advertise"},
		{"advertise with a path", DirigentConfig{Advertise: "10.0.1.253:80/x"}, "Advertise"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.WithDefaults().Validate()
			if tc.wantField == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.wantField) {
				t.Errorf("Validate: %v, want ErrInvalidConfig naming %s", err, tc.wantField)
			}
		})
	}
}

func TestDirigentPrefixMustNotOverlapTheGateway(t *testing.T) {
	tests := []struct {
		prefix, resultPath string
		ok                 bool
	}{
		{"/", "/results/", true},
		{"/dirigent/", "/results/", true},
		{"/functions/", "/results/", false},
		{"/results/", "/results/", false},
		{"/results/x/", "/results/", false},
		{"/r/", "/r/x/", false},
	}
	for _, tc := range tests {
		err := DirigentConfig{Prefix: tc.prefix}.checkRoutes(tc.resultPath)
		if (err == nil) != tc.ok {
			t.Errorf("prefix %q with result path %q: %v, want ok=%v", tc.prefix, tc.resultPath, err, tc.ok)
		}
	}
}

func TestLoaderBody(t *testing.T) {
	tests := []struct {
		name, data string
		ok         bool
		want       loaderReply
	}{
		{"trace reply", `{"Status":"OK","Function":"trace","MachineName":"m1","ExecutionTime":20123,"RequestedMs":20,"MemoryMB":8,"Mode":"sleep"}`,
			true, loaderReply{Status: "OK", Function: "trace-func-0-1", MachineName: "m1", ExecutionTime: 20123}},
		{"padded", "  {\"Status\":\"OK\"}\n", true, loaderReply{Status: "OK", Function: "trace-func-0-1"}},
		{"empty", "", false, loaderReply{}},
		{"text", "hello", false, loaderReply{}},
		{"array", `[1]`, false, loaderReply{}},
		{"wrong type", `{"ExecutionTime":"soon"}`, false, loaderReply{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, ok := loaderBody([]byte(tc.data), "trace-func-0-1")
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v (body %q)", ok, tc.ok, b)
			}
			if !ok {
				return
			}
			// The loader unmarshals into exactly these four fields.
			var got loaderReply
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("the loader cannot read %q: %v", b, err)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			var fields map[string]any
			_ = json.Unmarshal(b, &fields)
			if len(fields) != 4 {
				t.Errorf("body %s has %d fields, want the 4 the loader reads", b, len(fields))
			}
		})
	}
}

func TestAsyncIDCarriesItsAcceptance(t *testing.T) {
	at := time.Date(2026, 8, 13, 12, 0, 0, 123456000, time.UTC)
	d := &Dirigent{now: func() time.Time { return at }}
	id := d.asyncID()
	got, ok := acceptedAt(id)
	if !ok || !got.Equal(at) {
		t.Errorf("acceptedAt(%q) = %v, %v; want %v", id, got, ok, at)
	}
	for _, other := range []string{"", "3f2a", "abc-def", "-1-x", "0-x"} {
		if _, ok := acceptedAt(other); ok {
			t.Errorf("acceptedAt(%q) found a time", other)
		}
	}
}
