package loadgen

import (
	"cmp"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// TimelinePoint is the number of instances alive from Seconds (from the
// run's start; negative before it) until the next point.
type TimelinePoint struct {
	Seconds float64
	Count   int
}

// InstanceTimeline counts, per track, the instances alive over the run: an
// instance counts from its start to its stop, or to the end when it was
// still alive then. Each track's series starts
// at the earlier of 0 s and its first start, and runs on with its last
// count to endUs when that is later than its last change. It is a pure
// function of the rows.
func InstanceTimeline(instances []InstanceRow, endUs int64) map[string][]TimelinePoint {
	type event struct {
		at    int64
		delta int
	}
	byTrack := map[string][]event{}
	for _, in := range instances {
		evs := append(byTrack[in.Track], event{in.StartedUs, +1})
		if !in.Alive { // one alive at the end still counts there
			evs = append(evs, event{max(in.StoppedUs, in.StartedUs), -1})
		}
		byTrack[in.Track] = evs
	}
	out := make(map[string][]TimelinePoint, len(byTrack))
	for track, evs := range byTrack {
		// At one instant, stops before starts: an instance that lives no
		// time never counts.
		slices.SortStableFunc(evs, func(a, b event) int { return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.delta, b.delta)) })
		pts := []TimelinePoint{{Seconds: float64(min(evs[0].at, 0)) / 1e6, Count: 0}}
		n := 0
		for i, e := range evs {
			n += e.delta
			if i+1 < len(evs) && evs[i+1].at == e.at {
				continue // one point per instant, after all its events
			}
			s := float64(e.at) / 1e6
			if last := &pts[len(pts)-1]; last.Seconds == s {
				last.Count = n
			} else if last.Count != n {
				pts = append(pts, TimelinePoint{Seconds: s, Count: n})
			}
		}
		if end := float64(endUs) / 1e6; end > pts[len(pts)-1].Seconds {
			pts = append(pts, TimelinePoint{Seconds: end, Count: n})
		}
		out[track] = pts
	}
	return out
}

// WriteInstancesPlot draws, for each run, the instances alive per track
// over time (one panel per run, stacked), and writes it to path as a PNG
// image.
func WriteInstancesPlot(path string, runs []*ReportRun) error {
	if len(runs) == 0 {
		runs = []*ReportRun{{Label: "no runs"}}
	}
	plots := make([][]*plot.Plot, len(runs))
	for i, r := range runs {
		p, err := instancesPanel(r)
		if err != nil {
			return err
		}
		plots[i] = []*plot.Plot{p}
	}
	const panelHeight = 2.4 * vg.Inch
	return savePlotPNG(path, 7*vg.Inch, vg.Length(len(runs))*panelHeight, func(c draw.Canvas) {
		tiles := draw.Tiles{Rows: len(runs), Cols: 1, PadX: vg.Millimeter, PadY: 3 * vg.Millimeter,
			PadTop: 2 * vg.Millimeter, PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter, PadRight: 2 * vg.Millimeter}
		canvases := plot.Align(plots, tiles, c)
		for i := range plots {
			plots[i][0].Draw(canvases[i][0])
		}
	})
}

// instancesPanel is one run's panel: a step line per track.
func instancesPanel(r *ReportRun) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Instances per track: " + r.Label
	p.X.Label.Text = "time since the run's start (s)"
	p.Y.Label.Text = "instances"
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	timeline := InstanceTimeline(r.Instances, r.EndUs)
	peak := 1
	tracks := []string{TrackRegular, TrackEmergency}
	for t := range timeline {
		if !slices.Contains(tracks, t) {
			tracks = append(tracks, t)
		}
	}
	slices.Sort(tracks[2:])
	for i, track := range tracks {
		pts := timeline[track]
		if len(pts) == 0 {
			continue
		}
		xys := make(plotter.XYs, len(pts))
		for j, pt := range pts {
			xys[j] = plotter.XY{X: pt.Seconds, Y: float64(pt.Count)}
			peak = max(peak, pt.Count)
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, err
		}
		l.StepStyle = plotter.PostStep
		l.Color = plotutil.Color(i)
		l.Width = vg.Points(1.5)
		p.Add(l)
		name := track
		if name == "" {
			name = "(no track)"
		}
		p.Legend.Add(name, l)
	}
	p.X.Min, p.X.Max = 0, max(float64(r.EndUs)/1e6, 1)
	for _, pts := range timeline {
		p.X.Min = min(p.X.Min, pts[0].Seconds)
	}
	// Headroom above the lines for the legend.
	p.Y.Min, p.Y.Max = 0, float64(peak)*1.35
	return p, nil
}
