package docker

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// Where the WaveLink binary and, for a dynamically linked one, its loader
// and libraries are in the instance image: one folder of their own, so
// nothing else of the image is needed or touched.
const (
	imageDir    = "/.wavelink"
	imageBinary = imageDir + "/wavelink"
	imageLibDir = imageDir + "/lib"
)

// libSearch is where shared libraries are looked for on the host, in order.
var libSearch = []string{
	"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
	"/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
	"/lib64", "/usr/lib64", "/lib", "/usr/lib",
}

// imageFile is one host file copied into the image.
type imageFile struct {
	host, image string
}

// binaryLayout is the WaveLink binary as the image holds it: the files to
// copy and the entrypoint that runs it.
type binaryLayout struct {
	files      []imageFile
	entrypoint []string
}

// layoutBinary inspects the binary at path. A static binary is run
// directly; a dynamically linked one through its loader, with its libraries
// beside it in one folder.
func layoutBinary(path string) (binaryLayout, error) {
	st, err := os.Stat(path)
	switch {
	case err != nil:
		return binaryLayout{}, fmt.Errorf("%w: %w", ErrBinary, err)
	case !st.Mode().IsRegular():
		return binaryLayout{}, fmt.Errorf("%w: %s is not a regular file", ErrBinary, path)
	case st.Mode().Perm()&0o111 == 0:
		return binaryLayout{}, fmt.Errorf("%w: %s is not executable", ErrBinary, path)
	}
	f, err := elf.Open(path)
	if err != nil {
		return binaryLayout{}, fmt.Errorf("%w: %s is not an ELF executable: %w", ErrBinary, path, err)
	}
	defer f.Close()
	bl := binaryLayout{files: []imageFile{{host: path, image: imageBinary}}}
	interp := ""
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err != nil {
				return binaryLayout{}, fmt.Errorf("%w: read the loader of %s: %w", ErrBinary, path, err)
			}
			interp = string(b[:max(len(b)-1, 0)]) // NUL-terminated
		}
	}
	if interp == "" {
		bl.entrypoint = []string{imageBinary}
		return bl, nil
	}
	hostLoader, err := filepath.EvalSymlinks(interp)
	if err != nil {
		return binaryLayout{}, fmt.Errorf("%w: loader of %s: %w", ErrBinary, path, err)
	}
	loader := imageLibDir + "/" + filepath.Base(interp)
	bl.files = append(bl.files, imageFile{host: hostLoader, image: loader})
	libs, err := libraryClosure(f)
	if err != nil {
		return binaryLayout{}, fmt.Errorf("%w: libraries of %s: %w", ErrBinary, path, err)
	}
	for _, name := range libs {
		host, err := findLibrary(name)
		if err != nil {
			return binaryLayout{}, fmt.Errorf("%w: libraries of %s: %w", ErrBinary, path, err)
		}
		if dst := imageLibDir + "/" + name; dst != loader {
			bl.files = append(bl.files, imageFile{host: host, image: dst})
		}
	}
	bl.entrypoint = []string{loader, "--library-path", imageLibDir, imageBinary}
	return bl, nil
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
// symbolic links resolved.
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
