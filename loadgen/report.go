package loadgen

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// Files WriteReport writes into its output folder.
const (
	ReportMarkdownFile    = "report.md"
	ReportJSONFile        = "report.json"
	ReportSlowdownCDFFile = "slowdown_cdf.png"
	ReportInstancesFile   = "instances.png"
)

// ReportConfig says which run folders to put side by side and where.
type ReportConfig struct {
	// Runs are run folders written by a trace run, in the order of the
	// table's columns; ratios are against the first.
	Runs []string
	// Out is the output folder, made when missing.
	Out string
}

// Report is what WriteReport computed and where it wrote it.
type Report struct {
	Runs []ReportStats
	// Files are the paths written: report.md, report.json and the plots.
	Files []string
}

// WriteReport reads the run folders and writes into Out: report.md (the
// runs side by side), report.json (the same figures, with each function's
// slowdown), slowdown_cdf.png (per-function slowdown CDF, a line per run,
// log x axis) and instances.png (instances alive per track over time, a
// panel per run). Errors wrap ErrBadReport for a bad configuration and
// ErrBadRunFolder for a folder that cannot be read, naming it; nothing is
// written unless every folder reads.
func WriteReport(cfg ReportConfig) (*Report, error) {
	if len(cfg.Runs) == 0 {
		return nil, fmt.Errorf("%w: no run folders given", ErrBadReport)
	}
	if cfg.Out == "" {
		return nil, fmt.Errorf("%w: no output folder given", ErrBadReport)
	}
	runs := make([]*ReportRun, 0, len(cfg.Runs))
	for _, dir := range cfg.Runs {
		r, err := ReadReportRun(dir)
		if err != nil {
			return nil, err
		}
		runs = append(runs, r)
	}
	uniqueLabels(runs)
	rep := &Report{Runs: make([]ReportStats, len(runs))}
	for i, r := range runs {
		rep.Runs[i] = AnalyzeRun(r)
	}
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return nil, fmt.Errorf("output folder: %w", err)
	}
	out := func(name string) string {
		p := filepath.Join(cfg.Out, name)
		rep.Files = append(rep.Files, p)
		return p
	}
	if err := WriteSlowdownCDF(out(ReportSlowdownCDFFile), rep.Runs); err != nil {
		return nil, err
	}
	if err := WriteInstancesPlot(out(ReportInstancesFile), runs); err != nil {
		return nil, err
	}
	plots := []ReportPlot{
		{Title: "Per-function slowdown CDF", File: ReportSlowdownCDFFile},
		{Title: "Instances per track over time", File: ReportInstancesFile},
	}
	if err := writeFileWith(out(ReportMarkdownFile), func(f *os.File) error {
		return WriteReportMarkdown(f, rep.Runs, plots)
	}); err != nil {
		return nil, err
	}
	if err := writeFileWith(out(ReportJSONFile), func(f *os.File) error {
		enc := json.NewEncoder(f)
		enc.SetIndent("", "  ")
		return enc.Encode(rep.Runs)
	}); err != nil {
		return nil, err
	}
	return rep, nil
}

// uniqueLabels makes the runs' labels differ: a label two runs share gets
// the run's folder name after it, then a number if that is not enough.
func uniqueLabels(runs []*ReportRun) {
	count := map[string]int{}
	for _, r := range runs {
		count[r.Label]++
	}
	seen := map[string]bool{}
	for _, r := range runs {
		if count[r.Label] > 1 {
			if base := filepath.Base(filepath.Clean(r.Dir)); base != r.Label {
				r.Label += " (" + base + ")"
			}
		}
		label := r.Label
		for n := 2; seen[label]; n++ {
			label = r.Label + " #" + strconv.Itoa(n)
		}
		r.Label = label
		seen[label] = true
	}
}

// writeFileWith creates path and fills it with write.
func writeFileWith(path string, write func(*os.File) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
