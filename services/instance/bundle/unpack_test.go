package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/opencontainers/go-digest"
	ispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestUnpackWhiteoutAndOpaqueAcrossLayers(t *testing.T) {
	layout := t.TempDir()
	writeLayers(t, layout, "app",
		layerSpec{entries: []tarEntry{
			dirEntry("etc/", 0o755),
			fileEntry("etc/a", 0o644, "a"),
			fileEntry("etc/b", 0o644, "b"),
			dirEntry("data/", 0o755),
			fileEntry("data/x", 0o644, "x"),
			dirEntry("data/sub/", 0o700),
			fileEntry("data/sub/y", 0o644, "y"),
			dirEntry("gone/", 0o755),
			fileEntry("gone/z", 0o644, "z"),
		}},
		layerSpec{mediaType: ispec.MediaTypeImageLayer, entries: []tarEntry{
			whiteout("etc", "a"),
			whiteout("", "gone"),
			opaque("data"),
			fileEntry("data/new", 0o600, "new"),
			fileEntry("etc/b", 0o640, "b2"),
		}},
	)
	res, err := PrepareOCI(context.Background(), layout, "app", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dir := fs.ModeDir | 0o755
	assertTree(t, res.RootFS, map[string]node{
		"etc":      {mode: dir},
		"etc/b":    {mode: 0o640, data: "b2"},
		"data":     {mode: dir},
		"data/new": {mode: 0o600, data: "new"},
	})
}

func TestUnpackLinks(t *testing.T) {
	layout := t.TempDir()
	writeLayers(t, layout, "app", layerSpec{mediaType: ispec.MediaTypeImageLayerZstd, entries: []tarEntry{
		{hdr: tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "pax_global_header", PAXRecords: map[string]string{"comment": "git archive"}}},
		dirEntry("bin/", 0o755),
		fileEntry("bin/tool", 0o755, "tool"),
		linkEntry(tar.TypeLink, "bin/alias", "bin/tool"),
		linkEntry(tar.TypeLink, "bin/rooted", "/bin/tool"),
		// A symbolic link that points out of the root is kept as written,
		// and entries written through it land inside the root.
		linkEntry(tar.TypeSymlink, "escape", "../../.."),
		fileEntry("escape/outside", 0o644, "contained"),
	}})
	cache := t.TempDir()
	res, err := PrepareOCI(context.Background(), layout, "app", cache)
	if err != nil {
		t.Fatal(err)
	}
	tool, err := os.Stat(filepath.Join(res.RootFS, "bin/tool"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"bin/alias", "bin/rooted"} {
		st, err := os.Stat(filepath.Join(res.RootFS, name))
		if err != nil || !os.SameFile(tool, st) {
			t.Errorf("%s: %v; want a hard link to bin/tool", name, err)
		}
	}
	if target, err := os.Readlink(filepath.Join(res.RootFS, "escape")); err != nil || target != "../../.." {
		t.Errorf("escape -> %q, %v", target, err)
	}
	if b, err := os.ReadFile(filepath.Join(res.RootFS, "outside")); err != nil || string(b) != "contained" {
		t.Errorf("outside = %q, %v; want the entry written through the link inside the root", b, err)
	}
	for _, p := range []string{filepath.Join(cache, "outside"), filepath.Join(filepath.Dir(cache), "outside")} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s was written outside the root", p)
		}
	}
}

func TestUnpackRefusesPathTraversal(t *testing.T) {
	cases := []struct {
		name    string
		entries []tarEntry
		want    string
	}{
		{"parent", []tarEntry{fileEntry("../evil", 0o644, "x")}, `"../evil"`},
		{"inner", []tarEntry{dirEntry("a/", 0o755), fileEntry("a/../../evil", 0o644, "x")}, `"a/../../evil"`},
		{"absolute", []tarEntry{fileEntry("/../evil", 0o644, "x")}, `"/../evil"`},
		{"whiteout", []tarEntry{whiteout("..", "evil")}, `"../.wh.evil"`},
		{"hard link target", []tarEntry{linkEntry(tar.TypeLink, "passwd", "../../etc/passwd")}, `"../../etc/passwd"`},
		{"after a read-only folder", []tarEntry{
			dirEntry("ro/", 0o755), fileEntry("ro/f", 0o400, "f"), dirEntry("ro/", 0o500), fileEntry("../evil", 0o644, "x"),
		}, `"../evil"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			layout := t.TempDir()
			writeLayers(t, layout, "app", layerSpec{entries: c.entries})
			base := t.TempDir()
			cache := filepath.Join(base, "cache")
			_, err := PrepareOCI(context.Background(), layout, "app", cache)
			wantErr(t, err, ErrPathTraversal, c.want, "blobs/sha256/")
			if _, err := os.Lstat(filepath.Join(base, "evil")); err == nil {
				t.Error("the entry was written outside the root")
			}
			assertCacheEmpty(t, cache)
		})
	}
}

func TestUnpackDetectsTruncatedLayer(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	big := bytes.Repeat([]byte("0123456789"), 1000)
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "big", Mode: 0o644, Size: int64(len(big))}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(big); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	full := buf.Bytes()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(full); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		mediaType string
		blob      []byte
		diffID    []byte
	}{
		{"tar cut in a file", ispec.MediaTypeImageLayer, full[:4000], full},
		{"tar cut in a header", ispec.MediaTypeImageLayer, full[:100], full},
		{"gzip cut", ispec.MediaTypeImageLayerGzip, gz.Bytes()[:gz.Len()/2], full},
		{"gzip empty", ispec.MediaTypeImageLayerGzip, nil, full},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			layout := t.TempDir()
			if err := initLayout(layout); err != nil {
				t.Fatal(err)
			}
			// The blob's digest matches its (cut) content: the tool that
			// wrote it cut the archive.
			desc, err := writeBlob(layout, c.mediaType, func(w io.Writer) error {
				_, err := w.Write(c.blob)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(c.diffID)
			if err := writeImage(layout, "app", []ispec.Descriptor{desc}, []digest.Digest{digest.NewDigestFromBytes(digest.SHA256, sum[:])}); err != nil {
				t.Fatal(err)
			}
			cache := t.TempDir()
			_, err = PrepareOCI(context.Background(), layout, "app", cache)
			wantErr(t, err, ErrTruncatedLayer, desc.Digest.Encoded())
			assertCacheEmpty(t, cache)
		})
	}
	t.Run("blob file shorter than its descriptor", func(t *testing.T) {
		layout := t.TempDir()
		m := readManifest(t, layout, writeLayers(t, layout, "app", layerSpec{entries: []tarEntry{fileEntry("big", 0o644, string(big))}}))
		p := blobFile(t, layout, m.Layers[0].Digest)
		if err := os.Truncate(p, m.Layers[0].Size-10); err != nil {
			t.Fatal(err)
		}
		_, err := PrepareOCI(context.Background(), layout, "app", t.TempDir())
		wantErr(t, err, ErrTruncatedLayer, p)
	})
}

func TestUnpackRefusesUnsupportedMediaTypes(t *testing.T) {
	cases := []struct {
		name string
		edit func(m *ispec.Manifest)
		want string
	}{
		{"layer", func(m *ispec.Manifest) { m.Layers[0].MediaType = "application/vnd.oci.image.layer.v1.tar+bzip2" }, "tar+bzip2"},
		{"config", func(m *ispec.Manifest) { m.Config.MediaType = "application/vnd.cncf.helm.config.v1+json" }, "helm.config"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			layout := t.TempDir()
			m := readManifest(t, layout, writeLayers(t, layout, "orig", layerSpec{entries: []tarEntry{fileEntry("f", 0o644, "f")}}))
			c.edit(&m)
			desc, err := writeJSONBlob(layout, ispec.MediaTypeImageManifest, m)
			if err != nil {
				t.Fatal(err)
			}
			desc.Annotations = map[string]string{ispec.AnnotationRefName: "app"}
			writeIndex(t, layout, desc)
			_, err = PrepareOCI(context.Background(), layout, "app", t.TempDir())
			wantErr(t, err, ErrUnsupportedMediaType, c.want, desc.Digest.String())
		})
	}
	t.Run("index entry", func(t *testing.T) {
		layout := t.TempDir()
		desc := writeLayers(t, layout, "app", layerSpec{entries: []tarEntry{fileEntry("f", 0o644, "f")}})
		desc.MediaType = "application/vnd.oci.artifact.manifest.v1+json"
		writeIndex(t, layout, desc)
		_, err := PrepareOCI(context.Background(), layout, "app", t.TempDir())
		wantErr(t, err, ErrUnsupportedMediaType, "artifact.manifest")
	})
}

// assertCacheEmpty checks that a failed Prepare left nothing in the cache
// but lock files.
func assertCacheEmpty(t *testing.T, cache string) {
	t.Helper()
	for _, name := range cacheEntries(t, cache) {
		if filepath.Ext(name) != lockSuffix {
			t.Errorf("cache holds %s after a failed unpack", name)
		}
	}
}
