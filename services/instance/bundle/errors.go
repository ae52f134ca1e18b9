package bundle

import "errors"

var (
	// ErrBuiltin is returned by Prepare for a built-in function, which runs
	// inside the wavelink binary and needs no root filesystem.
	ErrBuiltin = errors.New("bundle: a built-in function has no root filesystem")
	// ErrBadPackage is returned for a package that is empty or names more
	// than one kind.
	ErrBadPackage = errors.New("bundle: bad package")
	// ErrBadRootFS is returned when a root filesystem package's folder is
	// missing or not a directory.
	ErrBadRootFS = errors.New("bundle: bad root filesystem folder")
	// ErrBadCacheDir is returned when the cache folder is not given or cannot
	// be created.
	ErrBadCacheDir = errors.New("bundle: bad cache folder")
	// ErrBadLayout is returned for an OCI image layout that does not follow
	// the image spec: a missing or malformed oci-layout, index.json, manifest
	// or config, a missing blob, or a corrupt layer archive.
	ErrBadLayout = errors.New("bundle: bad OCI image layout")
	// ErrRefNotFound is returned when no manifest carries the requested
	// reference; the message lists the references the layout has.
	ErrRefNotFound = errors.New("bundle: reference not found")
	// ErrRefRequired is returned when no reference is given and the layout
	// holds several images; the message lists their references.
	ErrRefRequired = errors.New("bundle: the layout holds several images; a reference is required")
	// ErrPlatformNotFound is returned when an image index has no manifest for
	// this machine's platform.
	ErrPlatformNotFound = errors.New("bundle: no manifest for this platform")
	// ErrDigestMismatch is returned when a blob's sha256 or size differs from
	// its descriptor, or a layer's uncompressed sha256 differs from the
	// config's diff_id.
	ErrDigestMismatch = errors.New("bundle: digest mismatch")
	// ErrUnsupportedMediaType is returned for a manifest, config or layer
	// whose media type cannot be unpacked into a root filesystem.
	ErrUnsupportedMediaType = errors.New("bundle: unsupported media type")
	// ErrTruncatedLayer is returned when a layer blob or its archive ends
	// early.
	ErrTruncatedLayer = errors.New("bundle: truncated layer")
	// ErrPathTraversal is returned for a layer entry, or a hard link target,
	// whose path leads out of the root filesystem.
	ErrPathTraversal = errors.New("bundle: layer entry escapes the root filesystem")
	// ErrBadFileSpec is returned by BuildLayout for a file it cannot write.
	ErrBadFileSpec = errors.New("bundle: bad file spec")
)
