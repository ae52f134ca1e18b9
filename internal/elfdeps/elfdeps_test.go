package elfdeps

import (
	"debug/elf"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// openDynamic opens a dynamically linked executable of the host, or skips.
func openDynamic(t *testing.T) *elf.File {
	t.Helper()
	for _, p := range []string{"/bin/sh", "/usr/bin/env", "/bin/ls"} {
		f, err := elf.Open(p)
		if err != nil {
			continue
		}
		if interp, err := Interpreter(f); err == nil && interp != "" {
			t.Cleanup(func() { f.Close() })
			return f
		}
		f.Close()
	}
	t.Skip("no dynamically linked executable on this host")
	return nil
}

func TestInterpreterAndLibraries(t *testing.T) {
	f := openDynamic(t)
	interp, err := Interpreter(f)
	if err != nil || !filepath.IsAbs(interp) || strings.ContainsRune(interp, 0) {
		t.Fatalf("Interpreter = %q, %v; want an absolute path without its NUL", interp, err)
	}
	libs, err := Libraries(f)
	if err != nil {
		t.Fatalf("Libraries: %v", err)
	}
	seen := map[string]bool{}
	libc := false
	for _, l := range libs {
		if seen[l.Name] {
			t.Errorf("library %s listed twice", l.Name)
		}
		seen[l.Name] = true
		st, err := os.Lstat(l.Host)
		if err != nil || !st.Mode().IsRegular() {
			t.Errorf("library %s: host %s is not a regular file (%v)", l.Name, l.Host, err)
		}
		libc = libc || strings.HasPrefix(l.Name, "libc.")
	}
	if !libc {
		t.Errorf("Libraries = %v, want the C library among them", libs)
	}
}

func TestFindLibraryMissing(t *testing.T) {
	_, err := findLibrary("libwavelink-does-not-exist.so.9")
	if err == nil || !strings.Contains(err.Error(), "libwavelink-does-not-exist.so.9 not found") {
		t.Fatalf("findLibrary = %v, want a not-found error naming the library", err)
	}
}
