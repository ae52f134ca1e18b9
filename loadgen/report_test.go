package loadgen

import (
	"bytes"
	"encoding/json"
	"errors"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func repNear(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestSlowdowns(t *testing.T) {
	tests := []struct {
		name        string
		rows        []InvocationRow
		wantFns     []FunctionSlowdown
		median, p99 float64
		noRunTime   int
	}{
		{name: "none"},
		{
			name: "median per function, then over functions",
			rows: []InvocationRow{
				repInv("a", 0, 110*repMs, 100*repMs, TrackRegular), repInv("a", 0, 130*repMs, 100*repMs, TrackRegular), repInv("a", 0, 120*repMs, 100*repMs, TrackRegular),
				repInv("b", 0, 400*repMs, 100*repMs, TrackRegular), repInv("b", 0, 200*repMs, 100*repMs, TrackRegular),
				repInv("c", 0, 30*repMs, 20*repMs, TrackEmergency),
			},
			// a: 1.1 1.2 1.3 -> 1.2; b: 2 4 -> 2 (nearest rank); c: 1.5.
			wantFns: []FunctionSlowdown{{"a", 3, 1.2}, {"c", 1, 1.5}, {"b", 2, 2}},
			median:  1.5, p99: 2,
		},
		{
			name: "failed invocations and ones asking no run time are left out",
			rows: []InvocationRow{
				repInv("a", 0, 300*repMs, 100*repMs, TrackRegular),
				repFailed("a", 0, 503, ""), repFailed("b", 0, 0, "connection refused"),
				repInv("z", 0, 5*repMs, 0, TrackRegular),
			},
			wantFns: []FunctionSlowdown{{"a", 1, 3}},
			median:  3, p99: 3, noRunTime: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Slowdowns(tt.rows)
			if got.Functions != len(tt.wantFns) || len(got.PerFunction) != len(tt.wantFns) {
				t.Fatalf("functions %d %+v, want %+v", got.Functions, got.PerFunction, tt.wantFns)
			}
			for i, w := range tt.wantFns {
				g := got.PerFunction[i]
				if g.Function != w.Function || g.Invocations != w.Invocations || !repNear(g.Slowdown, w.Slowdown) {
					t.Errorf("function %d: %+v, want %+v", i, g, w)
				}
			}
			if !repNear(got.Median, tt.median) || !repNear(got.P99, tt.p99) || got.NoRunTime != tt.noRunTime {
				t.Errorf("median %v p99 %v noRunTime %d, want %v %v %d", got.Median, got.P99, got.NoRunTime, tt.median, tt.p99, tt.noRunTime)
			}
		})
	}
}

func TestSlowdownP99OverManyFunctions(t *testing.T) {
	// 200 functions with slowdowns 1..200: nearest-rank p99 is the 198th
	// value, the median the 100th.
	var rows []InvocationRow
	for i := 1; i <= 200; i++ {
		rows = append(rows, repInv("f"+strings.Repeat("x", i), 0, int64(i)*10*repMs, 10*repMs, TrackRegular))
	}
	got := Slowdowns(rows)
	if got.Functions != 200 || got.Median != 100 || got.P99 != 198 {
		t.Fatalf("functions %d median %v p99 %v, want 200 100 198", got.Functions, got.Median, got.P99)
	}
}

func TestInstanceCost(t *testing.T) {
	reg := func(mb int, start, stop, busy int64) InstanceRow {
		return InstanceRow{Track: TrackRegular, MemoryMB: mb, StartedUs: start, StoppedUs: stop, BusyUs: busy}
	}
	tests := []struct {
		name           string
		rows           []InstanceRow
		from, to       int64
		alloc, busy    float64
		regular, emerg int
	}{
		{name: "none", to: 10_000 * repMs},
		{
			name: "inside the window",
			rows: []InstanceRow{reg(512, 0, 10_000*repMs, 5000*repMs),
				{Track: TrackEmergency, MemoryMB: 1024, StartedUs: 2000 * repMs, StoppedUs: 4000 * repMs, BusyUs: 1000 * repMs}},
			to: 10_000 * repMs, alloc: 7, busy: 3.5, regular: 1, emerg: 1,
		},
		{
			// Lives -5 s..5 s, half inside: half its memory-time and half
			// its busy time count; it was created before the window.
			name: "clipped to the window",
			rows: []InstanceRow{reg(2048, -5000*repMs, 5000*repMs, 4000*repMs)},
			to:   10_000 * repMs, alloc: 10, busy: 4, regular: 0,
		},
		{
			name: "busy longer than the lifetime is cut to it; a stop before the start counts nothing",
			rows: []InstanceRow{reg(1024, 0, 1000*repMs, 5000*repMs), reg(1024, 3000*repMs, 2000*repMs, 0)},
			to:   10_000 * repMs, alloc: 1, busy: 1, regular: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := InstanceCost(tt.rows, tt.from, tt.to)
			if !repNear(c.AllocatedGBs, tt.alloc) || !repNear(c.BusyGBs, tt.busy) {
				t.Errorf("allocated %v busy %v, want %v %v", c.AllocatedGBs, c.BusyGBs, tt.alloc, tt.busy)
			}
			if tt.alloc > 0 && !repNear(c.BusyRatio, tt.busy/tt.alloc) {
				t.Errorf("ratio %v, want %v", c.BusyRatio, tt.busy/tt.alloc)
			}
			if c.Creations[TrackRegular] != tt.regular || c.Creations[TrackEmergency] != tt.emerg || c.Instances != len(tt.rows) {
				t.Errorf("creations %v instances %d, want regular %d emergency %d instances %d",
					c.Creations, c.Instances, tt.regular, tt.emerg, len(tt.rows))
			}
		})
	}
}

func TestAnalyzeRun(t *testing.T) {
	r, err := ReadReportRun(wavelinkRun(t, filepath.Join(t.TempDir(), "run1")))
	if err != nil {
		t.Fatal(err)
	}
	s := AnalyzeRun(r)
	if s.Label != "wavelink" || s.Invocations != 7 || s.Warmup != 1 || s.Answered != 6 || s.Errors != 1 {
		t.Errorf("label %q invocations %d warmup %d answered %d errors %d, want wavelink 7 1 6 1",
			s.Label, s.Invocations, s.Warmup, s.Answered, s.Errors)
	}
	if len(s.ErrorKinds) != 1 || s.ErrorKinds[0] != (ReportCount{"status 503", 1}) {
		t.Errorf("error kinds %+v", s.ErrorKinds)
	}
	// Latencies 110 120 130 150 200 400 repMs, nearest rank.
	if l := s.Latency; l.N != 6 || l.P50 != 130 || l.P90 != 400 || l.P99 != 400 || l.Max != 400 {
		t.Errorf("latency %+v, want n 6 p50 130 p90 400 p99 400 max 400", l)
	}
	if s.Regular != 5 || s.Emergency != 1 || !repNear(s.RegularShare, 5.0/6) {
		t.Errorf("regular %d emergency %d share %v", s.Regular, s.Emergency, s.RegularShare)
	}
	if !repNear(s.Slowdown.Median, 1.5) || !repNear(s.Slowdown.P99, 2) || s.Slowdown.Functions != 3 {
		t.Errorf("slowdown %+v", s.Slowdown)
	}
	if c := s.Cost; !repNear(c.AllocatedGBs, 7) || !repNear(c.BusyGBs, 3.5) || c.Creations[TrackEmergency] != 1 || c.ToUs != 10_000*repMs {
		t.Errorf("cost %+v", c)
	}
	if s.DurationS != 10 {
		t.Errorf("duration %v s, want 10", s.DurationS)
	}
	want := map[string]string{"trace work": "sleep", "minutes": "0-4", "time compression": "10x (a minute lasts 6s)", "cores": "2"}
	for _, st := range s.Settings {
		if w, ok := want[st.Name]; ok && w != st.Value {
			t.Errorf("setting %s = %q, want %q", st.Name, st.Value, w)
		}
		delete(want, st.Name)
	}
	if len(want) > 0 {
		t.Errorf("settings %+v lack %v", s.Settings, want)
	}
}

func TestWriteReport(t *testing.T) {
	tmp := t.TempDir()
	a := wavelinkRun(t, filepath.Join(tmp, "a"))
	b := asyncRun(t, filepath.Join(tmp, "b"))
	out := filepath.Join(tmp, "out")
	rep, err := WriteReport(ReportConfig{Runs: []string{a, b}, Out: out})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != 2 || rep.Runs[0].Label != "wavelink" || rep.Runs[1].Label != "async" {
		t.Fatalf("runs %+v", rep.Runs)
	}
	md, err := os.ReadFile(filepath.Join(out, ReportMarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"| | wavelink | async |",
		"| trace work | sleep | sleep |",
		"| time compression | 10x (a minute lasts 6s) | 10x (a minute lasts 6s) |",
		"| measured invocations | 7 | 3 |",
		"| warm-up invocations (left out) | 1 | 0 |",
		"| errors | 1 (14.3%) | 0 (0.0%) |",
		"| per-function slowdown, median | 1.50 | 5.00 |",
		"| per-function slowdown, p99 | 2.00 | 10.00 |",
		"| p99 slowdown / wavelink's | 1.00 | 5.00 |",
		"| latency p50 (ms) | 130.0 | 500.0 |",
		"| latency p99 (ms) | 400.0 | 1000.0 |",
		"| served by regular instances | 83.3% | 100.0% |",
		"| allocated GB-s | 7.00 | 10.00 |",
		"| busy GB-s | 3.50 | 2.00 |",
		"| busy / allocated | 50.0% | 20.0% |",
		"| allocated GB-s / wavelink's | 1.00 | 1.43 |",
		"| instances created: regular | 1 | 1 |",
		"| instances created: emergency | 1 | 0 |",
		"- **wavelink**: status 503 × 1",
		"![Per-function slowdown CDF](slowdown_cdf.png)",
		"![Instances per track over time](instances.png)",
	} {
		if !bytes.Contains(md, []byte(line+"\n")) {
			t.Errorf("report.md lacks the line %q:\n%s", line, md)
		}
	}
	for _, name := range []string{ReportSlowdownCDFFile, ReportInstancesFile} {
		f, err := os.Open(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if b := img.Bounds(); b.Dx() < 500 || b.Dy() < 300 {
			t.Errorf("%s is %v, want a readable size", name, b)
		}
	}
	var stats []ReportStats
	b2, err := os.ReadFile(filepath.Join(out, ReportJSONFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b2, &stats); err != nil || len(stats) != 2 || stats[1].Slowdown.P99 != 10 {
		t.Fatalf("report.json: %v %+v", err, stats)
	}
	if len(rep.Files) != 4 {
		t.Errorf("files %v, want 4", rep.Files)
	}
}

func TestWriteReportLabels(t *testing.T) {
	tmp := t.TempDir()
	a := wavelinkRun(t, filepath.Join(tmp, "first"))
	b := wavelinkRun(t, filepath.Join(tmp, "second"))
	c := writeTestRun(t, filepath.Join(tmp, "nometa"), nil, nil, nil)
	rep, err := WriteReport(ReportConfig{Runs: []string{a, b, c, a}, Out: filepath.Join(tmp, "out")})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range rep.Runs {
		got = append(got, s.Label)
	}
	want := []string{"wavelink (first)", "wavelink (second)", "nometa", "wavelink (first) #2"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("labels %q, want %q", got, want)
	}
	// A run with no invocations and no instances still reports.
	if s := rep.Runs[2]; s.Invocations != 0 || s.Slowdown.Functions != 0 || s.Cost.AllocatedGBs != 0 {
		t.Errorf("empty run %+v", s)
	}
}

func TestWriteReportBadConfig(t *testing.T) {
	tmp := t.TempDir()
	for _, cfg := range []ReportConfig{{Out: tmp}, {Runs: []string{wavelinkRun(t, filepath.Join(tmp, "a"))}}} {
		if _, err := WriteReport(cfg); !errors.Is(err, ErrBadReport) {
			t.Errorf("%+v: err %v, want ErrBadReport", cfg, err)
		}
	}
	out := filepath.Join(tmp, "out")
	if _, err := WriteReport(ReportConfig{Runs: []string{filepath.Join(tmp, "missing")}, Out: out}); !errors.Is(err, ErrBadRunFolder) {
		t.Errorf("missing run folder: err %v, want ErrBadRunFolder", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed report made its output folder: %v", err)
	}
}

func TestWriteReportMarkdownEscapesCells(t *testing.T) {
	var b strings.Builder
	s := ReportStats{Label: "a|b", Dir: "x", ErrorKinds: []ReportCount{{"bad | thing\nmore", 2}}, Invocations: 2, Errors: 2}
	if err := WriteReportMarkdown(&b, []ReportStats{s}, nil); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`| | a\|b |`, `bad \| thing more × 2`, "| per-function slowdown, median | – |"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, b.String())
		}
	}
}
