package bundle

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/wavelink/wavelink/services/registry"
)

// Prepared is the result of PrepareOCI.
type Prepared struct {
	// RootFS is the absolute path of the unpacked root filesystem.
	RootFS string
	// Digest is the image manifest's digest ("sha256:<hex>"); the cache
	// entry is named by its hex part.
	Digest string
	// Unpacked is true when this call unpacked the image, false when it
	// found it unpacked by an earlier call.
	Unpacked bool
}

// Prepare returns the root filesystem folder to run the packaged function
// pkg from.
//
// For a root filesystem package it returns the folder's absolute path, or an
// error wrapping ErrBadRootFS if it is missing or not a directory. For an
// OCI image layout it returns PrepareOCI(ctx, pkg.OCI, pkg.Ref,
// cacheDir).RootFS. For a built-in it returns an error wrapping ErrBuiltin,
// and for a package that is empty or names several kinds one wrapping
// ErrBadPackage.
func Prepare(ctx context.Context, pkg registry.Package, cacheDir string) (string, error) {
	kinds := 0
	for _, v := range []string{pkg.Builtin, pkg.RootFS, pkg.OCI} {
		if v != "" {
			kinds++
		}
	}
	switch {
	case kinds == 0:
		return "", fmt.Errorf("%w: the package names no built-in, root filesystem or OCI layout", ErrBadPackage)
	case kinds > 1:
		return "", fmt.Errorf("%w: %+v names more than one of builtin, rootfs and oci", ErrBadPackage, pkg)
	case pkg.Ref != "" && pkg.OCI == "":
		return "", fmt.Errorf("%w: reference %q applies to an OCI layout only", ErrBadPackage, pkg.Ref)
	case pkg.Builtin != "":
		return "", fmt.Errorf("%w: %s", ErrBuiltin, pkg)
	case pkg.RootFS != "":
		return checkRootFS(pkg.RootFS)
	}
	res, err := PrepareOCI(ctx, pkg.OCI, pkg.Ref, cacheDir)
	if err != nil {
		return "", err
	}
	return res.RootFS, nil
}

// checkRootFS returns the absolute path of a root filesystem folder.
func checkRootFS(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %v", ErrBadRootFS, dir, err)
	}
	st, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("%w: %s does not exist: %w", ErrBadRootFS, abs, fs.ErrNotExist)
	case err != nil:
		return "", fmt.Errorf("%w: %v", ErrBadRootFS, err)
	case !st.IsDir():
		return "", fmt.Errorf("%w: %s is not a directory", ErrBadRootFS, abs)
	}
	return abs, nil
}
