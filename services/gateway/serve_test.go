package gateway

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wavelink/wavelink/schemas"
)

// serving runs the gateway's Serve on a loopback listener and returns its
// base URL and a function that ends it and returns Serve's error.
func serving(t *testing.T, gw *Gateway) (url string, stop func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- gw.Serve(ctx, ln) }()
	stopped := false
	var serveErr error
	stop = func() error {
		if !stopped {
			stopped = true
			cancel()
			serveErr = <-errc
		}
		return serveErr
	}
	t.Cleanup(func() { _ = stop() })
	return "http://" + ln.Addr().String(), stop
}

// gatedResponder answers each invocation only when release is closed, and
// says on arrived when one came.
func gatedResponder(t *testing.T, f *fixture) (arrived chan struct{}, release chan struct{}) {
	arrived = make(chan struct{}, 16)
	release = make(chan struct{})
	startResponder(t, f.env, "echo", func(inv schemas.Invocation) *schemas.Result {
		arrived <- struct{}{}
		<-release
		return echo(inv)
	})
	return arrived, release
}

// h2cClient speaks cleartext HTTP/2 with prior knowledge only.
func h2cClient(t *testing.T) *http.Client {
	var protocols http.Protocols
	protocols.SetUnencryptedHTTP2(true)
	tr := &http.Transport{Protocols: &protocols}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func TestGracefulShutdownLetsWaitingRequestFinish(t *testing.T) {
	for _, proto := range []string{"HTTP/1.1", "h2c"} {
		t.Run(proto, func(t *testing.T) {
			tr := &http.Transport{}
			t.Cleanup(tr.CloseIdleConnections)
			client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
			if proto == "h2c" {
				client = h2cClient(t)
			}
			testGracefulShutdown(t, client, proto)
		})
	}
}

func testGracefulShutdown(t *testing.T, client *http.Client, proto string) {
	f := newFixture(t, fixtureOptions{cfg: Config{ShutdownTimeout: 10 * time.Second}})
	arrived, release := gatedResponder(t, f)
	url, stop := serving(t, f.gw)

	type answer struct {
		code  int
		proto int
		body  string
		err   error
	}
	answers := make(chan answer, 1)
	go func() {
		resp, err := client.Post(url+"/functions/echo", "text/plain", strings.NewReader("finish me"))
		if err != nil {
			answers <- answer{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		answers <- answer{code: resp.StatusCode, proto: resp.ProtoMajor, body: string(b), err: err}
	}()
	select {
	case <-arrived:
	case <-time.After(5 * time.Second):
		close(release)
		t.Fatal("the invocation never reached the instance")
	}
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	// New connections are refused once the shutdown has begun.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(url, "http://"), time.Second)
		if err != nil {
			break
		}
		_ = c.Close()
		if time.Now().After(deadline) {
			close(release)
			t.Fatal("the listener still accepts after the shutdown began")
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case err := <-stopped:
		close(release)
		t.Fatalf("Serve returned (%v) while a request was still waiting", err)
	default:
	}
	close(release)
	a := <-answers
	if a.err != nil || a.code != http.StatusOK || a.body != "finish me" {
		t.Fatalf("answer %d %q %v, want 200 with the result", a.code, a.body, a.err)
	}
	if wantMajor := map[string]int{"HTTP/1.1": 1, "h2c": 2}[proto]; a.proto != wantMajor {
		t.Errorf("answered over HTTP/%d, want %s", a.proto, proto)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Serve: %v, want nil after a graceful shutdown", err)
	}
}

func TestShutdownCutsOffRequestsPastTheTimeout(t *testing.T) {
	f := newFixture(t, fixtureOptions{cfg: Config{ShutdownTimeout: 50 * time.Millisecond}})
	arrived, release := gatedResponder(t, f)
	defer close(release)
	url, stop := serving(t, f.gw)

	type answer struct {
		code int
		err  error
	}
	answers := make(chan answer, 1)
	go func() {
		resp, err := http.Post(url+"/functions/echo", "text/plain", strings.NewReader("never answered"))
		if err != nil {
			answers <- answer{err: err}
			return
		}
		_ = resp.Body.Close()
		answers <- answer{code: resp.StatusCode}
	}()
	select {
	case <-arrived:
	case <-time.After(5 * time.Second):
		t.Fatal("the invocation never reached the instance")
	}
	if err := stop(); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Serve: %v, want a cut-off error wrapping context.DeadlineExceeded", err)
	}
	a := <-answers
	if a.err != nil || a.code != http.StatusServiceUnavailable {
		t.Errorf("cut-off request answered %d (%v), want 503", a.code, a.err)
	}
	if n := counterValue(t, f.gw, "wavelink_gateway_sync_wait_seconds_count"); n != 1 {
		t.Errorf("sync waits observed %v, want 1: the cut-off wait counts too", n)
	}
}

func TestH2C(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	startResponder(t, f.env, "echo", echo)
	url, _ := serving(t, f.gw)

	resp, body := doRequest(t, h2cClient(t), http.MethodPost, url+"/functions/echo", "over h2c", nil)
	if resp.ProtoMajor != 2 {
		t.Errorf("protocol %s, want HTTP/2", resp.Proto)
	}
	if resp.StatusCode != http.StatusOK || body != "over h2c" {
		t.Errorf("status %d body %q, want 200 %q", resp.StatusCode, body, "over h2c")
	}
}

func TestListenAndServeReportsBadAddress(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	gw, err := New(Config{Addr: ln.Addr().String()}, f.env.NC, f.env.JS, f.cache)
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	err = gw.ListenAndServe(context.Background())
	if err == nil || !strings.Contains(err.Error(), ln.Addr().String()) {
		t.Errorf("ListenAndServe on a taken address: %v, want an error naming it", err)
	}
}

func TestServeAfterClose(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	if err := f.gw.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.gw.Serve(context.Background(), ln); !errors.Is(err, ErrClosed) {
		t.Errorf("Serve after Close: %v, want ErrClosed", err)
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Error("the listener was left open")
	}
}

func TestServeErrorClosesOpenConnections(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- f.gw.Serve(context.Background(), ln) }()
	// A keep-alive connection that has been served once.
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: gw\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("first answer: %v", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()

	_ = ln.Close() // the listener fails under Serve
	select {
	case err := <-errc:
		if err == nil {
			t.Fatal("Serve returned nil after its listener failed")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after its listener failed")
	}
	// Serve has returned: nothing may still be served.
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := br.ReadByte(); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("read on a connection after Serve returned: %v, want it closed", err)
	}
}
