package streams

import "errors"

// ErrInvalidTopology is returned by Topology.Validate and Ensure when a size
// cannot work.
var ErrInvalidTopology = errors.New("streams: invalid topology")

// ErrInvalidConsumer is returned by EnsureFunctionConsumer for parameters that
// cannot make a consumer.
var ErrInvalidConsumer = errors.New("streams: invalid function consumer")
