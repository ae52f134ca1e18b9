package instance

import (
	"context"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/wavelink/wavelink/streams"
)

// Tracks an instance can belong to.
const (
	// TrackRegular instances are started by a cluster manager.
	TrackRegular = "regular"
	// TrackEmergency instances are started by a Wavelet for a burst.
	TrackEmergency = "emergency"
)

// Config configures one instance.
type Config struct {
	// Function is the name of the function the instance serves.
	Function string
	// ID names this instance in results and logs.
	ID string
	// Track is TrackRegular or TrackEmergency.
	Track string
	// WorkDir is the scratch folder of packaged functions (OCI layouts are
	// unpacked under it). Required for OCI packages, unless RootFS is set.
	WorkDir string
	// RootFS, when set, is the folder the function's package is already
	// unpacked in (for an emergency instance inside its container, "/"):
	// Run starts the packaged function's command from it and does not
	// prepare or unpack the spec's package. Ignored for built-in functions.
	RootFS string
	// IdleExit, when above zero, retires the instance once it has held no
	// invocation for that long: it stops pulling, finishes what it holds,
	// and Run returns nil.
	IdleExit time.Duration
	// MaxLifetime, when above zero, retires the instance that long after
	// Run was called: it stops pulling, finishes what it holds (however
	// long that takes), and Run returns nil.
	MaxLifetime time.Duration
	// Logger receives the instance's structured logs and the function
	// process's output lines.
	Logger zerolog.Logger
	// Ready, if set, is called once when the instance has started pulling.
	Ready func()
	// Park, if set, makes the instance wait before its first pull until it
	// is let go: a pre-started emergency instance. With Function set it
	// waits once the function is started and its consumer found; without,
	// it waits as soon as it is connected, and the function to serve comes
	// with the Unpark (a generic instance, kept for any built-in function).
	// An error stops the instance without pulling. Emergency instances only.
	Park func(ctx context.Context) (Unpark, error)
}

// Validate returns an error wrapping ErrInvalidConfig that names the first
// field that cannot work.
func (c Config) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalidConfig, field, fmt.Sprintf(format, args...))
	}
	switch {
	case c.Function == "" && c.Park != nil:
		// a generic instance: the function comes when it is let go
	case !streams.ValidFunctionName(c.Function):
		return bad("function", "%q is not a DNS label", c.Function)
	case c.ID == "":
		return bad("id", "is required")
	case c.Track != TrackRegular && c.Track != TrackEmergency:
		return bad("track", "must be %q or %q, got %q", TrackRegular, TrackEmergency, c.Track)
	case c.IdleExit < 0:
		return bad("idleExit", "must not be negative, got %s", c.IdleExit)
	case c.MaxLifetime < 0:
		return bad("maxLifetime", "must not be negative, got %s", c.MaxLifetime)
	}
	return nil
}

// Unpark is what a parked instance is told when it is let go.
type Unpark struct {
	// IdleExit and MaxLifetime, when above zero, replace the config's.
	IdleExit, MaxLifetime time.Duration
	// Function is the function to serve: required for a generic instance,
	// and when set for another, it must be the config's.
	Function string
}
