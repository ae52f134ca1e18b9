// Package sandbox runs one emergency instance in isolation: the WaveLink
// binary's instance runtime, started inside a container made in-process with
// runc's libcontainer (new PID, mount, IPC and UTS namespaces, the host
// network, cgroup limits, no new privileges, no capabilities, a read-only
// root with a private /tmp), or as a plain child process where containers
// cannot be made (no root, no cgroups).
//
// A sandbox is created apart from being started, as in libcontainer: Create
// makes the container (namespaces, cgroup and root filesystem ready, its
// process waiting), Start lets the process run. The Wavelet's pre-created
// pool holds created sandboxes, so that a burst costs only the start.
//
// A binary that creates containers must call Init first thing in main (and
// a test binary in TestMain): libcontainer runs the container's first
// process as the calling binary with the argument "init".
//
// This package knows nothing of NATS, functions or the scaler: it must never
// import streams, schemas, services or wavelet's other packages.
package sandbox
