package instance

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wavelink/wavelink/schemas"
	"github.com/wavelink/wavelink/services/instance/bundle"
	"github.com/wavelink/wavelink/services/registry"
)

// fnRootFS builds testdata/fnserver as a static binary into a fresh root
// filesystem folder, at /bin/fnserver.
func fnRootFS(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(goTool, "build", "-o", filepath.Join(root, "bin", "fnserver"), "./testdata/fnserver")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build fnserver: %v\n%s", err, out)
	}
	return root
}

// fnReply is what fnserver answers.
type fnReply struct {
	PID    int               `json:"pid"`
	ID     string            `json:"id"`
	Body   string            `json:"body"`
	Header map[string]string `json:"header"`
	Cwd    string            `json:"cwd"`
	Env    string            `json:"env"`
}

func decodeFn(t *testing.T, res schemas.Result) fnReply {
	t.Helper()
	if res.Outcome != schemas.OutcomeOK {
		t.Fatalf("result %+v", comparable(res))
	}
	var r fnReply
	if err := json.Unmarshal(res.Data, &r); err != nil {
		t.Fatalf("answer %q: %v", res.Data, err)
	}
	return r
}

func gone(pid int) bool { return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) }

func TestPackagedFunction(t *testing.T) {
	root := fnRootFS(t)
	e := newEnv(t)
	e.deploy(t, registry.Spec{Name: "pkg", Package: registry.Package{RootFS: root}, Command: []string{"/bin/fnserver"},
		Env: map[string]string{"GREETING": "hi"}, Concurrency: 2, Timeout: registry.Duration(5 * time.Second)})
	inst := startRun(t, e, Config{Function: "pkg"})

	c := newCaller(t, e)
	publish(t, e, invocation("pkg", "p-1", []byte("payload"), map[string]string{"X-Test": "yes"}, c.inbox))
	res, _ := nextResult(t, c.sub)
	r := decodeFn(t, res)
	checks := []struct{ what, got, want string }{
		{"ce-id", r.ID, "p-1"},
		{"body", r.Body, "payload"},
		{"passed-through header", r.Header["X-Test"], "yes"},
		{"ce-specversion", r.Header["Ce-Specversion"], "1.0"},
		{"ce-type", r.Header["Ce-Type"], schemas.TypeInvocation},
		{"Content-Type", r.Header["Content-Type"], "text/plain"},
		{"working directory", r.Cwd, root},
		{"environment", r.Env, "hi"},
		{"result content type", res.ContentType, "application/json"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %q, want %q", c.what, c.got, c.want)
		}
	}
	if err := inst.stop(t); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !gone(r.PID) {
		t.Errorf("function process %d still there after Run returned", r.PID)
	}
	logged := false
	for line := range strings.Lines(inst.logs.String()) {
		logged = logged || strings.Contains(line, `"stream":"stdout"`) && strings.Contains(line, "fnserver listening on 127.0.0.1:")
	}
	if !logged {
		t.Errorf("the process's stdout is not in the instance's log")
	}
}

func TestPackagedProcessKilledMidCallIsRestarted(t *testing.T) {
	root := fnRootFS(t)
	calls := t.TempDir()
	e := newEnv(t)
	e.deploy(t, registry.Spec{Name: "pkg", Package: registry.Package{RootFS: root}, Command: []string{"bin/fnserver"},
		Env: map[string]string{"CALLS_DIR": calls}, MaxDeliver: 5, Timeout: registry.Duration(5 * time.Second)})
	inst := startRun(t, e, Config{Function: "pkg"})

	c := newCaller(t, e)
	publish(t, e, invocation("pkg", "k-1", []byte("again"), map[string]string{"X-Hang-First": "1"}, c.inbox))
	var killed int
	eventually(t, "the first call seen", func() bool {
		m, _ := filepath.Glob(filepath.Join(calls, "k-1.*"))
		if len(m) == 0 {
			return false
		}
		killed, _ = strconv.Atoi(strings.TrimPrefix(filepath.Ext(m[0]), "."))
		return killed > 0
	})
	if err := syscall.Kill(killed, syscall.SIGKILL); err != nil {
		t.Fatalf("kill %d: %v", killed, err)
	}
	res, _ := nextResult(t, c.sub)
	r := decodeFn(t, res)
	if r.PID == killed || r.Body != "again" {
		t.Errorf("answered by %d (killed %d) with body %q", r.PID, killed, r.Body)
	}
	if res.Attempt != 2 {
		t.Errorf("answered on attempt %d, want 2 (the redelivery after the crash)", res.Attempt)
	}
	if !strings.Contains(inst.logs.String(), "function process exited; restarting it") {
		t.Errorf("the crash is not logged")
	}
}

func TestPackagedStartFailures(t *testing.T) {
	root := fnRootFS(t)
	if err := os.WriteFile(filepath.Join(root, "bin", "notes.txt"), []byte("text"), 0o644); err != nil {
		t.Fatal(err)
	}
	layout := filepath.Join(t.TempDir(), "layout")
	if err := bundle.BuildLayout(layout, "v1", map[string]bundle.FileSpec{"bin/fnserver": {Mode: 0o755, Source: filepath.Join(root, "bin", "fnserver")}}); err != nil {
		t.Fatalf("layout: %v", err)
	}
	tests := []struct {
		name    string
		pkg     registry.Package
		command []string
		want    error
		mention []string
	}{
		{"missing command", registry.Package{RootFS: root}, []string{"/bin/nothing"}, ErrBadCommand, []string{"/bin/nothing"}},
		{"not executable", registry.Package{RootFS: root}, []string{"/bin/notes.txt"}, ErrBadCommand, []string{"not executable"}},
		{"a directory", registry.Package{RootFS: root}, []string{"/bin"}, ErrBadCommand, []string{"directory"}},
		{"exits early", registry.Package{RootFS: root}, []string{"/bin/fnserver", "-fail"}, ErrStart,
			[]string{"/bin/fnserver -fail", "exit status 3", "refusing to start as asked"}},
		{"missing root filesystem", registry.Package{RootFS: filepath.Join(root, "nope")}, []string{"/bin/fnserver"}, bundle.ErrBadRootFS, []string{"nope"}},
		{"OCI without a work folder", registry.Package{OCI: layout, Ref: "v1"}, []string{"/bin/fnserver"}, ErrInvalidConfig, []string{"workDir"}},
	}
	e := newEnv(t)
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := "fail-" + strconv.Itoa(i)
			e.deploy(t, registry.Spec{Name: name, Package: tc.pkg, Command: tc.command})
			log, _ := testLogger(t)
			err := Run(testCtx(t), e.NC, e.JS, Config{Function: name, ID: "x", Track: TrackRegular, Logger: log})
			if err == nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("Run: %v, want %v", err, tc.want)
			}
			t.Logf("Run: %v", err)
			for _, m := range tc.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
		})
	}
}

func TestPackagedFunctionFromOCILayout(t *testing.T) {
	root := fnRootFS(t)
	layout := filepath.Join(t.TempDir(), "layout")
	if err := bundle.BuildLayout(layout, "v1", map[string]bundle.FileSpec{"bin/fnserver": {Mode: 0o755, Source: filepath.Join(root, "bin", "fnserver")}}); err != nil {
		t.Fatalf("layout: %v", err)
	}
	work := t.TempDir()
	e := newEnv(t)
	e.deploy(t, registry.Spec{Name: "oci", Package: registry.Package{OCI: layout, Ref: "v1"}, Command: []string{"/bin/fnserver"}})
	startRun(t, e, Config{Function: "oci", WorkDir: work})

	c := newCaller(t, e)
	publish(t, e, invocation("oci", "o-1", []byte("from a layout"), nil, c.inbox))
	res, _ := nextResult(t, c.sub)
	r := decodeFn(t, res)
	if r.Body != "from a layout" || !strings.HasPrefix(r.Cwd, filepath.Join(work, "bundles")+string(filepath.Separator)) {
		t.Errorf("answer %+v: want the body back from a process running in %s", r, filepath.Join(work, "bundles"))
	}
}

func TestInstanceFailsWhenTheProcessCannotRestart(t *testing.T) {
	root := fnRootFS(t)
	e := newEnv(t)
	spec := e.deploy(t, registry.Spec{Name: "pkg", Package: registry.Package{RootFS: root}, Command: []string{"/bin/fnserver"}, MaxDeliver: 1})
	log, _ := testLogger(t)
	p, err := startProcess(testCtx(t), processConfig{Function: "pkg", RootFS: root, Command: spec.Command, Concurrency: 1, MaxStartFailures: 2, Log: log})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(p.Stop)
	inst := startRuntime(t, e, spec, p)

	c := newCaller(t, e)
	publish(t, e, invocation("pkg", "g-1", nil, nil, c.inbox))
	res, _ := nextResult(t, c.sub)
	pid := decodeFn(t, res).PID
	if err := os.Remove(filepath.Join(root, "bin", "fnserver")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill: %v", err)
	}
	if err := inst.wait(t); !errors.Is(err, ErrGaveUp) || !strings.Contains(err.Error(), "/bin/fnserver") {
		t.Fatalf("Run: %v, want ErrGaveUp naming the command", err)
	}
	if _, _, _, err := p.Call(testCtx(t), &schemas.Invocation{ID: "g-2", Source: "/s", Type: "t"}); !errors.Is(err, ErrNoAnswer) {
		t.Errorf("Call after giving up: %v, want ErrNoAnswer", err)
	}
}

func TestCancelWhileTheProcessStartsReturnsNil(t *testing.T) {
	root := fnRootFS(t)
	e := newEnv(t)
	e.deploy(t, registry.Spec{Name: "pkg", Package: registry.Package{RootFS: root}, Command: []string{"/bin/fnserver", "-no-listen"}})
	log, logs := testLogger(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, e.NC, e.JS, Config{Function: "pkg", ID: "x", Track: TrackRegular, Logger: log})
	}()
	var pid int
	eventually(t, "the process started", func() bool {
		i := strings.Index(logs.String(), "not listening, pid ")
		if i < 0 {
			return false
		}
		rest := logs.String()[i+len("not listening, pid "):]
		pid, _ = strconv.Atoi(rest[:strings.IndexByte(rest, '"')])
		return pid > 0
	})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v, want nil when cancelled while starting", err)
		}
	case <-time.After(wait):
		t.Fatal("Run did not return")
	}
	if !gone(pid) {
		t.Errorf("process %d left running", pid)
	}
}
