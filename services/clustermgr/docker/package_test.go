package docker

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wavelink/wavelink/services/clustermgr"
	"github.com/wavelink/wavelink/services/registry"
)

// TestRootFSPackage: a function packaged as a root filesystem folder runs
// in the instance container, its folder mounted read-only at the same
// path. Its command is a static binary: the container's root has no
// libraries.
func TestRootFSPackage(t *testing.T) {
	e := newEnv(t)
	root := filepath.Join(t.TempDir(), "rootfs")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	build := exec.Command("go", "build", "-o", filepath.Join(root, "fnserver"), "github.com/wavelink/wavelink/services/instance/testdata/fnserver")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build fnserver: %v\n%s", err, b)
	}
	spec, err := e.reg.Deploy(t.Context(), registry.Spec{Name: "packaged", Package: registry.Package{RootFS: root}, Command: []string{"/fnserver"}, MemoryMB: 64})
	if err != nil {
		t.Fatal(err)
	}
	h := e.start(e.cfg)
	h.scale(spec, 1)
	h.waitEvents(1, time.Minute, kind("packaged", clustermgr.EventReady))
	if got := string(e.invoke("packaged", "from a folder")); !strings.Contains(got, `"body":"from a folder"`) {
		t.Fatalf("fnserver replied %q", got)
	}
}
