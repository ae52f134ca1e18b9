//go:build !linux || !cgo

package sandbox

// initLinked says this binary can be a container's first process: not
// without Linux and cgo.
const initLinked = false

// Init does nothing where containers cannot be made.
func Init() {}
