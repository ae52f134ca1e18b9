// Package elfdeps finds what an ELF executable needs from the host to run
// somewhere else: its loader (the program interpreter a dynamically linked
// binary names) and the shared libraries it needs, with those they need,
// each resolved to a regular file on the host. The Docker backend copies
// them into an image and the Wavelet's sandbox bind-mounts them into a
// container.
//
// It imports only the standard library.
package elfdeps

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// searchPath is where shared libraries are looked for on the host, in order.
var searchPath = []string{
	"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
	"/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
	"/lib64", "/usr/lib64", "/lib", "/usr/lib",
}

// Interpreter returns the loader f names in its PT_INTERP program header,
// or "" for a statically linked file. It returns the read error of that
// header.
func Interpreter(f *elf.File) (string, error) {
	interp := ""
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err != nil {
				return "", err
			}
			interp = string(b[:max(len(b)-1, 0)]) // NUL-terminated
		}
	}
	return interp, nil
}

// Library is one shared library: the name a binary asks for and the host
// file it resolves to, symbolic links followed.
type Library struct {
	Name string
	Host string
}

// Libraries lists the shared libraries f needs, and those they need, each
// once, in the order they are first asked for. It returns an error when a
// library is not found on the host or cannot be read.
func Libraries(f *elf.File) ([]Library, error) {
	var out []Library
	queue, err := f.ImportedLibraries()
	if err != nil {
		return nil, err
	}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if slices.ContainsFunc(out, func(l Library) bool { return l.Name == name }) {
			continue
		}
		host, err := findLibrary(name)
		if err != nil {
			return nil, err
		}
		out = append(out, Library{Name: name, Host: host})
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
// symbolic links resolved (a copy or a bind mount needs the file itself).
// It returns an error naming the folders searched when there is none.
func findLibrary(name string) (string, error) {
	for _, dir := range searchPath {
		p, err := filepath.EvalSymlinks(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("shared library %s not found in %v", name, searchPath)
}
