package loadgen

import (
	"errors"
	"math"
	"slices"
	"testing"
	"time"
)

func TestScheduleRejectsBadShapes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		shape StepShape
	}{
		{"negative from", StepShape{From: -1, To: 1, Duration: time.Second}},
		{"NaN to", StepShape{To: math.NaN(), Duration: time.Second}},
		{"infinite to", StepShape{To: math.Inf(1), Duration: time.Second}},
		{"zero duration", StepShape{To: 1}},
		{"step after the end", StepShape{To: 1, At: 2 * time.Second, Duration: time.Second}},
		{"negative step", StepShape{To: 1, At: -time.Second, Duration: time.Second}},
		{"unknown spacing", StepShape{To: 1, Duration: time.Second, Spacing: "uniform"}},
		{"too many arrivals", StepShape{To: 1e6, Duration: time.Hour}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Schedule(tc.shape); !errors.Is(err, ErrBadShape) {
				t.Fatalf("Schedule(%+v) error = %v, want ErrBadShape", tc.shape, err)
			}
		})
	}
}

func TestScheduleEven(t *testing.T) {
	for _, tc := range []struct {
		name                string
		shape               StepShape
		before, after       int
		firstAfter, gapThen time.Duration
	}{
		{"step from nothing", StepShape{From: 0, To: 40, At: 500 * time.Millisecond, Duration: 3500 * time.Millisecond}, 0, 120, 500 * time.Millisecond, 25 * time.Millisecond},
		{"step up", StepShape{From: 10, To: 200, At: 2 * time.Second, Duration: 4 * time.Second}, 20, 400, 2 * time.Second, 5 * time.Millisecond},
		{"step down", StepShape{From: 100, To: 4, At: time.Second, Duration: 3 * time.Second}, 100, 8, time.Second, 250 * time.Millisecond},
		{"constant", StepShape{From: 3, To: 3, Duration: 2 * time.Second}, 0, 6, 0, 333333333},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Schedule(tc.shape)
			if err != nil {
				t.Fatal(err)
			}
			i, _ := slices.BinarySearch(a, tc.shape.At)
			if i != tc.before || len(a)-i != tc.after {
				t.Fatalf("%d arrivals before the step and %d after, want %d and %d", i, len(a)-i, tc.before, tc.after)
			}
			if a[i] != tc.firstAfter {
				t.Fatalf("first arrival from the step at %s, want %s", a[i], tc.firstAfter)
			}
			for j := i + 1; j < len(a); j++ {
				if gap := a[j] - a[j-1]; gap < tc.gapThen-1 || gap > tc.gapThen+1 {
					t.Fatalf("gap %d is %s, want %s", j, gap, tc.gapThen)
				}
			}
			if a[len(a)-1] >= tc.shape.Duration {
				t.Fatalf("last arrival %s not before the end %s", a[len(a)-1], tc.shape.Duration)
			}
		})
	}
}

// TestScheduleExponential checks the seeded Poisson arrivals statistically:
// counts within five standard deviations of the mean, gaps with the mean and
// spread of an exponential distribution, and the same schedule for the same
// seed.
func TestScheduleExponential(t *testing.T) {
	shape := StepShape{From: 50, To: 1000, At: 20 * time.Second, Duration: 120 * time.Second, Spacing: SpacingExponential, Seed: 7}
	a, err := Schedule(shape)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.IsSorted(a) || a[0] < 0 || a[len(a)-1] >= shape.Duration {
		t.Fatal("arrivals not sorted within the run")
	}
	i, _ := slices.BinarySearch(a, shape.At)
	within := func(name string, got int, mean float64) {
		t.Helper()
		if math.Abs(float64(got)-mean) > 5*math.Sqrt(mean) {
			t.Errorf("%s: %d arrivals, want about %.0f", name, got, mean)
		}
	}
	within("before the step", i, 50*20)
	within("after the step", len(a)-i, 1000*100)

	// Gaps after the step: mean 1 ms, standard deviation 1 ms, and a share
	// of 1-1/e of them below the mean.
	var sum, sumSq float64
	below := 0
	n := 0
	for j := i + 1; j < len(a); j++ {
		g := (a[j] - a[j-1]).Seconds() * 1000
		sum += g
		sumSq += g * g
		if g < 1 {
			below++
		}
		n++
	}
	mean := sum / float64(n)
	sd := math.Sqrt(sumSq/float64(n) - mean*mean)
	if math.Abs(mean-1) > 0.02 || math.Abs(sd-1) > 0.03 {
		t.Errorf("gaps: mean %.3f ms, sd %.3f ms, want 1 and 1", mean, sd)
	}
	if share := float64(below) / float64(n); math.Abs(share-(1-1/math.E)) > 0.01 {
		t.Errorf("share of gaps below the mean %.3f, want %.3f", share, 1-1/math.E)
	}

	b, _ := Schedule(shape)
	if !slices.Equal(a, b) {
		t.Error("the same seed gave another schedule")
	}
	shape.Seed++
	if c, _ := Schedule(shape); slices.Equal(a, c) {
		t.Error("another seed gave the same schedule")
	}
}
