package loadgen

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// ReportPlot is a figure the Markdown report links to.
type ReportPlot struct {
	Title string
	File  string // relative to the report's folder
}

// WriteReportMarkdown writes the runs side by side as a Markdown table, one
// column per run, followed by the errors by kind, notes on how each row is
// computed, and links to plots. Ratios in the table are against the first
// run.
func WriteReportMarkdown(w io.Writer, runs []ReportStats, plots []ReportPlot) error {
	var b strings.Builder
	b.WriteString("# Load generator report\n\n")
	for _, s := range runs {
		fmt.Fprintf(&b, "- **%s**: %s\n", mdCell(s.Label), mdCell(s.Dir))
	}
	b.WriteString("\n")
	if len(runs) == 0 {
		b.WriteString("No runs.\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	t := mdTable{runs: runs}
	for _, name := range reportSettingNames(runs) {
		t.row(name, func(s ReportStats) string {
			for _, st := range s.Settings {
				if st.Name == name {
					return st.Value
				}
			}
			return "–"
		})
	}
	first := runs[0]
	t.row("measured invocations", func(s ReportStats) string { return fmt.Sprint(s.Invocations) })
	t.row("warm-up invocations (left out)", func(s ReportStats) string { return fmt.Sprint(s.Warmup) })
	t.row("answered", func(s ReportStats) string { return countShare(s.Answered, s.Invocations) })
	t.row("errors", func(s ReportStats) string { return countShare(s.Errors, s.Invocations) })
	t.row("functions with a slowdown", func(s ReportStats) string { return fmt.Sprint(s.Slowdown.Functions) })
	t.row("per-function slowdown, median", func(s ReportStats) string { return slowdownCell(s.Slowdown.Median, s.Slowdown.Functions) })
	t.row("per-function slowdown, p99", func(s ReportStats) string { return slowdownCell(s.Slowdown.P99, s.Slowdown.Functions) })
	t.row("p99 slowdown / "+mdCell(first.Label)+"'s", func(s ReportStats) string {
		return ratioCell(s.Slowdown.P99, first.Slowdown.P99, s.Slowdown.Functions > 0 && first.Slowdown.Functions > 0)
	})
	for _, p := range []struct {
		name string
		v    func(LatencyMs) float64
	}{{"p50", func(l LatencyMs) float64 { return l.P50 }}, {"p90", func(l LatencyMs) float64 { return l.P90 }},
		{"p99", func(l LatencyMs) float64 { return l.P99 }}, {"max", func(l LatencyMs) float64 { return l.Max }}} {
		t.row("latency "+p.name+" (ms)", func(s ReportStats) string {
			if s.Latency.N == 0 {
				return "–"
			}
			return fmt.Sprintf("%.1f", p.v(s.Latency))
		})
	}
	t.row("served by regular instances", func(s ReportStats) string { return shareCell(s.Regular, s.Answered) })
	t.row("served by emergency instances", func(s ReportStats) string { return shareCell(s.Emergency, s.Answered) })
	if slices.ContainsFunc(runs, func(s ReportStats) bool { return s.OtherTrack > 0 }) {
		t.row("served by an unnamed track", func(s ReportStats) string { return shareCell(s.OtherTrack, s.Answered) })
	}
	t.row("cold starts", func(s ReportStats) string { return shareCell(s.ColdStarts, s.Answered) })
	t.row("allocated GB-s", func(s ReportStats) string { return fmt.Sprintf("%.2f", s.Cost.AllocatedGBs) })
	t.row("busy GB-s", func(s ReportStats) string { return fmt.Sprintf("%.2f", s.Cost.BusyGBs) })
	t.row("busy / allocated", func(s ReportStats) string {
		if s.Cost.AllocatedGBs == 0 {
			return "–"
		}
		return fmt.Sprintf("%.1f%%", 100*s.Cost.BusyRatio)
	})
	t.row("allocated GB-s / "+mdCell(first.Label)+"'s", func(s ReportStats) string {
		return ratioCell(s.Cost.AllocatedGBs, first.Cost.AllocatedGBs, first.Cost.AllocatedGBs > 0)
	})
	for _, track := range reportTracks(runs) {
		name := track
		if name == "" {
			name = "(no track)"
		}
		t.row("instances created: "+mdCell(name), func(s ReportStats) string { return fmt.Sprint(s.Cost.Creations[track]) })
	}
	t.row("run length (s)", func(s ReportStats) string { return fmt.Sprintf("%.1f", s.DurationS) })
	t.write(&b)

	errorsTitle := false
	for _, s := range runs {
		if len(s.ErrorKinds) == 0 {
			continue
		}
		if !errorsTitle {
			b.WriteString("\n## Errors by kind\n\n")
			errorsTitle = true
		}
		fmt.Fprintf(&b, "- **%s**:", mdCell(s.Label))
		for i, k := range s.ErrorKinds {
			if i > 0 {
				b.WriteString(";")
			}
			fmt.Fprintf(&b, " %s × %d", mdCell(k.Name), k.Count)
		}
		b.WriteString("\n")
	}

	b.WriteString(`
## How the rows are computed

- Invocations of the warm-up phase are left out of every row except the cost and the instance counts.
- Latency is end to end, from an invocation's scheduled arrival to the end of its answer, over answered invocations.
  Failed invocations (the errors row) are in neither latency nor slowdown: with many errors, these rows describe
  only the invocations that were answered.
- Per-function slowdown: for each function, the median over its answered invocations of latency divided by the run
  time it asked for; the table shows the median and the 99th percentile (nearest rank) of that over functions.
- Cost is from instances.csv: every instance the run saw, from its start (which may be before the first call, while
  the functions were deployed) to its stop or the end of the run. Allocated GB-s is memory times that lifetime, busy
  GB-s memory times its time holding at least one invocation; 1 GB = 1024 MB.
`)
	for _, p := range plots {
		fmt.Fprintf(&b, "\n![%s](%s)\n", p.Title, p.File)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdTable is a table with a column per run.
type mdTable struct {
	runs []ReportStats
	rows [][]string
}

func (t *mdTable) row(name string, cell func(ReportStats) string) {
	r := []string{name}
	for _, s := range t.runs {
		r = append(r, mdCell(cell(s)))
	}
	t.rows = append(t.rows, r)
}

func (t *mdTable) write(b *strings.Builder) {
	b.WriteString("| |")
	for _, s := range t.runs {
		fmt.Fprintf(b, " %s |", mdCell(s.Label))
	}
	b.WriteString("\n|---|")
	for range t.runs {
		b.WriteString("---:|")
	}
	b.WriteString("\n")
	for _, r := range t.rows {
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
}

// mdCell makes s safe inside a table cell.
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ").Replace(s)
}

func countShare(n, of int) string {
	if of == 0 {
		return fmt.Sprint(n)
	}
	return fmt.Sprintf("%d (%.1f%%)", n, 100*float64(n)/float64(of))
}

func shareCell(n, of int) string {
	if of == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(of))
}

func slowdownCell(v float64, n int) string {
	if n == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", v)
}

func ratioCell(v, ref float64, ok bool) string {
	if !ok || ref == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", v/ref)
}

// reportSettingNames are the setting names any run has, in the order they
// first appear.
func reportSettingNames(runs []ReportStats) []string {
	var names []string
	for _, s := range runs {
		for _, st := range s.Settings {
			if !slices.Contains(names, st.Name) {
				names = append(names, st.Name)
			}
		}
	}
	return names
}

// reportTracks are the tracks instances were created on in any run:
// regular and emergency always, then the others sorted.
func reportTracks(runs []ReportStats) []string {
	tracks := []string{TrackRegular, TrackEmergency}
	var others []string
	for _, s := range runs {
		for t := range s.Cost.Creations {
			if !slices.Contains(tracks, t) && !slices.Contains(others, t) {
				others = append(others, t)
			}
		}
	}
	slices.Sort(others)
	return append(tracks, others...)
}
