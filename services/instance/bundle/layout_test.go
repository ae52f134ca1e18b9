package bundle

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	ispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestBuildLayoutUnpacksToFilesAndModes(t *testing.T) {
	src := filepath.Join(t.TempDir(), "server")
	if err := os.WriteFile(src, []byte("#!/bin/sh\necho hi\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	files := map[string]FileSpec{
		"/bin/server":      {Mode: 0o755, Source: src},
		"etc/config.json":  {Data: []byte(`{"a":1}`)},
		"etc/secret":       {Mode: 0o600, Data: []byte("s3cret")},
		"bin/su":           {Mode: 0o755 | fs.ModeSetuid, Data: []byte("x")},
		"tmp":              {Mode: fs.ModeDir | fs.ModeSticky | 0o777},
		"var/lib/app":      {Mode: fs.ModeDir | 0o750},
		"usr/bin/server":   {Mode: fs.ModeSymlink, Link: "/bin/server"},
		"srv/empty":        {Mode: 0o640, Data: []byte{}},
		"srv/deep/a/b/c.d": {Mode: 0o444, Data: []byte("deep")},
		"ro":               {Mode: fs.ModeDir | 0o555},
		"ro/file":          {Mode: 0o400, Data: []byte("read only")},
	}
	layout := filepath.Join(t.TempDir(), "image")
	if err := BuildLayout(layout, "v1", files); err != nil {
		t.Fatal(err)
	}
	res, err := PrepareOCI(context.Background(), layout, "v1", cacheDir(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := fs.ModeDir | 0o755
	assertTree(t, res.RootFS, map[string]node{
		"bin":              {mode: dir},
		"bin/server":       {mode: 0o755, data: "#!/bin/sh\necho hi\n"},
		"bin/su":           {mode: 0o755 | fs.ModeSetuid, data: "x"},
		"etc":              {mode: dir},
		"etc/config.json":  {mode: 0o644, data: `{"a":1}`},
		"etc/secret":       {mode: 0o600, data: "s3cret"},
		"srv":              {mode: dir},
		"srv/empty":        {mode: 0o640},
		"srv/deep":         {mode: dir},
		"srv/deep/a":       {mode: dir},
		"srv/deep/a/b":     {mode: dir},
		"srv/deep/a/b/c.d": {mode: 0o444, data: "deep"},
		"tmp":              {mode: fs.ModeDir | fs.ModeSticky | 0o777},
		"usr":              {mode: dir},
		"usr/bin":          {mode: dir},
		"usr/bin/server":   {mode: fs.ModeSymlink | 0o777, link: "/bin/server"},
		"var":              {mode: dir},
		"var/lib":          {mode: dir},
		"var/lib/app":      {mode: fs.ModeDir | 0o750},
		"ro":               {mode: fs.ModeDir | 0o555},
		"ro/file":          {mode: 0o400, data: "read only"},
	})
	if st, err := os.Stat(res.RootFS); err != nil || st.Mode().Perm() != 0o755 {
		t.Errorf("root folder: %v, mode %v; want 0755", err, st.Mode())
	}
	if !res.Unpacked || res.RootFS != filepath.Join(filepath.Dir(res.RootFS), "rootfs") {
		t.Errorf("result %+v: want a fresh unpack into .../rootfs", res)
	}
}

func TestBuildLayoutIsValidAndDeterministic(t *testing.T) {
	files := map[string]FileSpec{"app": {Mode: 0o755, Data: []byte("binary")}}
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	for _, dir := range []string{a, b} {
		if err := BuildLayout(dir, "latest", files); err != nil {
			t.Fatal(err)
		}
	}
	da, db := manifestFor(t, a, "latest"), manifestFor(t, b, "latest")
	if da.Digest != db.Digest {
		t.Errorf("same files gave manifests %s and %s", da.Digest, db.Digest)
	}
	if da.MediaType != ispec.MediaTypeImageManifest || da.Platform == nil || da.Platform.OS != "linux" {
		t.Errorf("index descriptor %+v: want an OCI manifest for linux", da)
	}
	img, err := readImage(a, da)
	if err != nil {
		t.Fatal(err)
	}
	if len(img.manifest.Layers) != 1 || img.manifest.Layers[0].MediaType != ispec.MediaTypeImageLayerGzip {
		t.Errorf("layers %+v: want one gzip layer", img.manifest.Layers)
	}
	if img.config.OS != "linux" || img.config.Architecture == "" || img.config.RootFS.Type != "layers" {
		t.Errorf("config %+v: want linux, an architecture and layers", img.config)
	}
	b2, err := os.ReadFile(filepath.Join(a, ispec.ImageLayoutFile))
	if err != nil || string(b2) != `{"imageLayoutVersion":"1.0.0"}` {
		t.Errorf("oci-layout %q, %v", b2, err)
	}
}

func TestBuildLayoutKeepsOtherRefsAndReplacesSameRef(t *testing.T) {
	dir := t.TempDir()
	steps := []struct {
		ref  string
		data string
	}{{"v1", "one"}, {"v2", "two"}, {"v1", "one again"}}
	for _, s := range steps {
		if err := BuildLayout(dir, s.ref, map[string]FileSpec{"f": {Data: []byte(s.data)}}); err != nil {
			t.Fatal(err)
		}
	}
	idx, err := readIndex(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(idx.Manifests) != 2 {
		t.Fatalf("index lists %d manifests, want 2 (v1 replaced, v2 kept)", len(idx.Manifests))
	}
	cache := t.TempDir()
	for ref, want := range map[string]string{"v1": "one again", "v2": "two"} {
		t.Run(ref, func(t *testing.T) {
			res, err := PrepareOCI(context.Background(), dir, ref, cache)
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(res.RootFS, "f"))
			if err != nil || string(b) != want {
				t.Errorf("f = %q, %v; want %q", b, err, want)
			}
		})
	}
}

func TestBuildLayoutRejectsBadInput(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	cases := []struct {
		name  string
		ref   string
		files map[string]FileSpec
		want  string
	}{
		{"parent escape", "v1", map[string]FileSpec{"../x": {}}, `"../x"`},
		{"inner escape", "v1", map[string]FileSpec{"a/../../x": {}}, `"a/../../x"`},
		{"root", "v1", map[string]FileSpec{"/": {}}, `"/"`},
		{"empty name", "v1", map[string]FileSpec{"": {}}, `""`},
		{"duplicate after cleaning", "v1", map[string]FileSpec{"a": {}, "/a": {}}, `"a"`},
		{"file as parent", "v1", map[string]FileSpec{"a": {}, "a/b": {}}, `"a/b"`},
		{"data and source", "v1", map[string]FileSpec{"a": {Data: []byte("x"), Source: "/etc/hostname"}}, "not both"},
		{"missing source", "v1", map[string]FileSpec{"a": {Source: missing}}, missing},
		{"folder source", "v1", map[string]FileSpec{"a": {Source: t.TempDir()}}, "not a regular file"},
		{"symlink without target", "v1", map[string]FileSpec{"a": {Mode: fs.ModeSymlink}}, "Link target"},
		{"folder with data", "v1", map[string]FileSpec{"a": {Mode: fs.ModeDir, Data: []byte("x")}}, "folder"},
		{"device", "v1", map[string]FileSpec{"a": {Mode: fs.ModeDevice | 0o600}}, "only regular files"},
		{"bad ref", "no spaces", map[string]FileSpec{"a": {}}, `"no spaces"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "layout")
			wantErr(t, BuildLayout(dir, c.ref, c.files), ErrBadFileSpec, c.want)
			if _, err := os.Stat(filepath.Join(dir, ispec.ImageIndexFile)); err == nil {
				t.Errorf("index.json written for bad input")
			}
		})
	}
}
