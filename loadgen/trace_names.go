package loadgen

import (
	"fmt"
	"strings"
)

// TraceNamePrefix starts the name of every function a trace run deploys.
const TraceNamePrefix = "t-"

// traceNameChars is how many characters of a function's hash its name
// keeps at least.
const traceNameChars = 12

// TraceFunctionNames returns a WaveLink function name for each hash, in
// order: TraceNamePrefix and the first 12 characters of the hash, lowered,
// with any character that is not a letter or digit made '-'. When two
// hashes share those characters, every name keeps more of its hash until
// the names differ. The error wraps ErrBadPlan when two hashes cannot be
// told apart within a DNS label's 63 characters.
func TraceFunctionNames(hashes []string) ([]string, error) {
	clean := make([]string, len(hashes))
	for i, h := range hashes {
		clean[i] = strings.Map(func(r rune) rune {
			switch {
			case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
				return r
			case r >= 'A' && r <= 'Z':
				return r - 'A' + 'a'
			}
			return '-'
		}, h)
	}
	for n := traceNameChars; n <= 63-len(TraceNamePrefix); n++ {
		names := make([]string, len(clean))
		seen := make(map[string]int, len(clean))
		unique := true
		for i, c := range clean {
			name := TraceNamePrefix + strings.TrimRight(c[:min(n, len(c))], "-")
			if name == TraceNamePrefix {
				name += "x"
			}
			if _, dup := seen[name]; dup {
				unique = false
				break
			}
			seen[name] = i
			names[i] = name
		}
		if unique {
			return names, nil
		}
	}
	return nil, fmt.Errorf("%w: two function hashes share their first %d characters", ErrBadPlan, 63-len(TraceNamePrefix))
}
