package bundle

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// BenchmarkPrepareOCI measures, on an image of about 4.6 MiB in one gzip
// layer: floor, reading the layer blob and its archive without writing
// anything; cold, a full unpack into an empty cache (digest checks, umoci's
// extraction, rename); warm, a call that finds the image in the cache.
// Compare cold with floor for the cost of writing the files and checking.
func BenchmarkPrepareOCI(b *testing.B) {
	layout := b.TempDir()
	bigImage(b, layout)
	dir, err := openLayout(layout)
	if err != nil {
		b.Fatal(err)
	}
	desc, err := resolve(dir, "v1")
	if err != nil {
		b.Fatal(err)
	}
	img, err := readImage(dir, desc)
	if err != nil {
		b.Fatal(err)
	}
	blob, err := blobPath(dir, img.manifest.Layers[0].Digest)
	if err != nil {
		b.Fatal(err)
	}
	var size int64
	b.Run("floor", func(b *testing.B) {
		for b.Loop() {
			size = readArchive(b, blob)
		}
		b.SetBytes(size)
	})
	b.Run("cold", func(b *testing.B) {
		base := b.TempDir()
		i := 0
		for b.Loop() {
			i++
			res, err := PrepareOCI(context.Background(), layout, "v1", filepath.Join(base, strconv.Itoa(i)))
			if err != nil || !res.Unpacked {
				b.Fatalf("%+v, %v", res, err)
			}
		}
		b.SetBytes(size)
		b.StopTimer()
		if err := removeAll(base); err != nil {
			b.Fatal(err)
		}
	})
	b.Run("warm", func(b *testing.B) {
		cache := b.TempDir()
		if _, err := PrepareOCI(context.Background(), layout, "v1", cache); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			res, err := PrepareOCI(context.Background(), layout, "v1", cache)
			if err != nil || res.Unpacked {
				b.Fatalf("%+v, %v", res, err)
			}
		}
	})
}

// readArchive decompresses a gzip layer and reads every entry, returning
// the archive's uncompressed size.
func readArchive(b *testing.B, p string) int64 {
	f, err := os.Open(p)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	zr, err := gzip.NewReader(f)
	if err != nil {
		b.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var n int64
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return n
		}
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, tr); err != nil {
			b.Fatal(err)
		}
		n += hdr.Size
	}
}
