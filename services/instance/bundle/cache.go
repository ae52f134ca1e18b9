package bundle

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/opencontainers/umoci/pkg/fseval"
)

// Names inside the cache folder: <hex>/rootfs is an unpacked image,
// <hex>.lock its lock file, <hex>.unpack-* an unpack in progress (or left by
// a process that died while unpacking).
const (
	rootfsName    = "rootfs"
	lockSuffix    = ".lock"
	unpackInfix   = ".unpack-"
	cacheDirPerm  = 0o755
	bundleDirPerm = 0o700
)

// PrepareOCI unpacks the image named by ref in the OCI image layout at
// layout into cacheDir/<manifest digest hex>/rootfs, unless it is there
// already, and returns that folder. With ref empty the layout must hold one
// image (or several platforms of one). An image index is followed to the
// manifest for linux and this machine's architecture.
//
// Callers may run at once in one process or in several: one of them unpacks,
// into a temporary folder beside the entry that is renamed into place while
// it holds a file lock (cacheDir/<hex>.lock); the others wait for the lock,
// or for ctx to end, and find the entry ready.
//
// Every blob read is checked against its descriptor's size and sha256, and
// every layer's uncompressed content against the config's diff_id. Errors
// name the file at fault and wrap ErrBadLayout, ErrRefNotFound,
// ErrRefRequired, ErrPlatformNotFound, ErrDigestMismatch,
// ErrUnsupportedMediaType, ErrTruncatedLayer, ErrPathTraversal or
// ErrBadCacheDir. A failed unpack leaves nothing in the cache but the lock
// file.
func PrepareOCI(ctx context.Context, layout, ref, cacheDir string) (Prepared, error) {
	dir, err := openLayout(layout)
	if err != nil {
		return Prepared{}, err
	}
	desc, err := resolve(dir, ref)
	if err != nil {
		return Prepared{}, err
	}
	cache, err := cacheRoot(cacheDir)
	if err != nil {
		return Prepared{}, err
	}
	hex := desc.Digest.Encoded()
	final := filepath.Join(cache, hex)
	res := Prepared{RootFS: filepath.Join(final, rootfsName), Digest: desc.Digest.String()}
	if isDir(res.RootFS) {
		return res, nil
	}

	unlock, err := lockFile(ctx, final+lockSuffix)
	if err != nil {
		return Prepared{}, err
	}
	defer unlock()
	if isDir(res.RootFS) {
		return res, nil
	}
	img, err := readImage(dir, desc)
	if err != nil {
		return Prepared{}, err
	}
	// Holding the lock, nobody else is unpacking this image: whatever is
	// left under its names came from an attempt that did not finish.
	if err := removeLeftovers(cache, hex); err != nil {
		return Prepared{}, err
	}
	tmp, err := os.MkdirTemp(cache, hex+unpackInfix)
	if err != nil {
		return Prepared{}, fmt.Errorf("%w: %v", ErrBadCacheDir, err)
	}
	if err := unpackImage(ctx, dir, img, filepath.Join(tmp, rootfsName)); err != nil {
		_ = removeAll(tmp)
		return Prepared{}, fmt.Errorf("unpack %s into %s: %w", desc.Digest, cache, err)
	}
	// The folder above the root filesystem stays private, so that users of
	// the host cannot reach set-user-ID programs the image may hold.
	if err := os.Chmod(tmp, bundleDirPerm); err != nil {
		_ = removeAll(tmp)
		return Prepared{}, fmt.Errorf("chmod %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, final); err != nil {
		_ = removeAll(tmp)
		return Prepared{}, fmt.Errorf("move %s into place: %w", tmp, err)
	}
	res.Unpacked = true
	return res, nil
}

// cacheRoot returns the absolute cache folder, creating it.
func cacheRoot(cacheDir string) (string, error) {
	if cacheDir == "" {
		return "", fmt.Errorf("%w: no cache folder given", ErrBadCacheDir)
	}
	abs, err := filepath.Abs(cacheDir)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %v", ErrBadCacheDir, cacheDir, err)
	}
	if err := os.MkdirAll(abs, cacheDirPerm); err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadCacheDir, err)
	}
	return abs, nil
}

// removeLeftovers removes unfinished unpack folders of the image hex, and
// its cache entry if that exists without a root filesystem.
func removeLeftovers(cache, hex string) error {
	stale, err := filepath.Glob(filepath.Join(cache, hex+unpackInfix+"*"))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadCacheDir, err)
	}
	if _, err := os.Lstat(filepath.Join(cache, hex)); err == nil {
		stale = append(stale, filepath.Join(cache, hex))
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %v", ErrBadCacheDir, err)
	}
	for _, p := range stale {
		if err := removeAll(p); err != nil {
			return fmt.Errorf("%w: remove unfinished unpack %s: %v", ErrBadCacheDir, p, err)
		}
	}
	return nil
}

// removeAll removes a tree that an unpack wrote. Without root, folders an
// image made unreadable or unwritable are opened up first.
func removeAll(p string) error {
	if os.Geteuid() != 0 {
		return fseval.Rootless.RemoveAll(p)
	}
	return os.RemoveAll(p)
}

// isDir reports whether p is a folder itself, not a link to one.
func isDir(p string) bool {
	st, err := os.Lstat(p)
	return err == nil && st.IsDir()
}
