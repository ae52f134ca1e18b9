// Package poolpolicy decides how many pre-created emergency instances a
// Wavelet keeps for each function: a pure function of the function's
// recent burst history, the node's free memory and the time, so that it
// runs the same in the Wavelet, in tests stepping a fake time, and in the
// simulator.
//
// It reads no clock and does no I/O; it must never import anything beyond
// the standard library's errors, fmt, slices, sort and time.
package poolpolicy
