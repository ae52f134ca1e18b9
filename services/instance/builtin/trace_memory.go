package builtin

import "sync"

// pageSize is the stride at which trace touches its memory.
const pageSize = 4096

// mapResident returns size bytes of resident memory outside the Go heap,
// written page by page, and the function that gives it back; it is
// newResident, or a plain Go buffer where that fails.
func mapResident(size int) ([]byte, func()) {
	if b, free, err := newResident(size); err == nil {
		return b, free
	}
	b := make([]byte, size)
	for i := 0; i < len(b); i += pageSize {
		b[i] = 1
	}
	return b, func() {}
}

// heldMemory keeps the buffers trace's calls held, for the next calls.
type heldMemory struct {
	mu   sync.Mutex
	free [][]byte
	// unmap gives back each buffer's memory, by its first byte.
	unmap map[*byte]func()
}

// take returns a resident buffer of at least mb MiB (nil for none): a kept
// one if one is big enough, else a new one written page by page, which
// replaces the largest kept one too small (so no more buffers are kept than
// calls ran at once).
func (h *heldMemory) take(mb int64) []byte {
	if mb <= 0 {
		return nil
	}
	size := int(mb << 20)
	h.mu.Lock()
	best, small := -1, -1
	for i, b := range h.free {
		switch {
		case len(b) >= size && (best < 0 || len(b) < len(h.free[best])):
			best = i
		case len(b) < size && (small < 0 || len(b) > len(h.free[small])):
			small = i
		}
	}
	pick := best
	if pick < 0 {
		pick = small // dropped: a new, bigger one takes its place
	}
	var buf []byte
	if pick >= 0 {
		buf = h.free[pick]
		h.free = append(h.free[:pick], h.free[pick+1:]...)
	}
	if len(buf) >= size {
		h.mu.Unlock()
		return buf
	}
	if buf != nil {
		h.unmap[&buf[0]]()
		delete(h.unmap, &buf[0])
	}
	h.mu.Unlock()
	buf, free := mapResident(size)
	h.mu.Lock()
	if h.unmap == nil {
		h.unmap = map[*byte]func(){}
	}
	h.unmap[&buf[0]] = free
	h.mu.Unlock()
	return buf
}

// give keeps buf for a later call.
func (h *heldMemory) give(buf []byte) {
	if buf == nil {
		return
	}
	h.mu.Lock()
	h.free = append(h.free, buf)
	h.mu.Unlock()
}
