package loadgen

import (
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestInstanceTimeline(t *testing.T) {
	in := func(track string, start, stop int64) InstanceRow {
		return InstanceRow{Track: track, StartedUs: start * repMs, StoppedUs: stop * repMs}
	}
	tests := []struct {
		name string
		rows []InstanceRow
		end  int64
		want map[string][]TimelinePoint
	}{
		{name: "none", end: 1000 * repMs, want: map[string][]TimelinePoint{}},
		{
			name: "overlapping instances per track, run on to the end",
			rows: []InstanceRow{in(TrackRegular, 0, 4000), in(TrackRegular, 1000, 3000), in(TrackEmergency, 2000, 2500)},
			end:  5000 * repMs,
			want: map[string][]TimelinePoint{
				TrackRegular:   {{0, 1}, {1, 2}, {3, 1}, {4, 0}, {5, 0}},
				TrackEmergency: {{0, 0}, {2, 1}, {2.5, 0}, {5, 0}},
			},
		},
		{
			name: "one stops as another starts; one started before the run",
			rows: []InstanceRow{in(TrackRegular, -2000, 1000), in(TrackRegular, 1000, 2000)},
			end:  2000 * repMs,
			want: map[string][]TimelinePoint{TrackRegular: {{-2, 1}, {2, 0}}},
		},
		{
			name: "instances alive at the end count there",
			rows: []InstanceRow{in(TrackRegular, 0, 3000), {Track: TrackRegular, StartedUs: 1000 * repMs, StoppedUs: 3000 * repMs, Alive: true}},
			end:  3000 * repMs,
			want: map[string][]TimelinePoint{TrackRegular: {{0, 1}, {1, 2}, {3, 1}}},
		},
		{
			name: "an instance that lives no time never counts",
			rows: []InstanceRow{in(TrackEmergency, 1000, 1000)},
			end:  2000 * repMs,
			want: map[string][]TimelinePoint{TrackEmergency: {{0, 0}, {2, 0}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := InstanceTimeline(tt.rows, tt.end)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("timeline %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPlotsWithoutData(t *testing.T) {
	// Runs with nothing to draw still give decodable images.
	dir := t.TempDir()
	empty := &ReportRun{Label: "empty"}
	cdf, inst := filepath.Join(dir, "cdf.png"), filepath.Join(dir, "inst.png")
	if err := WriteSlowdownCDF(cdf, []ReportStats{AnalyzeRun(empty)}); err != nil {
		t.Fatal(err)
	}
	if err := WriteInstancesPlot(inst, nil); err != nil {
		t.Fatal(err)
	}
	// A slowdown of zero is drawn at the axis' floor, not refused.
	zero := ReportStats{Label: "zero", Slowdown: SlowdownStats{Functions: 1, PerFunction: []FunctionSlowdown{{"f", 1, 0}}}}
	if err := WriteSlowdownCDF(cdf, []ReportStats{zero}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{cdf, inst} {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		_, err = png.Decode(f)
		f.Close()
		if err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

func TestSavePlotPNGReportsAnUnwritablePath(t *testing.T) {
	err := WriteSlowdownCDF(filepath.Join(t.TempDir(), "no", "such", "folder", "x.png"), nil)
	if err == nil {
		t.Fatal("no error for a folder that does not exist")
	}
}
