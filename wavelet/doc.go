// Package wavelet is the node agent of WaveLink's expedited track. It
// answers burst requests on wl.wavelet.<node>.burst by starting emergency
// instances of the asked function on its node, bypassing the cluster
// manager: each runs the WaveLink instance runtime in a sandbox (a
// libcontainer container, or a plain process where containers cannot be
// made) and pulls the function's consumer at a lower priority than regular
// instances, so it takes work only while no regular instance is free.
//
// It keeps each function's root filesystem ready (a folder, an OCI layout
// unpacked once, or for built-ins a minimal one it makes itself), keeps a
// pool of parked instances for functions that burst (sized by
// wavelet/poolpolicy from their burst history and the node's free memory)
// and a few generic parked instances that any built-in function's burst can
// take, reaps instances that retire (idle for a short while, or at their max
// lifetime), removes at start whatever a killed Wavelet left behind, and
// writes its node status to the wl_nodes bucket every second.
//
// One file per concept: config.go, wavelet.go (the run loop), burst.go
// (answering a request), spawn.go (starting an instance), reap.go (its
// end), pool.go (pooled and generic instances), bundle.go, status.go,
// memory.go, metrics.go.
//
// This package must never import services/scaler, services/gateway,
// services/clustermgr or services/instance (beyond its bundle package, which
// prepares root filesystems): instances are separate processes.
package wavelet
