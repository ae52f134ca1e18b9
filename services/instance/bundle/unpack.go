package bundle

import (
	"archive/tar"
	"compress/flate"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/opencontainers/go-digest"
	ispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/opencontainers/umoci/oci/layer"
)

// compression is how a layer's tar archive is compressed.
type compression int

const (
	compressNone compression = iota
	compressGzip
	compressZstd
)

// layerCompression returns the compression of a layer media type, or an
// error wrapping ErrUnsupportedMediaType for a type that is not a layer.
func layerCompression(mediaType string) (compression, error) {
	switch mediaType {
	case ispec.MediaTypeImageLayer,
		"application/vnd.oci.image.layer.nondistributable.v1.tar":
		return compressNone, nil
	case ispec.MediaTypeImageLayerGzip,
		"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
		"application/vnd.docker.image.rootfs.diff.tar.gzip",
		"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip":
		return compressGzip, nil
	case ispec.MediaTypeImageLayerZstd,
		"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd":
		return compressZstd, nil
	}
	return 0, fmt.Errorf("%w: %q is not a layer tar archive (plain, gzip or zstd)", ErrUnsupportedMediaType, mediaType)
}

// unpackOptions returns umoci's unpack options for this process: rootless
// when not running as root, so ownership changes that would fail are skipped.
func unpackOptions() *layer.UnpackOptions {
	return &layer.UnpackOptions{
		OnDiskFormat: layer.DirRootfs{MapOptions: layer.MapOptions{Rootless: os.Geteuid() != 0}},
	}
}

// unpackImage extracts the layers of img, in order, into rootfs, which must
// not exist yet. The layout at dir holds the blobs. On error rootfs is left
// for the caller to remove.
func unpackImage(ctx context.Context, dir string, img image, rootfs string) error {
	if err := os.Mkdir(rootfs, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", rootfs, err)
	}
	if err := os.Chmod(rootfs, 0o755); err != nil {
		return fmt.Errorf("chmod %s: %w", rootfs, err)
	}
	opts := unpackOptions()
	for i, desc := range img.manifest.Layers {
		if err := unpackLayer(ctx, dir, desc, img.config.RootFS.DiffIDs[i], rootfs, opts); err != nil {
			return err
		}
	}
	return nil
}

// unpackLayer checks the layer blob's size and sha256, then extracts its
// entries into rootfs and checks the uncompressed archive's sha256 against
// diffID.
func unpackLayer(ctx context.Context, dir string, desc ispec.Descriptor, diffID digest.Digest, rootfs string, opts *layer.UnpackOptions) error {
	comp, err := layerCompression(desc.MediaType)
	if err != nil {
		return fmt.Errorf("layer %s: %w", desc.Digest, err)
	}
	f, p, err := openBlob(dir, desc, ErrTruncatedLayer)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	if err := verifyFile(f, p, desc.Digest); err != nil {
		return err
	}

	raw, closeRaw, err := decompress(comp, f)
	if err != nil {
		return readError(p, err)
	}
	defer closeRaw()
	diff := sha256.New()
	stream := io.TeeReader(raw, diff)
	tr := tar.NewReader(stream)
	// A new extractor per layer: opaque whiteouts hide what lower layers
	// hold, and the extractor tells those apart from this layer's entries.
	te := layer.NewTarExtractor(opts)
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("unpack %s: %w", p, err)
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil && !errors.Is(err, tar.ErrInsecurePath) {
			return readError(p, err)
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue // PAX global attributes: no file of its own
		}
		if err := checkEntry(hdr); err != nil {
			return fmt.Errorf("%w: layer %s: %v", ErrPathTraversal, p, err)
		}
		name := hdr.Name
		if err := te.UnpackEntry(rootfs, hdr, tr); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return fmt.Errorf("%w: layer %s: entry %q: %v", ErrTruncatedLayer, p, name, err)
			}
			return fmt.Errorf("layer %s: entry %q: %w", p, name, err)
		}
	}
	// Read what follows the archive's end so the diff_id covers the whole
	// stream (and gzip checks its trailer).
	if _, err := io.Copy(io.Discard, stream); err != nil {
		return readError(p, err)
	}
	if got := digest.NewDigest(digest.SHA256, diff); got != diffID {
		return fmt.Errorf("%w: layer %s: uncompressed content has %s, config diff_id is %s", ErrDigestMismatch, p, got, diffID)
	}
	return nil
}

// decompress wraps r in the reader for comp; the returned function releases
// it.
func decompress(comp compression, r io.Reader) (io.Reader, func(), error) {
	switch comp {
	case compressGzip:
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, nil, err
		}
		return zr, func() { _ = zr.Close() }, nil
	case compressZstd:
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, nil, err
		}
		return zr, zr.Close, nil
	}
	return r, func() {}, nil
}

// readError classifies an error from reading a layer's archive: an early
// end is a truncated layer, anything else a corrupt one.
func readError(p string, err error) error {
	var corrupt flate.CorruptInputError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return fmt.Errorf("%w: layer %s: %v", ErrTruncatedLayer, p, err)
	case errors.Is(err, gzip.ErrHeader), errors.Is(err, gzip.ErrChecksum), errors.As(err, &corrupt),
		errors.Is(err, tar.ErrHeader), errors.Is(err, tar.ErrFieldTooLong):
		return fmt.Errorf("%w: layer %s is not a valid archive: %v", ErrBadLayout, p, err)
	}
	return fmt.Errorf("%w: layer %s: %v", ErrBadLayout, p, err)
}

// checkEntry refuses an entry whose name, or whose hard link target, leads
// out of the root. Symbolic link targets are not checked: they are resolved
// inside the root when the container runs, and the extractor resolves them
// inside the root when it writes through them.
func checkEntry(hdr *tar.Header) error {
	if escapes(hdr.Name) {
		return fmt.Errorf("entry %q", hdr.Name)
	}
	if hdr.Typeflag == tar.TypeLink && escapes(hdr.Linkname) {
		return fmt.Errorf("hard link %q to %q", hdr.Name, hdr.Linkname)
	}
	return nil
}

// escapes reports whether a slash-separated archive path, taken relative to
// the root, climbs above it.
func escapes(name string) bool {
	p := path.Clean(strings.TrimLeft(name, "/"))
	return p == ".." || strings.HasPrefix(p, "../")
}
