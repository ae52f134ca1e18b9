package instance

import (
	"testing"
	"time"
)

func TestRetirementIdle(t *testing.T) {
	t0 := time.Time{}.Add(time.Hour)
	tests := []struct {
		name      string
		idleExit  time.Duration
		idleSince time.Time
		now       time.Time
		want      bool
	}{
		{"no idle exit", 0, t0, t0.Add(24 * time.Hour), false},
		{"just idle", time.Second, t0, t0, false},
		{"idle a moment short", time.Second, t0, t0.Add(time.Second - time.Nanosecond), false},
		{"idle exactly the idle exit", time.Second, t0, t0.Add(time.Second), true},
		{"idle longer", time.Second, t0, t0.Add(time.Minute), true},
		{"idle since a later release", time.Second, t0.Add(30 * time.Second), t0.Add(30*time.Second + 500*time.Millisecond), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newRetirement(Config{IdleExit: tc.idleExit}, t0)
			if got := p.idle(tc.now, tc.idleSince); got != tc.want {
				t.Fatalf("idle(%s after idling from %s) = %v, want %v", tc.now.Sub(t0), tc.idleSince.Sub(t0), got, tc.want)
			}
		})
	}
}

func TestRetirementDeadline(t *testing.T) {
	t0 := time.Time{}.Add(time.Hour)
	if _, ok := newRetirement(Config{}, t0).deadline(); ok {
		t.Errorf("a deadline without a max lifetime")
	}
	if _, ok := newRetirement(Config{IdleExit: time.Second}, t0).deadline(); ok {
		t.Errorf("a deadline from an idle exit alone")
	}
	end, ok := newRetirement(Config{MaxLifetime: time.Minute}, t0).deadline()
	if !ok || !end.Equal(t0.Add(time.Minute)) {
		t.Errorf("deadline %s %v, want a minute after the start", end.Sub(t0), ok)
	}
}

func TestRetirementPullWait(t *testing.T) {
	t0 := time.Time{}.Add(time.Hour)
	tests := []struct {
		name        string
		idleExit    time.Duration
		maxLifetime time.Duration
		at          time.Duration // since the start
		want        time.Duration
	}{
		{"regular instance", 0, 0, 0, pullWait},
		{"long idle exit", time.Minute, 0, 0, pullWait},
		{"idle exit of 1s", time.Second, 0, 0, 500 * time.Millisecond},
		{"short idle exit", 100 * time.Millisecond, 0, 0, 50 * time.Millisecond},
		{"tiny idle exit", time.Millisecond, 0, 0, minPullWait},
		{"early in a long lifetime", 0, time.Minute, 0, pullWait},
		{"near the end of the lifetime", 0, time.Minute, time.Minute - 300*time.Millisecond, 300 * time.Millisecond},
		{"at the end of the lifetime", 0, time.Minute, time.Minute, minPullWait},
		{"past the end of the lifetime", 0, time.Minute, 2 * time.Minute, minPullWait},
		{"idle exit and lifetime, idle exit first", time.Second, time.Minute, time.Second, 500 * time.Millisecond},
		{"idle exit and lifetime, lifetime first", time.Second, time.Minute, time.Minute - 200*time.Millisecond, 200 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newRetirement(Config{IdleExit: tc.idleExit, MaxLifetime: tc.maxLifetime}, t0)
			if got := p.pullWait(t0.Add(tc.at)); got != tc.want {
				t.Fatalf("pullWait = %s, want %s", got, tc.want)
			}
		})
	}
}
