package loadgen

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestMinuteOffsetsKeepTheCountInsideTheMinute(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, dist := range []IATDistribution{IATExponential, IATUniform, IATEquidistant} {
		for _, n := range []int{0, 1, 2, 17, 1000} {
			got := MinuteOffsets(rng, n, dist)
			if len(got) != n {
				t.Fatalf("%s n=%d: %d offsets", dist, n, len(got))
			}
			if !slices.IsSorted(got) {
				t.Errorf("%s n=%d: not in order", dist, n)
			}
			for _, d := range got {
				if d < 0 || d >= time.Minute {
					t.Fatalf("%s n=%d: offset %s outside the minute", dist, n, d)
				}
			}
		}
	}
	if got := MinuteOffsets(rng, 4, IATEquidistant); !slices.Equal(got, []time.Duration{0, 15 * time.Second, 30 * time.Second, 45 * time.Second}) {
		t.Errorf("equidistant 4: %v", got)
	}
	if got := MinuteOffsets(rng, 3, "gamma"); got != nil {
		t.Errorf("unknown distribution: %v, want nil", got)
	}
}

// The gaps between exponential arrivals have a coefficient of variation
// near 1 (a Poisson process); uniform gaps near sqrt(1/3); equidistant 0.
func TestMinuteOffsetsGapsFollowTheirDistribution(t *testing.T) {
	cases := []struct {
		dist   IATDistribution
		cv, by float64
	}{
		{IATExponential, 1, 0.05},
		{IATUniform, math.Sqrt(1.0 / 3), 0.03},
		{IATEquidistant, 0, 0.001},
	}
	for _, tc := range cases {
		t.Run(string(tc.dist), func(t *testing.T) {
			off := MinuteOffsets(rand.New(rand.NewPCG(1, 2)), 20_000, tc.dist)
			gaps := make([]float64, 0, len(off))
			for i := 1; i < len(off); i++ {
				gaps = append(gaps, float64(off[i]-off[i-1]))
			}
			mean, sq := 0.0, 0.0
			for _, g := range gaps {
				mean += g
			}
			mean /= float64(len(gaps))
			for _, g := range gaps {
				sq += (g - mean) * (g - mean)
			}
			cv := math.Sqrt(sq/float64(len(gaps))) / mean
			if math.Abs(cv-tc.cv) > tc.by {
				t.Errorf("coefficient of variation %.3f, want %.3f ± %.3f", cv, tc.cv, tc.by)
			}
		})
	}
}

func TestInverseCDFInterpolates(t *testing.T) {
	qs, vs := []float64{0, 0.5, 1}, []float64{10, 20, 100}
	for _, c := range []struct{ q, want float64 }{{-1, 10}, {0, 10}, {0.25, 15}, {0.5, 20}, {0.75, 60}, {1, 100}, {2, 100}} {
		if got := InverseCDF(qs, vs, c.q); got != c.want {
			t.Errorf("q=%v: %v, want %v", c.q, got, c.want)
		}
	}
	if got := InverseCDF(nil, nil, 0.5); got != 0 {
		t.Errorf("no points: %v", got)
	}
}

// Run times and memory drawn by inverse CDF have empirical percentiles near
// the trace's percentile columns: the share of samples at most a column's
// value is that column's quantile, within half a percent.
func TestSampledRunTimesAndMemoryMatchTheTrace(t *testing.T) {
	d := DurationStats{Percentiles: [7]float64{62, 78, 156, 218, 281, 2107, 3311}}
	m := MemoryStats{Percentiles: [8]float64{20, 40, 60, 80, 100, 200, 300, 400}}
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 200_000
	runs, mems := make([]float64, n), make([]float64, n)
	for i := range n {
		runs[i] = float64(d.RunTimeMs(rng.Float64()))
		mems[i] = float64(m.MemoryMB(rng.Float64()))
	}
	slices.Sort(runs)
	slices.Sort(mems)
	for i, q := range DurationQuantiles {
		if q == 0 || q == 1 {
			continue
		}
		traceNear(t, "run time", q, runs, d.Percentiles[i], 0.005)
	}
	if runs[0] < 62 || runs[n-1] > 3311 {
		t.Errorf("run times %v..%v outside the trace's 62..3311", runs[0], runs[n-1])
	}
	for i, q := range MemoryQuantiles {
		if q == 1 {
			continue
		}
		traceNear(t, "memory", q, mems, m.Percentiles[i], 0.005)
	}
}

// traceNear checks that the empirical CDF of sorted samples at want (give
// or take 1, for rounding to whole numbers) is q within by.
func traceNear(t *testing.T, what string, q float64, sorted []float64, want, by float64) {
	t.Helper()
	below, _ := slices.BinarySearch(sorted, want-1)
	atMost, _ := slices.BinarySearch(sorted, want+1+1e-9)
	lo, hi := float64(below)/float64(len(sorted)), float64(atMost)/float64(len(sorted))
	if q < lo-by || q > hi+by {
		t.Errorf("%s: the trace's quantile %v is %v, but %.4f..%.4f of the samples are at most that", what, q, want, lo, hi)
	}
}

func TestRunTimeAndMemoryAreBounded(t *testing.T) {
	d := DurationStats{Percentiles: [7]float64{0, 0, 0, 0, 0, 0, 0}}
	if got := d.RunTimeMs(0.5); got != MinTraceRunMs {
		t.Errorf("zero run time: %d, want %d", got, MinTraceRunMs)
	}
	d = DurationStats{Percentiles: [7]float64{1e6, 1e6, 1e6, 1e6, 1e6, 1e6, 1e6}}
	if got := d.RunTimeMs(0.5); got != MaxTraceRunMs {
		t.Errorf("huge run time: %d, want %d", got, MaxTraceRunMs)
	}
	m := MemoryStats{Percentiles: [8]float64{0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2}}
	if got := m.MemoryMB(0.5); got != MinTraceMemoryMB {
		t.Errorf("tiny memory: %d", got)
	}
}
