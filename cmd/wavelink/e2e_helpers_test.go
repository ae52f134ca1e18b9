package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wavelink/wavelink/loadgen"
)

// The end-to-end tests run the real wavelink binary, built once per test run.
var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	binDir    string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

func wavelinkBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "wavelink-bin-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "wavelink")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startPlatform runs `wavelink up` on a fresh data folder (or the one given)
// and stops it when the test ends.
func startPlatform(t testing.TB, dataDir string, args ...string) *loadgen.Platform {
	t.Helper()
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	logPath := filepath.Join(dataDir, "platform.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	p := &loadgen.Platform{Binary: wavelinkBinary(t), DataDir: dataDir, HTTP: freeAddr(t), NATS: freeAddr(t), Args: args, Log: logf}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := p.Start(ctx); err != nil {
		b, _ := os.ReadFile(logPath)
		t.Fatalf("%v\nplatform log:\n%s", err, b)
	}
	t.Cleanup(func() {
		p.Stop(30 * time.Second)
		_ = logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("platform log (last 8 KiB):\n%s", tail(b, 8<<10))
		}
	})
	return p
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

type answer struct {
	status int
	header http.Header
	body   string
}

func post(t *testing.T, url string, body []byte, headers ...string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return do(t, req)
}

func get(t *testing.T, url string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) answer {
	t.Helper()
	c := &http.Client{Timeout: 60 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// waitResult polls a result URL until it is there.
func waitResult(t *testing.T, url string, d time.Duration) answer {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		a := get(t, url)
		if a.status != http.StatusNotFound || time.Now().After(deadline) {
			return a
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// cli runs the wavelink binary with args against the platform.
func cli(t *testing.T, p *loadgen.Platform, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(wavelinkBinary(t), args...)
	cmd.Env = append(os.Environ(), "WAVELINK_NATS="+p.NATSURL(), "WAVELINK_GATEWAY="+p.GatewayURL())
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// runQuiet runs the wavelink command line with args, its output discarded,
// and returns its error.
func runQuiet(args ...string) error {
	root := newRootCmd()
	root.SetOut(io.Discard)
	root.SetErr(io.Discard)
	root.SetArgs(args)
	return root.Execute()
}
