// Package policy holds the regular track's scaling deciders: given a
// function's observed queue and concurrency signals, the time, its
// parameters and its prior state, they return how many regular instances
// the function should have and its new state.
//
// Decide is modelled on Knative's KPA: a bucketed stable window and a
// shorter panic window over observed concurrency, a panic mode that never
// scales down, rate limits on both directions, and a grace period before
// scaling to zero. Poke asks for a first instance between steps when an
// invocation arrives at zero.
//
// DecidePeak follows the largest concurrency seen over the stable window
// instead, with no panic mode, for the modes where the expedited track
// absorbs bursts; it keeps no instances of a function the expedited track
// serves alone. Grow records a need for more instances between steps, for
// the synchronous mode that asks for one more instance per arrival that
// finds none free.
//
// The package is pure: it reads no clock (now is passed in), does no I/O and
// keeps no package-level state, so the same code runs in the scaler, in
// tests stepping a fake time, and in the simulator. It must never import
// anything beyond the standard library's errors, fmt, math, slices, sort,
// strconv, strings and time: no NATS, net, os or logging (internal/layering
// enforces this).
package policy
