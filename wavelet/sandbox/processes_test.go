//go:build unix

package sandbox

import (
	"errors"
	"testing"
	"time"
)

func TestProcessSandbox(t *testing.T) {
	r, err := NewProcesses("")
	if err != nil {
		t.Fatal(err)
	}
	rd, w := readyPipe(t)
	spec := payloadSpec(t, "proc-1", "fail", w)
	spec.RootFS = ""
	spec.Env = append(spec.Env, payloadHostFSEnv+"=1") // it runs on the host's file system
	s, err := r.Create(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	o := readObserved(t, rd, 10*time.Second)
	if o.PID == 1 {
		t.Errorf("a process sandbox has no PID namespace, yet saw pid 1")
	}
	select {
	case <-s.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the payload did not exit")
	}
	if s.Err() == nil {
		t.Error("exit status 3 reported as success")
	}
	if err := s.Destroy(); err != nil {
		t.Fatal(err)
	}
	var te *TransitionError
	if err := s.Start(); !errors.As(err, &te) {
		t.Errorf("Start after Destroy: %v, want a *TransitionError", err)
	}
}

func TestSpecRefused(t *testing.T) {
	r, err := NewProcesses("")
	if err != nil {
		t.Fatal(err)
	}
	for name, spec := range map[string]Spec{
		"id":     {ID: "bad id", Args: []string{"x"}},
		"args":   {ID: "ok"},
		"memory": {ID: "ok", Args: []string{"x"}, MemoryMB: -1},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := r.Create(spec)
			wantErr(t, err, ErrInvalidSpec)
		})
	}
	if err := (Spec{ID: "ok", Args: []string{"x"}, RootFS: "/no/such/folder"}).validate(true); !errors.Is(err, ErrInvalidSpec) {
		t.Errorf("missing root filesystem: %v", err)
	}
}
