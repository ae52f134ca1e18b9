package docker

import (
	"strconv"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"

	"github.com/wavelink/wavelink/services/registry"
)

// Labels on every container the manager makes.
const (
	LabelFunction = "dev.wavelink.function"
	LabelInstance = "dev.wavelink.instance"
	LabelManager  = "dev.wavelink.manager"
)

// Paths inside an instance container.
const (
	// containerTmp is the container's private, writable /tmp (a tmpfs of a
	// quarter of the function's memory, counted in its limit); the rest
	// of its root is read-only.
	containerTmp = "/tmp"
	// containerWorkDir is the instance's --work-dir.
	containerWorkDir = containerTmp + "/wavelink"
)

// stdoutFD is the descriptor an instance writes "ready" to with
// ReadyOnOutput: its standard output, which the daemon logs.
const stdoutFD = "1"

// readyLine is what an instance writes once it pulls.
const readyLine = "ready"

// ContainerName is the name of instance id's container under manager
// managerID: unique per manager, so two managers never collide.
func ContainerName(managerID, id string) string { return "wavelink-" + managerID + "-" + id }

// imageInfo is what the manager needs to know of the instance image.
type imageInfo struct {
	// entrypoint runs the WaveLink binary: the health check's command
	// starts with it.
	entrypoint []string
}

// instanceArgs is the instance's command line, after the image's
// entrypoint.
func instanceArgs(cfg Config, fn, id string) []string {
	args := []string{
		"instance",
		"--function", fn,
		"--nats", cfg.NATSURL,
		"--id", id,
		"--track", "regular",
		"--work-dir", containerWorkDir,
	}
	if cfg.Readiness == ReadyOnOutput {
		args = append(args, "--ready-fd", stdoutFD)
	}
	if cfg.Health != nil {
		args = append(args, cfg.Health.InstanceArgs...)
	}
	return append(args, cfg.ExtraArgs...)
}

// graceSeconds is a stop grace in whole seconds, rounded up, as the daemon
// takes it.
func graceSeconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int((d + time.Second - 1) / time.Second)
}

// containerSpec is the container of instance id of spec's function (spec
// with its defaults filled in). It is pure.
func containerSpec(cfg Config, img imageInfo, spec registry.Spec, id string) (*container.Config, *container.HostConfig) {
	grace := graceSeconds(cfg.StopGrace(spec))
	cc := &container.Config{
		Image:       cfg.Image,
		Cmd:         instanceArgs(cfg, spec.Name, id),
		Env:         cfg.Env,
		StopTimeout: &grace,
		Labels: map[string]string{
			LabelFunction: spec.Name,
			LabelInstance: id,
			LabelManager:  cfg.ID,
		},
	}
	if h := cfg.Health; h != nil {
		test := append([]string{"CMD"}, img.entrypoint...)
		cc.Healthcheck = &container.HealthConfig{
			Test:        append(test, h.Args...),
			Interval:    h.Interval,
			Timeout:     h.Timeout,
			StartPeriod: h.StartPeriod,
			Retries:     h.Retries,
		}
	}
	memory := int64(spec.MemoryMB) << 20
	init := true
	hc := &container.HostConfig{
		NetworkMode:   container.NetworkMode(network.NetworkHost),
		RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyOnFailure, MaximumRetryCount: cfg.MaxRestarts},
		Init:          &init,
		// The daemon's log stream is where ReadyOnOutput reads readiness,
		// so the driver must be one it can read back.
		LogConfig:      container.LogConfig{Type: "json-file", Config: map[string]string{"max-size": "10m", "max-file": "2"}},
		ReadonlyRootfs: true,
		Tmpfs:          map[string]string{containerTmp: "rw,nosuid,nodev,mode=1777,size=" + strconv.Itoa(max(spec.MemoryMB/4, 1)) + "m"},
		CapDrop:        []string{"ALL"},
		SecurityOpt:    []string{"no-new-privileges"},
		Resources: container.Resources{
			Memory:     memory,
			MemorySwap: memory, // no swap
			NanoCPUs:   cfg.NanoCPUs,
		},
	}
	for _, p := range []string{spec.Package.RootFS, spec.Package.OCI} {
		if p != "" {
			// The package at the path the instance is told, read-only.
			hc.Mounts = append(hc.Mounts, mount.Mount{Type: mount.TypeBind, Source: p, Target: p, ReadOnly: true})
		}
	}
	return cc, hc
}
