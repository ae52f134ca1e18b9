//go:build linux && cgo

package sandbox

import (
	"os"

	// Sets up the container's namespaces before the Go runtime starts, in
	// the process libcontainer starts as "<binary> init".
	_ "github.com/opencontainers/runc/libcontainer/nsenter"
	// Lets the cgroup manager write device rules.
	_ "github.com/opencontainers/cgroups/devices"
	"github.com/opencontainers/runc/libcontainer"
)

// initLinked says this binary can be a container's first process.
const initLinked = true

// Init turns the process into a container's first process when
// libcontainer started it as such ("<binary> init", with its set-up pipe in
// the environment), and never returns then. Otherwise it returns at once.
// Call it first thing in main, and in TestMain of tests that make
// containers.
func Init() {
	if len(os.Args) > 1 && os.Args[1] == "init" && os.Getenv("_LIBCONTAINER_INITPIPE") != "" {
		libcontainer.Init()
	}
}
