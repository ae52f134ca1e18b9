package wavelet

import (
	"slices"
	"time"

	"github.com/wavelink/wavelink/schemas"
	"github.com/wavelink/wavelink/streams"
)

// reap waits for the instance to end, destroys its sandbox, and gives
// back its slot and memory.
func (w *Wavelet) reap(in *inst) {
	<-in.sb.Done()
	destroyErr := in.sb.Destroy()
	for try := 0; destroyErr != nil && try < 3; try++ {
		// A cgroup can stay busy for a moment after its last process.
		time.Sleep(100 * time.Millisecond)
		destroyErr = in.sb.Destroy()
	}
	w.mu.Lock()
	if in.backstop != nil {
		in.backstop.Stop()
	}
	delete(w.insts, in.id)
	if i := slices.Index(w.pool[in.fn], in); i >= 0 {
		w.pool[in.fn] = slices.Delete(w.pool[in.fn], i, i+1)
	}
	if i := slices.Index(w.generics, in); i >= 0 {
		w.generics = slices.Delete(w.generics, i, i+1)
	}
	if !in.released {
		in.released = true
		w.usedSlots--
		w.usedMB -= in.memMB
	}
	w.mu.Unlock()

	in.mu.Lock()
	source, readyAt := in.source, in.readyAt
	in.mu.Unlock()
	ev := w.log.Info().Str("function", in.fn).Str("instance", in.id)
	if source != "" {
		w.metrics.retired.WithLabelValues(source).Inc()
		ev = ev.Str("from", source).Dur("served_for", time.Since(readyAt))
	} else {
		ev = ev.Str("from", "never pulled")
		w.recordUnused(in)
	}
	if err := in.sb.Err(); err != nil {
		ev = ev.Str("exit", err.Error())
	}
	if destroyErr != nil {
		w.log.Warn().Err(destroyErr).Str("instance", in.id).Msg("emergency instance's sandbox not removed")
	}
	ev.Msg("emergency instance retired")
}

// recordUnused publishes the record of a pooled or generic instance that
// retired without ever pulling: it never said so itself, and its memory was
// taken all the same. A generic one is recorded under the name "generic".
func (w *Wavelet) recordUnused(in *inst) {
	fn := in.fn
	if fn == "" {
		fn = "generic"
	}
	b, err := schemas.EncodeInstanceRecord(schemas.InstanceRecord{
		ID: in.id, Function: fn, Track: "emergency", MemoryMB: max(in.memMB-w.cfg.OverheadMB, 0),
		Started: in.created, Stopped: time.Now(),
	})
	if err == nil {
		_ = w.nc.Publish(streams.InstanceSubject(fn), b)
	}
}
