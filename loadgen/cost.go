package loadgen

import (
	"cmp"
	"slices"
	"time"

	"github.com/wavelink/wavelink/schemas"
)

// CostLedger adds up the start and stop records instances publish on
// wl.instance.<fn> into each instance's lifetime, memory and busy time. It
// is pure (it reads no clock) and not safe for concurrent use.
type CostLedger struct {
	byID  map[string]*ledgerEntry
	order []string
	// Records counts the records added.
	Records int
}

type ledgerEntry struct {
	rec     schemas.InstanceRecord
	stopped bool
}

// NewCostLedger returns an empty ledger.
func NewCostLedger() *CostLedger { return &CostLedger{byID: map[string]*ledgerEntry{}} }

// Add takes one record. A start record (Stopped zero) opens the instance; a
// stop record closes it with its busy time and counts, whichever of the two
// comes first; a repeated record changes nothing that is already known.
func (l *CostLedger) Add(r schemas.InstanceRecord) {
	l.Records++
	e := l.byID[r.ID]
	if e == nil {
		e = &ledgerEntry{rec: r}
		e.stopped = !r.Stopped.IsZero()
		l.byID[r.ID] = e
		l.order = append(l.order, r.ID)
		return
	}
	if e.rec.Started.IsZero() {
		e.rec.Started = r.Started
	}
	if e.rec.Ready.IsZero() {
		e.rec.Ready = r.Ready
	}
	if e.rec.MemoryMB == 0 {
		e.rec.MemoryMB = r.MemoryMB
	}
	if !r.Stopped.IsZero() && !e.stopped {
		e.stopped = true
		e.rec.Stopped, e.rec.Busy, e.rec.Served, e.rec.Failed = r.Stopped, r.Busy, r.Served, r.Failed
	}
}

// Len is the number of instances seen.
func (l *CostLedger) Len() int { return len(l.order) }

// InstanceUse is what the invocations of a run say of one instance: the
// run time of those it served and how many. It stands in for the busy time
// and count of an instance that had not stopped by the end of the run.
type InstanceUse struct {
	Busy   time.Duration
	Served int64
}

// CostWindow is the span cost accounting covers, and the instant instance
// times are written relative to.
type CostWindow struct {
	// RunStart is time zero of the run's files.
	RunStart time.Time
	// From and To bound the accounting: an instance's memory counts while
	// it lived within them; an instance still alive at To counts until To.
	From, To time.Time
}

// TrackCost is the cost of one track's instances.
type TrackCost struct {
	// Instances counts those seen; Creations those started within the
	// window.
	Instances int `json:"instances"`
	Creations int `json:"creations"`
	// AllocatedGBs is memory (MB/1024) times lifetime within the window;
	// BusyGBs memory times the part of it holding at least one invocation.
	AllocatedGBs float64 `json:"allocated_gb_s"`
	BusyGBs      float64 `json:"busy_gb_s"`
}

// CostSummary is the platform-side cost of a run, from instance records.
type CostSummary struct {
	// FromUs and ToUs are the accounting window, in µs from the run start.
	FromUs int64 `json:"from_us"`
	ToUs   int64 `json:"to_us"`
	// AllocatedGBs sums memoryMB/1024 × (stopped − started) over instances,
	// within the window.
	AllocatedGBs float64 `json:"allocated_gb_s"`
	// BusyGBs sums memoryMB/1024 × busy time.
	BusyGBs float64 `json:"busy_gb_s"`
	// BusyOverAllocated is BusyGBs / AllocatedGBs (0 when nothing was
	// allocated).
	BusyOverAllocated float64 `json:"busy_over_allocated"`
	// Instances counts the instances seen; AliveAtEnd those with no stop
	// record by the end, counted until then.
	Instances  int `json:"instances"`
	AliveAtEnd int `json:"alive_at_end"`
	// CreationsByTrack counts instances started within the window, by
	// track ("regular", "emergency").
	CreationsByTrack map[string]int `json:"creations_by_track"`
	// ByTrack breaks everything down by track.
	ByTrack map[string]TrackCost `json:"by_track"`
	// Records counts the instance records received; Rejected those that
	// could not be read.
	Records  int `json:"records"`
	Rejected int `json:"rejected_records"`
}

// Close computes one row per instance (by start time, then id) and the
// cost summary over w. use gives, by instance id, what the run's
// invocations say of instances still alive at the end; it may be nil.
func (l *CostLedger) Close(w CostWindow, use map[string]InstanceUse) ([]InstanceRow, CostSummary) {
	rel := func(t time.Time) int64 {
		if t.IsZero() {
			return 0
		}
		return t.Sub(w.RunStart).Microseconds()
	}
	s := CostSummary{FromUs: rel(w.From), ToUs: rel(w.To), CreationsByTrack: map[string]int{}, ByTrack: map[string]TrackCost{},
		Records: l.Records}
	rows := make([]InstanceRow, 0, len(l.order))
	for _, id := range l.order {
		e := l.byID[id]
		r := e.rec
		started := r.Started
		if started.IsZero() {
			started = cmp.Or(r.Ready, w.From)
		}
		stopped, busy, served := r.Stopped, r.Busy, r.Served
		if !e.stopped {
			stopped = w.To
			u := use[id]
			busy, served = u.Busy, u.Served
		}
		if stopped.Before(started) {
			stopped = started
		}
		busy = min(max(busy, 0), stopped.Sub(started))
		rows = append(rows, InstanceRow{ID: r.ID, Function: r.Function, Track: r.Track, MemoryMB: r.MemoryMB,
			StartedUs: rel(started), ReadyUs: rel(r.Ready), StoppedUs: rel(stopped), BusyUs: busy.Microseconds(),
			Served: served, Alive: !e.stopped})

		life := stopped.Sub(started)
		in := minTime(stopped, w.To).Sub(maxTime(started, w.From))
		in = max(in, 0)
		inBusy := busy
		if life > 0 && in < life {
			inBusy = time.Duration(float64(busy) * float64(in) / float64(life))
		}
		gb := float64(r.MemoryMB) / 1024
		tc := s.ByTrack[r.Track]
		tc.Instances++
		if !started.Before(w.From) && !started.After(w.To) {
			tc.Creations++
			s.CreationsByTrack[r.Track]++
		}
		tc.AllocatedGBs += gb * in.Seconds()
		tc.BusyGBs += gb * inBusy.Seconds()
		s.ByTrack[r.Track] = tc
		s.AllocatedGBs += gb * in.Seconds()
		s.BusyGBs += gb * inBusy.Seconds()
		s.Instances++
		if !e.stopped {
			s.AliveAtEnd++
		}
	}
	if s.AllocatedGBs > 0 {
		s.BusyOverAllocated = s.BusyGBs / s.AllocatedGBs
	}
	sortInstanceRows(rows)
	return rows, s
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// sortInstanceRows orders rows by start, then id.
func sortInstanceRows(rows []InstanceRow) {
	slices.SortStableFunc(rows, func(a, b InstanceRow) int {
		return cmp.Or(cmp.Compare(a.StartedUs, b.StartedUs), cmp.Compare(a.ID, b.ID))
	})
}
