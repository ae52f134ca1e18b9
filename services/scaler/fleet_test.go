package scaler

import (
	"strconv"
	"testing"
	"time"

	"github.com/wavelink/wavelink/services/scaler/expedite"
)

func TestFleetCountsEmergencyInstances(t *testing.T) {
	p := expedite.DefaultParams()
	sp := &fnSpec{concurrency: 1, memoryMB: 256, maxInstances: 100}
	demand := func(out int) expedite.Demand {
		return expedite.Demand{Outstanding: out, Concurrency: 1, MaxInstances: 100}
	}
	type want struct {
		count int    // f.count("fn")
		asked int    // instances the last claim placed
		nodes string // its shares
	}
	tests := []struct {
		name  string
		steps func(f *fleet) []expedite.Share
		want  want
	}{
		{"no nodes places nothing", func(f *fleet) []expedite.Share {
			s, _, _, _ := f.claim(p, "fn", sp, demand(3), t0)
			return s
		}, want{0, 0, "[]"}},
		{"a claim counts at once", func(f *fleet) []expedite.Share {
			f.update("a", status("a", t0, 8, 4096, nil, nil), t0)
			s, _, _, _ := f.claim(p, "fn", sp, demand(3), t0)
			return s
		}, want{3, 3, "[a:3/0]"}},
		{"the next arrival asks only for what the burst outgrew", func(f *fleet) []expedite.Share {
			f.update("a", status("a", t0, 8, 4096, nil, nil), t0)
			f.claim(p, "fn", sp, demand(3), t0)
			s, _, _, _ := f.claim(p, "fn", sp, demand(4), t0)
			return s
		}, want{4, 1, "[a:1/0]"}},
		{"a grant counts until a status covers it", func(f *fleet) []expedite.Share {
			f.update("a", status("a", t0, 8, 4096, nil, nil), t0)
			f.claim(p, "fn", sp, demand(3), t0)
			f.settle("a", "fn", 3, 2, false, t0.Add(time.Second))
			return nil
		}, want{2, 0, "[]"}},
		{"a status written after the grant replaces it", func(f *fleet) []expedite.Share {
			f.update("a", status("a", t0, 8, 4096, nil, nil), t0)
			f.claim(p, "fn", sp, demand(3), t0)
			f.settle("a", "fn", 3, 3, false, t0.Add(time.Second))
			f.update("a", status("a", t0.Add(2*time.Second), 5, 4096, map[string]int{"fn": 3}, nil), t0.Add(2*time.Second))
			s, _, _, _ := f.claim(p, "fn", sp, demand(4), t0.Add(2*time.Second))
			return s
		}, want{4, 1, "[a:1/0]"}},
		{"a status older than the grant does not replace it", func(f *fleet) []expedite.Share {
			f.update("a", status("a", t0, 8, 4096, nil, nil), t0)
			f.claim(p, "fn", sp, demand(3), t0)
			f.settle("a", "fn", 3, 3, false, t0.Add(time.Second))
			f.update("a", status("a", t0.Add(500*time.Millisecond), 8, 4096, nil, nil), t0.Add(2*time.Second))
			return nil
		}, want{3, 0, "[]"}},
		{"slots taken by grants are not placed again", func(f *fleet) []expedite.Share {
			f.update("a", status("a", t0, 4, 4096, nil, nil), t0)
			f.claim(p, "fn", sp, demand(3), t0)
			f.settle("a", "fn", 3, 3, false, t0)
			s, _, _, _ := f.claim(p, "fn", sp, demand(10), t0)
			return s
		}, want{4, 1, "[a:1/0]"}},
		{"a refusing node is skipped until its next status", func(f *fleet) []expedite.Share {
			f.update("a", status("a", t0, 4, 4096, nil, nil), t0)
			f.update("b", status("b", t0, 2, 4096, nil, nil), t0)
			f.claim(p, "fn", sp, demand(2), t0) // a: most slots
			f.settle("a", "fn", 2, 0, false, t0)
			s, _, _, _ := f.claim(p, "fn", sp, demand(2), t0)
			return s
		}, want{2, 2, "[b:2/0]"}},
		{"a failed node is skipped", func(f *fleet) []expedite.Share {
			f.update("a", status("a", t0, 4, 4096, nil, nil), t0)
			f.claim(p, "fn", sp, demand(1), t0)
			f.settle("a", "fn", 1, 0, true, t0)
			s, _, _, _ := f.claim(p, "fn", sp, demand(1), t0)
			return s
		}, want{0, 0, "[]"}},
		{"a removed node takes its counts along", func(f *fleet) []expedite.Share {
			f.update("a", status("a", t0, 8, 4096, map[string]int{"fn": 2}, nil), t0)
			f.claim(p, "fn", sp, demand(5), t0)
			f.remove("a")
			f.settle("a", "fn", 3, 3, false, t0) // its late answer
			return nil
		}, want{0, 0, "[]"}},
		{"an expired node is pruned", func(f *fleet) []expedite.Share {
			f.update("a", status("a", t0, 8, 4096, map[string]int{"fn": 2}, nil), t0)
			f.prune(t0.Add(time.Minute))
			s, _, _, _ := f.claim(p, "fn", sp, demand(1), t0.Add(time.Minute))
			return s
		}, want{0, 0, "[]"}},
		{"pool entries taken by asks are not counted twice", func(f *fleet) []expedite.Share {
			f.update("a", status("a", t0, 8, 4096, nil, map[string]int{"fn": 1}), t0)
			f.update("b", status("b", t0, 2, 4096, nil, map[string]int{"fn": 1}), t0)
			f.claim(p, "fn", sp, demand(2), t0)
			s, _, _, _ := f.claim(p, "fn", sp, demand(3), t0)
			return s
		}, want{3, 1, "[a:1/0]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFleet(5 * time.Second)
			shares := tc.steps(f)
			asked := 0
			for _, s := range shares {
				asked += s.Count
			}
			if got := f.count("fn"); got != tc.want.count {
				t.Errorf("count %d, want %d", got, tc.want.count)
			}
			if asked != tc.want.asked || formatShares(shares) != tc.want.nodes {
				t.Errorf("last claim placed %s (%d), want %s (%d)", formatShares(shares), asked, tc.want.nodes, tc.want.asked)
			}
		})
	}
}

func formatShares(shares []expedite.Share) string {
	out := "["
	for i, s := range shares {
		if i > 0 {
			out += " "
		}
		out += s.Node + ":" + strconv.Itoa(s.Count) + "/" + strconv.Itoa(s.Pooled)
	}
	return out + "]"
}
