package bundle

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"
	ispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// maxJSONBlob bounds the size of an index, manifest or config read into
// memory.
const maxJSONBlob = 4 << 20

// blobPath returns the file holding the blob with digest d in the layout at
// dir. Only sha256 digests are accepted.
func blobPath(dir string, d digest.Digest) (string, error) {
	if err := checkDigest(d); err != nil {
		return "", err
	}
	return filepath.Join(dir, ispec.ImageBlobsDir, d.Algorithm().String(), d.Encoded()), nil
}

// checkDigest refuses a digest that is malformed or not sha256; a checked
// digest's hex part is safe to use as a file name.
func checkDigest(d digest.Digest) error {
	if err := d.Validate(); err != nil {
		return fmt.Errorf("%w: digest %q: %v", ErrBadLayout, d, err)
	}
	if d.Algorithm() != digest.SHA256 {
		return fmt.Errorf("%w: digest %s: only sha256 is supported", ErrBadLayout, d)
	}
	return nil
}

// openBlob opens the blob of desc and checks its file size against the
// descriptor: a shorter file wraps short (a sentinel for the caller's kind of
// blob), a longer one ErrDigestMismatch.
func openBlob(dir string, desc ispec.Descriptor, short error) (*os.File, string, error) {
	p, err := blobPath(dir, desc.Digest)
	if err != nil {
		return nil, "", err
	}
	if desc.Size < 0 {
		return nil, p, fmt.Errorf("%w: %s: descriptor size %d is negative", ErrBadLayout, p, desc.Size)
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, p, fmt.Errorf("%w: blob %s is missing (%s)", ErrBadLayout, desc.Digest, p)
	}
	if err != nil {
		return nil, p, fmt.Errorf("open blob: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, p, fmt.Errorf("stat blob: %w", err)
	}
	switch {
	case !st.Mode().IsRegular():
		_ = f.Close()
		return nil, p, fmt.Errorf("%w: blob %s is not a regular file", ErrBadLayout, p)
	case st.Size() < desc.Size:
		_ = f.Close()
		return nil, p, fmt.Errorf("%w: %s: %d bytes, descriptor says %d", short, p, st.Size(), desc.Size)
	case st.Size() > desc.Size:
		_ = f.Close()
		return nil, p, fmt.Errorf("%w: %s: %d bytes, descriptor says %d", ErrDigestMismatch, p, st.Size(), desc.Size)
	}
	return f, p, nil
}

// verifyFile hashes f from its start and compares the sum with want; it
// leaves f positioned at its start.
func verifyFile(f *os.File, p string, want digest.Digest) error {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("seek %s: %w", p, err)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("read %s: %w", p, err)
	}
	if got := digest.NewDigest(digest.SHA256, h); got != want {
		return fmt.Errorf("%w: %s: content has %s", ErrDigestMismatch, p, got)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("seek %s: %w", p, err)
	}
	return nil
}

// readJSONBlob reads the blob of desc, checks its size and sha256, and
// decodes it into v. what names the blob's role in messages.
func readJSONBlob(dir string, desc ispec.Descriptor, what string, v any) error {
	if desc.Size > maxJSONBlob {
		return fmt.Errorf("%w: %s %s is %d bytes, more than the %d allowed", ErrBadLayout, what, desc.Digest, desc.Size, maxJSONBlob)
	}
	f, p, err := openBlob(dir, desc, ErrDigestMismatch)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	b, err := io.ReadAll(io.LimitReader(f, desc.Size))
	if err != nil {
		return fmt.Errorf("read %s: %w", p, err)
	}
	if got := digest.FromBytes(b); got != desc.Digest {
		return fmt.Errorf("%w: %s %s: content has %s", ErrDigestMismatch, what, p, got)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%w: %s %s: %v", ErrBadLayout, what, p, err)
	}
	return nil
}
