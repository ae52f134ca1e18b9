package wavelet

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/wavelink/wavelink/services/registry"
	"github.com/wavelink/wavelink/wavelet/sandbox"
)

// Lines an instance writes on its ready descriptor.
const (
	lineParked = "parked"
	lineReady  = "ready"
)

// inst is one emergency instance of this Wavelet, pooled or running.
type inst struct {
	id      string
	fn      string
	specKey string // the spec it was started with, to release stale pool entries
	memMB   int
	sb      *sandbox.Sandbox
	created time.Time

	lines chan string // lines read from the ready descriptor; closed at EOF
	goW   *os.File    // the park descriptor's write end; nil once let go
	tail  *tail       // the last lines of its output

	// released is set when the instance's slot and memory were handed to
	// another (a pooled instance evicted for a burst); reap then leaves them.
	released bool
	// backstop stops an instance that outlives its max lifetime.
	backstop *time.Timer

	mu      sync.Mutex
	source  string // "pool" or "cold", once running
	readyAt time.Time
}

// genericSpec is what a generic instance is made from: the built-ins'
// root filesystem, and the memory it may use until it is given a function.
func (w *Wavelet) genericSpec() registry.Spec {
	return registry.Spec{Package: registry.Package{Builtin: "generic"}, MemoryMB: w.cfg.GenericMemoryMB}
}

// specKey identifies a spec's content: a pooled instance started with
// another one is stale.
func specKey(s registry.Spec) string { return fmt.Sprintf("%v", s) }

// launch creates and starts an emergency instance of spec. With park, the
// instance connects and loads its function, then waits to be let go
// (unpark); without, it starts pulling at once. A spec with no name makes a
// generic instance (see genericSpec), which parks as soon as it is
// connected and is told its function when let go. It returns once the
// sandbox's process runs; await reads how far it got.
func (w *Wavelet) launch(ctx context.Context, spec registry.Spec, park bool, life lifetimes) (*inst, error) {
	rootfs := ""
	packaged := spec.Package.Kind() != "builtin"
	if w.containers || packaged {
		var err error
		if rootfs, err = w.bundles.rootfs(ctx, spec.Package); err != nil {
			return nil, err
		}
	}
	id := w.nextID()
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("instance %s: %w", id, err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		readyR.Close()
		readyW.Close()
		return nil, fmt.Errorf("instance %s: %w", id, err)
	}
	child := []*os.File{readyW, outW}
	extra := []*os.File{readyW}
	var goR, goW *os.File
	if park {
		if goR, goW, err = os.Pipe(); err != nil {
			closeAll(readyR, readyW, outR, outW)
			return nil, fmt.Errorf("instance %s: %w", id, err)
		}
		extra = append(extra, goR)
		child = append(child, goR)
	}
	args := []string{"--nats", w.cfg.NATSURL, "instance",
		"--id", id, "--track", "emergency", "--ready-fd", "3", "--seccomp"}
	if spec.Name != "" {
		args = append(args, "--function", spec.Name)
	}
	if park { // the lifetimes come when it is let go
		args = append(args, "--park-fd", "4")
	} else {
		args = append(args, "--idle-exit", life.idle.String(), "--max-lifetime", life.max.String())
	}
	args = append(args, w.cfg.InstanceArgs...)
	var binds []sandbox.Bind
	if packaged {
		if w.containers {
			args = append(args, "--rootfs", "/")
		} else {
			args = append(args, "--rootfs", rootfs)
		}
	}
	if w.containers {
		binds = hostBinds(rootfs)
	}
	mem := spec.MemoryMB + w.cfg.OverheadMB
	sb, err := w.rt.Create(sandbox.Spec{
		ID: id, RootFS: rootfs, Args: args, Binds: binds,
		Env:      []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/tmp", "TMPDIR=/tmp"},
		MemoryMB: mem, Pids: 4096,
		Stdout: outW, Stderr: outW, ExtraFiles: extra,
	})
	if err == nil {
		if err = sb.Start(); err != nil {
			_ = sb.Destroy()
		}
	}
	closeAll(child...)
	if err != nil {
		closeAll(readyR, outR, goW)
		return nil, fmt.Errorf("instance %s: %w", id, err)
	}
	key := ""
	if spec.Name != "" {
		key = specKey(spec)
	}
	in := &inst{id: id, fn: spec.Name, specKey: key, memMB: mem, sb: sb, created: time.Now(),
		lines: make(chan string, 2), goW: goW, tail: newTail(w.outLog, 8)}
	go readLines(readyR, in.lines)
	go in.tail.copy(outR)
	return in, nil
}

func closeAll(fs ...*os.File) {
	for _, f := range fs {
		if f != nil {
			_ = f.Close()
		}
	}
}

// readLines sends each line of r to out and closes out at the end.
func readLines(r *os.File, out chan<- string) {
	defer close(out)
	defer r.Close()
	s := bufio.NewScanner(r)
	for s.Scan() {
		out <- strings.TrimSpace(s.Text())
	}
}

// await waits for the instance to write want on its ready descriptor. It
// returns an error saying why not: the instance ended (with the last line
// of its output), the timeout passed, or ctx ended.
func (in *inst) await(ctx context.Context, want string, timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case line, ok := <-in.lines:
			if !ok {
				return in.earlyExit()
			}
			if line == want {
				return nil
			}
		case <-t.C:
			return fmt.Errorf("instance %s not %s after %s", in.id, want, timeout)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// earlyExit describes an instance that ended before it was ready.
func (in *inst) earlyExit() error {
	select {
	case <-in.sb.Done():
	case <-time.After(time.Second):
	}
	select { // its last words, before they are quoted
	case <-in.tail.done:
	case <-time.After(time.Second):
	}
	why := "ended"
	if err := in.sb.Err(); err != nil {
		why = err.Error()
	}
	if last := in.tail.last(); last != "" {
		return fmt.Errorf("instance %s %s before it was ready: %s", in.id, why, last)
	}
	return fmt.Errorf("instance %s %s before it was ready", in.id, why)
}

// unpark lets a parked instance start pulling, with its lifetimes and
// function: one line "go <idle> <max lifetime> <function>" on its park
// descriptor.
func (in *inst) unpark(life lifetimes) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.goW == nil {
		return errors.New("instance " + in.id + " is not parked")
	}
	_, err := fmt.Fprintf(in.goW, "go %s %s %s\n", life.idle, life.max, in.fn)
	_ = in.goW.Close()
	in.goW = nil
	return err
}

// stop asks the instance to finish what it holds and exit.
func (in *inst) stop() {
	_ = in.sb.Signal(syscall.SIGTERM)
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.goW != nil { // a parked instance exits when its park descriptor closes
		_ = in.goW.Close()
		in.goW = nil
	}
}

func (in *inst) setRunning(source string, at time.Time) {
	in.mu.Lock()
	in.source, in.readyAt = source, at
	in.mu.Unlock()
}

// nextID names a new instance: the node, this run and a sequence number.
func (w *Wavelet) nextID() string {
	n := w.seq.Add(1)
	return w.cfg.Node + "-" + w.runID + "-" + strconv.FormatUint(n, 10)
}

// tail copies an instance's output to the shared log and keeps its last
// lines, to say why an instance that died early did.
type tail struct {
	out  io.Writer
	keep int

	// done is closed once the output has ended.
	done chan struct{}

	mu    sync.Mutex
	lines []string
}

func newTail(out io.Writer, keep int) *tail {
	return &tail{out: out, keep: keep, done: make(chan struct{})}
}

func (t *tail) copy(r *os.File) {
	defer close(t.done)
	defer r.Close()
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 0, 4096), 1<<20)
	for s.Scan() {
		line := s.Text()
		if t.out != nil {
			_, _ = io.WriteString(t.out, line+"\n")
		}
		t.mu.Lock()
		t.lines = append(t.lines, line)
		if len(t.lines) > t.keep {
			t.lines = t.lines[1:]
		}
		t.mu.Unlock()
	}
}

// last returns the last line of output that says something, shortened.
func (t *tail) last() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := len(t.lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(t.lines[i]); l != "" {
			if len(l) > 400 {
				l = l[:400] + "…"
			}
			return l
		}
	}
	return ""
}
