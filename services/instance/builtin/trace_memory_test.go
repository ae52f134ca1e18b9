package builtin

import "testing"

func TestHeldMemoryReusesAndReplaces(t *testing.T) {
	var h heldMemory
	if b := h.take(0); b.b != nil {
		t.Fatalf("take(0) = %d bytes, want none", len(b.b))
	}
	a := h.take(2)
	if len(a.b) != 2<<20 {
		t.Fatalf("take(2) = %d bytes", len(a.b))
	}
	for i := 0; i < len(a.b); i += pageSize {
		if a.b[i] != 1 {
			t.Fatalf("page at %d not written: the memory would not be resident", i)
		}
	}
	h.give(a)
	if b := h.take(1); &b.b[0] != &a.b[0] {
		t.Fatal("a kept buffer big enough was not reused")
	} else {
		h.give(b)
	}
	big := h.take(4) // the 2 MiB buffer is too small: replaced
	if len(big.b) != 4<<20 || len(h.free) != 0 {
		t.Fatalf("take(4) = %d bytes with %d kept, want 4 MiB and none kept", len(big.b), len(h.free))
	}
	other := h.take(1) // a second call at once gets its own buffer
	if &other.b[0] == &big.b[0] {
		t.Fatal("two calls at once share a buffer")
	}
	h.give(big)
	h.give(other)
	if len(h.free) != 2 {
		t.Fatalf("%d buffers kept, want 2 (as many as calls ran at once)", len(h.free))
	}
	if b := h.take(1); &b.b[0] != &other.b[0] {
		t.Fatal("take(1) did not pick the smallest buffer big enough")
	}
}
