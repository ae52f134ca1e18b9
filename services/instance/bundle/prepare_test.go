package bundle

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/wavelink/wavelink/services/registry"
)

func TestPrepare(t *testing.T) {
	base := t.TempDir()
	rootfs := filepath.Join(base, "rootfs")
	if err := os.Mkdir(rootfs, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(base, "file")
	write(t, file, "x")
	layout := filepath.Join(base, "layout")
	if err := BuildLayout(layout, "v1", map[string]FileSpec{"bin/fn": {Mode: 0o755, Data: []byte("fn")}}); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(base, "cache")
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	relRootfs, err := filepath.Rel(wd, rootfs)
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name   string
		pkg    registry.Package
		cache  string
		want   string // a path, or "" when checked by check
		check  func(t *testing.T, got string)
		target error
		parts  []string
	}{
		{name: "rootfs", pkg: registry.Package{RootFS: rootfs}, want: rootfs},
		{name: "relative rootfs", pkg: registry.Package{RootFS: relRootfs}, want: rootfs},
		{name: "rootfs missing", pkg: registry.Package{RootFS: filepath.Join(base, "nope")},
			target: ErrBadRootFS, parts: []string{filepath.Join(base, "nope"), "does not exist"}},
		{name: "rootfs is a file", pkg: registry.Package{RootFS: file},
			target: ErrBadRootFS, parts: []string{file, "not a directory"}},
		{name: "oci", pkg: registry.Package{OCI: layout, Ref: "v1"}, cache: cache, check: func(t *testing.T, got string) {
			if b, err := os.ReadFile(filepath.Join(got, "bin/fn")); err != nil || string(b) != "fn" {
				t.Errorf("bin/fn = %q, %v", b, err)
			}
			if filepath.Dir(filepath.Dir(got)) != cache {
				t.Errorf("%s is not in the cache %s", got, cache)
			}
		}},
		{name: "oci without ref", pkg: registry.Package{OCI: layout}, cache: cache, check: func(t *testing.T, got string) {
			if _, err := os.Stat(filepath.Join(got, "bin/fn")); err != nil {
				t.Error(err)
			}
		}},
		{name: "oci ref not found", pkg: registry.Package{OCI: layout, Ref: "v2"}, cache: cache,
			target: ErrRefNotFound, parts: []string{`"v2"`, `reference "v1"`}},
		{name: "oci without cache folder", pkg: registry.Package{OCI: layout}, target: ErrBadCacheDir},
		{name: "builtin", pkg: registry.Package{Builtin: "echo"}, target: ErrBuiltin, parts: []string{"builtin:echo"}},
		{name: "empty", pkg: registry.Package{}, target: ErrBadPackage},
		{name: "two kinds", pkg: registry.Package{RootFS: rootfs, OCI: layout}, target: ErrBadPackage, parts: []string{"more than one"}},
		{name: "ref without oci", pkg: registry.Package{RootFS: rootfs, Ref: "v1"}, target: ErrBadPackage, parts: []string{`"v1"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Prepare(context.Background(), c.pkg, c.cache)
			if c.target != nil {
				wantErr(t, err, c.target, c.parts...)
				if got != "" {
					t.Errorf("got path %q with the error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.want != "" && got != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
			if c.check != nil {
				c.check(t, got)
			}
		})
	}
	t.Run("missing rootfs wraps fs.ErrNotExist", func(t *testing.T) {
		_, err := Prepare(context.Background(), registry.Package{RootFS: filepath.Join(base, "nope")}, "")
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%v does not wrap fs.ErrNotExist", err)
		}
	})
}
