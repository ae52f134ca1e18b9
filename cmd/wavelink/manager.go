package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/wavelink/wavelink/services/clustermgr"
	"github.com/wavelink/wavelink/services/clustermgr/docker"
	"github.com/wavelink/wavelink/services/clustermgr/local"
)

// Cluster managers the regular track can use.
const (
	managerLocal  = "local"
	managerDocker = "docker"
)

// managerOptions say which cluster manager runs the regular instances.
type managerOptions struct {
	kind         string
	dockerCPUs   float64
	dockerStarts int
}

func addManagerFlags(cmd *cobra.Command, o *managerOptions) {
	cmd.Flags().StringVar(&o.kind, "cluster-manager", managerLocal,
		"what runs regular instances: local (processes on this machine) or docker (containers of an image built here from this binary, through the local Docker daemon)")
	cmd.Flags().Float64Var(&o.dockerCPUs, "docker-cpus", 1, "with --cluster-manager docker: CPU limit of each regular instance's container")
	cmd.Flags().IntVar(&o.dockerStarts, "docker-parallel-starts", docker.DefaultParallelStarts,
		"with --cluster-manager docker: containers created and started at once (the others wait their turn)")
}

// dockerHealthInterval is how often the daemon runs a regular instance's
// health check (a process started in its container: the binary's
// ready-probe --file).
const dockerHealthInterval = 30 * time.Second

// dockerManagerID is the Docker manager ID of the platform whose data
// folder is owner: the label value its containers carry.
func dockerManagerID(owner string) string {
	sum := sha256.Sum256([]byte(owner))
	return "wl-" + hex.EncodeToString(sum[:4])
}

// closingManager is a cluster manager that stops its instances on Close.
type closingManager interface {
	clustermgr.Manager
	Close(ctx context.Context) error
}

// newClusterManager starts the chosen cluster manager. owner names this
// platform (its data folder), so that two platforms on one machine never
// take each other's Docker containers and a restarted one finds its own.
func newClusterManager(ctx context.Context, o managerOptions, exe, natsURL, owner string, localCfg local.Config, log zerolog.Logger) (closingManager, error) {
	switch o.kind {
	case managerLocal:
		return local.New(localCfg)
	case managerDocker:
		cli, err := docker.NewClient()
		if err != nil {
			return nil, err
		}
		image, err := docker.EnsureImage(ctx, cli, exe)
		if err != nil {
			return nil, err
		}
		return docker.New(ctx, docker.Config{
			Client: cli, ID: dockerManagerID(owner), Image: image, NATSURL: natsURL,
			NanoCPUs:       int64(o.dockerCPUs * 1e9),
			ParallelStarts: o.dockerStarts,
			Health:         docker.ReadyFileHealth(dockerHealthInterval),
			ExtraArgs:      []string{"--log-format", "json", "--log-level", log.GetLevel().String()},
			Logger:         log,
		})
	}
	return nil, fmt.Errorf("--cluster-manager: want %s or %s, got %q", managerLocal, managerDocker, o.kind)
}
