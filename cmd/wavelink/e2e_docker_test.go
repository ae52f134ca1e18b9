package main

import (
	"context"
	"slices"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/wavelink/wavelink/loadgen"
	"github.com/wavelink/wavelink/services/clustermgr/docker"
)

// TestUpWithTheDockerClusterManager runs wavelink up with its regular
// instances as Docker containers: echo answers through one, the container
// has its health check, and stopping the platform removes its containers.
func TestUpWithTheDockerClusterManager(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping a test against the Docker daemon")
	}
	cli, err := docker.NewClient()
	if err != nil {
		t.Skipf("no Docker client: %v", err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_, err = cli.Ping(ctx)
	cancel()
	if err != nil {
		t.Skipf("Docker daemon unreachable: %v", err)
	}

	p := startPlatform(t, "", "--cluster-manager", "docker", "--mode", "async", "--no-wavelet")
	if a := post(t, p.GatewayURL()+"/functions/echo", []byte("hello docker")); a.status != 200 || a.body != "hello docker" {
		t.Fatalf("echo: %d %q", a.status, a.body)
	}
	cs := echoContainers(t, cli, dockerManagerID(p.DataDir))
	if len(cs) == 0 {
		t.Fatal("echo answered, but no container of it runs")
	}
	var images []string
	for _, c := range cs {
		ci, err := cli.ContainerInspect(t.Context(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if hc := ci.Config.Healthcheck; hc == nil || !slices.Contains(hc.Test, "ready-probe") || !slices.Contains(ci.Config.Cmd, "--ready-file") {
			t.Errorf("container %s: health check %+v, command %v: want ready-probe --file and --ready-file", c.ID[:12], ci.Config.Healthcheck, ci.Config.Cmd)
		}
		if !slices.Contains(images, ci.Image) {
			images = append(images, ci.Image)
		}
	}

	p.Stop(loadgen.StopGrace)
	for _, c := range cs {
		if _, err := cli.ContainerInspect(t.Context(), c.ID); !cerrdefs.IsNotFound(err) {
			t.Errorf("container %s is still there after the platform stopped (%v)", c.ID[:12], err)
			_ = cli.ContainerRemove(t.Context(), c.ID, container.RemoveOptions{Force: true})
		}
	}
	for _, img := range images { // the image made from this test's binary, with the layers it was built from
		if _, err := cli.ImageRemove(t.Context(), img, image.RemoveOptions{PruneChildren: true}); err != nil && !cerrdefs.IsNotFound(err) {
			t.Logf("removing image %s: %v", img, err)
		}
	}
}

// echoContainers lists the containers running echo for the manager id.
func echoContainers(t *testing.T, cli *client.Client, id string) []container.Summary {
	t.Helper()
	cs, err := cli.ContainerList(t.Context(), container.ListOptions{All: true, Filters: filters.NewArgs(
		filters.Arg("label", docker.LabelFunction+"=echo"), filters.Arg("label", docker.LabelManager+"="+id))})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}
