package loadgen

import (
	"errors"
	"math"
	"slices"
	"testing"
	"time"
)

func traceBundled(t *testing.T) *Trace {
	t.Helper()
	tr, err := LoadTrace(BundledTraceName)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestParseMinuteRange(t *testing.T) {
	for _, c := range []struct {
		in   string
		want MinuteRange
		ok   bool
	}{
		{"0-29", MinuteRange{0, 29}, true}, {"5", MinuteRange{5, 5}, true}, {" 3 - 4 ", MinuteRange{3, 4}, true},
		{"4-3", MinuteRange{}, false}, {"-1", MinuteRange{}, false}, {"a-b", MinuteRange{}, false}, {"", MinuteRange{}, false},
	} {
		got, err := ParseMinuteRange(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("%q: %v, %v", c.in, got, err)
		}
		if err != nil && !errors.Is(err, ErrBadPlan) {
			t.Errorf("%q: %v does not wrap ErrBadPlan", c.in, err)
		}
	}
	if s := (MinuteRange{0, 29}).String(); s != "0-29" {
		t.Errorf("String %q", s)
	}
}

// Every function gets exactly its count of calls in every minute, each
// inside its (compressed) minute, and the plan is in send order.
func TestPlanKeepsEachMinutesCountExactly(t *testing.T) {
	tr := traceBundled(t)
	for _, dist := range []IATDistribution{IATExponential, IATUniform, IATEquidistant} {
		t.Run(string(dist), func(t *testing.T) {
			p, err := BuildPlan(tr, PlanOptions{Minutes: MinuteRange{3, 12}, Compress: 10, Distribution: dist, Seed: 5})
			if err != nil {
				t.Fatal(err)
			}
			if p.Duration != time.Minute || p.Dropped != 0 {
				t.Fatalf("duration %s, dropped %d; want 1m, 0", p.Duration, p.Dropped)
			}
			counts := map[[2]int]int{}
			for i, c := range p.Calls {
				if i > 0 && c.At < p.Calls[i-1].At {
					t.Fatalf("call %d at %s before call %d at %s", i, c.At, i-1, p.Calls[i-1].At)
				}
				lo := time.Duration(c.Minute-3) * 6 * time.Second
				if c.At < lo || c.At >= lo+6*time.Second {
					t.Fatalf("call of minute %d at %s, outside [%s, %s)", c.Minute, c.At, lo, lo+6*time.Second)
				}
				if c.RunMs < MinTraceRunMs || c.RunMs > MaxTraceRunMs || c.MemoryMB < 1 || c.Warmup {
					t.Fatalf("call %+v", c)
				}
				counts[[2]int{c.Function, c.Minute}]++
			}
			byHash := map[string]TraceFunction{}
			for _, f := range tr.Functions {
				byHash[f.Hash] = f
			}
			total := 0
			for fi, pf := range p.Functions {
				f := byHash[pf.Hash]
				for m := 3; m <= 12; m++ {
					if counts[[2]int{fi, m}] != f.PerMinute[m] {
						t.Errorf("%s minute %d: %d calls, the trace has %d", pf.Name, m, counts[[2]int{fi, m}], f.PerMinute[m])
					}
				}
				if pf.Calls != f.Calls(3, 12) || pf.Calls == 0 || pf.MemoryMB != int(math.Ceil(f.Memory.MaxMB())) {
					t.Errorf("function %+v", pf)
				}
				total += pf.Calls
			}
			if total != len(p.Calls) {
				t.Errorf("%d calls planned, functions add up to %d", len(p.Calls), total)
			}
		})
	}
}

func TestPlanIsAPureFunctionOfItsSeed(t *testing.T) {
	tr := traceBundled(t)
	o := PlanOptions{Minutes: MinuteRange{0, 2}, Compress: 5, Seed: 11}
	a, err := BuildPlan(tr, o)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := BuildPlan(tr, o)
	if !slices.Equal(a.Calls, b.Calls) {
		t.Error("the same seed gave two plans")
	}
	o.Seed = 12
	c, _ := BuildPlan(tr, o)
	if slices.Equal(a.Calls, c.Calls) || len(a.Calls) != len(c.Calls) {
		t.Error("another seed gave the same plan, or another number of calls")
	}
}

// The run times of the busiest function's planned calls have empirical
// percentiles near its durations.csv percentiles.
func TestPlanRunTimesFollowTheTrace(t *testing.T) {
	tr := traceBundled(t)
	p, err := BuildPlan(tr, PlanOptions{Minutes: MinuteRange{0, 29}, Compress: 10, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	busiest := 0
	for i, f := range p.Functions {
		if f.Calls > p.Functions[busiest].Calls {
			busiest = i
		}
	}
	var f TraceFunction
	for _, tf := range tr.Functions {
		if tf.Hash == p.Functions[busiest].Hash {
			f = tf
		}
	}
	var runs []float64
	for _, c := range p.Calls {
		if c.Function == busiest {
			runs = append(runs, float64(c.RunMs))
		}
	}
	if len(runs) < 10_000 {
		t.Fatalf("busiest function has %d calls", len(runs))
	}
	slices.Sort(runs)
	for i, q := range DurationQuantiles {
		if q > 0 && q < 1 {
			traceNear(t, "run time of "+p.Functions[busiest].Name, q, runs, f.Duration.Percentiles[i], 0.015)
		}
	}
}

func TestPlanCapsRunTimeAndMarksTheWarmup(t *testing.T) {
	p, err := BuildPlan(traceBundled(t), PlanOptions{Minutes: MinuteRange{0, 3}, Compress: 4, MaxRun: 250 * time.Millisecond,
		Warmup: 90 * time.Second, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	warm := 0
	for _, c := range p.Calls {
		if c.RunMs > 250 {
			t.Fatalf("run time %d ms above the 250 ms cap", c.RunMs)
		}
		if c.Warmup != (c.TraceAt < 90*time.Second) {
			t.Fatalf("call at trace time %s: warm-up %v", c.TraceAt, c.Warmup)
		}
		if c.At != time.Duration(float64(c.TraceAt)/4) {
			t.Fatalf("call at %s, trace time %s, compress 4", c.At, c.TraceAt)
		}
		if c.Warmup {
			warm++
		}
	}
	if warm == 0 || warm == len(p.Calls) || warm != p.Warmups() {
		t.Errorf("%d warm-up calls of %d (Warmups %d)", warm, len(p.Calls), p.Warmups())
	}
}

func TestThinDropsCallsAboveTheRate(t *testing.T) {
	at := func(ds ...time.Duration) []TraceCall {
		cs := make([]TraceCall, len(ds))
		for i, d := range ds {
			cs[i] = TraceCall{At: d, Index: i}
		}
		return cs
	}
	kept, dropped := thin(at(0, 0, 0, 0, 0, 0, 0, 0, 0, 0), 3)
	if len(kept) != 3 || dropped != 7 {
		t.Errorf("10 at once at 3/s: kept %d, dropped %d", len(kept), dropped)
	}
	kept, dropped = thin(at(0, 0, 0, time.Second, time.Second), 3)
	if len(kept) != 5 || dropped != 0 {
		t.Errorf("3 then 2 a second later at 3/s: kept %d, dropped %d", len(kept), dropped)
	}
	// On the bundled trace: no second of the run holds more than twice the
	// rate (a full bucket plus a second's refill), and the counts add up.
	tr := traceBundled(t)
	full, _ := BuildPlan(tr, PlanOptions{Minutes: MinuteRange{0, 4}, Compress: 10, Seed: 3})
	p, err := BuildPlan(tr, PlanOptions{Minutes: MinuteRange{0, 4}, Compress: 10, Seed: 3, MaxRate: 50})
	if err != nil {
		t.Fatal(err)
	}
	if p.Dropped == 0 || len(p.Calls)+p.Dropped != len(full.Calls) {
		t.Fatalf("kept %d + dropped %d, planned without a bound %d", len(p.Calls), p.Dropped, len(full.Calls))
	}
	perSecond := map[int]int{}
	for _, c := range p.Calls {
		perSecond[int(c.At/time.Second)]++
	}
	for s, n := range perSecond {
		if n > 100 {
			t.Errorf("second %d holds %d calls at a max rate of 50/s", s, n)
		}
	}
}

func TestPlanRejectsBadOptions(t *testing.T) {
	tr := traceBundled(t)
	for name, o := range map[string]PlanOptions{
		"minutes past the trace": {Minutes: MinuteRange{470, 480}},
		"minutes reversed":       {Minutes: MinuteRange{5, 4}},
		"negative compression":   {Minutes: MinuteRange{0, 1}, Compress: -2},
		"NaN compression":        {Minutes: MinuteRange{0, 1}, Compress: math.NaN()},
		"unknown distribution":   {Minutes: MinuteRange{0, 1}, Distribution: "pareto"},
		"sub-millisecond cap":    {Minutes: MinuteRange{0, 1}, MaxRun: time.Microsecond},
		"negative rate":          {Minutes: MinuteRange{0, 1}, MaxRate: -1},
		"negative warm-up":       {Minutes: MinuteRange{0, 1}, Warmup: -time.Second},
	} {
		if _, err := BuildPlan(tr, o); !errors.Is(err, ErrBadPlan) {
			t.Errorf("%s: %v, want ErrBadPlan", name, err)
		}
	}
	if _, err := BuildPlan(nil, PlanOptions{}); !errors.Is(err, ErrBadPlan) {
		t.Errorf("no trace: %v", err)
	}
}
