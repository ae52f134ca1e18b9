// Package local is the built-in cluster manager for one machine: it runs each
// regular instance as a `wavelink instance` process and implements
// clustermgr.Manager.
//
// One reconciler goroutine per Manager owns the desired counts and the
// instance table. Scale records a wish and wakes it; process exits and ready
// notices wake it too. On every pass it asks the pure plan the backends share
// (clustermgr.PlanFunction) what to do for each function, given the time, the desired count, the instances and the
// function's restart back-off, and then does it: start missing instances,
// drain surplus ones (not-ready first, then newest), and kill those that did
// not get ready in time or did not stop within their grace.
//
// An instance runs in its own process group. It reports readiness by writing
// "ready\n" to file descriptor 3; it is asked to stop with SIGTERM to its
// leader (so it can finish the invocations it holds and stop its own
// children in order), and killed with SIGKILL to the whole group. On Linux a
// child also gets SIGKILL when the manager's process dies.
//
// This package must never import services/scaler, services/gateway,
// services/instance or wavelet/.
package local
