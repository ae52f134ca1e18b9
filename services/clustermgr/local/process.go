package local

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/rs/zerolog"
)

// readyLine is what an instance writes to its ready pipe once it pulls.
const readyLine = "ready\n"

// readyFD is the instance's file descriptor of the ready pipe's write end:
// the first of exec.Cmd.ExtraFiles.
const readyFD = 3

// outputDrain bounds how long an exited instance's output is still read: a
// process that left the group may hold the pipe open.
const outputDrain = time.Second

// maxOutputLine is the longest output line logged whole; longer lines are
// logged in pieces.
const maxOutputLine = 64 << 10

// process is one running instance process and the parent's ends of its pipes.
type process struct {
	cmd *exec.Cmd
	pid int
	// ready is the read end of the ready pipe.
	ready *os.File
	// output is the read end of the stdout+stderr pipe; nil when the output
	// goes to a file.
	output *os.File
}

// instanceArgs is the command line of an instance, after the binary.
func instanceArgs(cfg Config, fn, id string) []string {
	args := []string{
		"instance",
		"--function", fn,
		"--nats", cfg.NATSURL,
		"--id", id,
		"--track", "regular",
		"--ready-fd", strconv.Itoa(readyFD),
	}
	return append(args, cfg.ExtraArgs...)
}

// spawn starts an instance process in its own process group, with the
// write end of a fresh pipe as its file descriptor 3.
func spawn(cfg Config, fn, id string) (*process, error) {
	cmd := exec.Command(cfg.Binary, instanceArgs(cfg, fn, id)...)
	cmd.Env = append(os.Environ(), cfg.Env...)
	cmd.SysProcAttr = sysProcAttr()

	readyR, readyW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("%w: ready pipe: %w", ErrSpawn, err)
	}
	childEnds := []*os.File{readyW}
	closeAll := func(fs []*os.File) {
		for _, f := range fs {
			if f != nil {
				_ = f.Close()
			}
		}
	}
	cmd.ExtraFiles = []*os.File{readyW}

	var outR *os.File
	if cfg.LogDir != "" {
		f, err := os.OpenFile(LogPath(cfg.LogDir, fn, id), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
		if err != nil {
			closeAll([]*os.File{readyR, readyW})
			return nil, fmt.Errorf("%w: log file: %w", ErrSpawn, err)
		}
		cmd.Stdout, cmd.Stderr = f, f
		childEnds = append(childEnds, f)
	} else {
		r, w, err := os.Pipe()
		if err != nil {
			closeAll([]*os.File{readyR, readyW})
			return nil, fmt.Errorf("%w: output pipe: %w", ErrSpawn, err)
		}
		outR = r
		cmd.Stdout, cmd.Stderr = w, w
		childEnds = append(childEnds, w)
	}

	err = cmd.Start()
	closeAll(childEnds) // the child holds its own copies
	if err != nil {
		closeAll([]*os.File{readyR, outR})
		return nil, fmt.Errorf("%w: %w", ErrSpawn, err)
	}
	return &process{cmd: cmd, pid: cmd.Process.Pid, ready: readyR, output: outR}, nil
}

// awaitReady reads the ready pipe's first line. It returns true when that
// line is "ready"; false when the pipe closed first, or with an error for
// any other line.
func awaitReady(r io.Reader) (bool, error) {
	line, err := bufio.NewReaderSize(r, 64).ReadSlice('\n')
	switch {
	case err == nil && string(line) == readyLine:
		return true, nil
	case err == nil || errors.Is(err, bufio.ErrBufferFull):
		return false, fmt.Errorf("unexpected line on the ready pipe: %q", line)
	case len(line) > 0:
		return false, fmt.Errorf("incomplete line on the ready pipe: %q", line)
	}
	return false, nil
}

// copyOutput logs every line read from r on log, until r ends.
func copyOutput(r io.Reader, log zerolog.Logger) {
	br := bufio.NewReaderSize(r, maxOutputLine)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			logOutputLine(log, line)
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
	}
}

// logOutputLine logs one line of an instance's output. A zerolog JSON line is
// embedded as is, at its own level; anything else is logged as text.
func logOutputLine(log zerolog.Logger, line []byte) {
	line = trimEOL(line)
	if len(line) == 0 {
		return
	}
	var head struct {
		Level string `json:"level"`
	}
	if json.Valid(line) && json.Unmarshal(line, &head) == nil {
		lvl, err := zerolog.ParseLevel(head.Level)
		if err != nil || lvl == zerolog.NoLevel {
			lvl = zerolog.InfoLevel
		}
		log.WithLevel(lvl).RawJSON("output", line).Msg("instance output")
		return
	}
	log.Info().Str("output", string(line)).Msg("instance output")
}

func trimEOL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// exitOf says how a reaped process ended; waitErr is Wait's error, used when
// there is no process state.
func exitOf(ps *os.ProcessState, waitErr error) error {
	if ps == nil {
		if waitErr == nil {
			waitErr = errors.New("no exit status")
		}
		return fmt.Errorf("wait: %w", waitErr)
	}
	return exitError(ps)
}
