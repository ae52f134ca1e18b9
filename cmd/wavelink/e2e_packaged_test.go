package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wavelink/wavelink/services/instance/bundle"
)

// buildHello builds the example function as a static binary.
func buildHello(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hello")
	cmd := exec.Command("go", "build", "-o", bin, "../../examples/hello")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the example function: %v\n%s", err, out)
	}
	return bin
}

func TestPackagedFunctionsFromARootFSAndAnOCILayout(t *testing.T) {
	bin := buildHello(t)
	p := startPlatform(t, "")

	// A root filesystem folder, deployed from a spec file whose package path
	// is relative to the file.
	specDir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(specDir, "rootfs"), 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(specDir, "rootfs", "hello"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("../../examples/hello/hello.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(specDir, "hello.yaml"), example, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := cli(t, p, "fn", "deploy", "-f", filepath.Join(specDir, "hello.yaml")); err != nil {
		t.Fatalf("deploy rootfs: %v: %s", err, out)
	}
	a := post(t, p.GatewayURL()+"/functions/hello", []byte("world"), "ce-id", "from-rootfs")
	if a.status != http.StatusOK || a.body != "hello, world (invocation from-rootfs)\n" {
		t.Fatalf("rootfs function: %d %q", a.status, a.body)
	}

	// The same binary in an OCI image layout, deployed with flags.
	layout := filepath.Join(t.TempDir(), "layout")
	if err := bundle.BuildLayout(layout, "v1", map[string]bundle.FileSpec{"hello": {Mode: 0o755, Source: bin}}); err != nil {
		t.Fatal(err)
	}
	if out, err := cli(t, p, "fn", "deploy", "hola", "--package", "oci:"+layout+":v1", "--command", "/hello", "--env", "GREETING=hola"); err != nil {
		t.Fatalf("deploy oci: %v: %s", err, out)
	}
	a = post(t, p.GatewayURL()+"/functions/hola", []byte("mundo"), "ce-id", "from-oci")
	if a.status != http.StatusOK || !strings.HasPrefix(a.body, "hola, mundo (invocation from-oci)") {
		t.Fatalf("oci function: %d %q", a.status, a.body)
	}
}

func TestDeployChecksThePackageIsThere(t *testing.T) {
	p := startPlatform(t, "")
	dir := t.TempDir()
	for _, tc := range []struct {
		args    []string
		mention string
	}{
		{[]string{"fn", "deploy", "a", "--package", "rootfs:" + filepath.Join(dir, "missing"), "--command", "/x"}, "not found"},
		{[]string{"fn", "deploy", "b", "--package", "rootfs:" + dir, "--command", "/x"}, "/x is not an executable"},
		{[]string{"fn", "deploy", "c", "--package", "oci:" + dir, "--command", "/x"}, "not an OCI image layout"},
	} {
		out, err := cli(t, p, tc.args...)
		if err == nil || !strings.Contains(out, tc.mention) {
			t.Errorf("%v: %v: %s; want an error mentioning %q", tc.args, err, out, tc.mention)
		}
	}
	if out, err := cli(t, p, "fn", "deploy", "d", "--package", "rootfs:/elsewhere", "--command", "/x", "--no-check"); err != nil {
		t.Errorf("--no-check: %v: %s", err, out)
	}
}
