package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/pkg/stdcopy"
)

// roleEnv makes the test binary print a greeting and exit instead of
// running tests: it stands for a dynamically linked WaveLink binary.
const roleEnv = "WL_DOCKER_TEST_ROLE"

func init() {
	if os.Getenv(roleEnv) == "hello" {
		fmt.Println("hello from", os.Args[0], strings.Join(os.Args[1:], " "))
		os.Exit(0)
	}
}

func TestDockerfile(t *testing.T) {
	got := dockerfile([]string{"/.wavelink/wavelink"})
	want := "FROM scratch\nCOPY .wavelink /.wavelink\nCOPY tmp /tmp\nENTRYPOINT [\"/.wavelink/wavelink\"]\n"
	if got != want {
		t.Fatalf("dockerfile:\n%s\nwant:\n%s", got, want)
	}
}

func TestLayoutBinary(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		name string
		path string
	}{
		{"missing", filepath.Join(dir, "nope")},
		{"folder", dir},
		{"not executable", write("plain", self, 0o644)},
		{"not ELF", write("script", []byte("#!/bin/sh\necho hi\n"), 0o755)},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := layoutBinary(tc.path); !errors.Is(err, ErrBinary) {
				t.Fatalf("layoutBinary: %v, want ErrBinary", err)
			}
		})
	}
	t.Run("dynamic", func(t *testing.T) {
		bl, err := layoutBinary(exe)
		if err != nil {
			t.Fatal(err)
		}
		if len(bl.entrypoint) == 1 {
			t.Skip("the test binary is static here")
		}
		if bl.entrypoint[len(bl.entrypoint)-1] != imageBinary || !strings.HasPrefix(bl.entrypoint[0], imageLibDir+"/") {
			t.Fatalf("entrypoint %q: want the loader in %s running %s", bl.entrypoint, imageLibDir, imageBinary)
		}
		if len(bl.files) < 3 {
			t.Fatalf("files %v: want the binary, its loader and at least one library", bl.files)
		}
	})
}

func TestWriteBuildContext(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	lib := filepath.Join(dir, "lib")
	for _, p := range []string{bin, lib} {
		if err := os.WriteFile(p, []byte("content of "+filepath.Base(p)), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bl := binaryLayout{
		files:      []imageFile{{host: bin, image: imageBinary}, {host: lib, image: imageLibDir + "/libc.so.6"}},
		entrypoint: []string{imageLibDir + "/ld.so", imageBinary},
	}
	var buf bytes.Buffer
	if err := writeBuildContext(&buf, bl); err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(&buf)
	var names []string
	contents := map[string]string{}
	for {
		hd, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, hd.Name)
		b, _ := io.ReadAll(tr)
		contents[hd.Name] = string(b)
	}
	want := []string{"Dockerfile", "tmp/", ".wavelink/", ".wavelink/wavelink", ".wavelink/lib/", ".wavelink/lib/libc.so.6"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("entries %q, want %q", names, want)
	}
	if contents[".wavelink/wavelink"] != "content of bin" || !strings.Contains(contents["Dockerfile"], `ENTRYPOINT ["/.wavelink/lib/ld.so","/.wavelink/wavelink"]`) {
		t.Fatalf("contents: %q", contents)
	}
}

// TestBuildImageDynamic builds an image from the test binary, which is
// dynamically linked, with EnsureImage, and runs it FROM scratch: its
// loader and libraries came with it. A second EnsureImage finds it.
func TestBuildImageDynamic(t *testing.T) {
	cli, _ := needDaemon(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tag, err := EnsureImage(t.Context(), cli, exe)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = cli.ImageRemove(context.Background(), tag, image.RemoveOptions{Force: true, PruneChildren: true})
	})
	if !strings.HasPrefix(tag, ImageRepository+":") {
		t.Fatalf("tag %q", tag)
	}
	first, err := cli.ImageInspect(t.Context(), tag)
	if err != nil {
		t.Fatal(err)
	}
	again, err := EnsureImage(t.Context(), cli, exe)
	if err != nil || again != tag {
		t.Fatalf("EnsureImage again: %q, %v; want %q", again, err, tag)
	}
	if second, err := cli.ImageInspect(t.Context(), tag); err != nil || second.ID != first.ID {
		t.Fatalf("EnsureImage rebuilt the image: %v", err)
	}
	out := runInImage(t, tag, []string{roleEnv + "=hello"}, "a", "b")
	if !strings.Contains(out, "hello from /.wavelink/wavelink a b") {
		t.Fatalf("output %q", out)
	}
}

func TestBuildImageBadInput(t *testing.T) {
	cli, _ := needDaemon(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, bin, tag string
		want           error
	}{
		{"missing binary", filepath.Join(t.TempDir(), "nope"), "wavelink-test-bad:1", ErrBinary},
		{"empty tag", exe, "", ErrImage},
		{"invalid tag", exe, "Bad:Tag:x", ErrImage},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := BuildImage(t.Context(), cli, tc.bin, tc.tag)
			if !errors.Is(err, tc.want) {
				t.Fatalf("BuildImage: %v, want %v", err, tc.want)
			}
			t.Logf("BuildImage: %v", err)
		})
	}
	if err := BuildImage(t.Context(), nil, exe, "x:1"); !errors.Is(err, ErrImage) {
		t.Fatalf("BuildImage with no client: %v", err)
	}
}

// runInImage runs args in a container of img and returns its output.
func runInImage(t *testing.T, img string, env []string, args ...string) string {
	t.Helper()
	cli := daemon.cli
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	c, err := cli.ContainerCreate(ctx, &container.Config{Image: img, Cmd: args, Env: env}, &container.HostConfig{NetworkMode: "none"}, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cli.ContainerRemove(context.Background(), c.ID, container.RemoveOptions{Force: true}) }()
	waitC, errC := cli.ContainerWait(ctx, c.ID, container.WaitConditionNextExit)
	if err := cli.ContainerStart(ctx, c.ID, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-waitC:
	case err := <-errC:
		t.Fatal(err)
	}
	rc, err := cli.ContainerLogs(ctx, c.ID, container.LogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var out bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, &out, rc); err != nil {
		t.Fatal(err)
	}
	return out.String()
}
