package gateway

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/net/http2"

	"github.com/wavelink/wavelink/services/instance"
)

// The loader's side of the contract, as the public vHive/invitro loader
// (github.com/vhive-serverless/invitro, commit a1df629) speaks it in its
// Dirigent platform mode:
//
//   - registration (pkg/driver/deployment/dirigent.go): PostForm to
//     http://{DirigentControlPlaneIP}/ over HTTP/1.1; a 200 body split on ';'
//     gives the endpoints, one picked at random; with a pre-pull mode, GET
//     http://{DirigentControlPlaneIP}/check?name={name} until 200;
//   - invocation (pkg/driver/clients/http_client.go): POST
//     http://{endpoint} with an empty body, req.Host set to the function's
//     name, and the headers workload, function, requested_cpu (run time in
//     ms), requested_memory (MiB), multiplier, io_percentage; over HTTP/1.1
//     or h2c with prior knowledge (golang.org/x/net/http2 with AllowHTTP and
//     a plain TCP dial); a failure is a transport error, a status other than
//     200 or an empty body; the body is unmarshalled into
//     {Status, Function, MachineName, ExecutionTime}, or in async mode kept
//     whole as the invocation's id;
//   - async results (pkg/driver/async_processing.go): GET
//     http://{AsyncResponseURL} with the id as the body, over HTTP/1.1; the
//     status is not looked at, an empty body is a failure, and the
//     Duration-Microseconds header is read as an integer.

// loaderReplyFields is the struct the loader unmarshals answers into.
type loaderReplyFields struct {
	Status        string `json:"Status"`
	Function      string `json:"Function"`
	MachineName   string `json:"MachineName"`
	ExecutionTime int64  `json:"ExecutionTime"`
}

// loaderSide plays the loader against one control-plane address.
type loaderSide struct {
	t            *testing.T
	controlPlane string // DirigentControlPlaneIP
	asyncURL     string // AsyncResponseURL
	register     *http.Client
	invoke       *http.Client
	fetch        *http.Client
}

// newLoaderSide makes the loader's clients: invocations speak proto,
// "http1" or "http2" (the loader's InvokeProtocol).
func newLoaderSide(t *testing.T, controlPlane, asyncURL, proto string) *loaderSide {
	plain := func() *http.Transport {
		tr := &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 1500 * time.Millisecond}).DialContext,
			IdleConnTimeout:     2 * time.Second,
			MaxIdleConns:        2,
			MaxIdleConnsPerHost: 2,
		}
		t.Cleanup(tr.CloseIdleConnections)
		return tr
	}
	var invoke http.RoundTripper
	switch proto {
	case "http1":
		tr := &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 30 * time.Second}).DialContext,
			IdleConnTimeout:     5 * time.Second,
			MaxIdleConns:        100,
			MaxIdleConnsPerHost: 10,
			MaxConnsPerHost:     10,
		}
		t.Cleanup(tr.CloseIdleConnections)
		invoke = tr
	case "http2":
		tr := &http2.Transport{
			AllowHTTP: true,
			DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
				return net.Dial(network, addr)
			},
		}
		t.Cleanup(tr.CloseIdleConnections)
		invoke = tr
	default:
		t.Fatalf("unknown protocol %q", proto)
	}
	return &loaderSide{
		t:            t,
		controlPlane: controlPlane,
		asyncURL:     asyncURL,
		register:     &http.Client{Timeout: 30 * time.Second, Transport: plain()},
		invoke:       &http.Client{Timeout: 30 * time.Second, Transport: invoke},
		fetch:        &http.Client{Timeout: 5 * time.Second, Transport: plain()},
	}
}

// registerFunction sends the registration form and returns the answer.
func (l *loaderSide) registerFunction(form url.Values) (int, string) {
	l.t.Helper()
	resp, err := l.register.PostForm("http://"+l.controlPlane+"/", form)
	if err != nil {
		l.t.Fatalf("register: %v", err)
	}
	return readAll(l.t, resp)
}

// endpoint picks one endpoint of a registration answer, as the loader does.
func endpoint(body string) string {
	eps := strings.Split(body, ";")
	return eps[rand.IntN(len(eps))]
}

// check sends the pre-pull check and returns its status.
func (l *loaderSide) check(name string) int {
	l.t.Helper()
	resp, err := l.fetch.Get("http://" + l.controlPlane + "/check?name=" + name)
	if err != nil {
		l.t.Fatalf("check: %v", err)
	}
	code, _ := readAll(l.t, resp)
	return code
}

// invocation is one call as the loader makes it.
type invocation struct {
	endpoint, name    string
	runtimeMs, memMiB int
}

// call sends one invocation and returns the response and its body.
func (l *loaderSide) call(c invocation) (*http.Response, string) {
	l.t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+c.endpoint, &bytes.Buffer{})
	if err != nil {
		l.t.Fatalf("request: %v", err)
	}
	req.Host = c.name
	req.Header.Set("workload", "docker.io/cvetkovic/dirigent_grpc_function:latest")
	req.Header.Set("function", c.name)
	req.Header.Set("requested_cpu", strconv.Itoa(c.runtimeMs))
	req.Header.Set("requested_memory", strconv.Itoa(c.memMiB))
	req.Header.Set("multiplier", strconv.Itoa(80))
	req.Header.Set("io_percentage", strconv.Itoa(0))
	resp, err := l.invoke.Do(req)
	if err != nil {
		l.t.Fatalf("invoke %s: %v", c.name, err)
	}
	_, body := readAll(l.t, resp)
	return resp, body
}

// succeeded applies the loader's test of a successful invocation.
func succeeded(resp *http.Response, body string) bool {
	return resp.StatusCode == http.StatusOK && len(body) > 0
}

// fetchResult sends the loader's async result request: the id as a GET
// body. It returns the body and the Duration-Microseconds header.
func (l *loaderSide) fetchResult(id string) (*http.Response, string) {
	l.t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+l.asyncURL, bytes.NewReader([]byte(id)))
	if err != nil {
		l.t.Fatalf("request: %v", err)
	}
	resp, err := l.fetch.Do(req)
	if err != nil {
		l.t.Fatalf("fetch %s: %v", id, err)
	}
	_, body := readAll(l.t, resp)
	return resp, body
}

func readAll(t *testing.T, resp *http.Response) (int, string) {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	return resp.StatusCode, string(b)
}

// dirigentFixture is a gateway fixture with the Dirigent routes served on a
// real listener (HTTP/1.1 and h2c).
type dirigentFixture struct {
	*fixture
	d    *Dirigent
	addr string // host:port of the listener
	logs *syncLog
}

func newDirigentFixture(t *testing.T, cfg DirigentConfig) *dirigentFixture {
	t.Helper()
	logs := &syncLog{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", logs.String())
		}
	})
	f := newFixture(t, fixtureOptions{cfg: Config{Logger: zerolog.New(logs)}})
	d, err := NewDirigent(cfg, f.gw, f.reg)
	if err != nil {
		t.Fatalf("NewDirigent: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- d.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return &dirigentFixture{fixture: f, d: d, addr: ln.Addr().String(), logs: logs}
}

// runInstance runs a real instance of fn in this process until the test
// ends.
func (f *dirigentFixture) runInstance(t *testing.T, fn string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan struct{})
	go func() {
		done <- instance.Run(ctx, f.env.NC, f.env.JS, instance.Config{
			Function: fn, ID: "test-" + fn, Track: instance.TrackRegular,
			Logger: zerolog.New(f.logs), Ready: func() { close(ready) },
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("instance of %s: %v", fn, err)
		}
	})
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("instance of %s ended before it was ready: %v", fn, err)
	case <-time.After(10 * time.Second):
		t.Fatalf("instance of %s never became ready", fn)
	}
}

// syncLog is a log destination safe for concurrent writers.
type syncLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// awaitResult fetches a result the loader's way until its body is not
// empty.
func awaitResult(t *testing.T, l *loaderSide, id string) (*http.Response, string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, body := l.fetchResult(id)
		if body != "" {
			return resp, body
		}
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("fetch %s: %d (%s) with no body, want 404 until it is done", id, resp.StatusCode, resp.Header.Get("Wl-Error"))
		}
		if time.Now().After(deadline) {
			t.Fatalf("no result for %s: %s", id, resp.Header.Get("Wl-Error"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
