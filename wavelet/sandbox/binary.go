package sandbox

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// Where the WaveLink binary and the libraries it links against appear
// inside a container. One folder that the container's root filesystem need
// not have: its mount points are made by the container runtime.
const (
	runtimeDir    = "/.wavelink"
	runtimeBinary = runtimeDir + "/wavelink"
	runtimeLibDir = runtimeDir + "/lib"
)

// libSearch is where shared libraries are looked for on the host, in order.
var libSearch = []string{
	"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
	"/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
	"/lib64", "/usr/lib64", "/lib", "/usr/lib",
}

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
	interp := ""
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err != nil {
				return hostBinary{}, fmt.Errorf("read the loader of %s: %w", path, err)
			}
			interp = string(b[:max(len(b)-1, 0)]) // NUL-terminated
		}
	}
	if interp == "" {
		hb.argv0 = []string{runtimeBinary}
		return hb, nil
	}
	libs, err := libraryClosure(f)
	if err != nil {
		return hostBinary{}, fmt.Errorf("libraries of %s: %w", path, err)
	}
	loader := runtimeLibDir + "/" + filepath.Base(interp)
	hb.binds = append(hb.binds, Bind{Source: interp, Destination: loader})
	for _, name := range libs {
		host, err := findLibrary(name)
		if err != nil {
			return hostBinary{}, fmt.Errorf("libraries of %s: %w", path, err)
		}
		if filepath.Base(host) == filepath.Base(interp) || runtimeLibDir+"/"+name == loader {
			continue
		}
		hb.binds = append(hb.binds, Bind{Source: host, Destination: runtimeLibDir + "/" + name})
	}
	hb.argv0 = []string{loader, "--library-path", runtimeLibDir, runtimeBinary}
	return hb, nil
}

// libraryClosure lists the shared libraries f needs, and those they need.
func libraryClosure(f *elf.File) ([]string, error) {
	var out []string
	queue, err := f.ImportedLibraries()
	if err != nil {
		return nil, err
	}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if slices.Contains(out, name) {
			continue
		}
		out = append(out, name)
		host, err := findLibrary(name)
		if err != nil {
			return nil, err
		}
		lf, err := elf.Open(host)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", host, err)
		}
		more, err := lf.ImportedLibraries()
		lf.Close()
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", host, err)
		}
		queue = append(queue, more...)
	}
	return out, nil
}

// findLibrary returns the host file of the shared library name, with
// symbolic links resolved (a bind mount needs the file itself).
func findLibrary(name string) (string, error) {
	for _, dir := range libSearch {
		p, err := filepath.EvalSymlinks(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("shared library %s not found in %v", name, libSearch)
}
