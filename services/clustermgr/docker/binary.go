package docker

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"

	"github.com/wavelink/wavelink/internal/elfdeps"
)

// Where the WaveLink binary and, for a dynamically linked one, its loader
// and libraries are in the instance image: one folder of their own, so
// nothing else of the image is needed or touched.
const (
	imageDir    = "/.wavelink"
	imageBinary = imageDir + "/wavelink"
	imageLibDir = imageDir + "/lib"
)

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
	interp, err := elfdeps.Interpreter(f)
	if err != nil {
		return binaryLayout{}, fmt.Errorf("%w: read the loader of %s: %w", ErrBinary, path, err)
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
	libs, err := elfdeps.Libraries(f)
	if err != nil {
		return binaryLayout{}, fmt.Errorf("%w: libraries of %s: %w", ErrBinary, path, err)
	}
	for _, lib := range libs {
		if dst := imageLibDir + "/" + lib.Name; dst != loader {
			bl.files = append(bl.files, imageFile{host: lib.Host, image: dst})
		}
	}
	bl.entrypoint = []string{loader, "--library-path", imageLibDir, imageBinary}
	return bl, nil
}
