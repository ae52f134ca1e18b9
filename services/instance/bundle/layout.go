package bundle

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/opencontainers/umoci/oci/casext"
)

// FileSpec is one entry of the image that BuildLayout writes.
type FileSpec struct {
	// Mode is the entry's type and permissions: no type bits for a regular
	// file, fs.ModeDir for a folder, fs.ModeSymlink for a symbolic link,
	// with permission bits and fs.ModeSetuid, fs.ModeSetgid or
	// fs.ModeSticky. A zero Mode means a regular file with mode 0644.
	Mode fs.FileMode
	// Data is a regular file's content.
	Data []byte
	// Source names a file on this machine whose content a regular file
	// gets, in place of Data.
	Source string
	// Link is a symbolic link's target.
	Link string
}

// defaultFileMode is the mode of a FileSpec with a zero Mode; parent
// folders not listed get defaultDirMode.
const (
	defaultFileMode = 0o644
	defaultDirMode  = fs.ModeDir | 0o755
)

// tarEntry is one entry of a layer archive: its header and, for a regular
// file, its content from data or from the file source.
type tarEntry struct {
	hdr    tar.Header
	data   []byte
	source string
}

// BuildLayout writes an OCI image layout at dir (created if needed) holding
// one image for linux and this machine's architecture: a single gzip layer
// with files, keyed by slash-separated paths relative to the image root, an
// image config and a manifest, listed in index.json under ref (the
// org.opencontainers.image.ref.name annotation). Folders above a listed
// path that are not listed themselves get mode 0755. Entries are owned by
// user and group 0 and dated at the Unix epoch, so the same files give the
// same digests.
//
// An existing layout at dir keeps its other images; an image with the same
// ref (or, for an empty ref, any image without one) is replaced in the
// index. Bad input returns an error wrapping ErrBadFileSpec that names the
// path.
func BuildLayout(dir string, ref string, files map[string]FileSpec) error {
	if ref != "" && !casext.IsValidReferenceName(ref) {
		return fmt.Errorf("%w: reference %q is not a valid OCI reference name", ErrBadFileSpec, ref)
	}
	entries, err := layerEntries(files)
	if err != nil {
		return err
	}
	if err := initLayout(dir); err != nil {
		return err
	}
	desc, diffID, err := writeTarLayer(dir, ispec.MediaTypeImageLayerGzip, entries)
	if err != nil {
		return err
	}
	return writeImage(dir, ref, []ispec.Descriptor{desc}, []digest.Digest{diffID})
}

// layerEntries checks files and returns their archive entries, parents
// first, in a fixed order.
func layerEntries(files map[string]FileSpec) ([]tarEntry, error) {
	byName := make(map[string]FileSpec, len(files))
	for _, name := range slices.Sorted(maps.Keys(files)) {
		clean, err := cleanName(name)
		if err != nil {
			return nil, err
		}
		if _, dup := byName[clean]; dup {
			return nil, fmt.Errorf("%w: %q and another key both name %q", ErrBadFileSpec, name, clean)
		}
		byName[clean] = files[name]
	}
	for _, name := range slices.Collect(maps.Keys(byName)) {
		for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
			spec, ok := byName[dir]
			if !ok {
				byName[dir] = FileSpec{Mode: defaultDirMode}
				continue
			}
			if !spec.Mode.IsDir() {
				return nil, fmt.Errorf("%w: %q is inside %q, which is not a folder", ErrBadFileSpec, name, dir)
			}
		}
	}
	epoch := time.Unix(0, 0)
	entries := make([]tarEntry, 0, len(byName))
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		e, err := entryFor(name, byName[name])
		if err != nil {
			return nil, err
		}
		e.hdr.ModTime = epoch
		e.hdr.Format = tar.FormatPAX
		entries = append(entries, e)
	}
	return entries, nil
}

// cleanName returns the archive path of a file key, refusing keys that are
// empty, name the root, or climb out of it.
func cleanName(name string) (string, error) {
	if strings.ContainsRune(name, 0) {
		return "", fmt.Errorf("%w: path %q holds a NUL byte", ErrBadFileSpec, name)
	}
	clean := path.Clean(strings.TrimLeft(name, "/"))
	if clean == "." || clean == "" {
		return "", fmt.Errorf("%w: path %q names the image root", ErrBadFileSpec, name)
	}
	if escapes(clean) {
		return "", fmt.Errorf("%w: path %q leads out of the image root", ErrBadFileSpec, name)
	}
	return clean, nil
}

// entryFor returns the archive entry of one checked path.
func entryFor(name string, spec FileSpec) (tarEntry, error) {
	mode := spec.Mode
	if mode == 0 {
		mode = defaultFileMode
	}
	hdr := tar.Header{Name: name, Mode: tarMode(mode)}
	bad := func(format string, args ...any) (tarEntry, error) {
		return tarEntry{}, fmt.Errorf("%w: %q: %s", ErrBadFileSpec, name, fmt.Sprintf(format, args...))
	}
	hasData := spec.Data != nil || spec.Source != ""
	switch mode.Type() {
	case 0:
		if spec.Data != nil && spec.Source != "" {
			return bad("give Data or Source, not both")
		}
		if spec.Link != "" {
			return bad("a regular file has no Link")
		}
		hdr.Typeflag = tar.TypeReg
		hdr.Size = int64(len(spec.Data))
		if spec.Source != "" {
			st, err := os.Stat(spec.Source)
			if err != nil {
				return bad("source: %v", err)
			}
			if !st.Mode().IsRegular() {
				return bad("source %s is not a regular file", spec.Source)
			}
			hdr.Size = st.Size()
		}
		return tarEntry{hdr: hdr, data: spec.Data, source: spec.Source}, nil
	case fs.ModeDir:
		if hasData || spec.Link != "" {
			return bad("a folder has no Data, Source or Link")
		}
		hdr.Typeflag = tar.TypeDir
		hdr.Name += "/"
	case fs.ModeSymlink:
		if spec.Link == "" {
			return bad("a symbolic link needs a Link target")
		}
		if hasData {
			return bad("a symbolic link has no Data or Source")
		}
		hdr.Typeflag = tar.TypeSymlink
		hdr.Linkname = spec.Link
	default:
		return bad("mode %v: only regular files, folders and symbolic links can be written", mode)
	}
	return tarEntry{hdr: hdr}, nil
}

// tarMode converts permission and special bits to a tar header mode.
func tarMode(m fs.FileMode) int64 {
	v := int64(m.Perm())
	if m&fs.ModeSetuid != 0 {
		v |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		v |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		v |= 0o1000
	}
	return v
}

// initLayout creates dir with its oci-layout file and blob folder.
func initLayout(dir string) error {
	if err := os.MkdirAll(filepath.Join(dir, ispec.ImageBlobsDir, digest.SHA256.String()), 0o755); err != nil {
		return fmt.Errorf("create layout %s: %w", dir, err)
	}
	b, err := json.Marshal(ispec.ImageLayout{Version: ispec.ImageLayoutVersion})
	if err != nil {
		return fmt.Errorf("encode oci-layout: %w", err)
	}
	return writeFileAtomic(filepath.Join(dir, ispec.ImageLayoutFile), b)
}

// writeTarLayer writes entries as a layer blob compressed as mediaType says
// and returns its descriptor and diff_id.
func writeTarLayer(dir, mediaType string, entries []tarEntry) (ispec.Descriptor, digest.Digest, error) {
	comp, err := layerCompression(mediaType)
	if err != nil {
		return ispec.Descriptor{}, "", err
	}
	diff := sha256.New()
	desc, err := writeBlob(dir, mediaType, func(w io.Writer) error {
		zw, err := compressor(comp, w)
		if err != nil {
			return err
		}
		tw := tar.NewWriter(io.MultiWriter(zw, diff))
		for _, e := range entries {
			if err := writeEntry(tw, e); err != nil {
				return err
			}
		}
		if err := tw.Close(); err != nil {
			return err
		}
		return zw.Close()
	})
	if err != nil {
		return ispec.Descriptor{}, "", err
	}
	return desc, digest.NewDigest(digest.SHA256, diff), nil
}

// compressor returns the writer that compresses a layer as comp says.
func compressor(comp compression, w io.Writer) (io.WriteCloser, error) {
	switch comp {
	case compressGzip:
		return gzip.NewWriter(w), nil
	case compressZstd:
		return zstd.NewWriter(w, zstd.WithEncoderConcurrency(1))
	}
	return nopWriteCloser{w}, nil
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// writeEntry writes one archive entry and its content.
func writeEntry(tw *tar.Writer, e tarEntry) error {
	hdr := e.hdr
	if err := tw.WriteHeader(&hdr); err != nil {
		return fmt.Errorf("%w: %q: %v", ErrBadFileSpec, hdr.Name, err)
	}
	switch {
	case e.source != "":
		f, err := os.Open(e.source)
		if err != nil {
			return fmt.Errorf("%w: %q: %v", ErrBadFileSpec, hdr.Name, err)
		}
		defer func() { _ = f.Close() }()
		n, err := io.Copy(tw, io.LimitReader(f, hdr.Size))
		if err != nil {
			return fmt.Errorf("copy %s: %w", e.source, err)
		}
		if n != hdr.Size {
			return fmt.Errorf("%w: %q: source %s shrank while being read", ErrBadFileSpec, hdr.Name, e.source)
		}
	case len(e.data) > 0:
		if _, err := tw.Write(e.data); err != nil {
			return fmt.Errorf("write %q: %w", hdr.Name, err)
		}
	}
	return nil
}

// writeBlob stores what write produces as a blob of the layout at dir and
// returns its descriptor.
func writeBlob(dir, mediaType string, write func(io.Writer) error) (ispec.Descriptor, error) {
	blobs := filepath.Join(dir, ispec.ImageBlobsDir, digest.SHA256.String())
	f, err := os.CreateTemp(blobs, ".tmp-")
	if err != nil {
		return ispec.Descriptor{}, fmt.Errorf("create blob in %s: %w", blobs, err)
	}
	defer func() { _ = os.Remove(f.Name()) }()
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(f, h)}
	err = write(cw)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return ispec.Descriptor{}, err
	}
	d := digest.NewDigest(digest.SHA256, h)
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return ispec.Descriptor{}, fmt.Errorf("chmod blob: %w", err)
	}
	if err := os.Rename(f.Name(), filepath.Join(blobs, d.Encoded())); err != nil {
		return ispec.Descriptor{}, fmt.Errorf("store blob %s: %w", d, err)
	}
	return ispec.Descriptor{MediaType: mediaType, Digest: d, Size: cw.n}, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// writeJSONBlob stores v, encoded as JSON, as a blob of the layout at dir.
func writeJSONBlob(dir, mediaType string, v any) (ispec.Descriptor, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return ispec.Descriptor{}, fmt.Errorf("encode %s: %w", mediaType, err)
	}
	return writeBlob(dir, mediaType, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// writeImage writes the config and manifest of an image made of layers and
// lists the manifest in index.json under ref.
func writeImage(dir, ref string, layers []ispec.Descriptor, diffIDs []digest.Digest) error {
	platform := ispec.Platform{OS: "linux", Architecture: runtime.GOARCH}
	config, err := writeJSONBlob(dir, ispec.MediaTypeImageConfig, ispec.Image{
		Platform: platform,
		RootFS:   ispec.RootFS{Type: "layers", DiffIDs: diffIDs},
	})
	if err != nil {
		return err
	}
	manifest, err := writeJSONBlob(dir, ispec.MediaTypeImageManifest, ispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ispec.MediaTypeImageManifest,
		Config:    config,
		Layers:    layers,
	})
	if err != nil {
		return err
	}
	manifest.Platform = &platform
	if ref != "" {
		manifest.Annotations = map[string]string{ispec.AnnotationRefName: ref}
	}

	idx := ispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ispec.MediaTypeImageIndex}
	p := filepath.Join(dir, ispec.ImageIndexFile)
	if b, err := os.ReadFile(p); err == nil {
		if err := json.Unmarshal(b, &idx); err != nil {
			return fmt.Errorf("%w: existing %s: %v", ErrBadLayout, p, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read %s: %w", p, err)
	}
	idx.Manifests = slices.DeleteFunc(idx.Manifests, func(d ispec.Descriptor) bool {
		return d.Annotations[ispec.AnnotationRefName] == ref
	})
	idx.Manifests = append(idx.Manifests, manifest)
	b, err := json.Marshal(idx)
	if err != nil {
		return fmt.Errorf("encode index: %w", err)
	}
	return writeFileAtomic(p, b)
}

// writeFileAtomic replaces the file at p with b.
func writeFileAtomic(p string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-")
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	defer func() { _ = os.Remove(f.Name()) }()
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}
