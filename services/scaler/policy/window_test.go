package policy

import (
	"testing"
	"time"
)

func TestWindow(t *testing.T) {
	type sample struct {
		at time.Duration
		v  float64
	}
	tests := []struct {
		name    string
		samples []sample
		at      time.Duration
		span    time.Duration
		want    float64
		wantOK  bool
	}{
		{"empty", nil, 0, 10 * time.Second, 0, false},
		{"one sample", []sample{{0, 4}}, 0, 10 * time.Second, 4, true},
		{"mean of samples", []sample{{0, 2}, {2 * time.Second, 4}, {4 * time.Second, 9}}, 4 * time.Second, 10 * time.Second, 5, true},
		{"span takes the newest buckets", []sample{{0, 100}, {6 * time.Second, 1}, {8 * time.Second, 3}}, 8 * time.Second, 4 * time.Second, 2, true},
		{"two samples in one bucket", []sample{{100 * time.Millisecond, 1}, {900 * time.Millisecond, 3}}, time.Second - 1, time.Second, 2, true},
		{"older than the window drops out", []sample{{0, 100}, {11 * time.Second, 2}}, 11 * time.Second, 10 * time.Second, 2, true},
		{"a gap longer than the ring clears it", []sample{{0, 100}, {time.Second, 100}, {time.Hour, 1}}, time.Hour, 10 * time.Second, 1, true},
		{"nothing within the span", []sample{{0, 5}}, 9 * time.Second, 2 * time.Second, 0, false},
		{"a sample before the origin is dropped", []sample{{5 * time.Second, 3}, {0, 100}}, 5 * time.Second, 10 * time.Second, 3, true},
		{"a late sample inside the window counts", []sample{{0, 3}, {5 * time.Second, 3}, {2 * time.Second, 6}}, 5 * time.Second, 10 * time.Second, 4, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWindow(10, time.Second)
			for _, s := range tc.samples {
				w.record(t0.Add(s.at), s.v)
			}
			got, ok := w.average(t0.Add(tc.at), tc.span)
			if got != tc.want || ok != tc.wantOK {
				t.Fatalf("average %v ok %v, want %v ok %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestWindowCloneSharesNothing(t *testing.T) {
	w := newWindow(4, time.Second)
	w.record(t0, 1)
	c := w.clone()
	c.record(t0, 9)
	if got, _ := w.average(t0, time.Second); got != 1 {
		t.Fatalf("recording into a clone changed the original: average %v", got)
	}
}

func TestWindowPeak(t *testing.T) {
	type sample struct {
		at time.Duration
		v  float64
	}
	tests := []struct {
		name    string
		samples []sample
		at      time.Duration
		span    time.Duration
		want    float64
		wantOK  bool
	}{
		{"empty", nil, 0, 10 * time.Second, 0, false},
		{"largest sample", []sample{{0, 2}, {2 * time.Second, 9}, {4 * time.Second, 4}}, 4 * time.Second, 10 * time.Second, 9, true},
		{"largest within one bucket", []sample{{100 * time.Millisecond, 7}, {900 * time.Millisecond, 3}}, time.Second - 1, time.Second, 7, true},
		{"a zero after work is not the peak", []sample{{0, 5}, {time.Second, 0}}, time.Second, 10 * time.Second, 5, true},
		{"only zeros", []sample{{0, 0}, {time.Second, 0}}, time.Second, 10 * time.Second, 0, true},
		{"the span drops older peaks", []sample{{0, 100}, {6 * time.Second, 1}, {8 * time.Second, 3}}, 8 * time.Second, 4 * time.Second, 3, true},
		{"older than the window drops out", []sample{{0, 100}, {11 * time.Second, 2}}, 11 * time.Second, 10 * time.Second, 2, true},
		{"nothing within the span", []sample{{0, 5}}, 9 * time.Second, 2 * time.Second, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWindow(10, time.Second)
			for _, s := range tc.samples {
				w.record(t0.Add(s.at), s.v)
			}
			got, ok := w.peak(t0.Add(tc.at), tc.span)
			if got != tc.want || ok != tc.wantOK {
				t.Fatalf("peak %v ok %v, want %v ok %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}
