// Package layering holds the test that keeps WaveLink's packages to the
// one-way data flow of docs/DESIGN.md: for each package, what it must never
// import (as its package comment says), and for pure packages, the only
// imports they may have. It has no code of its own.
package layering
