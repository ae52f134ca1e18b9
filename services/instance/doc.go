// Package instance is the instance runtime that every instance of either
// track runs, regular (started by a cluster manager) or emergency (started
// by a Wavelet): it pulls its function's invocations from the function's
// JetStream consumer, calls the function, publishes each result (to the sync
// caller's reply subject, or to WL_RESULT), and only then acks. Failed
// deliveries are retried through JetStream redelivery with back-off; the
// last failed delivery, a timeout or an undecodable message is
// dead-lettered to WL_DLQ. Every finished invocation is announced on
// wl.done.<fn>.
//
// A function is either a built-in handler called in process (package
// builtin) or a packaged program serving HTTP on $PORT, run as a supervised
// child process from its root filesystem. Both get the same HTTP request.
//
// An instance may retire by itself, as emergency instances do: once it has
// held no invocation for its idle exit, or when its max lifetime is over,
// it stops pulling, finishes what it holds and returns. Its package may also
// come already unpacked (an emergency instance's container has it as "/").
// Package confine holds the seccomp filter that the instance command
// installs for such an instance before it runs.
//
// The runtime decides nothing about scaling. It must never import
// services/scaler, services/gateway, services/clustermgr or wavelet/.
package instance
