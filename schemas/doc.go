// Package schemas defines WaveLink's CloudEvent types and converts them,
// at the edge, to and from the domain types Invocation, Result,
// BurstRequest, BurstReply and NodeStatus.
//
// Invocations travel in binary content mode on NATS (lower-case ce-*
// headers, values as they are) and on HTTP (canonical Ce-* headers, values
// percent-encoded as the CloudEvents HTTP binding says); structured mode
// (application/cloudevents+json) is read on both, batch mode is refused.
// The HTTP request headers that made an invocation travel with it as
// Invocation.Header. Control events carry JSON data checked against the
// embedded JSON Schemas in jsonschema/, by the package's own validator,
// which supports exactly the keywords those files use and refuses to load a
// schema with any other. Every validation error is a *FieldError naming the
// bad attribute or data field, wrapping ErrInvalid.
//
// It is a leaf package: it must never import streams/, services/ or
// wavelet/. Outside its tests it must not import a JSON Schema library or
// golang.org/x/text either: their package initialisation would run in every
// WaveLink process, instances included, and lengthen every cold start.
package schemas
