package clustermgr

import (
	"testing"
	"time"
)

func TestBackoffFailed(t *testing.T) {
	t0 := time.Time{}.Add(time.Hour)
	b := Backoff{Min: 100 * time.Millisecond, Max: time.Second, Reset: 30 * time.Second}
	type step struct {
		at           time.Duration // since t0
		ran          time.Duration
		wantFailures int
		wantDelay    time.Duration
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"doubles up to the cap", []step{
			{0, 0, 1, 100 * time.Millisecond},
			{100 * time.Millisecond, 0, 2, 200 * time.Millisecond},
			{300 * time.Millisecond, 0, 3, 400 * time.Millisecond},
			{700 * time.Millisecond, 0, 4, 800 * time.Millisecond},
			{1500 * time.Millisecond, 0, 5, time.Second},
			{2500 * time.Millisecond, 0, 6, time.Second},
		}},
		{"a failure during a pending delay does not lengthen it", []step{
			{0, 0, 1, 100 * time.Millisecond},
			{40 * time.Millisecond, 0, 1, 60 * time.Millisecond},
			{100 * time.Millisecond, 0, 2, 200 * time.Millisecond},
		}},
		{"an instance that ran for Reset starts the count over", []step{
			{0, 0, 1, 100 * time.Millisecond},
			{100 * time.Millisecond, 0, 2, 200 * time.Millisecond},
			{300 * time.Millisecond, 0, 3, 400 * time.Millisecond},
			{time.Minute, 30 * time.Second, 1, 100 * time.Millisecond},
		}},
		{"Reset without failures after starts were allowed starts the count over", []step{
			{0, 0, 1, 100 * time.Millisecond},
			{100 * time.Millisecond, 0, 2, 200 * time.Millisecond},
			{300*time.Millisecond + 30*time.Second, time.Second, 1, 100 * time.Millisecond},
		}},
		{"just under Reset keeps the count", []step{
			{0, 0, 1, 100 * time.Millisecond},
			{100*time.Millisecond + 29*time.Second, 29 * time.Second, 2, 200 * time.Millisecond},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s BackoffState
			for i, st := range tt.steps {
				now := t0.Add(st.at)
				var d time.Duration
				s, d = b.Failed(s, now, st.ran)
				if s.Failures != st.wantFailures || d != st.wantDelay {
					t.Fatalf("step %d: failures %d delay %s, want %d and %s", i, s.Failures, d, st.wantFailures, st.wantDelay)
				}
				if !s.NotBefore.Equal(now.Add(d)) {
					t.Fatalf("step %d: notBefore %s, want now+%s", i, s.NotBefore.Sub(t0), d)
				}
				if s.Allows(now.Add(d-time.Nanosecond)) || !s.Allows(now.Add(d)) {
					t.Fatalf("step %d: allows does not switch at now+%s", i, d)
				}
			}
		})
	}
}

func TestBackoffZeroAllows(t *testing.T) {
	if !(BackoffState{}).Allows(time.Time{}.Add(time.Second)) {
		t.Fatal("a fresh back-off must allow starts")
	}
}

func TestBackoffValidate(t *testing.T) {
	tests := []struct {
		name string
		b    Backoff
		ok   bool
	}{
		{"the backends' default", Backoff{Min: 100 * time.Millisecond, Max: 10 * time.Second, Reset: 30 * time.Second}, true},
		{"equal bounds", Backoff{Min: time.Second, Max: time.Second, Reset: time.Second}, true},
		{"zero min", Backoff{Max: time.Second, Reset: time.Second}, false},
		{"max below min", Backoff{Min: time.Second, Max: time.Millisecond, Reset: time.Second}, false},
		{"no reset", Backoff{Min: time.Millisecond, Max: time.Second}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.b.Validate(); (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestBackoffSequence(t *testing.T) {
	b := Backoff{Min: 100 * time.Millisecond, Max: 400 * time.Millisecond, Reset: 10 * time.Second}
	now := time.Time{}.Add(time.Hour)
	var s BackoffState
	var d time.Duration
	steps := []struct {
		advance time.Duration
		ran     time.Duration
		want    time.Duration
	}{
		{0, 0, 100 * time.Millisecond},
		{100 * time.Millisecond, 0, 200 * time.Millisecond},
		{50 * time.Millisecond, 0, 150 * time.Millisecond}, // still pending: not lengthened
		{150 * time.Millisecond, 0, 400 * time.Millisecond},
		{400 * time.Millisecond, 0, 400 * time.Millisecond},     // capped
		{time.Second, 20 * time.Second, 100 * time.Millisecond}, // ran long: reset
		{30 * time.Second, 0, 100 * time.Millisecond},           // quiet for Reset: reset
	}
	for i, st := range steps {
		now = now.Add(st.advance)
		s, d = b.Failed(s, now, st.ran)
		if d != st.want {
			t.Fatalf("step %d: delay %s, want %s", i, d, st.want)
		}
		if s.Allows(now) || !s.Allows(now.Add(d)) {
			t.Fatalf("step %d: Allows is wrong around %s", i, s.NotBefore)
		}
	}
}
