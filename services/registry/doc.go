// Package registry keeps function specs in the wl_functions key-value bucket:
// it validates a spec, stores it, creates the function's consumer, lists and
// watches specs, and removes a function after draining its queue.
//
// It is the only writer of wl_functions. It must never import another
// services/ package or wavelet/.
package registry
