package loadgen

import "time"

// MemoryColumn names the memory.csv column a trace function's instance
// memory comes from (rounded up, plus RunMeta.MemoryOverheadMB).
const MemoryColumn = "AverageAllocatedMb_pct100"

// RunMeta describes a trace run, so reports can label and compare runs. It
// is run.json, and the meta field of summary.json.
type RunMeta struct {
	// Mode is the scaler mode of the platform, when known: the --mode the
	// run started `wavelink up` with, or the one it was told.
	Mode string `json:"mode,omitempty"`
	// Platform is true when the run started its own platform.
	Platform bool   `json:"platform"`
	Gateway  string `json:"gateway"`
	NATS     string `json:"nats,omitempty"`
	// Trace is the trace folder, or BundledTraceName.
	Trace string `json:"trace"`
	// Minutes is the replayed range ("0-29"), FirstMinute and LastMinute
	// its ends (inclusive).
	Minutes     string `json:"minutes"`
	FirstMinute int    `json:"first_minute"`
	LastMinute  int    `json:"last_minute"`
	// Compress divides trace time; MinuteSeconds is how long a trace minute
	// lasted (60 / Compress). Run times are not compressed.
	Compress      float64 `json:"compress"`
	MinuteSeconds float64 `json:"minute_s"`
	// TraceMode is how trace spent its run time: "sleep" or "spin".
	TraceMode string `json:"trace_mode"`
	// ClusterManager names what ran the regular instances, when known.
	ClusterManager string `json:"cluster_manager,omitempty"`
	// TraceMemory says whether trace held each call's memory: "held", or
	// "not held" (the functions still had their memory limits).
	TraceMemory string `json:"trace_memory,omitempty"`
	// Distribution is the inter-arrival distribution within a minute.
	Distribution string `json:"iat_distribution"`
	Seed         uint64 `json:"seed"`
	// MaxRunMs caps each call's run time.
	MaxRunMs int `json:"max_run_ms"`
	// MaxRate bounds calls per second (0: none); calls above it are
	// dropped (MaxRateAction), not sent.
	MaxRate       float64 `json:"max_rate_per_s"`
	MaxRateAction string  `json:"max_rate_action"`
	// WarmupTraceS is the warm-up span in trace seconds (before
	// compression); its calls are left out of the summary.
	WarmupTraceS float64 `json:"warmup_trace_s"`
	// Invoke is "sync" or "async" (Prefer: respond-async, then polling
	// the result).
	Invoke string `json:"invoke"`
	// Concurrency and MaxInstances are what each function was deployed
	// with (MaxInstances 0: the platform's default).
	Concurrency  int `json:"concurrency"`
	MaxInstances int `json:"max_instances"`
	// MemoryColumn is where each function's memory comes from;
	// MemoryOverheadMB is added to it for the instance's own processes.
	MemoryColumn     string `json:"memory_column"`
	MemoryOverheadMB int    `json:"memory_overhead_mb"`
	// Functions maps each deployed WaveLink function to its trace hash,
	// with its memory and planned calls.
	Functions []PlanFunction `json:"functions"`
	// Calls is the number of calls planned (after drops); Dropped those
	// dropped for the max rate.
	Calls   int `json:"calls"`
	Dropped int `json:"dropped"`
	// Cores is the machine's CPU count; Host its name.
	Cores int    `json:"cores"`
	Host  string `json:"host,omitempty"`
	// StartedAt is time zero of the run's files (the first call's
	// schedule counts from it); EndedAt when the last answer came.
	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at"`
	// Interrupted is true when the run was cancelled (Ctrl-C) and its files
	// hold what it had by then.
	Interrupted bool `json:"interrupted"`
}
