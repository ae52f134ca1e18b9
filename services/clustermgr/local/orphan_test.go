//go:build linux

package local

import (
	"bufio"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOrphansDieWithTheManager kills a process running a Manager and checks
// that its instances die with it.
func TestOrphansDieWithTheManager(t *testing.T) {
	t.Parallel()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), roleEnv+"=manager")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	lines := make(chan string, 1)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "PIDS ") {
				lines <- sc.Text()
				return
			}
		}
	}()
	var pids []int
	select {
	case line, ok := <-lines:
		if !ok {
			t.Fatal("the manager process ended without starting its instances")
		}
		for _, f := range strings.Fields(line)[1:] {
			pid, err := strconv.Atoi(f)
			if err != nil {
				t.Fatal(err)
			}
			pids = append(pids, pid)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the manager process did not start its instances")
	}
	t.Cleanup(func() {
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	if len(pids) != 2 {
		t.Fatalf("pids %v, want 2", pids)
	}
	for _, pid := range pids {
		if !alive(pid) {
			t.Fatalf("instance %d is not running before the manager dies", pid)
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	waitFor(t, 5*time.Second, "the orphaned instances to die", func() bool {
		return !slices.ContainsFunc(pids, alive)
	})
}
