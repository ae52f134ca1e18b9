package poolpolicy

import (
	"fmt"
	"slices"
	"sort"
	"time"
)

// Params bound the pool.
type Params struct {
	// Window is how far back bursts count. A function with no burst in it
	// gets no pool. Default 2 minutes.
	Window time.Duration
	// PerFunction caps one function's pool. Default 8.
	PerFunction int
	// MemoryShare is the fraction of the node's free memory the whole pool
	// may take. Default 0.25.
	MemoryShare float64
}

// WithDefaults fills in zero fields.
func (p Params) WithDefaults() Params {
	if p.Window == 0 {
		p.Window = 2 * time.Minute
	}
	if p.PerFunction == 0 {
		p.PerFunction = 8
	}
	if p.MemoryShare == 0 {
		p.MemoryShare = 0.25
	}
	return p
}

// Validate names the first field that cannot work.
func (p Params) Validate() error {
	switch {
	case p.Window <= 0:
		return fmt.Errorf("poolpolicy: window must be positive, got %s", p.Window)
	case p.PerFunction < 0:
		return fmt.Errorf("poolpolicy: perFunction must not be negative, got %d", p.PerFunction)
	case p.MemoryShare < 0 || p.MemoryShare > 1:
		return fmt.Errorf("poolpolicy: memoryShare must be within [0, 1], got %g", p.MemoryShare)
	}
	return nil
}

// Burst is one burst request a function got: when, and how many instances
// it asked for.
type Burst struct {
	At    time.Time
	Count int
}

// History is the bursts of one function, oldest first.
type History struct {
	bursts []Burst
}

// Add records a burst at now and forgets bursts older than window.
func (h *History) Add(now time.Time, count int, window time.Duration) {
	h.Forget(now, window)
	h.bursts = append(h.bursts, Burst{At: now, Count: count})
}

// Forget drops bursts older than window before now.
func (h *History) Forget(now time.Time, window time.Duration) {
	cut := sort.Search(len(h.bursts), func(i int) bool { return now.Sub(h.bursts[i].At) <= window })
	h.bursts = slices.Delete(h.bursts, 0, cut)
}

// Peak is the largest burst within window before now, 0 without any.
func (h *History) Peak(now time.Time, window time.Duration) int {
	peak := 0
	for _, b := range h.bursts {
		if now.Sub(b.At) <= window {
			peak = max(peak, b.Count)
		}
	}
	return peak
}

// Function is one function's input to Targets.
type Function struct {
	Name string
	// MemoryMB is what one pre-created instance of it holds.
	MemoryMB int
	History  *History
}

// Targets returns how many pre-created instances to keep per function: the
// largest burst of the window, at most PerFunction, and all of them within
// MemoryShare of freeMB. When memory is short, functions whose peak is
// largest are served first, one instance at a time round robin, so that
// one big function cannot starve the others. Functions with no burst in
// the window get 0: their entries are released.
func Targets(now time.Time, fns []Function, freeMB int, p Params) map[string]int {
	p = p.WithDefaults()
	want := make(map[string]int, len(fns))
	order := make([]Function, 0, len(fns))
	for _, f := range fns {
		n := 0
		if f.History != nil {
			n = min(f.History.Peak(now, p.Window), p.PerFunction)
		}
		want[f.Name] = n
		if n > 0 {
			order = append(order, f)
		}
	}
	slices.SortStableFunc(order, func(a, b Function) int {
		if d := want[b.Name] - want[a.Name]; d != 0 {
			return d
		}
		if a.Name < b.Name {
			return -1
		}
		return 1
	})
	budget := int(float64(max(freeMB, 0)) * p.MemoryShare)
	out := make(map[string]int, len(fns))
	for _, f := range fns {
		out[f.Name] = 0
	}
	for progress := true; progress; {
		progress = false
		for _, f := range order {
			if out[f.Name] >= want[f.Name] || f.MemoryMB > budget {
				continue
			}
			out[f.Name]++
			budget -= max(f.MemoryMB, 0)
			progress = true
		}
	}
	return out
}
