package bundle

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/opencontainers/go-digest"
	ispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Docker media types that OCI image layouts written by common tools carry;
// they are read like their OCI counterparts.
const (
	mediaTypeDockerManifest     = "application/vnd.docker.distribution.manifest.v2+json"
	mediaTypeDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
	mediaTypeDockerConfig       = "application/vnd.docker.container.image.v1+json"
)

// maxIndexDepth bounds how many image indexes may nest below index.json.
const maxIndexDepth = 4

// image is a resolved manifest with its config.
type image struct {
	digest   digest.Digest
	manifest ispec.Manifest
	config   ispec.Image
}

// openLayout checks that dir is an OCI image layout (a folder with an
// oci-layout file of a known version) and returns its absolute path.
func openLayout(dir string) (string, error) {
	if dir == "" {
		return "", fmt.Errorf("%w: no layout folder given", ErrBadLayout)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %v", ErrBadLayout, dir, err)
	}
	st, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("%w: folder %s does not exist", ErrBadLayout, abs)
	case err != nil:
		return "", fmt.Errorf("%w: %s: %v", ErrBadLayout, abs, err)
	case !st.IsDir():
		return "", fmt.Errorf("%w: %s is not a folder", ErrBadLayout, abs)
	}
	p := filepath.Join(abs, ispec.ImageLayoutFile)
	b, err := readSmallFile(p)
	if err != nil {
		return "", err
	}
	var l ispec.ImageLayout
	if err := json.Unmarshal(b, &l); err != nil {
		return "", fmt.Errorf("%w: %s: %v", ErrBadLayout, p, err)
	}
	if l.Version != ispec.ImageLayoutVersion {
		return "", fmt.Errorf("%w: %s: imageLayoutVersion %q, want %q", ErrBadLayout, p, l.Version, ispec.ImageLayoutVersion)
	}
	return abs, nil
}

// readSmallFile reads a layout metadata file, refusing a missing file or
// one larger than maxJSONBlob.
func readSmallFile(p string) ([]byte, error) {
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s is missing", ErrBadLayout, p)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadLayout, err)
	}
	defer func() { _ = f.Close() }()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadLayout, err)
	}
	if !st.Mode().IsRegular() || st.Size() > maxJSONBlob {
		return nil, fmt.Errorf("%w: %s is not a regular file of at most %d bytes", ErrBadLayout, p, maxJSONBlob)
	}
	b := make([]byte, st.Size())
	if _, err := f.ReadAt(b, 0); err != nil && st.Size() > 0 {
		return nil, fmt.Errorf("%w: read %s: %v", ErrBadLayout, p, err)
	}
	return b, nil
}

// readIndex reads and checks index.json of the layout at dir.
func readIndex(dir string) (ispec.Index, error) {
	p := filepath.Join(dir, ispec.ImageIndexFile)
	b, err := readSmallFile(p)
	if err != nil {
		return ispec.Index{}, err
	}
	var idx ispec.Index
	if err := json.Unmarshal(b, &idx); err != nil {
		return ispec.Index{}, fmt.Errorf("%w: %s: %v", ErrBadLayout, p, err)
	}
	if idx.SchemaVersion != 2 {
		return ispec.Index{}, fmt.Errorf("%w: %s: schemaVersion %d, want 2", ErrBadLayout, p, idx.SchemaVersion)
	}
	return idx, nil
}

// resolve finds the image manifest named by ref in the layout at dir (an
// absolute path from openLayout). With ref empty, the layout must hold one
// image. Image indexes are followed down to the manifest for this machine's
// platform.
func resolve(dir, ref string) (ispec.Descriptor, error) {
	idx, err := readIndex(dir)
	if err != nil {
		return ispec.Descriptor{}, err
	}
	indexPath := filepath.Join(dir, ispec.ImageIndexFile)
	if len(idx.Manifests) == 0 {
		return ispec.Descriptor{}, fmt.Errorf("%w: %s lists no manifests", ErrBadLayout, indexPath)
	}
	cands := idx.Manifests
	if ref != "" {
		cands = slices.DeleteFunc(slices.Clone(cands), func(d ispec.Descriptor) bool {
			return d.Annotations[ispec.AnnotationRefName] != ref
		})
		if len(cands) == 0 {
			return ispec.Descriptor{}, fmt.Errorf("%w: %s has no image %q; it has %s", ErrRefNotFound, indexPath, ref, refList(idx.Manifests))
		}
	}
	d, err := pickOne(cands)
	if err != nil {
		if ref == "" {
			return ispec.Descriptor{}, fmt.Errorf("%w: %s has %s", ErrRefRequired, indexPath, refList(idx.Manifests))
		}
		return ispec.Descriptor{}, fmt.Errorf("%w: %s: reference %q names %d manifests, none of them alone for %s", ErrBadLayout, indexPath, ref, len(cands), platformString(hostPlatform()))
	}
	return followIndex(dir, d, indexPath, 0)
}

// pickOne returns the only candidate, or the only one for this machine's
// platform when the candidates share one reference and differ by platform.
func pickOne(cands []ispec.Descriptor) (ispec.Descriptor, error) {
	if len(cands) == 1 {
		return cands[0], nil
	}
	ref := cands[0].Annotations[ispec.AnnotationRefName]
	for _, d := range cands[1:] {
		if d.Annotations[ispec.AnnotationRefName] != ref {
			return ispec.Descriptor{}, errors.New("several references")
		}
	}
	var match []ispec.Descriptor
	for _, d := range cands {
		if d.Platform != nil && platformMatches(*d.Platform) {
			match = append(match, d)
		}
	}
	if len(match) != 1 {
		return ispec.Descriptor{}, errors.New("no single manifest for this platform")
	}
	return match[0], nil
}

// followIndex returns d if it is an image manifest, or the manifest for this
// machine's platform if it is an image index; where names the index that
// lists d, for messages.
func followIndex(dir string, d ispec.Descriptor, where string, depth int) (ispec.Descriptor, error) {
	if err := checkDigest(d.Digest); err != nil {
		return ispec.Descriptor{}, fmt.Errorf("%s: %w", where, err)
	}
	switch d.MediaType {
	case ispec.MediaTypeImageManifest, mediaTypeDockerManifest:
		return d, nil
	case ispec.MediaTypeImageIndex, mediaTypeDockerManifestList:
	default:
		return ispec.Descriptor{}, fmt.Errorf("%w: %s lists %s as %q, neither an image manifest nor an index", ErrUnsupportedMediaType, where, d.Digest, d.MediaType)
	}
	if depth >= maxIndexDepth {
		return ispec.Descriptor{}, fmt.Errorf("%w: image indexes nest deeper than %d at %s", ErrBadLayout, maxIndexDepth, d.Digest)
	}
	var idx ispec.Index
	if err := readJSONBlob(dir, d, "image index", &idx); err != nil {
		return ispec.Descriptor{}, err
	}
	var match []ispec.Descriptor
	for _, m := range idx.Manifests {
		if len(idx.Manifests) == 1 || (m.Platform != nil && platformMatches(*m.Platform)) {
			match = append(match, m)
		}
	}
	if len(match) == 0 {
		var have []string
		for _, m := range idx.Manifests {
			if m.Platform != nil {
				have = append(have, platformString(*m.Platform))
			}
		}
		return ispec.Descriptor{}, fmt.Errorf("%w: image index %s has no manifest for %s (it has %s)", ErrPlatformNotFound, d.Digest, platformString(hostPlatform()), listOrNone(have))
	}
	return followIndex(dir, match[0], "image index "+d.Digest.String(), depth+1)
}

// readImage reads and checks the manifest of desc and its config, and
// checks that every layer has a media type that can be unpacked.
func readImage(dir string, desc ispec.Descriptor) (image, error) {
	var m ispec.Manifest
	if err := readJSONBlob(dir, desc, "manifest", &m); err != nil {
		return image{}, err
	}
	if m.SchemaVersion != 2 {
		return image{}, fmt.Errorf("%w: manifest %s: schemaVersion %d, want 2", ErrBadLayout, desc.Digest, m.SchemaVersion)
	}
	if m.MediaType != "" && m.MediaType != desc.MediaType {
		return image{}, fmt.Errorf("%w: manifest %s: mediaType %q, its descriptor says %q", ErrBadLayout, desc.Digest, m.MediaType, desc.MediaType)
	}
	switch m.Config.MediaType {
	case ispec.MediaTypeImageConfig, mediaTypeDockerConfig:
	default:
		return image{}, fmt.Errorf("%w: manifest %s: config media type %q is not an image config", ErrUnsupportedMediaType, desc.Digest, m.Config.MediaType)
	}
	for _, l := range m.Layers {
		if _, err := layerCompression(l.MediaType); err != nil {
			return image{}, fmt.Errorf("manifest %s: layer %s: %w", desc.Digest, l.Digest, err)
		}
	}
	var c ispec.Image
	if err := readJSONBlob(dir, m.Config, "config", &c); err != nil {
		return image{}, err
	}
	if c.RootFS.Type != "layers" {
		return image{}, fmt.Errorf("%w: config %s: rootfs.type %q, want \"layers\"", ErrBadLayout, m.Config.Digest, c.RootFS.Type)
	}
	if len(c.RootFS.DiffIDs) != len(m.Layers) {
		return image{}, fmt.Errorf("%w: config %s lists %d diff_ids for %d layers of manifest %s", ErrBadLayout, m.Config.Digest, len(c.RootFS.DiffIDs), len(m.Layers), desc.Digest)
	}
	return image{digest: desc.Digest, manifest: m, config: c}, nil
}

// refList describes the references of descs for an error message.
func refList(descs []ispec.Descriptor) string {
	var refs []string
	untagged := 0
	for _, d := range descs {
		if r := d.Annotations[ispec.AnnotationRefName]; r != "" {
			refs = append(refs, fmt.Sprintf("%q", r))
		} else {
			untagged++
		}
	}
	slices.Sort(refs)
	refs = slices.Compact(refs)
	var parts []string
	switch len(refs) {
	case 0:
		parts = append(parts, "no references")
	case 1:
		parts = append(parts, "reference "+refs[0])
	default:
		parts = append(parts, "references "+strings.Join(refs, ", "))
	}
	if untagged > 0 {
		parts = append(parts, fmt.Sprintf("%d manifests without a reference", untagged))
	}
	return strings.Join(parts, " and ")
}

func listOrNone(items []string) string {
	if len(items) == 0 {
		return "none"
	}
	return strings.Join(items, ", ")
}

func hostPlatform() ispec.Platform {
	return ispec.Platform{OS: "linux", Architecture: runtime.GOARCH}
}

func platformMatches(p ispec.Platform) bool {
	h := hostPlatform()
	return p.OS == h.OS && p.Architecture == h.Architecture
}

func platformString(p ispec.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}
