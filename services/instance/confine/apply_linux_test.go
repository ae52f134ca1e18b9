package confine

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/elastic/go-seccomp-bpf/arch"
	"golang.org/x/sys/unix"
)

// A filter cannot be removed, so Apply is tested in a child process: the
// test binary run again with childEnv set, running only TestApplyChild. It
// starts a grandchild (the binary again, with probeEnv set) to see that the
// filter is inherited across exec.
const (
	childEnv = "WAVELINK_CONFINE_CHILD"
	probeEnv = "WAVELINK_CONFINE_PROBE"
)

func TestMain(m *testing.M) {
	if os.Getenv(probeEnv) != "" {
		probe()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// probe prints what a process started under the filter sees.
func probe() {
	st := procStatus("/proc/self/status")
	res := "ok"
	if err := unix.Unshare(0); err != nil {
		res = err.Error()
	}
	fmt.Printf("seccomp=%s nnp=%s unshare=%s\n", st["Seccomp"], st["NoNewPrivs"], res)
}

// procStatus reads the fields of a /proc status file.
func procStatus(path string) map[string]string {
	out := map[string]string{}
	f, err := os.Open(path)
	if err != nil {
		return out
	}
	defer func() { _ = f.Close() }()
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), ":")
		if ok {
			out[k] = strings.TrimSpace(v)
		}
	}
	return out
}

func TestApply(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("runs in the parent only")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestApplyChild$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestApplyChild") {
		t.Fatalf("the child did not run its test:\n%s", out)
	}
	t.Logf("child:\n%s", out)
}

// TestApplyChild runs in the child only: it installs the filter, then
// checks what it refuses and what it still lets through.
func TestApplyChild(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		t.Skip("runs in the child process that TestApply starts")
	}
	// Threads that exist before Apply must be synchronized too.
	hold := make(chan struct{})
	var started sync.WaitGroup
	for range 4 {
		started.Add(1)
		go func() {
			runtime.LockOSThread()
			started.Done()
			<-hold
		}()
	}
	started.Wait()
	if err := Apply(); err != nil {
		close(hold)
		t.Fatalf("Apply: %v", err)
	}

	t.Run("every thread", func(t *testing.T) {
		defer close(hold) // the locked threads end with their goroutines
		tasks, err := filepath.Glob("/proc/self/task/*/status")
		if err != nil || len(tasks) < 5 {
			t.Fatalf("threads %v: %v", tasks, err)
		}
		for _, p := range tasks {
			st := procStatus(p)
			if len(st) == 0 {
				continue // a runtime thread that has just ended
			}
			if st["Seccomp"] != "2" || st["NoNewPrivs"] != "1" {
				t.Errorf("%s: Seccomp %q NoNewPrivs %q, want 2 and 1", p, st["Seccomp"], st["NoNewPrivs"])
			}
		}
	})

	t.Run("refused", func(t *testing.T) {
		info, err := arch.GetInfo("")
		if err != nil {
			t.Fatal(err)
		}
		// Every argument is -1: a bad pointer, a bad descriptor or a bad
		// flag, so that without the filter each call would fail harmlessly
		// with something other than EPERM (as root). vhangup takes no
		// argument and would hang up the terminal, so only the interpreter
		// test covers it.
		const bad = ^uintptr(0)
		for _, name := range deniedNames(info) {
			if name == "vhangup" {
				continue
			}
			t.Run(name, func(t *testing.T) {
				_, _, errno := unix.Syscall6(uintptr(info.SyscallNames[name]), bad, bad, bad, bad, bad, bad)
				if errno != unix.EPERM {
					t.Fatalf("%s: errno %d (%v), want EPERM", name, errno, errno)
				}
			})
		}
		if err := unix.Unshare(unix.CLONE_NEWNS); !errors.Is(err, unix.EPERM) {
			t.Errorf("unshare(CLONE_NEWNS): %v, want EPERM", err)
		}
		dir := t.TempDir()
		if err := unix.Mount("wavelink-test", dir, "tmpfs", 0, ""); !errors.Is(err, unix.EPERM) {
			if err == nil {
				_ = unix.Unmount(dir, unix.MNT_DETACH)
			}
			t.Errorf("mount: %v, want EPERM", err)
		}
		if _, _, errno := unix.Syscall(unix.SYS_CLONE3, 0, 0, 0); errno != unix.ENOSYS {
			t.Errorf("clone3: %v, want ENOSYS", errno)
		}
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), probeEnv+"=1")
		cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS}
		if err := cmd.Run(); !errors.Is(err, unix.EPERM) {
			t.Errorf("a child in new namespaces: %v, want EPERM", err)
		}
	})

	t.Run("files", func(t *testing.T) {
		dir := t.TempDir()
		p := filepath.Join(dir, "a")
		if err := os.WriteFile(p, []byte("data"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(p, p+".b"); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(p + ".b"); err != nil || string(b) != "data" {
			t.Fatalf("read back %q: %v", b, err)
		}
		if err := unix.Mkfifo(filepath.Join(dir, "fifo"), 0o600); err != nil {
			t.Fatalf("mkfifo: %v", err)
		}
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("sockets", func(t *testing.T) {
		for _, network := range []string{"tcp", "unix"} {
			addr := "127.0.0.1:0"
			if network == "unix" {
				addr = filepath.Join(t.TempDir(), "sock")
			}
			l, err := net.Listen(network, addr)
			if err != nil {
				t.Fatalf("listen %s: %v", network, err)
			}
			go func() {
				c, err := l.Accept()
				if err != nil {
					return
				}
				defer func() { _ = c.Close() }()
				_, _ = io.Copy(c, c)
			}()
			c, err := net.Dial(network, l.Addr().String())
			if err != nil {
				t.Fatalf("dial %s: %v", network, err)
			}
			if _, err := c.Write([]byte("ping")); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 4)
			if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping" {
				t.Fatalf("%s echo %q: %v", network, buf, err)
			}
			_ = c.Close()
			_ = l.Close()
		}
	})

	t.Run("a child process inherits it", func(t *testing.T) {
		// Started as the instance starts a function's process.
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), probeEnv+"=1")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("child: %v", err)
		}
		want := "seccomp=2 nnp=1 unshare=" + unix.EPERM.Error()
		if got := strings.TrimSpace(string(out)); got != want {
			t.Fatalf("child reports %q, want %q", got, want)
		}
	})
}
