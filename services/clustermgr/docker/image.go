package docker

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/jsonmessage"
)

// LabelImage marks an image made by BuildImage.
const LabelImage = "dev.wavelink.image"

// BuildImage builds the instance image tag on the daemon from the WaveLink
// binary at binaryPath: FROM scratch, the binary under /.wavelink, and for a
// dynamically linked binary its loader and shared libraries beside it; the
// entrypoint runs the binary. Nothing is pulled. It returns an error
// wrapping ErrBinary for a binary that cannot go into the image, and
// ErrImage when the build fails (the daemon's message included).
func BuildImage(ctx context.Context, cli *client.Client, binaryPath, tag string) error {
	if cli == nil {
		return fmt.Errorf("%w: no docker client", ErrImage)
	}
	if strings.TrimSpace(tag) == "" || strings.ContainsAny(tag, " \t\r\n") {
		return fmt.Errorf("%w: bad tag %q", ErrImage, tag)
	}
	bl, err := layoutBinary(binaryPath)
	if err != nil {
		return err
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeBuildContext(pw, bl)) }()
	defer pr.Close()
	resp, err := cli.ImageBuild(ctx, pr, build.ImageBuildOptions{
		Tags:        []string{tag},
		Remove:      true,
		ForceRemove: true,
		Version:     build.BuilderV1,
		Labels:      map[string]string{LabelImage: "instance"},
	})
	if err != nil {
		return fmt.Errorf("%w: build %s: %w", ErrImage, tag, err)
	}
	defer resp.Body.Close()
	if err := jsonmessage.DisplayJSONMessagesStream(resp.Body, io.Discard, 0, false, nil); err != nil {
		return fmt.Errorf("%w: build %s: %w", ErrImage, tag, err)
	}
	return nil
}

// ImageRepository is the repository of the images EnsureImage makes.
const ImageRepository = "wavelink-instance"

// EnsureImage returns the tag of the instance image of the binary at
// binaryPath, ImageRepository:<first 12 hex digits of the binary's
// SHA-256>, and builds it with BuildImage unless the daemon has it
// already: a changed binary gets a new image, an unchanged one is not
// rebuilt. It returns the errors of BuildImage, or one wrapping ErrDaemon
// when the daemon cannot be asked.
func EnsureImage(ctx context.Context, cli *client.Client, binaryPath string) (string, error) {
	if cli == nil {
		return "", fmt.Errorf("%w: no docker client", ErrImage)
	}
	f, err := os.Open(binaryPath)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrBinary, err)
	}
	h := sha256.New()
	_, err = io.Copy(h, f)
	f.Close()
	if err != nil {
		return "", fmt.Errorf("%w: read %s: %w", ErrBinary, binaryPath, err)
	}
	tag := ImageRepository + ":" + hex.EncodeToString(h.Sum(nil))[:12]
	_, err = cli.ImageInspect(ctx, tag)
	switch {
	case err == nil:
		return tag, nil
	case !cerrdefs.IsNotFound(err):
		return "", fmt.Errorf("%w: inspect %s: %w", ErrDaemon, tag, err)
	}
	if err := BuildImage(ctx, cli, binaryPath, tag); err != nil {
		return "", err
	}
	return tag, nil
}

// dockerfile is the build file of the instance image.
func dockerfile(entrypoint []string) string {
	ep, _ := json.Marshal(entrypoint) // a []string always marshals
	return "FROM scratch\n" +
		"COPY " + strings.TrimPrefix(imageDir, "/") + " " + imageDir + "\n" +
		"COPY tmp /tmp\n" +
		"ENTRYPOINT " + string(ep) + "\n"
}

// writeBuildContext writes the build context as a tar stream: the
// Dockerfile, the files of bl under their image paths, and an empty /tmp.
func writeBuildContext(w io.Writer, bl binaryLayout) error {
	tw := tar.NewWriter(w)
	df := dockerfile(bl.entrypoint)
	if err := tw.WriteHeader(&tar.Header{Name: "Dockerfile", Mode: 0o644, Size: int64(len(df)), Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	if _, err := io.WriteString(tw, df); err != nil {
		return err
	}
	dirs := map[string]bool{}
	addDir := func(name string, mode int64) error {
		if dirs[name] {
			return nil
		}
		dirs[name] = true
		return tw.WriteHeader(&tar.Header{Name: name + "/", Mode: mode, Typeflag: tar.TypeDir})
	}
	if err := addDir("tmp", 0o1777); err != nil {
		return err
	}
	for _, f := range bl.files {
		name := strings.TrimPrefix(f.image, "/")
		if err := addParents(name, addDir); err != nil {
			return err
		}
		if err := addFile(tw, f.host, name); err != nil {
			return err
		}
	}
	return tw.Close()
}

// addParents adds the folders above name, shallowest first.
func addParents(name string, addDir func(string, int64) error) error {
	var parents []string
	for d := path.Dir(name); d != "."; d = path.Dir(d) {
		parents = append(parents, d)
	}
	for i := len(parents) - 1; i >= 0; i-- {
		if err := addDir(parents[i], 0o755); err != nil {
			return err
		}
	}
	return nil
}

// addFile copies the host file into the tar stream as name, executable.
func addFile(tw *tar.Writer, host, name string) error {
	f, err := os.Open(host)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBinary, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBinary, err)
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: st.Size(), Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	n, err := io.Copy(tw, f)
	if err == nil && n != st.Size() {
		err = errors.New("file changed while it was read")
	}
	if err != nil {
		return fmt.Errorf("%w: copy %s: %w", ErrBinary, host, err)
	}
	return nil
}
