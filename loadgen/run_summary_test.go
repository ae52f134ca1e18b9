package loadgen

import (
	"bytes"
	"strings"
	"testing"
)

func TestSummarizeRunComputesSlowdownPerFunction(t *testing.T) {
	// f1: requested 10 ms, end to end 10, 20, 40 ms: slowdowns 1, 2, 4.
	// f2: requested 100 ms, end to end 150 ms: slowdown 1.5; one error.
	// A warm-up row of f1 with a huge latency is left out.
	row := func(fn string, phase int, reqMs, e2eMs int64, track, inst string, cold bool) InvocationRow {
		return InvocationRow{Phase: phase, Function: fn, Instance: fn, RequestedDurationUs: reqMs * 1000, StartTimeUs: 1,
			ScheduledRelUs: 1000, SentRelUs: 1500, DoneRelUs: 1000 + e2eMs*1000, ResponseTimeUs: e2eMs*1000 - 500,
			Status: 200, Track: track, WLInstance: inst, ColdStart: cold}
	}
	rows := []InvocationRow{
		row("f1", PhaseWarmup, 10, 10_000, TrackRegular, "r-0", true),
		row("f1", PhaseExecution, 10, 10, TrackRegular, "r-1", true),
		row("f1", PhaseExecution, 10, 20, TrackRegular, "r-1", false),
		row("f1", PhaseExecution, 10, 40, TrackEmergency, "e-1", true),
		row("f2", PhaseExecution, 100, 150, TrackRegular, "r-2", false),
		{Phase: PhaseExecution, Function: "f2", RequestedDurationUs: 100_000, StartTimeUs: 1, Status: 502, Error: "status 502"},
	}
	meta := RunMeta{Functions: []PlanFunction{{Name: "f1", Hash: "h1"}, {Name: "f2", Hash: "h2"}, {Name: "f3", Hash: "h3"}}, Calls: 8, Dropped: 2}
	s := SummarizeRun(rows, meta, 1, CostSummary{AllocatedGBs: 3})
	if s.Planned != 8 || s.DroppedMaxRate != 2 || s.NotSent != 1 || s.Sent != 6 || s.Warmup != 1 || s.Measured != 5 {
		t.Fatalf("counts %+v", s)
	}
	if s.Answered != 4 || s.Errors != 1 || s.ErrorsByKind["status 502"] != 1 || s.WarmupErrors != 0 {
		t.Errorf("answers %d errors %d %v", s.Answered, s.Errors, s.ErrorsByKind)
	}
	if s.Regular != 3 || s.Emergency != 1 || s.RegularShare != 0.75 || s.RegularInstances != 2 || s.EmergencyInstances != 1 {
		t.Errorf("tracks %+v", s)
	}
	if s.ColdStarts != 2 || s.ColdStartsByTrack[TrackRegular] != 1 || s.ColdStartsByTrack[TrackEmergency] != 1 {
		t.Errorf("cold starts %d %v", s.ColdStarts, s.ColdStartsByTrack)
	}
	if len(s.Functions) != 3 || s.Functions[0].Hash != "h1" || s.Functions[0].SlowdownP50 != 2 || s.Functions[0].SlowdownP99 != 4 ||
		s.Functions[1].SlowdownP50 != 1.5 || s.Functions[1].Errors != 1 || s.Functions[2].Measured != 0 {
		t.Errorf("functions %+v", s.Functions)
	}
	pf := s.Slowdown.PerFunctionMedian
	if pf.N != 2 || pf.P50 != 1.5 || pf.P99 != 2 || pf.Max != 2 || len(pf.CDF) != 101 || pf.CDF[0].V != 1.5 || pf.CDF[100].V != 2 {
		t.Errorf("per-function median slowdown %+v", pf)
	}
	inv := s.Slowdown.Invocations
	if inv.N != 4 || inv.P50 != 1.5 || inv.Max != 4 || inv.Mean != (1+2+4+1.5)/4 {
		t.Errorf("invocation slowdown %+v", inv)
	}
	if s.Latency.N != 4 || s.Latency.Max != 150 || s.SendLag.N != 5 || s.SendLag.P50 != 0.5 || s.Cost.AllocatedGBs != 3 {
		t.Errorf("latency %+v, lag %+v", s.Latency, s.SendLag)
	}
	var b bytes.Buffer
	if err := s.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"answered 4, errors 1", "per-function slowdown", "regular share 75.0%"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text summary lacks %q:\n%s", want, b.String())
		}
	}
}

func TestDistributionOfNothingIsEmpty(t *testing.T) {
	if d := NewDistribution(nil); d.N != 0 || d.CDF != nil {
		t.Errorf("%+v", d)
	}
	if PercentileF(nil, 50) != 0 || PercentileF([]float64{1, 2, 3, 4}, 50) != 2 || PercentileF([]float64{1, 2, 3, 4}, 100) != 4 {
		t.Error("PercentileF")
	}
}
