package instance

import (
	"fmt"

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
	// MinPending, when above zero, makes the instance take invocations only
	// while at least that many wait in the function's queue (the overflow
	// priority group's minimum). Emergency instances only; zero for regular
	// ones.
	MinPending int
	// WorkDir is the scratch folder of packaged functions (OCI layouts are
	// unpacked under it). Required for OCI packages.
	WorkDir string
	// Logger receives the instance's structured logs and the function
	// process's output lines.
	Logger zerolog.Logger
	// Ready, if set, is called once when the instance has started pulling.
	Ready func()
}

// Validate returns an error wrapping ErrInvalidConfig that names the first
// field that cannot work.
func (c Config) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalidConfig, field, fmt.Sprintf(format, args...))
	}
	switch {
	case !streams.ValidFunctionName(c.Function):
		return bad("function", "%q is not a DNS label", c.Function)
	case c.ID == "":
		return bad("id", "is required")
	case c.Track != TrackRegular && c.Track != TrackEmergency:
		return bad("track", "must be %q or %q, got %q", TrackRegular, TrackEmergency, c.Track)
	case c.MinPending < 0:
		return bad("minPending", "must not be negative, got %d", c.MinPending)
	case c.MinPending > 0 && c.Track != TrackEmergency:
		return bad("minPending", "applies to %s instances only, got %d for a %s one", TrackEmergency, c.MinPending, c.Track)
	}
	return nil
}
