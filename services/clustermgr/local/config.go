package local

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/wavelink/wavelink/services/clustermgr"
	"github.com/wavelink/wavelink/services/registry"
)

// Defaults for the Config fields left zero.
const (
	DefaultStartTimeout = 30 * time.Second
	// DefaultGraceMargin is added to a function's timeout to make its default
	// stop grace.
	DefaultGraceMargin = 5 * time.Second
	DefaultEventBuffer = 256
)

// DefaultBackoff is the restart back-off used when Config.RestartBackoff is
// left zero.
var DefaultBackoff = clustermgr.Backoff{Min: 100 * time.Millisecond, Max: 10 * time.Second, Reset: 30 * time.Second}

// Config configures a Manager. Zero fields take the defaults listed with
// them; WithDefaults fills them in and Validate checks the result.
type Config struct {
	// Binary is the path of the wavelink executable. Default: the running
	// executable.
	Binary string
	// NATSURL is given to every instance with --nats. Required.
	NATSURL string
	// ExtraArgs are appended to every instance's command line.
	ExtraArgs []string
	// Env holds KEY=VALUE pairs added to the manager's own environment for
	// every instance; a key given here overrides the inherited one.
	Env []string
	// LogDir, when set, receives each instance's stdout and stderr in
	// LogPath(LogDir, fn, id); it is created if missing. When empty, each
	// output line goes to Logger, tagged with the function and instance.
	LogDir string
	// StartTimeout is how long an instance may take to report ready before it
	// is killed and counted as a failed start. Default 30s.
	StartTimeout time.Duration
	// StopGrace is how long a drained instance may take to stop after
	// SIGTERM before its process group gets SIGKILL. Default
	// DefaultStopGrace: the function's timeout plus 5s. FixedGrace gives one
	// duration for every function.
	StopGrace func(registry.Spec) time.Duration
	// RestartBackoff spaces out restarts of a function whose instances fail.
	// Default DefaultBackoff (100ms doubling to 10s, reset after 30s).
	RestartBackoff clustermgr.Backoff
	// EventBuffer is the capacity of the Events channel; events that do not
	// fit are dropped and counted. Default 256.
	EventBuffer int
	// Logger receives the manager's structured logs. The zero value logs
	// nothing.
	Logger zerolog.Logger
	// Clock is the reconciler's time source. Default: the system clock.
	Clock clustermgr.Clock
}

// DefaultStopGrace is the function's timeout (registry.DefaultTimeout when
// unset) plus DefaultGraceMargin.
func DefaultStopGrace(spec registry.Spec) time.Duration {
	t := spec.Timeout.D()
	if t <= 0 {
		t = registry.DefaultTimeout
	}
	return t + DefaultGraceMargin
}

// FixedGrace returns a StopGrace that gives every function the grace d.
func FixedGrace(d time.Duration) func(registry.Spec) time.Duration {
	return func(registry.Spec) time.Duration { return d }
}

// LogPath is the file that receives the output of instance id of function fn
// when Config.LogDir is dir.
func LogPath(dir, fn, id string) string {
	return filepath.Join(dir, fn+"-"+id+".log")
}

// WithDefaults returns the config with zero fields set to their defaults. An
// unset Binary stays empty if the running executable cannot be found.
func (c Config) WithDefaults() Config {
	if c.Binary == "" {
		if exe, err := os.Executable(); err == nil {
			c.Binary = exe
		}
	}
	if c.StartTimeout == 0 {
		c.StartTimeout = DefaultStartTimeout
	}
	if c.StopGrace == nil {
		c.StopGrace = DefaultStopGrace
	}
	if c.RestartBackoff == (clustermgr.Backoff{}) {
		c.RestartBackoff = DefaultBackoff
	}
	if c.EventBuffer == 0 {
		c.EventBuffer = DefaultEventBuffer
	}
	if c.Clock == nil {
		c.Clock = clustermgr.SystemClock{}
	}
	return c
}

// Validate returns an error wrapping ErrInvalidConfig that names the first
// bad field. It checks the config as written; call WithDefaults first to
// accept zero fields.
func (c Config) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalidConfig, field, fmt.Sprintf(format, args...))
	}
	if err := checkBinary(c.Binary); err != nil {
		return bad("Binary", "%v", err)
	}
	switch {
	case strings.TrimSpace(c.NATSURL) == "":
		return bad("NATSURL", "required (the URL instances connect to)")
	case strings.ContainsAny(c.NATSURL, " \t\r\n"):
		return bad("NATSURL", "%q contains white space", c.NATSURL)
	case c.StartTimeout <= 0:
		return bad("StartTimeout", "must be positive, got %s", c.StartTimeout)
	case c.StopGrace == nil:
		return bad("StopGrace", "not set")
	case c.EventBuffer < 0:
		return bad("EventBuffer", "must not be negative, got %d", c.EventBuffer)
	case c.Clock == nil:
		return bad("Clock", "not set")
	}
	if err := c.RestartBackoff.Validate(); err != nil {
		return bad("RestartBackoff", "%v", err)
	}
	for _, kv := range c.Env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" || strings.ContainsRune(kv, 0) {
			return bad("Env", "%q is not KEY=VALUE", kv)
		}
	}
	if c.LogDir != "" {
		st, err := os.Stat(c.LogDir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			// created by New
		case err != nil:
			return bad("LogDir", "%v", err)
		case !st.IsDir():
			return bad("LogDir", "%q is not a folder", c.LogDir)
		}
	}
	return nil
}

func checkBinary(path string) error {
	if path == "" {
		return errors.New("not set, and the running executable could not be found")
	}
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%q: %w", path, err)
	}
	if st.IsDir() {
		return fmt.Errorf("%q is a folder, not an executable", path)
	}
	if st.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%q is not executable", path)
	}
	return nil
}
