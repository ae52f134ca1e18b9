package expedite

import (
	"errors"
	"testing"
	"time"
)

// t0 is the fake start of every test: tests step now from it and never
// sleep.
var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// record steps through arrivals: every tick a count, starting at t0.
func record(t *testing.T, p Params, tick time.Duration, counts ...int) (Arrivals, time.Time) {
	t.Helper()
	var a Arrivals
	now := t0
	for i, n := range counts {
		if i > 0 {
			now = now.Add(tick)
		}
		var err error
		if a, err = a.Record(p, now, n); err != nil {
			t.Fatal(err)
		}
	}
	return a, now
}

// repeat is counts of n, every tick, k times.
func repeat(k, n int) []int {
	out := make([]int, k)
	for i := range out {
		out[i] = n
	}
	return out
}

func TestRare(t *testing.T) {
	p := DefaultParams() // rare above 60 s, over at most 10 min
	const tick = 2 * time.Second
	oneEvery := func(every, k int) []int { // one arrival every `every` ticks
		out := make([]int, k)
		for i := range out {
			if i%every == 0 {
				out[i] = 1
			}
		}
		return out
	}
	tests := []struct {
		name     string
		counts   []int
		wantRare bool
		wantMean time.Duration // within 1%; -1: no arrivals, so none
	}{
		{"never recorded", nil, false, -1},
		{"a busy function seen for one tick", []int{100}, false, 0},
		{"a busy function seen for a second", []int{50, 50}, false, 20 * time.Millisecond},
		{"one arrival, seen for 30 s", append([]int{1}, repeat(15, 0)...), false, 30 * time.Second},
		{"one arrival, seen for 62 s", append([]int{1}, repeat(31, 0)...), true, 62 * time.Second},
		{"no arrivals for 62 s", repeat(32, 0), true, -1},
		{"no arrivals for 30 s is not known to be rare", repeat(16, 0), false, -1},
		{"one every 40 s over 20 min is not rare", oneEvery(20, 600), false, 40 * time.Second},
		{"one every 2 min over 20 min is rare", oneEvery(60, 600), true, 2 * time.Minute},
		{"the lookback forgets old arrivals", append(repeat(1, 1000), repeat(330, 0)...), true, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, now := record(t, p, tick, tc.counts...)
			if got := Rare(p, a, now); got != tc.wantRare {
				count, span := a.Observed(now)
				t.Fatalf("Rare = %v, want %v (%d arrivals over %s)", got, tc.wantRare, count, span)
			}
			mean, ok := a.MeanInterArrival(now)
			off := mean - tc.wantMean
			if ok != (tc.wantMean >= 0) || (ok && (off > tc.wantMean/100 || -off > tc.wantMean/100)) {
				t.Fatalf("mean inter-arrival %s (%v), want %s", mean, ok, tc.wantMean)
			}
		})
	}
}

func TestArrivalsObservedSpan(t *testing.T) {
	p := DefaultParams()
	a, now := record(t, p, time.Second, repeat(5, 1)...)
	if count, span := a.Observed(now); count != 5 || span != 4*time.Second {
		t.Fatalf("observed %d over %s, want 5 over 4s", count, span)
	}
	// Past the lookback, the span is the lookback (to bucket boundaries).
	later := now.Add(time.Hour)
	if a, err := a.Record(p, later, 2); err != nil {
		t.Fatal(err)
	} else if count, span := a.Observed(later); count != 2 || span > p.RareLookback || span < p.RareLookback-p.bucketWidth() {
		t.Fatalf("observed %d over %s, want 2 over about %s", count, span, p.RareLookback)
	}
	// A record before the observation began is ignored, not an error.
	if b, err := a.Record(p, t0.Add(-time.Hour), 7); err != nil || b != a {
		t.Fatalf("an early record changed the arrivals (%v)", err)
	}
}

func TestArrivalsRecordIsAValue(t *testing.T) {
	p := DefaultParams()
	a, now := record(t, p, time.Second, 1, 1)
	before := a
	if _, err := a.Record(p, now, 50); err != nil {
		t.Fatal(err)
	}
	if a != before {
		t.Fatal("Record modified the value it was called on")
	}
}

func TestArrivalsNewLookbackStartsAgain(t *testing.T) {
	p := DefaultParams()
	a, now := record(t, p, time.Second, repeat(30, 0)...)
	q := p
	q.RareLookback = 20 * time.Minute
	a, err := a.Record(q, now, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, span := a.Observed(now); span != 0 {
		t.Fatalf("span %s after a lookback change, want 0 (observation restarts)", span)
	}
}

func TestArrivalsRejectBadInput(t *testing.T) {
	var a Arrivals
	if _, err := a.Record(DefaultParams(), t0, -1); !errors.Is(err, ErrInvalidArrivals) {
		t.Fatalf("negative count: %v, want ErrInvalidArrivals", err)
	}
	if _, err := a.Record(Params{}, t0, 1); !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("zero params: %v, want ErrInvalidParams", err)
	}
}
