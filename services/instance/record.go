package instance

import (
	"time"

	"github.com/wavelink/wavelink/schemas"
	"github.com/wavelink/wavelink/streams"
)

// record publishes the instance's start record (stopped zero) or stop
// record on wl.instance.<fn>, for cost accounting: when its memory was
// taken, and how long it held work. Best effort: nobody may listen.
func (r *runtime) record(stopped time.Time) {
	rec := schemas.InstanceRecord{
		ID: r.cfg.ID, Function: r.cfg.Function, Track: r.cfg.Track, MemoryMB: r.spec.MemoryMB,
		Started: r.born, Ready: r.ready, Stopped: stopped,
	}
	if !stopped.IsZero() {
		r.mu.Lock()
		rec.Busy = r.busy
		if r.held > 0 { // still holding work (a stop that did not drain)
			rec.Busy += stopped.Sub(r.busySince)
		}
		r.mu.Unlock()
		rec.Served, rec.Failed = r.served.Load(), r.failed.Load()
	}
	b, err := schemas.EncodeInstanceRecord(rec)
	if err != nil {
		return
	}
	if err := r.nc.Publish(streams.InstanceSubject(r.cfg.Function), b); err != nil {
		r.log.Debug().Err(err).Msg("instance record not published")
	}
}
