package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wavelink/wavelink/loadgen"
	"github.com/wavelink/wavelink/streams"
)

func TestUpServesEchoAndTraceSyncAndAsync(t *testing.T) {
	p := startPlatform(t, "")
	base := p.GatewayURL()

	a := post(t, base+"/functions/echo", []byte("hello, wavelink"), "Content-Type", "text/plain")
	if a.status != http.StatusOK || a.body != "hello, wavelink" {
		t.Fatalf("sync echo: %d %q", a.status, a.body)
	}
	if a.header.Get("Content-Type") != "text/plain" || a.header.Get("ce-wloutcome") != "ok" {
		t.Fatalf("sync echo headers: %v", a.header)
	}

	a = post(t, base+"/functions/trace", nil, "requested_cpu", "30", "requested_memory", "8", "x-trace-mode", "sleep")
	if a.status != http.StatusOK {
		t.Fatalf("trace: %d %s", a.status, a.body)
	}
	var tr struct {
		Status        string
		Function      string
		ExecutionTime int64
		MemoryMB      int
	}
	if err := json.Unmarshal([]byte(a.body), &tr); err != nil {
		t.Fatalf("trace answer %q: %v", a.body, err)
	}
	if tr.Status != "OK" || tr.ExecutionTime < 30_000 || tr.MemoryMB != 8 {
		t.Fatalf("trace reported %+v, want 30 ms and 8 MB", tr)
	}

	a = post(t, base+"/functions/echo", []byte("later"), "Prefer", "respond-async")
	loc := a.header.Get("Location")
	if a.status != http.StatusAccepted || loc == "" {
		t.Fatalf("async echo: %d %v %s", a.status, a.header, a.body)
	}
	r := waitResult(t, base+loc, 20*time.Second)
	if r.status != http.StatusOK || r.body != "later" {
		t.Fatalf("async result: %d %q", r.status, r.body)
	}

	// The CLI against the same platform.
	out, err := cli(t, p, "fn", "invoke", "echo", "--data", "from the cli")
	if err != nil || out != "from the cli" {
		t.Fatalf("fn invoke: %q, %v", out, err)
	}
}

func TestCLIDeployListInvokeRemove(t *testing.T) {
	p := startPlatform(t, "")
	spec := filepath.Join(t.TempDir(), "hello.yaml")
	if err := os.WriteFile(spec, []byte("name: hello\npackage: {builtin: echo}\nconcurrency: 2\ntimeout: 5s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := cli(t, p, "fn", "deploy", "-f", spec); err != nil {
		t.Fatalf("deploy: %v: %s", err, out)
	}
	out, err := cli(t, p, "fn", "ls")
	if err != nil || !strings.Contains(out, "hello") || !strings.Contains(out, "builtin:echo") {
		t.Fatalf("ls: %v: %s", err, out)
	}
	if out, err := cli(t, p, "fn", "invoke", "hello", "-d", "hi"); err != nil || out != "hi" {
		t.Fatalf("invoke hello: %q, %v", out, err)
	}
	if out, err := cli(t, p, "fn", "rm", "hello"); err != nil {
		t.Fatalf("rm: %v: %s", err, out)
	}
	if a := post(t, p.GatewayURL()+"/functions/hello", []byte("x")); a.status != http.StatusNotFound {
		t.Fatalf("after rm: %d %s", a.status, a.body)
	}
	out, err = cli(t, p, "fn", "deploy", "Bad_Name", "--package", "builtin:echo")
	if err == nil || !strings.Contains(out, "name") {
		t.Fatalf("bad name deployed: %v: %s", err, out)
	}
	out, err = cli(t, p, "fn", "deploy", "x", "--package", "builtin:echo", "--concurrency", "-3")
	if err == nil || !strings.Contains(out, "concurrency") {
		t.Fatalf("bad concurrency deployed: %v: %s", err, out)
	}
}

func TestErrorAnswers(t *testing.T) {
	p := startPlatform(t, "")
	base := p.GatewayURL()
	if out, err := cli(t, p, "fn", "deploy", "slow", "--package", "builtin:trace", "--timeout", "300ms", "--max-deliver", "1"); err != nil {
		t.Fatalf("deploy slow: %v: %s", err, out)
	}

	for _, tc := range []struct {
		name    string
		url     string
		body    []byte
		headers []string
		status  int
		mention string
	}{
		{"unknown function", "/functions/nope", nil, nil, http.StatusNotFound, "nope"},
		{"not a DNS label", "/functions/Bad_Name", nil, nil, http.StatusNotFound, ""},
		{"malformed CloudEvent", "/events/echo", []byte("x"), []string{"ce-specversion", "1.0", "ce-id", "1", "ce-type", "t"}, http.StatusBadRequest, "source"},
		{"bad specversion", "/functions/echo", []byte("x"), []string{"ce-specversion", "0.3"}, http.StatusBadRequest, "specversion"},
		{"body over the limit", "/functions/echo", make([]byte, 7<<20), nil, http.StatusRequestEntityTooLarge, ""},
		{"function timeout", "/functions/slow", nil, []string{"requested_cpu", "3000", "x-trace-mode", "sleep"}, http.StatusGatewayTimeout, ""},
		{"function failure", "/functions/trace", nil, []string{"requested_cpu", "-5", "ce-id", "fails-1"}, http.StatusBadGateway, "requested_cpu"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := post(t, base+tc.url, tc.body, tc.headers...)
			if a.status != tc.status {
				t.Fatalf("got %d %s, want %d", a.status, a.body, tc.status)
			}
			var e map[string]any
			if err := json.Unmarshal([]byte(a.body), &e); err != nil || e["error"] == nil {
				t.Fatalf("error body %q is not JSON with an error field", a.body)
			}
			if tc.mention != "" && !strings.Contains(a.body, tc.mention) {
				t.Fatalf("error body %q does not mention %q", a.body, tc.mention)
			}
		})
	}
	if a := get(t, base+"/functions/echo"); a.status != http.StatusMethodNotAllowed {
		t.Fatalf("GET on a function: %d", a.status)
	}

	// The failing invocation was tried MaxDeliver times and dead-lettered
	// with its last error. The instance answers the caller before it
	// stores the dead letter, so the letter may land a moment after the 502.
	js := natsJS(t, p)
	dlq, err := js.Stream(context.Background(), streams.StreamDLQ)
	if err != nil {
		t.Fatal(err)
	}
	var m *jetstream.RawStreamMsg
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if m, err = dlq.GetLastMsgForSubject(context.Background(), streams.DLQSubject("trace")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no dead letter for trace within 10s of the 502: %v", err)
		}
	}
	if m.Header.Get(streams.HeaderMsgID) != "fails-1" || !strings.Contains(m.Header.Get(streams.HeaderLastError), "400") {
		t.Fatalf("dead letter headers: %v", m.Header)
	}
	if m.Header.Get(streams.HeaderDeliveries) != "3" {
		t.Fatalf("dead letter after %s deliveries, want 3 (the default MaxDeliver)", m.Header.Get(streams.HeaderDeliveries))
	}
}

func TestFullQueueAnswers503(t *testing.T) {
	p := startPlatform(t, "", "--queue-max-bytes", "32768")
	if out, err := cli(t, p, "fn", "deploy", "stuck", "--package", "builtin:trace", "--concurrency", "1", "--max", "1", "--timeout", "10s"); err != nil {
		t.Fatalf("deploy: %v: %s", err, out)
	}
	body := make([]byte, 2048)
	for i := 0; i < 64; i++ {
		a := post(t, p.GatewayURL()+"/functions/stuck", body, "Prefer", "respond-async", "requested_cpu", "2000", "x-trace-mode", "sleep")
		switch a.status {
		case http.StatusAccepted:
			continue
		case http.StatusServiceUnavailable:
			if a.header.Get("Retry-After") == "" {
				t.Fatalf("503 without Retry-After: %v", a.header)
			}
			return
		default:
			t.Fatalf("invocation %d: %d %s", i, a.status, a.body)
		}
	}
	t.Fatal("a 32 KiB queue accepted 128 KiB of invocations")
}

func TestRetriedIDRunsOnce(t *testing.T) {
	p := startPlatform(t, "")
	nc := natsConn(t, p)
	done, err := nc.SubscribeSync(streams.DoneSubject("echo"))
	if err != nil {
		t.Fatal(err)
	}
	base := p.GatewayURL()
	a1 := post(t, base+"/functions/echo", []byte("once"), "Prefer", "respond-async", "ce-id", "retry-me")
	a2 := post(t, base+"/functions/echo", []byte("once"), "Prefer", "respond-async", "ce-id", "retry-me")
	if a1.status != http.StatusAccepted || a2.status != http.StatusAccepted || a1.header.Get("Location") != a2.header.Get("Location") {
		t.Fatalf("async retry: %d %v / %d %v", a1.status, a1.header, a2.status, a2.header)
	}
	if r := waitResult(t, base+a1.header.Get("Location"), 20*time.Second); r.status != http.StatusOK || r.body != "once" {
		t.Fatalf("result: %d %q", r.status, r.body)
	}
	// A sync invocation, then its retry with the same id after it finished.
	if a := post(t, base+"/functions/echo", []byte("sync"), "ce-id", "retry-sync"); a.status != http.StatusOK {
		t.Fatalf("sync: %d %s", a.status, a.body)
	}
	if a := post(t, base+"/functions/echo", []byte("sync"), "ce-id", "retry-sync"); a.status != http.StatusConflict {
		t.Fatalf("sync retry after completion: %d %s, want 409", a.status, a.body)
	}
	// Each id ran once: count completions for a while.
	runs := map[string]int{}
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); {
		m, err := done.NextMsg(200 * time.Millisecond)
		if err != nil {
			continue
		}
		runs[m.Header.Get("ce-wlinvocation")]++
	}
	if runs["retry-me"] != 1 || runs["retry-sync"] != 1 {
		t.Fatalf("completions per id: %v, want one each", runs)
	}
}

func TestRedeliveryAfterInstanceKill(t *testing.T) {
	p := startPlatform(t, "", "--mode", "async") // regular instances only: they are the ones killed
	// A 2 s timeout gives a 3 s ack wait, so redelivery comes quickly.
	if out, err := cli(t, p, "fn", "deploy", "victim", "--package", "builtin:trace", "--timeout", "2s", "--concurrency", "4"); err != nil {
		t.Fatalf("deploy: %v: %s", err, out)
	}
	base := p.GatewayURL()
	if a := post(t, base+"/functions/victim", nil, "requested_cpu", "1"); a.status != http.StatusOK {
		t.Fatalf("warm-up: %d %s", a.status, a.body)
	}
	a := post(t, base+"/functions/victim", nil, "Prefer", "respond-async", "requested_cpu", "1500", "x-trace-mode", "sleep", "ce-id", "survivor")
	if a.status != http.StatusAccepted {
		t.Fatalf("async: %d %s", a.status, a.body)
	}
	time.Sleep(300 * time.Millisecond) // let an instance take it
	pids := p.Instances()
	if len(pids) == 0 {
		t.Fatal("no regular instance running")
	}
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	r := waitResult(t, base+a.header.Get("Location"), 30*time.Second)
	if r.status != http.StatusOK {
		t.Fatalf("after the kill: %d %s", r.status, r.body)
	}
	if n, _ := strconv.Atoi(r.header.Get("ce-wlattempt")); n < 2 {
		t.Fatalf("answered on attempt %q, want a redelivery (≥ 2)", r.header.Get("ce-wlattempt"))
	}
}

func TestRestartLosesNoAcceptedInvocation(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills the platform twice")
	}
	dir := t.TempDir()
	p := startPlatform(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep, err := loadgen.RunChaos(ctx, loadgen.ChaosConfig{
		Platform:    p,
		Function:    "trace",
		Header:      http.Header{"Requested_cpu": {"10"}, "X-Trace-Mode": {"sleep"}},
		Invocations: 300,
		Rate:        150,
		ResultWait:  90 * time.Second,
		RunID:       "e2e",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rep)
	if rep.Accepted != 300 || rep.Lost != 0 || rep.Answered != 300 {
		t.Fatalf("no-loss run: %s", rep)
	}
	if rep.Restarts != 1 {
		t.Fatalf("the platform was restarted %d times, want 1", rep.Restarts)
	}
}

func natsConn(t *testing.T, p *loadgen.Platform) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(p.NATSURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

func natsJS(t *testing.T, p *loadgen.Platform) jetstream.JetStream {
	t.Helper()
	js, err := jetstream.New(natsConn(t, p))
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func TestUpOnAnExternalNATSServer(t *testing.T) {
	srv, err := streams.StartServer(streams.ServerConfig{DataDir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown) // after the platform stops: cleanups run last-in first-out
	p := startPlatform(t, "", "--nats-url", srv.ClientURL())
	if a := post(t, p.GatewayURL()+"/functions/echo", []byte("outside")); a.status != http.StatusOK || a.body != "outside" {
		t.Fatalf("echo over an external server: %d %q", a.status, a.body)
	}
	// The topology and the built-ins live on the external server.
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := streams.FunctionConsumer(context.Background(), js, "echo"); err != nil {
		t.Fatalf("echo's consumer on the external server: %v", err)
	}
}

// startRole runs one role of the binary against a NATS server and stops it
// (SIGTERM, then SIGKILL) when the test ends.
func startRole(t *testing.T, natsURL string, args ...string) {
	t.Helper()
	cmd := exec.Command(wavelinkBinary(t), append(args, "--nats", natsURL, "--log-format", "json")...)
	logPath := filepath.Join(t.TempDir(), args[0]+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		_ = logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("%s log:\n%s", args[0], tail(b, 4<<10))
		}
	})
}

func TestRolesRunApart(t *testing.T) {
	srv, err := streams.StartServer(streams.ServerConfig{DataDir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	addr := freeAddr(t)
	startRole(t, srv.ClientURL(), "scaler", "--tick", "500ms")
	startRole(t, srv.ClientURL(), "gateway", "--http", addr)
	p := &loadgen.Platform{HTTP: addr}
	// The roles create the topology; wait until the gateway answers.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get(p.GatewayURL() + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway not healthy: %v", err)
		}
	}
	cmd := exec.Command(wavelinkBinary(t), "fn", "deploy", "apart", "--package", "builtin:echo", "--nats", srv.ClientURL())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("deploy: %v: %s", err, out)
	}
	var a answer
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		// The gateway learns of the function through its registry watch.
		if a = post(t, p.GatewayURL()+"/functions/apart", []byte("apart")); a.status != http.StatusNotFound {
			break
		}
	}
	if a.status != http.StatusOK || a.body != "apart" {
		t.Fatalf("invoke through separate roles: %d %q", a.status, a.body)
	}
}
