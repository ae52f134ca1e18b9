package loadgen

import (
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// plotMinSlowdown is the smallest slowdown the log axis shows; smaller
// values (an answer faster than the run time asked for) are drawn there.
const plotMinSlowdown = 1e-2

// WriteSlowdownCDF draws the CDF of per-function slowdown, one line per
// run, on a log x axis, and writes it to path as a PNG image. Runs with no
// slowdown get no line.
func WriteSlowdownCDF(path string, runs []ReportStats) error {
	p := plot.New()
	p.Title.Text = "Per-function slowdown"
	p.X.Label.Text = "slowdown (end-to-end latency / requested run time)"
	p.Y.Label.Text = "share of functions"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = slowdownTicks{}
	// Bottom right: where a CDF's lines have all reached 1.
	p.Legend.Top, p.Legend.Left = false, false
	p.Legend.YOffs = vg.Points(12)
	p.Add(plotter.NewGrid())

	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range runs {
		for _, f := range s.Slowdown.PerFunction {
			v := max(f.Slowdown, plotMinSlowdown)
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	if math.IsInf(lo, 0) {
		lo, hi = 1, 10
	}
	lo, hi = lo/1.2, hi*1.2
	for i, s := range runs {
		pts := slowdownCDFPoints(s.Slowdown.PerFunction, hi)
		if len(pts) == 0 {
			continue
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return err
		}
		l.StepStyle = plotter.PostStep
		l.Color = plotutil.Color(i)
		l.Dashes = plotutil.Dashes(i)
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(s.Label, l)
	}
	p.X.Min, p.X.Max = lo, hi
	p.Y.Min, p.Y.Max = 0, 1
	return savePlotPNG(path, 7*vg.Inch, 4.5*vg.Inch, p.Draw)
}

// slowdownCDFPoints are the steps of the empirical CDF of the functions'
// slowdowns (sorted): it rises by 1/n at each one and runs flat at 1 up to
// end.
func slowdownCDFPoints(fns []FunctionSlowdown, end float64) plotter.XYs {
	n := len(fns)
	if n == 0 {
		return nil
	}
	pts := make(plotter.XYs, 0, n+2)
	pts = append(pts, plotter.XY{X: max(fns[0].Slowdown, plotMinSlowdown), Y: 0})
	for i, f := range fns {
		pts = append(pts, plotter.XY{X: max(f.Slowdown, plotMinSlowdown), Y: float64(i+1) / float64(n)})
	}
	return append(pts, plotter.XY{X: max(end, pts[len(pts)-1].X), Y: 1})
}

// slowdownTicks marks a log axis at 1, 2 and 5 times the powers of ten in
// its range, or at every whole multiple when that gives fewer than three
// labels, or at evenly spaced values when the range is narrower still.
type slowdownTicks struct{}

func (slowdownTicks) Ticks(lo, hi float64) []plot.Tick {
	for _, labelled := range [][]int{{1, 2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9}} {
		var ticks []plot.Tick
		labels := 0
		for e := math.Floor(math.Log10(lo)); math.Pow(10, e) <= hi; e++ {
			for m := 1; m <= 9; m++ {
				v := float64(m) * math.Pow(10, e)
				if v < lo || v > hi {
					continue
				}
				t := plot.Tick{Value: v}
				if slices.Contains(labelled, m) {
					t.Label = strconv.FormatFloat(v, 'g', 4, 64)
					labels++
				}
				ticks = append(ticks, t)
			}
		}
		if labels >= 3 {
			return ticks
		}
	}
	return plot.DefaultTicks{}.Ticks(lo, hi)
}
