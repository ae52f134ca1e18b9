package loadgen

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// SummaryOptions say how to read the records of a step run.
type SummaryOptions struct {
	// Step is the instant of the step, as an offset from the start of the
	// run; the per-second series counts seconds from it.
	Step time.Duration
	// Window is how long after the step LatencyAfterStep looks; zero means
	// 10 s.
	Window time.Duration
	// RegularShare is the share of a second's invocations regular instances
	// must serve for them to carry the load; zero means 0.98.
	RegularShare float64
}

// LatencyMs is a latency summary in milliseconds.
type LatencyMs struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50_ms"`
	P90 float64 `json:"p90_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

func latencyMs(samples []time.Duration) LatencyMs {
	l := Summarise(samples)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	return LatencyMs{N: l.N, P50: ms(l.P50), P90: ms(l.P90), P99: ms(l.P99), Max: ms(l.Max)}
}

// Second is one second of a step run, counted from the step (negative
// before it), holding the invocations scheduled in it.
type Second struct {
	Second      int `json:"second"`
	Invocations int `json:"invocations"`
	Answered    int `json:"answered"`
	Errors      int `json:"errors"`
	// Regular and Emergency count answered invocations by the track that
	// served them.
	Regular   int `json:"regular"`
	Emergency int `json:"emergency"`
	// RegularInstances and EmergencyInstances count the distinct instances
	// of each track that served this second's invocations.
	RegularInstances   int     `json:"regular_instances"`
	EmergencyInstances int     `json:"emergency_instances"`
	P99Ms              float64 `json:"p99_ms"`
}

// Summary is what a step run shows. Latencies are over answered
// invocations, from scheduled arrival to the end of the answer.
type Summary struct {
	Count    int `json:"count"`
	Answered int `json:"answered"`
	// Errors counts invocations without a successful answer; Count is
	// Answered + Errors.
	Errors       int            `json:"errors"`
	ErrorsByKind map[string]int `json:"errors_by_kind,omitempty"`
	Latency      LatencyMs      `json:"latency"`
	// LatencyAfterStep covers invocations scheduled in [Step, Step+Window).
	LatencyAfterStep LatencyMs `json:"latency_after_step"`
	WindowSeconds    float64   `json:"latency_after_step_window_s"`
	// SendLag is how late the generator sent invocations against their
	// schedule: it shows whether the generator kept up.
	SendLag            LatencyMs `json:"send_lag"`
	Regular            int       `json:"regular"`
	Emergency          int       `json:"emergency"`
	RegularInstances   int       `json:"regular_instances"`
	EmergencyInstances int       `json:"emergency_instances"`
	// RegularShareAfterStep is the share of invocations scheduled from the
	// step on that regular instances served.
	RegularShareAfterStep float64 `json:"regular_share_after_step"`
	// RegularCarriesAfter is the first second after the step from which
	// every second with invocations has at least the RegularShare of them
	// served by regular instances ("4s"), or "never".
	RegularCarriesAfter string `json:"regular_carries_load_after"`
	// RegularCarriesAfterS is the same in seconds, nil for never.
	RegularCarriesAfterS *int     `json:"regular_carries_load_after_s"`
	Seconds              []Second `json:"seconds"`
}

// Summarize reads the records of a step run. It is a pure function of its
// arguments.
func Summarize(recs []Record, o SummaryOptions) Summary {
	if o.Window <= 0 {
		o.Window = 10 * time.Second
	}
	if o.RegularShare <= 0 {
		o.RegularShare = 0.98
	}
	s := Summary{Count: len(recs), ErrorsByKind: map[string]int{}, WindowSeconds: o.Window.Seconds(), RegularCarriesAfter: "never"}
	var all, afterStep, lag []time.Duration
	instances := map[string]map[string]bool{TrackRegular: {}, TrackEmergency: {}}
	type bucket struct {
		sec       Second
		lat       []time.Duration
		instances map[string]map[string]bool
	}
	buckets := map[int]*bucket{}
	regularAfter, countAfter := 0, 0
	for _, r := range recs {
		sec := secondOf(r.Scheduled - o.Step)
		b := buckets[sec]
		if b == nil {
			b = &bucket{sec: Second{Second: sec}, instances: map[string]map[string]bool{TrackRegular: {}, TrackEmergency: {}}}
			buckets[sec] = b
		}
		b.sec.Invocations++
		after := r.Scheduled >= o.Step
		if after {
			countAfter++
		}
		if r.Sent > 0 {
			lag = append(lag, max(r.Sent-r.Scheduled, 0))
		}
		if !r.Answered() {
			s.Errors++
			b.sec.Errors++
			s.ErrorsByKind[errorKind(r)]++
			continue
		}
		s.Answered++
		b.sec.Answered++
		l := r.Latency()
		all = append(all, l)
		b.lat = append(b.lat, l)
		if after && r.Scheduled < o.Step+o.Window {
			afterStep = append(afterStep, l)
		}
		switch r.Track {
		case TrackRegular:
			s.Regular++
			b.sec.Regular++
			if after {
				regularAfter++
			}
		case TrackEmergency:
			s.Emergency++
			b.sec.Emergency++
		}
		if set := instances[r.Track]; set != nil && r.Instance != "" {
			set[r.Instance] = true
			b.instances[r.Track][r.Instance] = true
		}
	}
	if len(s.ErrorsByKind) == 0 {
		s.ErrorsByKind = nil
	}
	s.Latency, s.LatencyAfterStep, s.SendLag = latencyMs(all), latencyMs(afterStep), latencyMs(lag)
	s.RegularInstances, s.EmergencyInstances = len(instances[TrackRegular]), len(instances[TrackEmergency])
	if countAfter > 0 {
		s.RegularShareAfterStep = float64(regularAfter) / float64(countAfter)
	}
	if len(buckets) == 0 {
		return s
	}
	keys := slices.Sorted(maps.Keys(buckets))
	for sec := keys[0]; sec <= keys[len(keys)-1]; sec++ {
		b := buckets[sec]
		if b == nil {
			s.Seconds = append(s.Seconds, Second{Second: sec})
			continue
		}
		b.sec.RegularInstances, b.sec.EmergencyInstances = len(b.instances[TrackRegular]), len(b.instances[TrackEmergency])
		b.sec.P99Ms = latencyMs(b.lat).P99
		s.Seconds = append(s.Seconds, b.sec)
	}
	if k, ok := RegularCarries(s.Seconds, o.RegularShare); ok {
		s.RegularCarriesAfter = fmt.Sprintf("%ds", k)
		s.RegularCarriesAfterS = &k
	}
	return s
}

// RegularCarries returns the first second at or after the step (Second >=
// 0) that has invocations, at least share of them served by regular
// instances, and is followed only by seconds that are empty or meet the
// same share. ok is false when there is none.
func RegularCarries(seconds []Second, share float64) (second int, ok bool) {
	for i := len(seconds) - 1; i >= 0 && seconds[i].Second >= 0; i-- {
		sec := seconds[i]
		if sec.Invocations == 0 {
			continue
		}
		if float64(sec.Regular) < share*float64(sec.Invocations) {
			break
		}
		second, ok = sec.Second, true
	}
	return second, ok
}

// secondOf is the whole second d falls in, rounding down (also below zero).
func secondOf(d time.Duration) int {
	s := int(d / time.Second)
	if d < 0 && d%time.Second != 0 {
		s--
	}
	return s
}

// errorKind groups a failed record: its HTTP status and outcome when one
// came, else its error.
func errorKind(r Record) string {
	switch {
	case r.Status != 0 && r.Outcome != "":
		return fmt.Sprintf("status %d (%s)", r.Status, r.Outcome)
	case r.Err != "":
		return r.Err
	}
	return "no answer"
}

// WriteText writes the summary for people: the totals, then one line per
// second.
func (s Summary) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "invocations %d, answered %d, errors %d", s.Count, s.Answered, s.Errors)
	for _, k := range slices.Sorted(maps.Keys(s.ErrorsByKind)) {
		fmt.Fprintf(&b, "; %s: %d", k, s.ErrorsByKind[k])
	}
	fmt.Fprintf(&b, "\nlatency (scheduled to done), all:       %s\n", s.Latency)
	fmt.Fprintf(&b, "latency, first %gs after the step:     %s\n", s.WindowSeconds, s.LatencyAfterStep)
	fmt.Fprintf(&b, "send lag behind the schedule:          %s\n", s.SendLag)
	fmt.Fprintf(&b, "served by regular %d (%d instances), emergency %d (%d instances); regular share after the step %.1f%%\n",
		s.Regular, s.RegularInstances, s.Emergency, s.EmergencyInstances, 100*s.RegularShareAfterStep)
	fmt.Fprintf(&b, "regular instances carry the load after: %s\n", s.RegularCarriesAfter)
	fmt.Fprintf(&b, "%6s %6s %6s %8s %9s %7s %9s %9s\n", "second", "inv", "errors", "regular", "emergency", "reg.ins", "emerg.ins", "p99 ms")
	for _, x := range s.Seconds {
		fmt.Fprintf(&b, "%6d %6d %6d %8d %9d %7d %9d %9.1f\n", x.Second, x.Invocations, x.Errors, x.Regular, x.Emergency,
			x.RegularInstances, x.EmergencyInstances, x.P99Ms)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (l LatencyMs) String() string {
	return fmt.Sprintf("p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms  (n=%d)", l.P50, l.P90, l.P99, l.Max, l.N)
}
