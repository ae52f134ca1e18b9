package loadgen

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Platform is a `wavelink up` child process.
type Platform struct {
	Binary  string
	DataDir string
	HTTP    string // listen address of the gateway
	NATS    string // listen address of the embedded NATS server
	Args    []string
	Log     io.Writer

	cmd *exec.Cmd
	// reaped is closed once the process has been waited for: all its
	// threads are gone and its sockets closed.
	reaped chan struct{}
}

// GatewayURL is the base URL of the platform's gateway.
func (p *Platform) GatewayURL() string { return "http://" + p.HTTP }

// NATSURL is the URL of the platform's NATS server.
func (p *Platform) NATSURL() string { return "nats://" + p.NATS }

// Start runs `wavelink up` and waits until its gateway answers /healthz.
func (p *Platform) Start(ctx context.Context) error {
	args := append([]string{"up", "--data", p.DataDir, "--http", p.HTTP, "--nats-listen", p.NATS, "--log-format", "json"}, p.Args...)
	cmd := exec.Command(p.Binary, args...)
	cmd.Stdout, cmd.Stderr = p.Log, p.Log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s up: %w", p.Binary, err)
	}
	p.cmd = cmd
	exited := make(chan error, 1)
	reaped := make(chan struct{})
	p.reaped = reaped
	go func() {
		err := cmd.Wait()
		close(reaped)
		exited <- err
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.GatewayURL()+"/healthz", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil // the goroutine above reaps the process when it exits
			}
		}
		select {
		case err := <-exited:
			p.cmd = nil
			return fmt.Errorf("wavelink up exited before it was ready: %v", err)
		case <-ctx.Done():
			p.Kill()
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.Kill()
			return fmt.Errorf("wavelink up not ready within 60s")
		}
	}
}

// Pid is the platform process's id, or 0 when it is not running.
func (p *Platform) Pid() int {
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// Kill sends SIGKILL to the platform and everything in its process group,
// and waits until the process is gone.
func (p *Platform) Kill() {
	if p.cmd == nil {
		return
	}
	pid := p.cmd.Process.Pid
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	p.waitReaped(10 * time.Second)
	p.cmd = nil
}

// waitReaped waits up to d for the platform process to be reaped. Its
// main thread turning zombie is not enough: until its last thread exits
// it still holds its listening sockets, and a platform restarted on the
// same addresses would fail to bind them.
func (p *Platform) waitReaped(d time.Duration) bool {
	select {
	case <-p.reaped:
		return true
	case <-time.After(d):
		return false
	}
}

// StopGrace is how long a platform is given to stop: longer than the
// minute `wavelink up` gives its cluster manager to drain and remove its
// instances, so a platform is not killed while it removes its containers
// (which would leave them behind).
const StopGrace = 2 * time.Minute

// Stop sends SIGTERM and waits up to grace for the platform to exit, then
// kills it.
func (p *Platform) Stop(grace time.Duration) {
	if p.cmd == nil {
		return
	}
	pid := p.cmd.Process.Pid
	_ = syscall.Kill(pid, syscall.SIGTERM)
	if !p.waitReaped(grace) {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		p.waitReaped(10 * time.Second)
	}
	p.cmd = nil
}

// Instances returns the pids of the regular instances the platform runs:
// its child processes started as `wavelink instance`.
func (p *Platform) Instances() []int {
	parent := p.Pid()
	if parent == 0 {
		return nil
	}
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// Fields after the command name: state, ppid, ...
		s := string(stat)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 2 || f[1] != strconv.Itoa(parent) {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		args := strings.Split(string(cmdline), "\x00")
		if len(args) > 1 && args[1] == "instance" {
			pids = append(pids, pid)
		}
	}
	return pids
}
