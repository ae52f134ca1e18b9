package loadgen

// Files of an Azure Functions 2019 trace folder.
const (
	TraceInvocationsFile = "invocations.csv"
	TraceDurationsFile   = "durations.csv"
	TraceMemoryFile      = "memory.csv"
)

// DurationQuantiles are the quantiles of the percentile_Average_* columns
// of durations.csv, in the order of DurationStats.Percentiles.
var DurationQuantiles = [7]float64{0, 0.01, 0.25, 0.50, 0.75, 0.99, 1}

// MemoryQuantiles are the quantiles of the AverageAllocatedMb_pct* columns
// of memory.csv, in the order of MemoryStats.Percentiles.
var MemoryQuantiles = [8]float64{0.01, 0.05, 0.25, 0.50, 0.75, 0.95, 0.99, 1}

// Trace is a parsed Azure Functions 2019 trace folder.
type Trace struct {
	// Source names where the trace was read from (a folder, or the bundled
	// sample).
	Source string
	// Minutes is the number of minute columns in invocations.csv; minute 0
	// is the first column after Trigger.
	Minutes int
	// Functions are in the order of invocations.csv.
	Functions []TraceFunction
}

// TraceFunction is one function of a trace: its hashes, its calls per
// minute, and the run time and memory its calls take.
type TraceFunction struct {
	Owner, App, Hash, Trigger string
	// Line is the function's line in invocations.csv.
	Line int
	// PerMinute holds the number of calls in each minute.
	PerMinute []int
	Duration  DurationStats
	Memory    MemoryStats
}

// Calls returns the number of calls in minutes first..last (inclusive).
func (f TraceFunction) Calls(first, last int) int {
	n := 0
	for m := max(first, 0); m <= last && m < len(f.PerMinute); m++ {
		n += f.PerMinute[m]
	}
	return n
}

// DurationStats is a function's row of durations.csv, in milliseconds.
type DurationStats struct {
	AverageMs, Count, MinimumMs, MaximumMs float64
	// Percentiles are percentile_Average_{0,1,25,50,75,99,100}, at
	// DurationQuantiles; they never go down.
	Percentiles [7]float64
}

// MemoryStats is a function's row of memory.csv, in MB.
type MemoryStats struct {
	SampleCount, AverageMB float64
	// Percentiles are AverageAllocatedMb_pct{1,5,25,50,75,95,99,100}, at
	// MemoryQuantiles; they never go down.
	Percentiles [8]float64
}

// MaxMB is the largest memory a call of the function may ask for: the
// 100th percentile.
func (m MemoryStats) MaxMB() float64 { return m.Percentiles[len(m.Percentiles)-1] }
