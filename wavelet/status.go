package wavelet

import (
	"context"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wavelink/wavelink/schemas"
)

// Status returns the node's status as it is now.
func (w *Wavelet) Status() schemas.NodeStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := schemas.NodeStatus{
		Node: w.cfg.Node, Time: time.Now().UTC(), Mode: w.rt.Mode(),
		Slots:    schemas.Capacity{Total: w.cfg.Slots, Free: max(w.cfg.Slots-w.usedSlots, 0)},
		MemoryMB: schemas.Capacity{Total: w.cfg.MemoryMB, Free: max(w.cfg.MemoryMB-w.usedMB, 0)},
	}
	for _, in := range w.insts {
		if s.Running == nil {
			s.Running = map[string]int{}
		}
		s.Running[in.fn]++
	}
	for fn, entries := range w.pool {
		if len(entries) == 0 {
			continue
		}
		if s.Pool == nil {
			s.Pool = map[string]int{}
		}
		s.Pool[fn] = len(entries)
	}
	s.Generic = len(w.generics)
	return s
}

// putStatus writes the node status to wl_nodes under the node's name.
func (w *Wavelet) putStatus(ctx context.Context, kv jetstream.KeyValue) {
	st := w.Status()
	n := w.seq.Add(1)
	b, err := schemas.EncodeNodeStatusJSON("wavelink/wavelet/"+w.cfg.Node, w.cfg.Node+"-status-"+w.runID+"-"+strconv.FormatUint(n, 10), st)
	if err != nil {
		w.log.Error().Err(err).Msg("node status does not fit its schema")
		return
	}
	if _, err := kv.Put(ctx, w.cfg.Node, b); err != nil && ctx.Err() == nil {
		w.log.Warn().Err(err).Msg("node status not written")
	}
}
