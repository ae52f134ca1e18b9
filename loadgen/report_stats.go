package loadgen

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
)

// ReportStats is what the report shows of one run.
type ReportStats struct {
	Label string `json:"label"`
	Dir   string `json:"dir"`
	// Settings are the run's settings from run.json, in the report's order.
	Settings []ReportSetting `json:"settings,omitempty"`
	// Invocations counts the measured invocations (warm-up left out);
	// Answered + Errors = Invocations.
	Invocations int           `json:"invocations"`
	Warmup      int           `json:"warmup"`
	Answered    int           `json:"answered"`
	Errors      int           `json:"errors"`
	ErrorKinds  []ReportCount `json:"error_kinds,omitempty"`
	// Latency is end to end (scheduled arrival to the end of the answer)
	// over answered invocations.
	Latency  LatencyMs     `json:"latency"`
	Slowdown SlowdownStats `json:"slowdown"`
	// Regular and Emergency count answered invocations by the track that
	// served them; OtherTrack those with no or another track.
	Regular      int        `json:"regular"`
	Emergency    int        `json:"emergency"`
	OtherTrack   int        `json:"other_track"`
	RegularShare float64    `json:"regular_share"`
	ColdStarts   int        `json:"cold_starts"`
	Cost         ReportCost `json:"cost"`
	// DurationS is the run's length, from its start to EndUs.
	DurationS float64 `json:"duration_s"`
}

// ReportSetting is one setting of a run, formatted for the table.
type ReportSetting struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ReportCount is a count under a name.
type ReportCount struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// SlowdownStats is the distribution over functions of per-function
// slowdown: for each function, the median (nearest rank) over its answered
// invocations of end-to-end latency divided by the run time asked for.
type SlowdownStats struct {
	// Functions counts functions with at least one answered invocation
	// that asked for a run time above zero.
	Functions int `json:"functions"`
	// Median and P99 are over functions (nearest rank).
	Median float64 `json:"median"`
	P99    float64 `json:"p99"`
	// PerFunction is sorted by slowdown, then name: the CDF's steps.
	PerFunction []FunctionSlowdown `json:"per_function,omitempty"`
	// NoRunTime counts answered invocations left out because they asked for
	// no run time.
	NoRunTime int `json:"no_run_time,omitempty"`
}

// FunctionSlowdown is one function's median slowdown over its answered
// invocations.
type FunctionSlowdown struct {
	Function    string  `json:"function"`
	Invocations int     `json:"invocations"`
	Slowdown    float64 `json:"slowdown"`
}

// ReportCost is the platform's cost within a window of the run, from
// instances.csv: memory held from start to stop (allocated) and while
// serving (busy), in GB-seconds with 1 GB = 1024 MB.
type ReportCost struct {
	// FromUs and ToUs bound the window, µs from the run's start.
	FromUs int64 `json:"from_us"`
	ToUs   int64 `json:"to_us"`
	// Instances counts the rows of instances.csv.
	Instances    int     `json:"instances"`
	AllocatedGBs float64 `json:"allocated_gb_s"`
	BusyGBs      float64 `json:"busy_gb_s"`
	// BusyRatio is BusyGBs / AllocatedGBs (0 when nothing was allocated).
	BusyRatio float64 `json:"busy_ratio"`
	// Creations counts instances started within the window, by track.
	Creations map[string]int `json:"creations"`
}

// AnalyzeRun computes what the report shows of one run. Its cost covers
// every instance of instances.csv over its whole life up to the run's end
// (EndUs), so instances started before the first call (while the run
// deployed its functions) count too. It is a pure function of the run.
func AnalyzeRun(r *ReportRun) ReportStats {
	s := ReportStats{Label: r.Label, Dir: r.Dir, Settings: reportSettings(r.Meta),
		Invocations: len(r.Invocations), Warmup: r.Warmup, DurationS: float64(r.EndUs) / 1e6}
	var latencies []time.Duration
	kinds := map[string]int{}
	for _, inv := range r.Invocations {
		if !inv.Answered() {
			s.Errors++
			kinds[rowErrorKind(inv)]++
			continue
		}
		s.Answered++
		latencies = append(latencies, time.Duration(inv.EndToEndUs())*time.Microsecond)
		switch inv.Track {
		case TrackRegular:
			s.Regular++
		case TrackEmergency:
			s.Emergency++
		default:
			s.OtherTrack++
		}
		if inv.ColdStart {
			s.ColdStarts++
		}
	}
	if s.Answered > 0 {
		s.RegularShare = float64(s.Regular) / float64(s.Answered)
	}
	s.Latency = latencyMs(latencies)
	for _, k := range slices.Sorted(maps.Keys(kinds)) {
		s.ErrorKinds = append(s.ErrorKinds, ReportCount{Name: k, Count: kinds[k]})
	}
	slices.SortStableFunc(s.ErrorKinds, func(a, b ReportCount) int { return cmp.Compare(b.Count, a.Count) })
	s.Slowdown = Slowdowns(r.Invocations)
	from := int64(0)
	for _, in := range r.Instances {
		from = min(from, in.StartedUs)
	}
	s.Cost = InstanceCost(r.Instances, from, r.EndUs)
	return s
}

// Slowdowns computes per-function slowdown over the answered invocations
// that asked for a run time.
func Slowdowns(invs []InvocationRow) SlowdownStats {
	var st SlowdownStats
	byFn := map[string][]float64{}
	for _, inv := range invs {
		if !inv.Answered() {
			continue
		}
		if inv.RequestedDurationUs <= 0 {
			st.NoRunTime++
			continue
		}
		byFn[inv.Function] = append(byFn[inv.Function], inv.Slowdown())
	}
	for _, fn := range slices.Sorted(maps.Keys(byFn)) {
		v := byFn[fn]
		slices.Sort(v)
		st.PerFunction = append(st.PerFunction, FunctionSlowdown{Function: fn, Invocations: len(v), Slowdown: PercentileF(v, 50)})
	}
	slices.SortStableFunc(st.PerFunction, func(a, b FunctionSlowdown) int { return cmp.Compare(a.Slowdown, b.Slowdown) })
	st.Functions = len(st.PerFunction)
	values := make([]float64, len(st.PerFunction))
	for i, f := range st.PerFunction {
		values[i] = f.Slowdown
	}
	st.Median = PercentileF(values, 50)
	st.P99 = PercentileF(values, 99)
	return st
}

// InstanceCost sums the memory instances held within [fromUs, toUs] (µs
// from the run's start): each instance's memory times the part of its
// lifetime inside the window (allocated), and times its busy time, scaled
// by the share of its lifetime inside the window (busy). An instance
// counts as created when it started within the window.
func InstanceCost(instances []InstanceRow, fromUs, toUs int64) ReportCost {
	c := ReportCost{FromUs: fromUs, ToUs: toUs, Instances: len(instances), Creations: map[string]int{}}
	for _, in := range instances {
		start, stop := in.StartedUs, max(in.StoppedUs, in.StartedUs)
		life := stop - start
		inside := max(min(stop, toUs)-max(start, fromUs), 0)
		busy := min(max(in.BusyUs, 0), life)
		if life > 0 && inside < life {
			busy = int64(float64(busy) * float64(inside) / float64(life))
		}
		gb := float64(in.MemoryMB) / 1024
		c.AllocatedGBs += gb * float64(inside) / 1e6
		c.BusyGBs += gb * float64(busy) / 1e6
		if start >= fromUs && start <= toUs {
			c.Creations[in.Track]++
		}
	}
	if c.AllocatedGBs > 0 {
		c.BusyRatio = c.BusyGBs / c.AllocatedGBs
	}
	return c
}

// reportSettings are the settings of a run the table shows.
func reportSettings(m *RunMeta) []ReportSetting {
	if m == nil {
		return nil
	}
	var out []ReportSetting
	add := func(name, value string) {
		if value != "" {
			out = append(out, ReportSetting{Name: name, Value: value})
		}
	}
	add("trace", m.Trace)
	add("minutes", m.Minutes)
	if m.Compress > 0 {
		add("time compression", fmt.Sprintf("%gx (a minute lasts %gs)", m.Compress, 60/m.Compress))
	}
	add("trace work", m.TraceMode)
	add("trace memory", m.TraceMemory)
	add("cluster manager", m.ClusterManager)
	add("invocations", m.Invoke)
	add("seed", strconv.FormatUint(m.Seed, 10))
	if m.MaxRunMs > 0 {
		add("run time cap (ms)", strconv.Itoa(m.MaxRunMs))
	}
	if m.Cores > 0 {
		add("cores", strconv.Itoa(m.Cores))
	}
	if !m.StartedAt.IsZero() {
		add("started", m.StartedAt.UTC().Format(time.RFC3339))
	}
	if m.Interrupted {
		add("interrupted", "yes")
	}
	return out
}
