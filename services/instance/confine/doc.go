// Package confine narrows what an emergency instance and its function may
// ask of the kernel. Apply installs a seccomp filter on the calling process
// (all its threads), which every process it starts inherits: it refuses
// with EPERM the system calls a function never needs and that weaken the
// isolation of the container it runs in (mounts, namespaces, other
// processes' memory, kernel modules, the machine's clock, eBPF, and so on),
// and kills a process that makes system calls through a foreign
// architecture's interface (such as 32-bit calls on x86-64), where those
// refusals would not hold. Everything else is allowed: it is a denylist
// on top of the container's own limits, not a sandbox by itself.
//
// The filter is built with github.com/elastic/go-seccomp-bpf (pure Go, no
// libseccomp). It exists on Linux only; elsewhere Apply returns an error
// wrapping errors.ErrUnsupported.
//
// confine is a leaf: it must never import NATS, zerolog, streams, schemas
// or any services package (the instance runtime included).
package confine
