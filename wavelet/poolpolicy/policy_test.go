package poolpolicy

import (
	"maps"
	"testing"
	"time"
)

func TestTargets(t *testing.T) {
	t0 := time.Time{}.Add(time.Hour)
	hist := func(bursts ...Burst) *History {
		h := &History{}
		for _, b := range bursts {
			h.Add(b.At, b.Count, 2*time.Minute)
		}
		return h
	}
	cases := []struct {
		name   string
		now    time.Time
		fns    []Function
		freeMB int
		want   map[string]int
	}{
		{"no bursts, no pool", t0, []Function{{Name: "a", MemoryMB: 128, History: &History{}}}, 8192,
			map[string]int{"a": 0}},
		{"the peak of the window", t0, []Function{{Name: "a", MemoryMB: 128, History: hist(Burst{t0.Add(-time.Minute), 3}, Burst{t0, 1})}}, 8192,
			map[string]int{"a": 3}},
		{"capped per function", t0, []Function{{Name: "a", MemoryMB: 16, History: hist(Burst{t0, 50})}}, 8192,
			map[string]int{"a": 8}},
		{"old bursts are forgotten", t0.Add(3 * time.Minute), []Function{{Name: "a", MemoryMB: 16, History: hist(Burst{t0, 5})}}, 8192,
			map[string]int{"a": 0}},
		// 1024 MB free, a quarter for the pool: 256 MB, shared round robin.
		{"memory shared round robin", t0, []Function{
			{Name: "big", MemoryMB: 64, History: hist(Burst{t0, 8})},
			{Name: "small", MemoryMB: 64, History: hist(Burst{t0, 2})},
		}, 1024, map[string]int{"big": 2, "small": 2}},
		{"no memory, no pool", t0, []Function{{Name: "a", MemoryMB: 128, History: hist(Burst{t0, 4})}}, 100,
			map[string]int{"a": 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Targets(c.now, c.fns, c.freeMB, Params{})
			if !maps.Equal(got, c.want) {
				t.Errorf("Targets = %v, want %v", got, c.want)
			}
		})
	}
}

func TestParamsValidate(t *testing.T) {
	for _, p := range []Params{{Window: -1}, {Window: time.Second, PerFunction: -1}, {Window: time.Second, MemoryShare: 2}} {
		if err := p.Validate(); err == nil {
			t.Errorf("%+v accepted", p)
		}
	}
	if err := (Params{}).WithDefaults().Validate(); err != nil {
		t.Error(err)
	}
}
