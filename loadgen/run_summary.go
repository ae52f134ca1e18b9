package loadgen

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

// RunSummary is summary.json: what a trace run measured. Latencies and
// slowdowns cover the answered invocations of the execution phase (not
// the warm-up).
type RunSummary struct {
	Meta RunMeta `json:"meta"`
	// Planned is the number of calls planned (after drops for the max
	// rate); DroppedMaxRate the calls dropped; NotSent those the run was
	// interrupted before sending.
	Planned        int `json:"planned"`
	DroppedMaxRate int `json:"dropped_max_rate"`
	NotSent        int `json:"not_sent"`
	// Sent = Warmup + Measured.
	Sent     int `json:"sent"`
	Warmup   int `json:"warmup"`
	Measured int `json:"measured"`
	// Answered + Errors = Measured. WarmupErrors counts failures in the
	// warm-up.
	Answered     int            `json:"answered"`
	Errors       int            `json:"errors"`
	ErrorsByKind map[string]int `json:"errors_by_kind,omitempty"`
	WarmupErrors int            `json:"warmup_errors"`
	// Latency is end to end: from the scheduled arrival to the end of the
	// answer. ResponseTime is from the send instead; SendLag is how late
	// sends were against the schedule.
	Latency      LatencyMs `json:"latency"`
	ResponseTime LatencyMs `json:"response_time"`
	SendLag      LatencyMs `json:"send_lag"`
	// Slowdown is end-to-end latency over the requested run time.
	Slowdown SlowdownSummary `json:"slowdown"`
	// Regular and Emergency count answered invocations by the track that
	// served them; RegularShare is Regular / Answered.
	Regular      int     `json:"regular"`
	Emergency    int     `json:"emergency"`
	RegularShare float64 `json:"regular_share"`
	// RegularInstances and EmergencyInstances count the distinct instances
	// that answered.
	RegularInstances   int `json:"regular_instances"`
	EmergencyInstances int `json:"emergency_instances"`
	// ColdStarts counts answered invocations that were the first their
	// instance served, by track in ColdStartsByTrack.
	ColdStarts        int            `json:"cold_starts"`
	ColdStartsByTrack map[string]int `json:"cold_starts_by_track"`
	// Cost is the platform-side cost from instance records.
	Cost CostSummary `json:"cost"`
	// Functions summarises each function, in the order of Meta.Functions.
	Functions []FunctionSummary `json:"functions"`
}

// SlowdownSummary holds slowdown distributions.
type SlowdownSummary struct {
	// PerFunctionMedian is, over functions, the median slowdown of each
	// function's invocations: the per-function slowdown.
	PerFunctionMedian Distribution `json:"per_function_median"`
	// PerFunctionP99 is, over functions, each function's p99 slowdown.
	PerFunctionP99 Distribution `json:"per_function_p99"`
	// Invocations is over all invocations, each with its own slowdown.
	Invocations Distribution `json:"invocations"`
}

// Distribution summarises samples: nearest-rank percentiles and a CDF.
type Distribution struct {
	N    int     `json:"n"`
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	// CDF holds the value at each quantile 0, 0.01, ..., 1 (nearest rank;
	// quantile 0 is the minimum); empty when there are no samples.
	CDF []CDFPoint `json:"cdf,omitempty"`
}

// CDFPoint is one point of a CDF: a share Q of the samples is at most V.
type CDFPoint struct {
	Q float64 `json:"q"`
	V float64 `json:"v"`
}

// FunctionSummary is one function's share of a run.
type FunctionSummary struct {
	Name      string `json:"name"`
	Hash      string `json:"hash"`
	Measured  int    `json:"measured"`
	Answered  int    `json:"answered"`
	Errors    int    `json:"errors"`
	Regular   int    `json:"regular"`
	Emergency int    `json:"emergency"`
	// ColdStarts counts its answered invocations that met a new instance.
	ColdStarts int `json:"cold_starts"`
	// SlowdownP50 and SlowdownP99 are over its answered invocations.
	SlowdownP50 float64 `json:"slowdown_p50"`
	SlowdownP99 float64 `json:"slowdown_p99"`
	// RequestedP50Ms is the median run time its calls asked for.
	RequestedP50Ms float64 `json:"requested_p50_ms"`
}

// PercentileF returns the p-th percentile (nearest rank) of sorted values.
func PercentileF(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// NewDistribution summarises samples (it sorts a copy).
func NewDistribution(samples []float64) Distribution {
	if len(samples) == 0 {
		return Distribution{}
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	sum := 0.0
	for _, v := range s {
		sum += v
	}
	d := Distribution{N: len(s), Mean: sum / float64(len(s)), P50: PercentileF(s, 50), P90: PercentileF(s, 90),
		P99: PercentileF(s, 99), Max: s[len(s)-1], CDF: make([]CDFPoint, 0, 101)}
	for k := 0; k <= 100; k++ {
		v := s[0]
		if k > 0 {
			v = PercentileF(s, float64(k))
		}
		d.CDF = append(d.CDF, CDFPoint{Q: float64(k) / 100, V: v})
	}
	return d
}

// SummarizeRun computes a run's summary from its invocation rows, plan
// counts and cost. It is a pure function of its arguments.
func SummarizeRun(rows []InvocationRow, meta RunMeta, notSent int, cost CostSummary) RunSummary {
	s := RunSummary{Meta: meta, Planned: meta.Calls, DroppedMaxRate: meta.Dropped, NotSent: notSent, Sent: len(rows),
		ErrorsByKind: map[string]int{}, ColdStartsByTrack: map[string]int{}, Cost: cost}
	type perFn struct {
		sum       FunctionSummary
		slowdowns []float64
		requested []float64
	}
	fns := map[string]*perFn{}
	for _, f := range meta.Functions {
		fns[f.Name] = &perFn{sum: FunctionSummary{Name: f.Name, Hash: f.Hash}}
	}
	var latency, response, lag []time.Duration
	var slowdowns []float64
	instances := map[string]map[string]bool{TrackRegular: {}, TrackEmergency: {}}
	us := func(v int64) time.Duration { return time.Duration(v) * time.Microsecond }
	for _, r := range rows {
		if r.Phase == PhaseWarmup {
			s.Warmup++
			if !r.Answered() {
				s.WarmupErrors++
			}
			continue
		}
		s.Measured++
		f := fns[r.Function]
		if f == nil {
			f = &perFn{sum: FunctionSummary{Name: r.Function}}
			fns[r.Function] = f
		}
		f.sum.Measured++
		f.requested = append(f.requested, float64(r.RequestedDurationUs)/1000)
		if r.StartTimeUs > 0 {
			lag = append(lag, max(us(r.SentRelUs-r.ScheduledRelUs), 0))
		}
		if !r.Answered() {
			s.Errors++
			f.sum.Errors++
			s.ErrorsByKind[rowErrorKind(r)]++
			continue
		}
		s.Answered++
		f.sum.Answered++
		latency = append(latency, us(r.EndToEndUs()))
		response = append(response, us(r.ResponseTimeUs))
		sd := r.Slowdown()
		slowdowns = append(slowdowns, sd)
		f.slowdowns = append(f.slowdowns, sd)
		switch r.Track {
		case TrackRegular:
			s.Regular++
			f.sum.Regular++
		case TrackEmergency:
			s.Emergency++
			f.sum.Emergency++
		}
		if set := instances[r.Track]; set != nil && r.WLInstance != "" {
			set[r.WLInstance] = true
		}
		if r.ColdStart {
			s.ColdStarts++
			s.ColdStartsByTrack[r.Track]++
			f.sum.ColdStarts++
		}
	}
	if len(s.ErrorsByKind) == 0 {
		s.ErrorsByKind = nil
	}
	s.Latency, s.ResponseTime, s.SendLag = latencyMs(latency), latencyMs(response), latencyMs(lag)
	if s.Answered > 0 {
		s.RegularShare = float64(s.Regular) / float64(s.Answered)
	}
	s.RegularInstances, s.EmergencyInstances = len(instances[TrackRegular]), len(instances[TrackEmergency])
	var medians, p99s []float64
	order := make([]string, 0, len(fns))
	for _, f := range meta.Functions {
		order = append(order, f.Name)
	}
	for _, name := range slices.Sorted(maps.Keys(fns)) {
		if !slices.Contains(order, name) {
			order = append(order, name)
		}
	}
	for _, name := range order {
		f := fns[name]
		if len(f.slowdowns) > 0 {
			slices.Sort(f.slowdowns)
			f.sum.SlowdownP50, f.sum.SlowdownP99 = PercentileF(f.slowdowns, 50), PercentileF(f.slowdowns, 99)
			medians = append(medians, f.sum.SlowdownP50)
			p99s = append(p99s, f.sum.SlowdownP99)
		}
		if len(f.requested) > 0 {
			slices.Sort(f.requested)
			f.sum.RequestedP50Ms = PercentileF(f.requested, 50)
		}
		s.Functions = append(s.Functions, f.sum)
	}
	s.Slowdown = SlowdownSummary{PerFunctionMedian: NewDistribution(medians), PerFunctionP99: NewDistribution(p99s),
		Invocations: NewDistribution(slowdowns)}
	return s
}

// rowErrorKind groups a failed invocation: its HTTP status when one came,
// else its error.
func rowErrorKind(r InvocationRow) string {
	if r.Status != 0 {
		return fmt.Sprintf("status %d", r.Status)
	}
	if r.Error != "" {
		return r.Error
	}
	return "no answer"
}

// WriteText writes the summary for people.
func (s RunSummary) WriteText(w io.Writer) error {
	var b strings.Builder
	m := s.Meta
	fmt.Fprintf(&b, "trace %s, minutes %s, compress %gx (a minute lasts %gs), %s, memory %s, %s invocations, seed %d, mode %s\n",
		m.Trace, m.Minutes, m.Compress, m.MinuteSeconds, m.TraceMode, cmp.Or(m.TraceMemory, "held"), m.Invoke, m.Seed, cmp.Or(m.Mode, "unknown"))
	fmt.Fprintf(&b, "functions %d, calls planned %d (dropped above max rate %d), sent %d (warm-up %d), not sent %d\n",
		len(m.Functions), s.Planned, s.DroppedMaxRate, s.Sent, s.Warmup, s.NotSent)
	fmt.Fprintf(&b, "measured %d: answered %d, errors %d", s.Measured, s.Answered, s.Errors)
	for _, k := range slices.Sorted(maps.Keys(s.ErrorsByKind)) {
		fmt.Fprintf(&b, "; %s: %d", k, s.ErrorsByKind[k])
	}
	fmt.Fprintf(&b, "\nlatency (scheduled to done): %s\n", s.Latency)
	fmt.Fprintf(&b, "send lag:                    %s\n", s.SendLag)
	ps := s.Slowdown.PerFunctionMedian
	fmt.Fprintf(&b, "per-function slowdown (median per function, over %d functions): p50 %.2f  p99 %.2f  max %.2f\n", ps.N, ps.P50, ps.P99, ps.Max)
	is := s.Slowdown.Invocations
	fmt.Fprintf(&b, "slowdown over invocations: p50 %.2f  p90 %.2f  p99 %.2f\n", is.P50, is.P90, is.P99)
	fmt.Fprintf(&b, "served by regular %d (%d instances), emergency %d (%d instances): regular share %.1f%%; cold starts %d\n",
		s.Regular, s.RegularInstances, s.Emergency, s.EmergencyInstances, 100*s.RegularShare, s.ColdStarts)
	c := s.Cost
	fmt.Fprintf(&b, "cost: allocated %.1f GB-s, busy %.1f GB-s (%.1f%%); instances %d (alive at end %d); created: regular %d, emergency %d\n",
		c.AllocatedGBs, c.BusyGBs, 100*c.BusyOverAllocated, c.Instances, c.AliveAtEnd, c.CreationsByTrack[TrackRegular], c.CreationsByTrack[TrackEmergency])
	_, err := io.WriteString(w, b.String())
	return err
}
