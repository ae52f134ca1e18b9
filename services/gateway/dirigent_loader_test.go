package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wavelink/wavelink/schemas"
	"github.com/wavelink/wavelink/services/instance"
	"github.com/wavelink/wavelink/services/instance/builtin"
)

func TestTraceModeHeaderIsTheBuiltins(t *testing.T) {
	if http.CanonicalHeaderKey(traceModeHeader) != http.CanonicalHeaderKey(builtin.HeaderTraceMode) {
		t.Errorf("traceModeHeader %q, the trace built-in reads %q", traceModeHeader, builtin.HeaderTraceMode)
	}
	if TraceSleep != string(builtin.ModeSleep) || TraceSpin != string(builtin.ModeSpin) {
		t.Errorf("trace modes %q/%q, the built-in's are %q/%q", TraceSleep, TraceSpin, builtin.ModeSleep, builtin.ModeSpin)
	}
}

// TestLoaderDrivesWaveLink plays the loader's whole synchronous run against
// a real NATS server and a real instance running trace: register, check,
// invoke, over HTTP/1.1 and over h2c with prior knowledge.
func TestLoaderDrivesWaveLink(t *testing.T) {
	for _, proto := range []string{"http1", "http2"} {
		t.Run(proto, func(t *testing.T) {
			t.Parallel() // most of the time is the instance's stop
			f := newDirigentFixture(t, DirigentConfig{})
			l := newLoaderSide(t, f.addr, "", proto)
			const name = "trace-func-0-3870713592478744390"

			code, body := l.registerFunction(loaderForm(name))
			if code != http.StatusOK {
				t.Fatalf("registration: %d %q", code, body)
			}
			if want := f.addr + "/invoke"; body != want {
				t.Fatalf("registration answered %q, want %q", body, want)
			}
			spec, ok := f.cache.Lookup(name)
			if !ok {
				t.Fatal("the gateway does not see the function once registration answered")
			}
			if spec.Package.Builtin != "trace" || spec.MemoryMB != 300 || spec.MinInstances != 0 || spec.MaxInstances != 1 ||
				spec.Timeout.D() != DefaultDirigentTimeout {
				t.Errorf("deployed spec %+v: want trace, 300 MiB, 0..1 instances, timeout %s", spec, DefaultDirigentTimeout)
			}
			if code := l.check(name); code != http.StatusOK {
				t.Errorf("check: %d, want 200", code)
			}
			f.runInstance(t, name)

			const runtimeMs = 20
			resp, body := l.call(invocation{endpoint: endpoint(body), name: name, runtimeMs: runtimeMs, memMiB: 8})
			if !succeeded(resp, body) {
				t.Fatalf("invocation failed for the loader: %d %q", resp.StatusCode, body)
			}
			if wantMajor := map[string]int{"http1": 1, "http2": 2}[proto]; resp.ProtoMajor != wantMajor {
				t.Errorf("answered over HTTP/%d, want HTTP/%d", resp.ProtoMajor, wantMajor)
			}
			var rep loaderReplyFields
			if err := json.Unmarshal([]byte(body), &rep); err != nil {
				t.Fatalf("the loader cannot read %q: %v", body, err)
			}
			if rep.Status != "OK" || rep.Function != name || rep.MachineName == "" {
				t.Errorf("reply %+v: want Status OK, Function %s, a MachineName", rep, name)
			}
			if rep.ExecutionTime < runtimeMs*1000 {
				t.Errorf("ExecutionTime %d µs is less than the %d ms asked for", rep.ExecutionTime, runtimeMs)
			}
			if got := resp.Header.Get("Ce-Wltrack"); got != instance.TrackRegular {
				t.Errorf("Ce-Wltrack %q, want %s", got, instance.TrackRegular)
			}
		})
	}
}

// TestLoaderAsyncMode plays the loader in AsyncMode: each invocation gets an
// id, and after the run the loader fetches each result with its id.
func TestLoaderAsyncMode(t *testing.T) {
	for _, proto := range []string{"http1", "http2"} {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			f := newDirigentFixture(t, DirigentConfig{Async: true})
			l := newLoaderSide(t, f.addr, f.addr+"/async-result", proto)
			const name = "trace-func-1-42"

			code, body := l.registerFunction(loaderForm(name))
			if code != http.StatusOK || body != f.addr+"/invoke-async" {
				t.Fatalf("registration: %d %q, want 200 %q", code, body, f.addr+"/invoke-async")
			}
			ep := endpoint(body)
			const runtimeMs = 15
			var ids []string
			for range 3 {
				resp, id := l.call(invocation{endpoint: ep, name: name, runtimeMs: runtimeMs, memMiB: 4})
				if !succeeded(resp, id) {
					t.Fatalf("async invocation failed for the loader: %d %q", resp.StatusCode, id)
				}
				if strings.ContainsAny(id, " \n") {
					t.Fatalf("id %q is not the whole body", id)
				}
				ids = append(ids, id)
			}
			// Invocations wait in the queue until an instance comes.
			f.runInstance(t, name)
			for _, id := range ids {
				resp, body := awaitResult(t, l, id)
				var rep loaderReplyFields
				if err := json.Unmarshal([]byte(body), &rep); err != nil {
					t.Fatalf("the loader cannot read %q: %v", body, err)
				}
				if rep.Function != name || rep.ExecutionTime < runtimeMs*1000 {
					t.Errorf("reply %+v: want Function %s and at least %d µs", rep, name, runtimeMs*1000)
				}
				e2e, err := strconv.Atoi(resp.Header.Get("Duration-Microseconds"))
				if err != nil {
					t.Fatalf("Duration-Microseconds %q: %v", resp.Header.Get("Duration-Microseconds"), err)
				}
				if int64(e2e) < rep.ExecutionTime {
					t.Errorf("Duration-Microseconds %d is below the run time %d", e2e, rep.ExecutionTime)
				}
			}
		})
	}
}

// TestLoaderRewrittenName registers a name that is not a DNS label: the
// invocation with that name in its Host finds the function.
func TestLoaderRewrittenName(t *testing.T) {
	t.Parallel()
	f := newDirigentFixture(t, DirigentConfig{})
	l := newLoaderSide(t, f.addr, "", "http2")
	const name = "Trace_Func.7"
	code, body := l.registerFunction(loaderForm(name))
	if code != http.StatusOK {
		t.Fatalf("registration: %d %q", code, body)
	}
	fn := mustName(t, name)
	if _, ok := f.cache.Lookup(fn); !ok {
		t.Fatalf("no function %s for %s", fn, name)
	}
	if code := l.check(name); code != http.StatusOK {
		t.Errorf("check: %d", code)
	}
	f.runInstance(t, fn)
	resp, reply := l.call(invocation{endpoint: body, name: name, runtimeMs: 1, memMiB: 1})
	if !succeeded(resp, reply) {
		t.Fatalf("invocation: %d %q", resp.StatusCode, reply)
	}
	var rep loaderReplyFields
	if err := json.Unmarshal([]byte(reply), &rep); err != nil || rep.Function != name {
		t.Errorf("reply %q (%v): want Function %q, the loader's name", reply, err, name)
	}
}

// TestRegistrationAnswersAdvertisedAddress checks the configured address
// and a prefix.
func TestRegistrationAnswersAdvertisedAddress(t *testing.T) {
	f := newDirigentFixture(t, DirigentConfig{Prefix: "/dirigent/", Advertise: "10.0.1.253:8080"})
	l := newLoaderSide(t, f.addr+"/dirigent", "", "http1")
	code, body := l.registerFunction(loaderForm("trace-func-2-1"))
	if code != http.StatusOK || body != "10.0.1.253:8080/dirigent/invoke" {
		t.Errorf("registration: %d %q, want 200 10.0.1.253:8080/dirigent/invoke", code, body)
	}
	// The gateway's own routes are still served beside the prefix.
	resp, err := http.Get("http://" + f.addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := readAll(t, resp); code != http.StatusOK {
		t.Errorf("healthz beside the Dirigent routes: %d", code)
	}
}

// TestAsyncFailureIsAnEmptyBody: a failed async invocation's result is an
// empty body for the loader, with the reason in Wl-Error.
func TestAsyncFailureIsAnEmptyBody(t *testing.T) {
	t.Parallel()
	f := newDirigentFixture(t, DirigentConfig{Async: true})
	l := newLoaderSide(t, f.addr, f.addr+"/async-result", "http1")
	const name = "trace-func-5-1"
	code, ep := l.registerFunction(loaderForm(name))
	if code != http.StatusOK {
		t.Fatalf("registration: %d %q", code, ep)
	}
	f.runInstance(t, name)
	resp, id := l.call(invocation{endpoint: ep, name: name, runtimeMs: -1})
	if !succeeded(resp, id) {
		t.Fatalf("async invocation: %d %q", resp.StatusCode, id)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, body := l.fetchResult(id)
		if body != "" {
			t.Fatalf("a failed invocation's result has a body %q", body)
		}
		if resp.StatusCode == http.StatusBadGateway {
			if !strings.Contains(resp.Header.Get("Wl-Error"), "requested_cpu") {
				t.Errorf("Wl-Error %q does not name the header at fault", resp.Header.Get("Wl-Error"))
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %d: %s", resp.StatusCode, resp.Header.Get("Wl-Error"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDirigentMetricsAndConstructor(t *testing.T) {
	f := newDirigentFixture(t, DirigentConfig{})
	l := newLoaderSide(t, f.addr, "", "http1")
	l.check("echo")
	rec := serveRecorded(f.gw, http.MethodGet, "/metrics", "", nil)
	if want := `wavelink_gateway_requests_total{code="200",route="dirigent_check"} 1`; !strings.Contains(rec.Body.String(), want) {
		t.Errorf("/metrics lacks %q", want)
	}

	if _, err := NewDirigent(DirigentConfig{}, nil, f.reg); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("no gateway: %v", err)
	}
	if _, err := NewDirigent(DirigentConfig{}, f.gw, nil); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("no deployer: %v", err)
	}
	if _, err := NewDirigent(DirigentConfig{Prefix: "/results/"}, f.gw, f.reg); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("overlapping prefix: %v", err)
	}
	if _, err := NewDirigent(DirigentConfig{TraceMode: "nap"}, f.gw, f.reg); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("bad config: %v", err)
	}
}

func TestDirigentServeAfterClose(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	d, err := NewDirigent(DirigentConfig{Addr: "127.0.0.1:0"}, f.gw, f.reg)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.gw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.ListenAndServe(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("ListenAndServe after Close: %v, want ErrClosed", err)
	}
}

// TestInvocationReachesTheFunction checks what the function gets from a
// loader's invocation: the loader's headers and the configured trace mode.
func TestInvocationReachesTheFunction(t *testing.T) {
	f := newDirigentFixture(t, DirigentConfig{TraceMode: TraceSpin})
	l := newLoaderSide(t, f.addr, "", "http2")
	const name = "trace-func-8-1"
	code, ep := l.registerFunction(loaderForm(name))
	if code != http.StatusOK {
		t.Fatalf("registration: %d %q", code, ep)
	}
	r := startResponder(t, f.env, name, func(inv schemas.Invocation) *schemas.Result {
		return &schemas.Result{InvocationID: inv.ID, Function: name, Outcome: schemas.OutcomeOK, Status: 200,
			ContentType: "application/json", Data: []byte(`{"Status":"OK","Function":"trace","MachineName":"m","ExecutionTime":7}`)}
	})
	resp, body := l.call(invocation{endpoint: ep, name: name, runtimeMs: 250, memMiB: 64})
	if !succeeded(resp, body) {
		t.Fatalf("invocation: %d %q", resp.StatusCode, body)
	}
	got := r.next(t).inv
	for k, want := range map[string]string{
		"requested_cpu": "250", "requested_memory": "64", "function": name, "multiplier": "80",
		"io_percentage": "0", "workload": "docker.io/cvetkovic/dirigent_grpc_function:latest", "X-Trace-Mode": "spin",
	} {
		if v := got.Header.Get(k); v != want {
			t.Errorf("header %s = %q, want %q (headers %v)", k, v, want, got.Header)
		}
	}
	if len(got.Data) != 0 {
		t.Errorf("data %q, want none", got.Data)
	}
	if body != `{"Status":"OK","Function":"trace-func-8-1","MachineName":"m","ExecutionTime":7}`+"\n" {
		t.Errorf("body %q", body)
	}
}
