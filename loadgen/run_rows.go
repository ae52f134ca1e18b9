package loadgen

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// instanceUse adds up, per instance, the run time of the invocations it
// answered and how many.
func instanceUse(recs []traceRecord) map[string]InstanceUse {
	use := map[string]InstanceUse{}
	for _, r := range recs {
		if !r.sent || !r.Answered() || r.Instance == "" {
			continue
		}
		u := use[r.Instance]
		u.Busy += r.RunTime
		u.Served++
		use[r.Instance] = u
	}
	return use
}

// invocationRows turns the records of the calls sent into rows, marking
// as a cold start each instance's first answered invocation (the one whose
// run began first: its answer's end less its run time), unless the
// instance existed before the run (preRun).
func invocationRows(p *Plan, recs []traceRecord, preRun map[string]bool) []InvocationRow {
	first := map[string]int{}
	for i, r := range recs {
		if !r.sent || !r.Answered() || r.Instance == "" || preRun[r.Instance] {
			continue
		}
		j, seen := first[r.Instance]
		if !seen || r.Done-r.RunTime < recs[j].Done-recs[j].RunTime {
			first[r.Instance] = i
		}
	}
	cold := make(map[int]bool, len(first))
	for _, i := range first {
		cold[i] = true
	}
	us := func(d time.Duration) int64 { return d.Microseconds() }
	rows := make([]InvocationRow, 0, len(recs))
	for i, r := range recs {
		if !r.sent {
			continue
		}
		c := p.Calls[i]
		name := p.Functions[c.Function].Name
		row := InvocationRow{
			Phase: PhaseExecution, Instance: name, InvocationID: c.InvocationID(), StartTimeUs: r.SentAt.UnixMicro(),
			RequestedDurationUs: int64(c.RunMs) * 1000, ConnEstablishUs: us(r.Headers), ActualDurationUs: us(r.RunTime),
			ConnectionTimeout: r.NoAnswer, FunctionTimeout: !r.NoAnswer && !r.Answered(), ActualMemoryMiB: r.MemoryMiB,
			TimeToSubmitUs: us(r.Submit), TimeToGetResponseUs: us(r.Fetch),
			Function: name, Track: r.Track, WLInstance: r.Instance, ColdStart: cold[i],
			ScheduledRelUs: us(c.At), SentRelUs: us(r.Sent), FirstByteRelUs: us(r.FirstByte), DoneRelUs: us(r.Done),
			Status: r.Status, Error: r.Err,
		}
		if c.Warmup {
			row.Phase = PhaseWarmup
		}
		if r.Done > 0 {
			row.ResponseTimeUs = row.DoneRelUs - row.SentRelUs
		}
		if r.Submit > 0 {
			row.UserCodeExecutionUs = us(r.RunTime)
		}
		rows = append(rows, row)
	}
	return rows
}

// writeRunFolder writes the four files of a run folder.
func writeRunFolder(dir string, rows []InvocationRow, inst []InstanceRow, sum RunSummary) error {
	write := func(name string, fill func(io.Writer) error) error {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if err := fill(f); err != nil {
			_ = f.Close()
			return fmt.Errorf("write %s: %w", f.Name(), err)
		}
		return f.Close()
	}
	jsonOf := func(v any) func(io.Writer) error {
		return func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(v)
		}
	}
	return errors.Join(
		write(RunInvocationsFile, func(w io.Writer) error { return WriteInvocationsCSV(w, rows) }),
		write(RunInstancesFile, func(w io.Writer) error { return WriteInstancesCSV(w, inst) }),
		write(RunSummaryFile, jsonOf(sum)),
		write(RunMetaFile, jsonOf(sum.Meta)),
	)
}
