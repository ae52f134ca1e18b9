package bundle

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// node is what a test expects at one path of an unpacked root filesystem.
type node struct {
	mode fs.FileMode // type and permission bits, with setuid/setgid/sticky
	data string      // regular file content
	link string      // symbolic link target
}

// readTree returns every path below root (slash-separated, relative) with
// its type, mode, content or link target.
func readTree(t *testing.T, root string) map[string]node {
	t.Helper()
	tree := map[string]node{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		n := node{mode: info.Mode() & (fs.ModeType | fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)}
		switch {
		case info.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			n.data = string(b)
		case info.Mode()&fs.ModeSymlink != 0:
			if n.link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		tree[filepath.ToSlash(rel)] = n
		return nil
	})
	if err != nil {
		t.Fatalf("read tree %s: %v", root, err)
	}
	return tree
}

// assertTree compares an unpacked tree with what is expected.
func assertTree(t *testing.T, root string, want map[string]node) {
	t.Helper()
	got := readTree(t, root)
	for p, w := range want {
		g, ok := got[p]
		if !ok {
			t.Errorf("%s: missing", p)
			continue
		}
		if g != w {
			t.Errorf("%s: got mode %v data %q link %q, want mode %v data %q link %q", p, g.mode, g.data, g.link, w.mode, w.data, w.link)
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("%s: present, not expected", p)
		}
	}
}

// entry helpers for hand-made layers.
func fileEntry(name string, mode int64, data string) tarEntry {
	return tarEntry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data))}, data: []byte(data)}
}

func dirEntry(name string, mode int64) tarEntry {
	return tarEntry{hdr: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: mode}}
}

func linkEntry(typ byte, name, target string) tarEntry {
	return tarEntry{hdr: tar.Header{Typeflag: typ, Name: name, Linkname: target, Mode: 0o777}}
}

// whiteout removes name from lower layers; opaque hides all a folder held.
func whiteout(dir, name string) tarEntry {
	return fileEntry(filepath.Join(dir, ".wh."+name), 0o600, "")
}

func opaque(dir string) tarEntry { return fileEntry(filepath.Join(dir, ".wh..wh..opq"), 0o600, "") }

// layerSpec is one hand-made layer: its media type and entries.
type layerSpec struct {
	mediaType string
	entries   []tarEntry
}

// writeLayers writes an image of the given layers into the layout at dir
// under ref and returns its manifest descriptor.
func writeLayers(t *testing.T, dir, ref string, layers ...layerSpec) ispec.Descriptor {
	t.Helper()
	if err := initLayout(dir); err != nil {
		t.Fatal(err)
	}
	var descs []ispec.Descriptor
	var diffIDs []digest.Digest
	for _, l := range layers {
		mt := l.mediaType
		if mt == "" {
			mt = ispec.MediaTypeImageLayerGzip
		}
		d, id, err := writeTarLayer(dir, mt, l.entries)
		if err != nil {
			t.Fatal(err)
		}
		descs = append(descs, d)
		diffIDs = append(diffIDs, id)
	}
	if err := writeImage(dir, ref, descs, diffIDs); err != nil {
		t.Fatal(err)
	}
	return manifestFor(t, dir, ref)
}

// manifestFor returns the index.json descriptor listed under ref.
func manifestFor(t *testing.T, dir, ref string) ispec.Descriptor {
	t.Helper()
	idx, err := readIndex(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range idx.Manifests {
		if d.Annotations[ispec.AnnotationRefName] == ref {
			return d
		}
	}
	t.Fatalf("no manifest for %q in %s", ref, dir)
	return ispec.Descriptor{}
}

// readManifest returns the manifest of desc in the layout at dir.
func readManifest(t *testing.T, dir string, desc ispec.Descriptor) ispec.Manifest {
	t.Helper()
	var m ispec.Manifest
	if err := readJSONBlob(dir, desc, "manifest", &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// blobFile returns the file of a blob in the layout at dir.
func blobFile(t *testing.T, dir string, d digest.Digest) string {
	t.Helper()
	p, err := blobPath(dir, d)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// flipByte changes the byte at offset off of the file at p.
func flipByte(t *testing.T, p string, off int64) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if off < 0 {
		off += int64(len(b))
	}
	b[off] ^= 0xff
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// wantErr checks that err wraps target and that its message holds every
// part.
func wantErr(t *testing.T, err, target error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v", target)
	}
	t.Logf("error: %v", err)
	if !errors.Is(err, target) {
		t.Fatalf("error %q does not wrap %q", err, target)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not mention %q", err, p)
		}
	}
}

// cacheEntries lists the names in a cache folder.
func cacheEntries(t *testing.T, cache string) []string {
	t.Helper()
	des, err := os.ReadDir(cache)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range des {
		names = append(names, d.Name())
	}
	return names
}

// writeIndex replaces index.json of the layout at dir with one listing descs.
func writeIndex(t *testing.T, dir string, descs ...ispec.Descriptor) {
	t.Helper()
	b, err := json.Marshal(ispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ispec.MediaTypeImageIndex, Manifests: descs})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ispec.ImageIndexFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// cacheDir returns a new cache folder that is removed after the test even
// when, without root, an image left folders in it that only an unpacker's
// removal can clear.
func cacheDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Cleanup(func() {
		if err := removeAll(dir); err != nil {
			t.Errorf("remove cache %s: %v", dir, err)
		}
	})
	return dir
}
