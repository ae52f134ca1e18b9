// Package schemas defines WaveLink's CloudEvent types, converts them to and
// from NATS messages and HTTP requests (binary content mode on output;
// binary and structured mode on input), and validates them, naming the bad
// field in every error. The JSON Schemas of the control events' data are
// embedded.
//
// It is a leaf package: it must never import streams/, services/ or wavelet/.
package schemas
