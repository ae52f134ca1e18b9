package builtin

import "sync"

// pageSize is the stride at which trace touches its memory.
const pageSize = 4096

// buffer is memory a trace call holds; unmap gives it back.
type buffer struct {
	b     []byte
	unmap func()
}

// newBuffer returns size bytes outside the Go heap (newResident), or a Go
// buffer where that fails, written page by page so that it is resident.
func newBuffer(size int) buffer {
	b, unmap, err := newResident(size)
	if err != nil {
		b, unmap = make([]byte, size), func() {}
	}
	for i := 0; i < len(b); i += pageSize {
		b[i] = 1
	}
	return buffer{b: b, unmap: unmap}
}

// heldMemory keeps the buffers trace's calls held, for the next calls.
type heldMemory struct {
	mu   sync.Mutex
	free []buffer
}

// take returns a resident buffer of at least mb MiB (none for mb <= 0): a
// kept one if one is big enough, else a new one, which replaces the largest
// kept one too small (so no more buffers are kept than calls ran at once).
func (h *heldMemory) take(mb int64) buffer {
	if mb <= 0 {
		return buffer{}
	}
	size := int(mb << 20)
	h.mu.Lock()
	best, small := -1, -1
	for i, f := range h.free {
		switch n := len(f.b); {
		case n >= size && (best < 0 || n < len(h.free[best].b)):
			best = i
		case n < size && (small < 0 || n > len(h.free[small].b)):
			small = i
		}
	}
	pick := best
	if pick < 0 {
		pick = small // dropped: a new, bigger one takes its place
	}
	var buf buffer
	if pick >= 0 {
		buf = h.free[pick]
		h.free = append(h.free[:pick], h.free[pick+1:]...)
	}
	h.mu.Unlock()
	if len(buf.b) >= size {
		return buf
	}
	if buf.unmap != nil {
		buf.unmap()
	}
	return newBuffer(size)
}

// give keeps buf for a later call.
func (h *heldMemory) give(buf buffer) {
	if buf.b == nil {
		return
	}
	h.mu.Lock()
	h.free = append(h.free, buf)
	h.mu.Unlock()
}
