package loadgen

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ReportRun is one run folder read back for the report: its settings, its
// measured invocations (the warm-up phase left out) and every instance
// cost accounting saw.
type ReportRun struct {
	// Dir is the run folder; Label names the run in the report: its mode,
	// else its folder's name.
	Dir, Label string
	// Meta is run.json; nil when the folder has none (an interrupted run
	// may lack it).
	Meta *RunMeta
	// Invocations are the rows of invocations.csv outside the warm-up
	// phase; Warmup counts the warm-up rows left out.
	Invocations []InvocationRow
	Warmup      int
	// Instances are the rows of instances.csv.
	Instances []InstanceRow
	// EndUs is the end of the run in µs from its start: the latest of
	// run.json's end, the last answer and the last instance stop.
	EndUs int64
}

// ReadReportRun reads the run folder dir: run.json (optional),
// invocations.csv and instances.csv. Errors wrap ErrBadRunFolder and name
// the folder and file, and for a bad value its line and column.
func ReadReportRun(dir string) (*ReportRun, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadRunFolder, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%w: %s is not a folder (want a run folder holding %s and %s)",
			ErrBadRunFolder, dir, RunInvocationsFile, RunInstancesFile)
	}
	r := &ReportRun{Dir: dir, Label: filepath.Base(filepath.Clean(dir))}
	if r.Meta, err = readRunMeta(filepath.Join(dir, RunMetaFile)); err != nil {
		return nil, err
	}
	if r.Meta != nil && strings.TrimSpace(r.Meta.Mode) != "" {
		r.Label = strings.TrimSpace(r.Meta.Mode)
	}
	rows, err := ReadInvocationsCSV(filepath.Join(dir, RunInvocationsFile))
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", dir, err)
	}
	for _, row := range rows {
		if row.Phase == PhaseWarmup {
			r.Warmup++
			continue
		}
		r.Invocations = append(r.Invocations, row)
		r.EndUs = max(r.EndUs, row.DoneRelUs)
	}
	if r.Instances, err = ReadInstancesCSV(filepath.Join(dir, RunInstancesFile)); err != nil {
		return nil, fmt.Errorf("run %s: %w", dir, err)
	}
	for _, in := range r.Instances {
		r.EndUs = max(r.EndUs, in.StoppedUs)
	}
	if m := r.Meta; m != nil && !m.StartedAt.IsZero() && m.EndedAt.After(m.StartedAt) {
		r.EndUs = max(r.EndUs, m.EndedAt.Sub(m.StartedAt).Microseconds())
	}
	return r, nil
}

// readRunMeta reads run.json; nil, nil when there is none.
func readRunMeta(name string) (*RunMeta, error) {
	b, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadRunFolder, err)
	}
	var m RunMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrBadRunFolder, name, err)
	}
	return &m, nil
}
