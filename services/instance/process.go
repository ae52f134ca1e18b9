package instance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/wavelink/wavelink/schemas"
)

// Limits of a packaged function's process.
const (
	// startTimeout bounds the wait for a new process to accept connections.
	startTimeout = 10 * time.Second
	// stopGrace is how long a process has to exit after SIGTERM.
	stopGrace = 5 * time.Second
	// healthyRun is how long a process must live for its restart back-off
	// to start over.
	healthyRun = 10 * time.Second
	// maxStartFailures is how many restarts in a row may fail before the
	// instance gives up.
	maxStartFailures = 5
	// maxAnswerRead bounds how much of an answer is read.
	maxAnswerRead = 16 << 20
	// stderrKeep is how many stderr lines a start error quotes.
	stderrKeep = 5
)

// processConfig says how to run a packaged function.
type processConfig struct {
	Function string
	// RootFS is the root filesystem folder: the command is resolved in it
	// and runs with it as working directory.
	RootFS string
	// Command is the command line; its first element is a path inside RootFS.
	Command []string
	// Env is the process's whole environment, besides PORT.
	Env         map[string]string
	Concurrency int
	// StartTimeout, StopGrace and MaxStartFailures default to
	// startTimeout, stopGrace and maxStartFailures.
	StartTimeout     time.Duration
	StopGrace        time.Duration
	MaxStartFailures int
	Log              zerolog.Logger
}

// process is a packaged function: a child process serving HTTP on a
// loopback port, restarted with back-off when it dies.
type process struct {
	cfg       processConfig
	path      string
	transport *http.Transport
	client    *http.Client

	// life ends when Stop is called; it bounds restarts.
	life     context.Context
	endLife  context.CancelFunc
	stopOnce sync.Once
	done     chan struct{} // closed when the supervisor has returned

	mu  sync.Mutex
	cur *child        // nil while the process is being restarted
	up  chan struct{} // closed when cur is set again

	failed chan struct{} // closed when restarts are given up
	err    error         // why; set before failed is closed
}

// child is one run of the function's process.
type child struct {
	cmd     *exec.Cmd
	addr    string
	url     string
	started time.Time
	stderr  *lineLog
	exited  chan struct{}
	waitErr error // set before exited is closed
}

var (
	_ function = (*process)(nil)
	_ stopper  = (*process)(nil)
	_ failer   = (*process)(nil)
)

// startProcess resolves the command in the root filesystem, starts the
// process and waits until it accepts connections. The error wraps
// ErrBadCommand or ErrStart and names the command and, for a process that
// ran, its last stderr lines.
func startProcess(ctx context.Context, cfg processConfig) (*process, error) {
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = startTimeout
	}
	if cfg.StopGrace <= 0 {
		cfg.StopGrace = stopGrace
	}
	if cfg.MaxStartFailures <= 0 {
		cfg.MaxStartFailures = maxStartFailures
	}
	cfg.Concurrency = max(cfg.Concurrency, 1)
	path, err := resolveCommand(cfg.RootFS, cfg.Command)
	if err != nil {
		return nil, err
	}
	p := &process{
		cfg:    cfg,
		path:   path,
		done:   make(chan struct{}),
		failed: make(chan struct{}),
		up:     make(chan struct{}),
	}
	p.transport = &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        cfg.Concurrency,
		MaxIdleConnsPerHost: cfg.Concurrency,
		MaxConnsPerHost:     cfg.Concurrency,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	p.client = &http.Client{Transport: p.transport}
	c, err := p.spawn(ctx)
	if err != nil {
		p.transport.CloseIdleConnections()
		return nil, err
	}
	p.life, p.endLife = context.WithCancel(context.WithoutCancel(ctx))
	p.setUp(c)
	go p.supervise(c)
	return p, nil
}

// resolveCommand finds the command's first element inside rootfs. A path
// with ".." cannot lead out of rootfs: it is resolved as if rootfs were /.
func resolveCommand(rootfs string, command []string) (string, error) {
	if len(command) == 0 || command[0] == "" {
		return "", fmt.Errorf("%w: a packaged function needs a command", ErrBadCommand)
	}
	p := filepath.Join(rootfs, filepath.Clean("/"+command[0]))
	st, err := os.Stat(p)
	switch {
	case err != nil:
		return "", fmt.Errorf("%w: command %q in root filesystem %s: %v", ErrBadCommand, command[0], rootfs, err)
	case st.IsDir():
		return "", fmt.Errorf("%w: command %q in root filesystem %s is a directory", ErrBadCommand, command[0], rootfs)
	case st.Mode().Perm()&0o111 == 0:
		return "", fmt.Errorf("%w: command %q in root filesystem %s is not executable", ErrBadCommand, command[0], rootfs)
	}
	return p, nil
}

func (p *process) cmdline() string { return strings.Join(p.cfg.Command, " ") }

// env is the process's environment: the spec's variables, sorted, then PORT.
func (p *process) env(port int) []string {
	env := make([]string, 0, len(p.cfg.Env)+1)
	for _, k := range slices.Sorted(maps.Keys(p.cfg.Env)) {
		if k != "PORT" {
			env = append(env, k+"="+p.cfg.Env[k])
		}
	}
	return append(env, "PORT="+strconv.Itoa(port))
}

// errExited says the process ended before it accepted a connection.
var errExited = errors.New("exited")

// spawn starts one run of the process and waits until it accepts
// connections on its port.
func (p *process) spawn(ctx context.Context) (*child, error) {
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrStart, p.cmdline(), err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cmd := exec.Command(p.path, p.cfg.Command[1:]...)
	cmd.Dir = p.cfg.RootFS
	cmd.Env = p.env(port)
	cmd.SysProcAttr = sysProcAttr()
	stdout := newLineLog(p.cfg.Log, "stdout", 0)
	stderr := newLineLog(p.cfg.Log, "stderr", stderrKeep)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.WaitDelay = time.Second // a grandchild holding the pipes open cannot stall Wait
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrStart, p.cmdline(), err)
	}
	c := &child{cmd: cmd, addr: addr, url: "http://" + addr + "/", started: time.Now(), stderr: stderr, exited: make(chan struct{})}
	go func() {
		c.waitErr = cmd.Wait()
		stdout.Flush()
		stderr.Flush()
		close(c.exited)
	}()
	if err := waitListening(ctx, addr, c.exited, p.cfg.StartTimeout); err != nil {
		_ = signalGroup(cmd.Process, syscall.SIGKILL)
		<-c.exited
		if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
			return nil, fmt.Errorf("instance: start of %s given up: %w", p.cmdline(), err)
		}
		if errors.Is(err, errExited) {
			err = fmt.Errorf("exited before it accepted connections on %s: %v", addr, c.waitErr)
		}
		msg := fmt.Sprintf("%s: %v", p.cmdline(), err)
		if t := stderr.Tail(); t != "" {
			msg += "; last stderr lines: " + t
		}
		return nil, fmt.Errorf("%w: %s", ErrStart, msg)
	}
	p.cfg.Log.Info().Int("pid", cmd.Process.Pid).Str("addr", addr).Msg("function process ready")
	return c, nil
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free loopback port: %w", err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitListening connects to addr until it accepts, the process exits, the
// timeout passes or ctx ends.
func waitListening(ctx context.Context, addr string, exited <-chan struct{}, timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	d := net.Dialer{Timeout: 250 * time.Millisecond}
	for {
		select {
		case <-exited:
			return errExited
		default:
		}
		if conn, err := d.DialContext(ctx, "tcp", addr); err == nil {
			_ = conn.Close()
			return nil
		}
		select {
		case <-exited:
			return errExited
		case <-deadline.C:
			return fmt.Errorf("did not accept connections on %s within %s", addr, timeout)
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

func (p *process) setUp(c *child) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cur = c
	close(p.up)
}

func (p *process) setDown() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cur = nil
	p.up = make(chan struct{})
}

// supervise restarts the process with back-off each time it exits, until
// Stop, or until MaxStartFailures restarts in a row fail.
func (p *process) supervise(c *child) {
	defer close(p.done)
	quick := uint64(0) // exits in a row of processes that did not live healthyRun
	for {
		select {
		case <-p.life.Done():
			return
		case <-c.exited:
		}
		p.setDown()
		_ = signalGroup(c.cmd.Process, syscall.SIGKILL) // whatever it left in its group
		p.transport.CloseIdleConnections()
		lived := time.Since(c.started)
		p.cfg.Log.Error().Err(c.waitErr).Int("pid", c.cmd.Process.Pid).Dur("lived", lived).
			Str("stderr", c.stderr.Tail()).Msg("function process exited; restarting it")
		if lived >= healthyRun {
			quick = 0
		}
		failures := 0
		for {
			quick++
			t := time.NewTimer(backoff(quick))
			select {
			case <-p.life.Done():
				t.Stop()
				return
			case <-t.C:
			}
			next, err := p.spawn(p.life)
			if err == nil {
				c = next
				p.setUp(c)
				break
			}
			if p.life.Err() != nil {
				return
			}
			failures++
			p.cfg.Log.Error().Err(err).Int("failures", failures).Msg("function process restart failed")
			if failures >= p.cfg.MaxStartFailures {
				p.err = fmt.Errorf("%w: %d restarts in a row failed; the last: %v", ErrGaveUp, failures, err)
				close(p.failed)
				return
			}
		}
	}
}

// current returns the running process, waiting while it is restarted.
func (p *process) current(ctx context.Context) (*child, error) {
	for {
		p.mu.Lock()
		c, up := p.cur, p.up
		p.mu.Unlock()
		if c != nil {
			return c, nil
		}
		select {
		case <-up:
		case <-p.failed:
			return nil, fmt.Errorf("%w: %v", ErrNoAnswer, p.err)
		case <-p.life.Done():
			return nil, fmt.Errorf("%w: the function's process is stopping", ErrNoAnswer)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Call posts the invocation to the process. A broken connection or a dead
// process is an error wrapping ErrNoAnswer.
func (p *process) Call(ctx context.Context, inv *schemas.Invocation) (int, string, []byte, error) {
	c, err := p.current(ctx)
	if err != nil {
		return 0, "", nil, err
	}
	req, err := newFunctionRequest(ctx, c.url, inv)
	if err != nil {
		return 0, "", nil, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, "", nil, p.noAnswer(ctx, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerRead+1))
	if err != nil {
		return 0, "", nil, p.noAnswer(ctx, err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), body, nil
}

func (p *process) noAnswer(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("%w: %s: %v", ErrNoAnswer, p.cmdline(), err)
}

// Failed is closed when the process could not be restarted.
func (p *process) Failed() <-chan struct{} { return p.failed }

// Err says why Failed was closed.
func (p *process) Err() error {
	select {
	case <-p.failed:
		return p.err
	default:
		return nil
	}
}

// Stop ends restarts, sends the process's group SIGTERM, and SIGKILL once
// the process has exited or the grace period has passed. It returns when
// the process is gone.
func (p *process) Stop() {
	p.stopOnce.Do(func() {
		p.endLife()
		<-p.done
		p.mu.Lock()
		c := p.cur
		p.cur = nil
		p.mu.Unlock()
		if c != nil {
			_ = signalGroup(c.cmd.Process, syscall.SIGTERM)
			t := time.NewTimer(p.cfg.StopGrace)
			select {
			case <-c.exited:
			case <-t.C:
			}
			t.Stop()
			_ = signalGroup(c.cmd.Process, syscall.SIGKILL)
			<-c.exited
			p.cfg.Log.Info().Int("pid", c.cmd.Process.Pid).Msg("function process stopped")
		}
		p.transport.CloseIdleConnections()
	})
}
