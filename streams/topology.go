package streams

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Topology sizes the streams and buckets that Ensure creates.
type Topology struct {
	// Memory stores streams and buckets in memory instead of files.
	Memory bool
	// InvokeMaxBytes bounds the invocation queue. When it is full the stream
	// refuses new invocations (discard-new) instead of dropping accepted ones.
	InvokeMaxBytes int64
	// DuplicateWindow is how long a CloudEvent id is remembered, so that a
	// client's retry with the same id is stored once.
	DuplicateWindow time.Duration
	// ResultMaxAge is how long asynchronous results are kept.
	ResultMaxAge time.Duration
	// DLQMaxAge is how long dead letters are kept.
	DLQMaxAge time.Duration
	// NodeTTL is how long a Wavelet's status lives without being refreshed.
	NodeTTL time.Duration
}

// DefaultTopology returns the sizes `wavelink up` uses.
func DefaultTopology() Topology {
	return Topology{
		InvokeMaxBytes:  1 << 30,
		DuplicateWindow: 2 * time.Minute,
		ResultMaxAge:    10 * time.Minute,
		DLQMaxAge:       7 * 24 * time.Hour,
		NodeTTL:         5 * time.Second,
	}
}

// Validate reports the first size that cannot work.
func (t Topology) Validate() error {
	switch {
	case t.InvokeMaxBytes <= 0:
		return fmt.Errorf("%w: invocation queue byte limit must be positive, got %d", ErrInvalidTopology, t.InvokeMaxBytes)
	case t.DuplicateWindow <= 0:
		return fmt.Errorf("%w: duplicate window must be positive, got %s", ErrInvalidTopology, t.DuplicateWindow)
	case t.ResultMaxAge <= 0:
		return fmt.Errorf("%w: result retention must be positive, got %s", ErrInvalidTopology, t.ResultMaxAge)
	case t.DLQMaxAge <= 0:
		return fmt.Errorf("%w: dead-letter retention must be positive, got %s", ErrInvalidTopology, t.DLQMaxAge)
	case t.NodeTTL < time.Second:
		return fmt.Errorf("%w: node status TTL must be at least 1s, got %s", ErrInvalidTopology, t.NodeTTL)
	}
	return nil
}

func (t Topology) storage() jetstream.StorageType {
	if t.Memory {
		return jetstream.MemoryStorage
	}
	return jetstream.FileStorage
}

// InvokeStreamConfig is the configuration of WL_INVOKE.
func (t Topology) InvokeStreamConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        StreamInvoke,
		Description: "WaveLink invocations waiting for an instance",
		Subjects:    []string{InvokeAll},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     t.storage(),
		MaxBytes:    t.InvokeMaxBytes,
		Discard:     jetstream.DiscardNew,
		Duplicates:  t.DuplicateWindow,
		RePublish: &jetstream.RePublish{
			Source:      InvokeAll,
			Destination: ArrivalAll,
			HeadersOnly: true,
		},
	}
}

// ResultStreamConfig is the configuration of WL_RESULT.
func (t Topology) ResultStreamConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:              StreamResult,
		Description:       "WaveLink results of asynchronous invocations",
		Subjects:          []string{ResultAll},
		Retention:         jetstream.LimitsPolicy,
		Storage:           t.storage(),
		MaxAge:            t.ResultMaxAge,
		MaxMsgsPerSubject: 1,
		Duplicates:        t.DuplicateWindow,
		Discard:           jetstream.DiscardOld,
	}
}

// DLQStreamConfig is the configuration of WL_DLQ.
func (t Topology) DLQStreamConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        StreamDLQ,
		Description: "WaveLink invocations that exhausted their deliveries",
		Subjects:    []string{DLQAll},
		Retention:   jetstream.LimitsPolicy,
		Storage:     t.storage(),
		MaxAge:      t.DLQMaxAge,
		Duplicates:  t.DuplicateWindow,
		Discard:     jetstream.DiscardOld,
	}
}

// Ensure creates or updates WL_INVOKE, WL_RESULT, WL_DLQ, wl_functions and
// wl_nodes. It is idempotent: running it again on the same server changes
// nothing and loses nothing.
func Ensure(ctx context.Context, js jetstream.JetStream, t Topology) error {
	return apply(ctx, js, t, false)
}

// CreateMissing creates whichever of the streams and buckets do not exist
// yet, and leaves existing ones as they are configured. Roles that start
// apart call it, so whichever reaches a new server first (even at the same
// moment as another) makes the topology, and sizes chosen by whoever made it
// are kept.
func CreateMissing(ctx context.Context, js jetstream.JetStream, t Topology) error {
	return apply(ctx, js, t, true)
}

func apply(ctx context.Context, js jetstream.JetStream, t Topology, onlyMissing bool) error {
	if err := t.Validate(); err != nil {
		return err
	}
	for _, cfg := range []jetstream.StreamConfig{t.InvokeStreamConfig(), t.ResultStreamConfig(), t.DLQStreamConfig()} {
		var err error
		if onlyMissing {
			_, err = js.CreateStream(ctx, cfg)
			if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
				err = nil
			}
		} else {
			_, err = js.CreateOrUpdateStream(ctx, cfg)
		}
		if err != nil {
			return fmt.Errorf("streams: stream %s: %w", cfg.Name, err)
		}
	}
	buckets := []jetstream.KeyValueConfig{
		{Bucket: BucketFunctions, Description: "WaveLink function specs", Storage: t.storage(), History: 1},
		{Bucket: BucketNodes, Description: "WaveLink Wavelet status", Storage: jetstream.MemoryStorage, TTL: t.NodeTTL, History: 1},
	}
	for _, cfg := range buckets {
		var err error
		if onlyMissing {
			_, err = js.CreateKeyValue(ctx, cfg)
			if errors.Is(err, jetstream.ErrBucketExists) || errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
				err = nil
			}
		} else {
			_, err = js.CreateOrUpdateKeyValue(ctx, cfg)
		}
		if err != nil {
			return fmt.Errorf("streams: bucket %s: %w", cfg.Bucket, err)
		}
	}
	return nil
}

// IsQueueFull reports whether err is WL_INVOKE refusing a message because it
// reached its byte or message limit (the stream discards new messages).
func IsQueueFull(err error) bool {
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	// 10077 is "store failed"; its description is the store's own error.
	if apiErr.ErrorCode == 10077 {
		return strings.Contains(apiErr.Description, "maximum bytes exceeded") ||
			strings.Contains(apiErr.Description, "maximum messages exceeded")
	}
	// 10047 and 10028: the account or server has no storage left.
	return apiErr.ErrorCode == 10047 || apiErr.ErrorCode == 10028
}
