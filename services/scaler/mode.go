package scaler

import (
	"fmt"
	"strings"
)

// Mode is how the scaler shares the work between the two tracks.
type Mode string

// Modes.
const (
	// ModeWavelink runs both tracks: each arrival that outruns the
	// function's capacity asks Wavelets for emergency instances, and the
	// regular count follows the peak concurrency over the stable window; a
	// rare function gets no regular instances. With no Wavelet able to take
	// the work, the regular track serves it (a poke from zero). The default.
	ModeWavelink Mode = "wavelink"
	// ModeAsync is the regular track alone, Knative-like: the KPA decider
	// at each tick and a poke from zero on an arrival. No burst requests.
	ModeAsync Mode = "async"
	// ModeSync is the regular track alone, Lambda-like: each arrival that
	// finds no free regular instance asks the cluster manager for one more
	// at once, and instances are kept for Config.KeepAlive after they were
	// last needed.
	ModeSync Mode = "sync"
	// ModeFastpath takes every instance from Wavelets, Dirigent-like: no
	// regular instances, not even the spec's min, and burst requests whose
	// emergency instances live like regular ones (idle timeout
	// Config.KeepAlive, max lifetime FastpathMaxLifetime). With no Wavelet
	// able to take a function's work, the regular track serves it as in
	// ModeWavelink.
	ModeFastpath Mode = "fastpath"
)

// Modes lists every mode, the default first.
func Modes() []Mode { return []Mode{ModeWavelink, ModeAsync, ModeSync, ModeFastpath} }

// ParseMode returns the mode named s, or an error wrapping ErrInvalidConfig
// that names s and the modes there are.
func ParseMode(s string) (Mode, error) {
	m := Mode(s)
	if !m.valid() {
		return "", m.invalid()
	}
	return m, nil
}

func (m Mode) valid() bool {
	switch m {
	case ModeWavelink, ModeAsync, ModeSync, ModeFastpath:
		return true
	}
	return false
}

func (m Mode) invalid() error {
	names := make([]string, 0, 4)
	for _, k := range Modes() {
		names = append(names, string(k))
	}
	return fmt.Errorf("%w: unknown Mode %q (want one of %s)", ErrInvalidConfig, string(m), strings.Join(names, ", "))
}

// bursts reports whether the mode sends burst requests to Wavelets.
func (m Mode) bursts() bool { return m == ModeWavelink || m == ModeFastpath }
