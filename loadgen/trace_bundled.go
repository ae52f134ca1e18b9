package loadgen

import (
	"embed"
	"io/fs"
)

// BundledTraceName names the trace sample built into the binary: 100
// functions of the Azure Functions 2019 trace (see
// traces/azure2019-100/ATTRIBUTION.md).
const BundledTraceName = "bundled:azure2019-100"

//go:embed traces/azure2019-100/*.csv traces/azure2019-100/ATTRIBUTION.md
var bundledTraces embed.FS

// BundledTrace returns the files of the built-in sample, rooted at the
// folder that holds invocations.csv, durations.csv and memory.csv.
func BundledTrace() fs.FS {
	sub, err := fs.Sub(bundledTraces, "traces/azure2019-100")
	if err != nil { // only if the embed pattern above changes
		return bundledTraces
	}
	return sub
}

// LoadTrace parses the trace folder dir, or the built-in sample when dir
// is empty or BundledTraceName.
func LoadTrace(dir string) (*Trace, error) {
	if dir == "" || dir == BundledTraceName {
		return ParseTraceFS(BundledTrace(), BundledTraceName)
	}
	return ParseTrace(dir)
}
