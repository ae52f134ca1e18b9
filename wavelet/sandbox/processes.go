//go:build unix

package sandbox

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

// Processes makes sandboxes as plain child processes of the WaveLink
// binary: no namespaces, no cgroup limits, no read-only root. It is the
// fallback where containers cannot be made, so that emergency instances
// still run.
type Processes struct {
	binary string
}

// NewProcesses returns a runtime that runs the binary at path (the
// WaveLink binary; "" for the running one) as plain processes.
func NewProcesses(path string) (*Processes, error) {
	if path == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("find the WaveLink binary: %w", err)
		}
		path = exe
	}
	return &Processes{binary: path}, nil
}

// Mode names the runtime in node status and logs.
func (*Processes) Mode() string { return "process" }

// Create prepares the process; nothing runs until Start.
func (r *Processes) Create(spec Spec) (*Sandbox, error) {
	if err := spec.validate(false); err != nil {
		return nil, err
	}
	cmd := exec.Command(r.binary, spec.Args...)
	cmd.Env = spec.Env
	if spec.Stdout != nil {
		cmd.Stdout = spec.Stdout
	}
	if spec.Stderr != nil {
		cmd.Stderr = spec.Stderr
	}
	cmd.ExtraFiles = spec.ExtraFiles
	cmd.SysProcAttr = childAttr()
	return newSandbox(spec.ID, &procBackend{cmd: cmd}), nil
}

// Clean removes nothing: a plain process dies with its parent.
func (*Processes) Clean() (int, error) { return 0, nil }

// Close has nothing to remove.
func (*Processes) Close() error { return nil }

type procBackend struct {
	cmd *exec.Cmd
}

func (p *procBackend) start() error { return p.cmd.Start() }

func (p *procBackend) wait() error { return p.cmd.Wait() }

func (p *procBackend) signal(sig os.Signal) error {
	if p.cmd.Process == nil {
		return nil
	}
	s, ok := sig.(syscall.Signal)
	if !ok {
		return p.cmd.Process.Signal(sig)
	}
	// The process leads its own group: reach the function processes it
	// started as well.
	err := syscall.Kill(-p.cmd.Process.Pid, s)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

func (p *procBackend) destroy() error { return nil }

func (p *procBackend) setMemory(int) error { return nil }

func (p *procBackend) pid() int {
	if p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}
