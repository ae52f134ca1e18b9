package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// payloadEnv makes the test binary, started inside a sandbox, act as the
// payload instead of running tests.
const payloadEnv = "WL_SANDBOX_PAYLOAD"

// payloadHostFSEnv tells a payload that it shares the host's file system
// (a process sandbox), so it must not probe it by writing files.
const payloadHostFSEnv = "WL_SANDBOX_PAYLOAD_HOST_FS"

func TestMain(m *testing.M) {
	Init()
	if mode := os.Getenv(payloadEnv); mode != "" {
		os.Exit(payload(mode))
	}
	os.Exit(m.Run())
}

// observed is what a payload reports on descriptor 3 once it runs.
type observed struct {
	PID         int    `json:"pid"`
	UID         int    `json:"uid"`
	Hostname    string `json:"hostname"`
	RootErr     string `json:"rootErr"` // writing to /
	TmpErr      string `json:"tmpErr"`  // writing to /tmp
	CapEff      string `json:"capEff"`
	NoNewPrivs  string `json:"noNewPrivs"`
	Args        string `json:"args"`
	UnshareErr  string `json:"unshareErr"`
	NetIfaceErr string `json:"netErr"`
}

// payload runs inside a sandbox: it reports what it sees on descriptor 3,
// then does what mode says.
func payload(mode string) int {
	o := observed{PID: os.Getpid(), UID: os.Getuid(), Args: strings.Join(os.Args[1:], " ")}
	o.Hostname, _ = os.Hostname()
	if os.Getenv(payloadHostFSEnv) == "" {
		if err := os.WriteFile("/probe", []byte("x"), 0o600); err != nil {
			o.RootErr = err.Error()
		}
		if err := os.WriteFile("/tmp/probe", []byte("x"), 0o600); err != nil {
			o.TmpErr = err.Error()
		}
	}
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
				o.CapEff = strings.TrimSpace(v)
			}
			if v, ok := strings.CutPrefix(line, "NoNewPrivs:"); ok {
				o.NoNewPrivs = strings.TrimSpace(v)
			}
		}
	}
	if err := syscall.Unshare(syscall.CLONE_NEWNET); err != nil {
		o.UnshareErr = err.Error()
	}
	ready := os.NewFile(3, "ready")
	_ = json.NewEncoder(ready).Encode(o)
	_ = ready.Close()
	switch mode {
	case "exit":
		return 0
	case "fail":
		return 3
	case "hog": // allocate until the memory limit stops it
		var keep [][]byte
		for {
			b := make([]byte, 8<<20)
			for i := range b {
				b[i] = 1
			}
			keep = append(keep, b)
		}
	default: // "wait": until killed
		select {}
	}
}

// readyPipe returns a pipe whose write end is for the sandbox.
func readyPipe(t *testing.T) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

// readObserved reads the payload's report, or fails after timeout.
func readObserved(t *testing.T, r *os.File, timeout time.Duration) observed {
	t.Helper()
	_ = r.SetReadDeadline(time.Now().Add(timeout))
	var o observed
	if err := json.NewDecoder(r).Decode(&o); err != nil {
		t.Fatalf("read the payload's report: %v", err)
	}
	return o
}

func payloadSpec(t *testing.T, id, mode string, w *os.File) Spec {
	t.Helper()
	return Spec{
		ID:         id,
		RootFS:     t.TempDir(),
		Args:       []string{"-test.run=^$"},
		Env:        []string{payloadEnv + "=" + mode, "PATH=/"},
		ExtraFiles: []*os.File{w},
	}
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("got error %v, want one wrapping %v", err, target)
	}
}

func describe(o observed) string { return fmt.Sprintf("%+v", o) }
