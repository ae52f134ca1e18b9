// Package docker is the regular track's cluster manager on the Docker Engine
// API: it runs each regular instance as a container of an image that holds
// the WaveLink binary, and implements clustermgr.Manager.
//
// BuildImage makes that image from the binary alone (FROM scratch; a
// dynamically linked binary brings its loader and libraries), since no image
// can be pulled. Every container runs `wavelink instance --track regular` on
// the host network, so the NATS URL the manager is given is the one the
// containers dial (127.0.0.1 means the host). A container has the labels
// dev.wavelink.function, dev.wavelink.instance and dev.wavelink.manager, a
// memory limit from the function's spec, a CPU limit, a read-only root with a
// private /tmp, docker-init as its first process, a health check when
// Config.Health is set (ReadyFileHealth is the binary's own, which wavelink
// up uses), and the on-failure restart policy: the daemon restarts an
// instance that crashes, up to Config.MaxRestarts times in a row, and only
// then does the manager replace the container, after its own back-off.
//
// One reconciler goroutine owns the desired counts and the instance table,
// as in the local backend. Scale records a wish and wakes it; the pure plan
// shared with it (clustermgr.PlanFunction) says what to start, drain and
// remove; engine calls run in their own goroutines and report back; at most
// Config.ParallelStarts containers are being made at once, and the start
// slots go round robin over the functions waiting for one. What happens to containers comes from the
// engine's event stream (start, die, health_status, destroy), filtered by
// this manager's label; nothing is polled. An instance is ready when it
// says so: by default it runs with --ready-fd 1 and writes "ready" on its
// standard output, which the manager reads from the container's log stream;
// with ReadyOnHealth, readiness is the engine's health_status event of the
// container's health check instead. The output is the default because the
// daemon (API 1.41) runs a container's first check only a full interval
// after it starts, and every check is a process started in the container:
// a fast interval costs CPU for each container as long as it runs.
//
// A function packaged as a folder or an OCI layout has that path mounted
// read-only at the same path in its containers. The image holds the binary
// alone, so the function's command must run without the container's /lib
// (a static binary), and an OCI layout is unpacked into the container's
// /tmp, which counts in its memory.
//
// Containers outlive the manager. New lists the containers labelled with
// its ID and adopts the running ones, so a restarted scaler finds its
// instances again; Detach leaves them running, Close drains and removes
// them. Scale-down stops a container with its function's grace (SIGTERM,
// then SIGKILL), so the instance finishes what it holds, then removes it.
//
// This package must never import services/scaler, services/gateway,
// services/instance or wavelet/.
package docker
