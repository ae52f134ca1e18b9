package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// CompareModes are the scaler modes a comparison runs by default, in the
// order of the report's columns (ratios are against the first).
var CompareModes = []string{"wavelink", "async", "sync", "fastpath"}

// ModeRunner runs one trace replay against a fresh platform started with a
// scaler mode, writing its run folder into dir. A run interrupted by its
// context should still write what it has and return the context's error.
type ModeRunner interface {
	RunMode(ctx context.Context, mode, dir string) error
}

// CompareConfig says what a comparison runs and where it writes.
type CompareConfig struct {
	// Modes to run, one after another; empty means CompareModes.
	Modes []string
	// Out is the output folder: each mode's run folder is Out/<mode>, and
	// the report goes in Out.
	Out string
	// Runner runs each mode.
	Runner ModeRunner
	// Progress receives a line as each mode starts and ends; nil means
	// none.
	Progress io.Writer
}

// Compare runs the trace once per mode, one after another, each through
// cfg.Runner into Out/<mode>, then writes the report of the runs that
// produced a run folder into Out. A mode that fails does not stop the
// others; when the context ends, the modes not yet started are skipped and
// the report covers what ran. The error joins each mode's failure (naming
// the mode), wraps ErrBadReport for a bad configuration, and is the
// report's error when it cannot be written.
func Compare(ctx context.Context, cfg CompareConfig) (*Report, error) {
	modes := cfg.Modes
	if len(modes) == 0 {
		modes = CompareModes
	}
	switch {
	case cfg.Out == "":
		return nil, fmt.Errorf("%w: no output folder given", ErrBadReport)
	case cfg.Runner == nil:
		return nil, fmt.Errorf("%w: no mode runner", ErrBadReport)
	}
	for i, m := range modes {
		if m == "" || m != filepath.Base(m) || m == "." || m == ".." {
			return nil, fmt.Errorf("%w: mode %q cannot name a folder", ErrBadReport, m)
		}
		if slices.Contains(modes[:i], m) {
			return nil, fmt.Errorf("%w: mode %s given twice", ErrBadReport, m)
		}
		if _, err := os.Stat(filepath.Join(cfg.Out, m, RunInvocationsFile)); err == nil {
			return nil, fmt.Errorf("%w: %s already holds a run of mode %s; choose another output folder",
				ErrBadReport, cfg.Out, m)
		}
	}
	progress := cfg.Progress
	if progress == nil {
		progress = io.Discard
	}
	started := time.Now()
	var failures []error
	var dirs []string
	for i, mode := range modes {
		if ctx.Err() != nil {
			fmt.Fprintf(progress, "compare: [%d/%d] %s skipped: %v\n", i+1, len(modes), mode, context.Cause(ctx))
			failures = append(failures, fmt.Errorf("mode %s: not run: %w", mode, context.Cause(ctx)))
			continue
		}
		dir := filepath.Join(cfg.Out, mode)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("output folder: %w", err)
		}
		fmt.Fprintf(progress, "compare: [%d/%d] mode %s: starting (run folder %s, %s elapsed)\n",
			i+1, len(modes), mode, dir, time.Since(started).Round(time.Second))
		t0 := time.Now()
		err := cfg.Runner.RunMode(ctx, mode, dir)
		took := time.Since(t0).Round(time.Second)
		if err != nil {
			fmt.Fprintf(progress, "compare: [%d/%d] mode %s: failed after %s: %v\n", i+1, len(modes), mode, took, err)
			failures = append(failures, fmt.Errorf("mode %s: %w", mode, err))
		} else {
			fmt.Fprintf(progress, "compare: [%d/%d] mode %s: done in %s\n", i+1, len(modes), mode, took)
		}
		// A failed or interrupted run may still have written its rows.
		if _, statErr := os.Stat(filepath.Join(dir, RunInvocationsFile)); statErr == nil {
			dirs = append(dirs, dir)
		}
	}
	if len(dirs) == 0 {
		return nil, errors.Join(append(failures, fmt.Errorf("%w: no mode wrote a run folder", ErrBadReport))...)
	}
	rep, err := WriteReport(ReportConfig{Runs: dirs, Out: cfg.Out})
	if err != nil {
		return nil, errors.Join(append(failures, err)...)
	}
	fmt.Fprintf(progress, "compare: report of %d runs written to %s (%s in all)\n",
		len(dirs), filepath.Join(cfg.Out, ReportMarkdownFile), time.Since(started).Round(time.Second))
	return rep, errors.Join(failures...)
}
