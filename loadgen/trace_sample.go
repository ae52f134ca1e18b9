package loadgen

import (
	"math"
	"math/rand/v2"
	"time"
)

// Bounds on what one call asks of trace, as the vHive loader bounds them.
const (
	MinTraceRunMs    = 1
	MaxTraceRunMs    = 60_000
	MinTraceMemoryMB = 1
	MaxTraceMemoryMB = 10_240
)

// IATDistribution says how a minute's calls are spread over the minute.
type IATDistribution string

// Inter-arrival distributions. Each gives exactly the minute's count of
// calls, all inside the minute.
const (
	// IATExponential draws n+1 exponential gaps and scales them to fill the
	// minute; the calls are at the ends of the first n. Given the count,
	// these are the times of a Poisson process.
	IATExponential IATDistribution = "exponential"
	// IATUniform does the same with gaps drawn uniformly from [0, 1).
	IATUniform IATDistribution = "uniform"
	// IATEquidistant puts the calls 1/n of a minute apart, the first at the
	// start of the minute.
	IATEquidistant IATDistribution = "equidistant"
)

// MinuteOffsets returns n call times within one minute (offsets from its
// start, in increasing order, each below one minute) drawn with dist from
// rng. It returns nil for n <= 0 or an unknown distribution.
func MinuteOffsets(rng *rand.Rand, n int, dist IATDistribution) []time.Duration {
	if n <= 0 {
		return nil
	}
	out := make([]time.Duration, n)
	if dist == IATEquidistant {
		for k := range out {
			out[k] = time.Duration(float64(k) * float64(time.Minute) / float64(n))
		}
		return out
	}
	gaps := make([]float64, n+1)
	total := 0.0
	for i := range gaps {
		switch dist {
		case IATExponential:
			gaps[i] = rng.ExpFloat64()
		case IATUniform:
			gaps[i] = rng.Float64()
		default:
			return nil
		}
		total += gaps[i]
	}
	if total == 0 { // every uniform gap drew 0: spread evenly
		for i := range gaps {
			gaps[i] = 1
		}
		total = float64(len(gaps))
	}
	sum := 0.0
	for k := range out {
		sum += gaps[k]
		d := time.Duration(sum / total * float64(time.Minute))
		out[k] = min(d, time.Minute-1)
	}
	return out
}

// InverseCDF returns the value at quantile q of a distribution known by its
// values at increasing quantiles qs, interpolating linearly between them
// (and holding the end values outside them).
func InverseCDF(qs []float64, values []float64, q float64) float64 {
	if len(qs) == 0 || len(qs) != len(values) {
		return 0
	}
	if q <= qs[0] {
		return values[0]
	}
	for i := 1; i < len(qs); i++ {
		if q <= qs[i] {
			span := qs[i] - qs[i-1]
			if span <= 0 {
				return values[i]
			}
			return values[i-1] + (values[i]-values[i-1])*(q-qs[i-1])/span
		}
	}
	return values[len(values)-1]
}

// RunTimeMs is the run time, in whole milliseconds, at quantile q of the
// function's durations (linear between the percentile columns), bounded to
// [MinTraceRunMs, MaxTraceRunMs].
func (d DurationStats) RunTimeMs(q float64) int {
	v := InverseCDF(DurationQuantiles[:], d.Percentiles[:], q)
	return int(min(max(math.Round(v), MinTraceRunMs), MaxTraceRunMs))
}

// MemoryMB is the memory, in whole MiB, at quantile q of the function's
// memory (the 1st percentile below q = 0.01, linear between the percentile
// columns above), bounded to [MinTraceMemoryMB, MaxTraceMemoryMB].
func (m MemoryStats) MemoryMB(q float64) int {
	v := InverseCDF(MemoryQuantiles[:], m.Percentiles[:], q)
	return int(min(max(math.Round(v), MinTraceMemoryMB), MaxTraceMemoryMB))
}
