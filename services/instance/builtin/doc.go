// Package builtin holds the functions compiled into the wavelink binary:
// echo, and trace (the trace-replay workload). Each is an http.Handler that
// follows the function contract shared with packaged functions: the request
// body is the invocation's data, CloudEvent attributes arrive as ce-*
// headers next to the original request headers, and the response is the
// result.
//
// The handlers know nothing about NATS or the instance runtime that calls
// them: this package must never import nats.go, streams/, schemas/ or any
// services/ package.
package builtin
