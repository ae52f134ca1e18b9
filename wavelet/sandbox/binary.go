package sandbox

import (
	"debug/elf"
	"fmt"
	"path/filepath"

	"github.com/wavelink/wavelink/internal/elfdeps"
)

// Where the WaveLink binary and the libraries it links against appear
// inside a container. One folder that the container's root filesystem need
// not have: its mount points are made by the container runtime.
const (
	runtimeDir    = "/.wavelink"
	runtimeBinary = runtimeDir + "/wavelink"
	runtimeLibDir = runtimeDir + "/lib"
)

// hostBinary is the WaveLink binary as a container sees it: the host files
// to bind-mount (the binary, and for a dynamically linked one its loader
// and libraries) and the command line prefix that runs it.
type hostBinary struct {
	binds []Bind
	argv0 []string
}

// resolveBinary inspects the binary at path. A static binary is run
// directly; a dynamically linked one (the WaveLink binary needs cgo for
// libcontainer) through its loader with the libraries in one folder, so
// that nothing of the container's own /lib is touched or needed.
func resolveBinary(path string) (hostBinary, error) {
	f, err := elf.Open(path)
	if err != nil {
		return hostBinary{}, fmt.Errorf("read the instance runtime %s: %w", path, err)
	}
	defer f.Close()
	hb := hostBinary{binds: []Bind{{Source: path, Destination: runtimeBinary}}}
	interp, err := elfdeps.Interpreter(f)
	if err != nil {
		return hostBinary{}, fmt.Errorf("read the loader of %s: %w", path, err)
	}
	if interp == "" {
		hb.argv0 = []string{runtimeBinary}
		return hb, nil
	}
	libs, err := elfdeps.Libraries(f)
	if err != nil {
		return hostBinary{}, fmt.Errorf("libraries of %s: %w", path, err)
	}
	loader := runtimeLibDir + "/" + filepath.Base(interp)
	hb.binds = append(hb.binds, Bind{Source: interp, Destination: loader})
	for _, lib := range libs {
		if filepath.Base(lib.Host) == filepath.Base(interp) || runtimeLibDir+"/"+lib.Name == loader {
			continue
		}
		hb.binds = append(hb.binds, Bind{Source: lib.Host, Destination: runtimeLibDir + "/" + lib.Name})
	}
	hb.argv0 = []string{loader, "--library-path", runtimeLibDir, runtimeBinary}
	return hb, nil
}
