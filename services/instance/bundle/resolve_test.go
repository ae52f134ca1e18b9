package bundle

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// otherArch is an architecture that is not this machine's.
func otherArch() string {
	if runtime.GOARCH == "s390x" {
		return "riscv64"
	}
	return "s390x"
}

// twoImages writes a layout with images "one" and "two", each holding a
// file named after itself, and returns their index descriptors.
func twoImages(t *testing.T) (string, ispec.Descriptor, ispec.Descriptor) {
	t.Helper()
	dir := t.TempDir()
	one := writeLayers(t, dir, "one", layerSpec{entries: []tarEntry{fileEntry("one", 0o644, "1")}})
	two := writeLayers(t, dir, "two", layerSpec{entries: []tarEntry{fileEntry("two", 0o644, "2")}})
	return dir, one, two
}

func withRef(d ispec.Descriptor, ref string, p *ispec.Platform) ispec.Descriptor {
	d.Annotations = nil
	if ref != "" {
		d.Annotations = map[string]string{ispec.AnnotationRefName: ref}
	}
	d.Platform = p
	return d
}

func TestResolveSelectsByRef(t *testing.T) {
	host := hostPlatform()
	other := ispec.Platform{OS: "linux", Architecture: otherArch()}
	cases := []struct {
		name  string
		ref   string
		index func(t *testing.T, dir string, one, two ispec.Descriptor)
		want  string // the file the chosen image holds
	}{
		{"by ref", "two", func(t *testing.T, dir string, one, two ispec.Descriptor) {}, "two"},
		{"only image, no ref", "", func(t *testing.T, dir string, one, two ispec.Descriptor) {
			writeIndex(t, dir, withRef(one, "one", nil))
		}, "one"},
		{"only image, untagged", "", func(t *testing.T, dir string, one, two ispec.Descriptor) {
			writeIndex(t, dir, withRef(two, "", nil))
		}, "two"},
		{"one ref, two platforms", "multi", func(t *testing.T, dir string, one, two ispec.Descriptor) {
			writeIndex(t, dir, withRef(one, "multi", &other), withRef(two, "multi", &host))
		}, "two"},
		{"no ref, two platforms of one image", "", func(t *testing.T, dir string, one, two ispec.Descriptor) {
			writeIndex(t, dir, withRef(one, "", &host), withRef(two, "", &other))
		}, "one"},
		{"nested index", "multi", func(t *testing.T, dir string, one, two ispec.Descriptor) {
			nested, err := writeJSONBlob(dir, ispec.MediaTypeImageIndex, ispec.Index{
				Versioned: specs.Versioned{SchemaVersion: 2},
				MediaType: ispec.MediaTypeImageIndex,
				Manifests: []ispec.Descriptor{withRef(one, "", &other), withRef(two, "", &host)},
			})
			if err != nil {
				t.Fatal(err)
			}
			writeIndex(t, dir, withRef(nested, "multi", nil), withRef(one, "one", nil))
		}, "two"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir, one, two := twoImages(t)
			c.index(t, dir, one, two)
			res, err := PrepareOCI(context.Background(), dir, c.ref, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			assertTree(t, res.RootFS, map[string]node{c.want: {mode: 0o644, data: map[string]string{"one": "1", "two": "2"}[c.want]}})
		})
	}
}

func TestResolveErrors(t *testing.T) {
	other := ispec.Platform{OS: "linux", Architecture: otherArch()}
	cases := []struct {
		name   string
		ref    string
		edit   func(t *testing.T, dir string, one, two ispec.Descriptor)
		target error
		parts  []string
	}{
		{"ref not found lists refs", "three", func(*testing.T, string, ispec.Descriptor, ispec.Descriptor) {},
			ErrRefNotFound, []string{`"three"`, `references "one", "two"`, "index.json"}},
		{"ref not found, untagged", "three", func(t *testing.T, dir string, one, two ispec.Descriptor) {
			writeIndex(t, dir, withRef(one, "", nil))
		}, ErrRefNotFound, []string{"no references and 1 manifests without a reference"}},
		{"no ref, several images", "", func(*testing.T, string, ispec.Descriptor, ispec.Descriptor) {},
			ErrRefRequired, []string{`references "one", "two"`, "index.json"}},
		{"no ref, several platforms of different refs", "", func(t *testing.T, dir string, one, two ispec.Descriptor) {
			host := hostPlatform()
			writeIndex(t, dir, withRef(one, "one", &host), withRef(two, "two", &other))
		}, ErrRefRequired, []string{`"one", "two"`}},
		{"ref on two manifests of this platform", "dup", func(t *testing.T, dir string, one, two ispec.Descriptor) {
			writeIndex(t, dir, withRef(one, "dup", nil), withRef(two, "dup", nil))
		}, ErrBadLayout, []string{`"dup"`, "2 manifests"}},
		{"nested index without this platform", "multi", func(t *testing.T, dir string, one, two ispec.Descriptor) {
			nested, err := writeJSONBlob(dir, ispec.MediaTypeImageIndex, ispec.Index{
				Versioned: specs.Versioned{SchemaVersion: 2},
				Manifests: []ispec.Descriptor{withRef(one, "", &other), withRef(two, "", &ispec.Platform{OS: "windows", Architecture: runtime.GOARCH})},
			})
			if err != nil {
				t.Fatal(err)
			}
			writeIndex(t, dir, withRef(nested, "multi", nil))
		}, ErrPlatformNotFound, []string{"linux/" + runtime.GOARCH, "linux/" + otherArch(), "windows/" + runtime.GOARCH}},
		{"empty index", "", func(t *testing.T, dir string, one, two ispec.Descriptor) { writeIndex(t, dir) },
			ErrBadLayout, []string{"index.json lists no manifests"}},
		{"missing index.json", "one", func(t *testing.T, dir string, one, two ispec.Descriptor) {
			rm(t, filepath.Join(dir, "index.json"))
		}, ErrBadLayout, []string{"index.json is missing"}},
		{"malformed index.json", "one", func(t *testing.T, dir string, one, two ispec.Descriptor) {
			write(t, filepath.Join(dir, "index.json"), `{"schemaVersion": 2, "manifests": [`)
		}, ErrBadLayout, []string{"index.json"}},
		{"index.json schema version", "one", func(t *testing.T, dir string, one, two ispec.Descriptor) {
			write(t, filepath.Join(dir, "index.json"), `{"schemaVersion": 1}`)
		}, ErrBadLayout, []string{"schemaVersion 1"}},
		{"missing oci-layout", "one", func(t *testing.T, dir string, one, two ispec.Descriptor) {
			rm(t, filepath.Join(dir, "oci-layout"))
		}, ErrBadLayout, []string{"oci-layout is missing"}},
		{"unknown layout version", "one", func(t *testing.T, dir string, one, two ispec.Descriptor) {
			write(t, filepath.Join(dir, "oci-layout"), `{"imageLayoutVersion": "9.9.9"}`)
		}, ErrBadLayout, []string{"oci-layout", "9.9.9"}},
		{"missing manifest blob", "one", func(t *testing.T, dir string, one, two ispec.Descriptor) {
			rm(t, blobFile(t, dir, one.Digest))
		}, ErrBadLayout, []string{"is missing", "blobs/sha256/"}},
		{"missing layer blob", "one", func(t *testing.T, dir string, one, two ispec.Descriptor) {
			rm(t, blobFile(t, dir, readManifest(t, dir, one).Layers[0].Digest))
		}, ErrBadLayout, []string{"is missing"}},
		{"digest of another algorithm", "one", func(t *testing.T, dir string, one, two ispec.Descriptor) {
			d := withRef(one, "one", nil)
			d.Digest = digest.Digest("sha512:" + d.Digest.Encoded() + d.Digest.Encoded())
			writeIndex(t, dir, d)
		}, ErrBadLayout, []string{"only sha256"}},
		{"malformed digest", "one", func(t *testing.T, dir string, one, two ispec.Descriptor) {
			d := withRef(one, "one", nil)
			d.Digest = "sha256:../../etc/passwd"
			writeIndex(t, dir, d)
		}, ErrBadLayout, []string{"sha256:../../etc/passwd"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir, one, two := twoImages(t)
			c.edit(t, dir, one, two)
			cache := filepath.Join(t.TempDir(), "cache")
			_, err := PrepareOCI(context.Background(), dir, c.ref, cache)
			wantErr(t, err, c.target, c.parts...)
			assertCacheEmpty(t, cache)
		})
	}
	t.Run("layout folder missing", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "nope")
		_, err := PrepareOCI(context.Background(), missing, "", t.TempDir())
		wantErr(t, err, ErrBadLayout, missing, "does not exist")
	})
	t.Run("layout is a file", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "file")
		write(t, f, "x")
		_, err := PrepareOCI(context.Background(), f, "", t.TempDir())
		wantErr(t, err, ErrBadLayout, f, "not a folder")
	})
}

func TestDigestMismatchDetected(t *testing.T) {
	cases := []struct {
		name string
		blob func(m ispec.Manifest, desc ispec.Descriptor) ispec.Descriptor
		off  int64
	}{
		{"layer", func(m ispec.Manifest, _ ispec.Descriptor) ispec.Descriptor { return m.Layers[0] }, 20},
		{"layer's last byte", func(m ispec.Manifest, _ ispec.Descriptor) ispec.Descriptor { return m.Layers[0] }, -1},
		{"config", func(m ispec.Manifest, _ ispec.Descriptor) ispec.Descriptor { return m.Config }, 2},
		{"manifest", func(_ ispec.Manifest, d ispec.Descriptor) ispec.Descriptor { return d }, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			desc := writeLayers(t, dir, "app", layerSpec{entries: []tarEntry{fileEntry("f", 0o644, "content")}})
			p := blobFile(t, dir, c.blob(readManifest(t, dir, desc), desc).Digest)
			flipByte(t, p, c.off)
			cache := t.TempDir()
			_, err := PrepareOCI(context.Background(), dir, "app", cache)
			wantErr(t, err, ErrDigestMismatch, p)
			assertCacheEmpty(t, cache)
		})
	}
	t.Run("blob longer than its descriptor", func(t *testing.T) {
		dir := t.TempDir()
		m := readManifest(t, dir, writeLayers(t, dir, "app", layerSpec{entries: []tarEntry{fileEntry("f", 0o644, "content")}}))
		p := blobFile(t, dir, m.Layers[0].Digest)
		f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString("junk"); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		_, err = PrepareOCI(context.Background(), dir, "app", t.TempDir())
		wantErr(t, err, ErrDigestMismatch, p, "descriptor says")
	})
	t.Run("diff_id", func(t *testing.T) {
		dir := t.TempDir()
		m := readManifest(t, dir, writeLayers(t, dir, "app", layerSpec{entries: []tarEntry{fileEntry("f", 0o644, "content")}}))
		// Rewrite the image with the layer listed under a wrong diff_id.
		wrong := m.Config.Digest
		if err := writeImage(dir, "app", m.Layers, []digest.Digest{wrong}); err != nil {
			t.Fatal(err)
		}
		_, err := PrepareOCI(context.Background(), dir, "app", t.TempDir())
		wantErr(t, err, ErrDigestMismatch, "diff_id", wrong.String())
	})
}

func rm(t *testing.T, p string) {
	t.Helper()
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
