package bundle

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// bigImage writes a layout whose image holds a few MiB, so that an unpack
// takes long enough for concurrent callers to meet.
func bigImage(t testing.TB, dir string) {
	t.Helper()
	data := bytes.Repeat([]byte("wavelink bundle test data\n"), 160<<10)
	files := map[string]FileSpec{"app/server": {Mode: 0o755, Data: data}}
	for _, n := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		files["app/lib/"+n] = FileSpec{Data: data[:64<<10]}
	}
	if err := BuildLayout(dir, "v1", files); err != nil {
		t.Fatal(err)
	}
}

func TestPrepareConcurrentCallersUnpackOnce(t *testing.T) {
	layout, cache := t.TempDir(), t.TempDir()
	bigImage(t, layout)
	const callers = 8
	results := make([]Prepared, callers)
	errs := make([]error, callers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i], errs[i] = PrepareOCI(context.Background(), layout, "v1", cache)
		}()
	}
	close(start)
	wg.Wait()
	unpacked := 0
	for i := range callers {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if results[i].RootFS != results[0].RootFS || results[i].Digest != results[0].Digest {
			t.Errorf("caller %d got %+v, caller 0 %+v", i, results[i], results[0])
		}
		if results[i].Unpacked {
			unpacked++
		}
	}
	if unpacked != 1 {
		t.Errorf("%d callers unpacked, want 1", unpacked)
	}
	hex := results[0].Digest[len("sha256:"):]
	if got, want := cacheEntries(t, cache), []string{hex, hex + lockSuffix}; !slices.Equal(got, want) {
		t.Errorf("cache holds %v, want %v (one entry, its lock, no unpack folders)", got, want)
	}
	if want := filepath.Join(cache, hex, "rootfs"); results[0].RootFS != want {
		t.Errorf("root filesystem at %s, want %s", results[0].RootFS, want)
	}
	if b, err := os.ReadFile(filepath.Join(results[0].RootFS, "app/lib/h")); err != nil || len(b) != 64<<10 {
		t.Errorf("app/lib/h: %d bytes, %v", len(b), err)
	}
}

func TestPrepareReusesCache(t *testing.T) {
	layout, cache := t.TempDir(), t.TempDir()
	desc := writeLayers(t, layout, "app", layerSpec{entries: []tarEntry{fileEntry("f", 0o644, "f")}})
	first, err := PrepareOCI(context.Background(), layout, "app", cache)
	if err != nil || !first.Unpacked {
		t.Fatalf("first call: %+v, %v; want an unpack", first, err)
	}
	marker := filepath.Join(first.RootFS, "marker")
	write(t, marker, "left by the test")
	// A second call must not read the layers again: corrupt them.
	m := readManifest(t, layout, desc)
	flipByte(t, blobFile(t, layout, m.Layers[0].Digest), 20)
	second, err := PrepareOCI(context.Background(), layout, "app", cache)
	if err != nil {
		t.Fatal(err)
	}
	if second.Unpacked || second.RootFS != first.RootFS {
		t.Errorf("second call %+v, first %+v: want the cached folder, not unpacked", second, first)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("the cached folder was replaced: %v", err)
	}
	// A cache folder given by a relative path resolves to the same entry.
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(wd, cache)
	if err != nil {
		t.Fatal(err)
	}
	third, err := PrepareOCI(context.Background(), layout, "app", rel)
	if err != nil || third.RootFS != first.RootFS || third.Unpacked {
		t.Errorf("relative cache folder: %+v, %v; want %s from the cache", third, err, first.RootFS)
	}
}

func TestPrepareRemovesLeftovers(t *testing.T) {
	layout, cache := t.TempDir(), t.TempDir()
	desc := writeLayers(t, layout, "app", layerSpec{entries: []tarEntry{fileEntry("f", 0o644, "f")}})
	hex := desc.Digest.Encoded()
	// An unpack that died half-way, and an entry without a root filesystem.
	stale := filepath.Join(cache, hex+unpackInfix+"123")
	if err := os.MkdirAll(filepath.Join(stale, "rootfs", "junk"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(cache, hex, "junk"), 0o755); err != nil {
		t.Fatal(err)
	}
	res, err := PrepareOCI(context.Background(), layout, "app", cache)
	if err != nil || !res.Unpacked {
		t.Fatalf("%+v, %v; want an unpack", res, err)
	}
	if got, want := cacheEntries(t, cache), []string{hex, hex + lockSuffix}; !slices.Equal(got, want) {
		t.Errorf("cache holds %v, want %v", got, want)
	}
	assertTree(t, res.RootFS, map[string]node{"f": {mode: 0o644, data: "f"}})
}

func TestPrepareWaitsForLockUntilContextEnds(t *testing.T) {
	layout, cache := t.TempDir(), t.TempDir()
	desc := writeLayers(t, layout, "app", layerSpec{entries: []tarEntry{fileEntry("f", 0o644, "f")}})
	unlock, err := lockFile(context.Background(), filepath.Join(cache, desc.Digest.Encoded()+lockSuffix))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = PrepareOCI(ctx, layout, "app", cache)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v while the lock is held, want the context's deadline", err)
	}
	unlock()
	res, err := PrepareOCI(context.Background(), layout, "app", cache)
	if err != nil || !res.Unpacked {
		t.Errorf("after unlock: %+v, %v; want an unpack", res, err)
	}
}

func TestPrepareCanceledDuringUnpack(t *testing.T) {
	layout, cache := t.TempDir(), t.TempDir()
	writeLayers(t, layout, "app", layerSpec{entries: []tarEntry{fileEntry("f", 0o644, "f")}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := PrepareOCI(ctx, layout, "app", cache)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	assertCacheEmpty(t, cache)
}

// helperEnv names the environment variables that turn this test binary
// into a helper process for TestPrepareConcurrentProcessesUnpackOnce.
const (
	helperLayoutEnv = "BUNDLE_TEST_HELPER_LAYOUT"
	helperCacheEnv  = "BUNDLE_TEST_HELPER_CACHE"
)

// TestHelperPrepareProcess is not a test: run as a helper process it says
// "ready", waits for a line on standard input, calls PrepareOCI and prints
// the result as JSON.
func TestHelperPrepareProcess(t *testing.T) {
	layout := os.Getenv(helperLayoutEnv)
	if layout == "" {
		t.Skip("helper process only")
	}
	os.Stdout.WriteString("ready\n")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		t.Fatalf("wait for go: %v", err)
	}
	res, err := PrepareOCI(context.Background(), layout, "v1", os.Getenv(helperCacheEnv))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		t.Fatal(err)
	}
}

func TestPrepareConcurrentProcessesUnpackOnce(t *testing.T) {
	layout, cache := t.TempDir(), t.TempDir()
	bigImage(t, layout)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	type proc struct {
		cmd   *exec.Cmd
		stdin io.WriteCloser
		out   *bufio.Reader
	}
	const n = 4
	procs := make([]proc, 0, n)
	t.Cleanup(func() {
		for _, p := range procs {
			_ = p.cmd.Process.Kill()
			_ = p.cmd.Wait()
		}
	})
	for range n {
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperPrepareProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), helperLayoutEnv+"="+layout, helperCacheEnv+"="+cache)
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs = append(procs, proc{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)})
	}
	for i, p := range procs {
		if line, err := p.out.ReadString('\n'); err != nil || line != "ready\n" {
			t.Fatalf("process %d: %q, %v; want ready", i, line, err)
		}
	}
	for _, p := range procs {
		if _, err := io.WriteString(p.stdin, "go\n"); err != nil {
			t.Fatal(err)
		}
	}
	unpacked := 0
	var rootfs string
	for i, p := range procs {
		line, err := p.out.ReadString('\n')
		if err != nil {
			t.Fatalf("process %d: %q, %v", i, line, err)
		}
		var res Prepared
		if err := json.Unmarshal([]byte(line), &res); err != nil {
			t.Fatalf("process %d printed %q: %v", i, line, err)
		}
		if rootfs == "" {
			rootfs = res.RootFS
		}
		if res.RootFS != rootfs {
			t.Errorf("process %d got %s, another %s", i, res.RootFS, rootfs)
		}
		if res.Unpacked {
			unpacked++
		}
	}
	if unpacked != 1 {
		t.Errorf("%d processes unpacked, want 1", unpacked)
	}
	for i, p := range procs {
		if err := p.cmd.Wait(); err != nil {
			t.Errorf("process %d: %v", i, err)
		}
	}
	procs = nil
}
