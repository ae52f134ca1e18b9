package loadgen

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// repMs is a number of milliseconds in µs.
const repMs = int64(1000)

// inv is an answered execution-phase invocation of fn scheduled at sched
// that took e2e end to end and asked for req of run time (all µs).
func repInv(fn string, sched, e2e, req int64, track string) InvocationRow {
	return InvocationRow{Phase: PhaseExecution, Instance: fn, Function: fn, RequestedDurationUs: req,
		ScheduledRelUs: sched, SentRelUs: sched, DoneRelUs: sched + e2e, ResponseTimeUs: e2e,
		Track: track, WLInstance: fn + "-" + track, Status: 200}
}

// failed is an invocation answered with status (0: none) and err.
func repFailed(fn string, sched int64, status int, err string) InvocationRow {
	r := repInv(fn, sched, 0, 100*repMs, "")
	r.DoneRelUs, r.Status, r.Error = 0, status, err
	if status != 0 {
		r.DoneRelUs = sched + 5*repMs
	}
	return r
}

func repWarmup(r InvocationRow) InvocationRow {
	r.Phase = PhaseWarmup
	return r
}

// writeTestRun writes a run folder at dir; meta nil writes no run.json.
func writeTestRun(t *testing.T, dir string, meta *RunMeta, rows []InvocationRow, inst []InstanceRow) string {
	t.Helper()
	if err := writeRunFiles(dir, meta, rows, inst); err != nil {
		t.Fatal(err)
	}
	return dir
}

// writeRunFiles writes the files of a run folder at dir.
func writeRunFiles(dir string, meta *RunMeta, rows []InvocationRow, inst []InstanceRow) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	create := func(name string, fill func(*os.File) error) error {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if err := fill(f); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	err := create(RunInvocationsFile, func(f *os.File) error { return WriteInvocationsCSV(f, rows) })
	if err == nil {
		err = create(RunInstancesFile, func(f *os.File) error { return WriteInstancesCSV(f, inst) })
	}
	if err == nil && meta != nil {
		err = create(RunMetaFile, func(f *os.File) error { return json.NewEncoder(f).Encode(meta) })
	}
	return err
}

// The two runs of the report tests.
//
// wavelink: f1 slowdowns 1.1, 1.2, 1.3 (median 1.2); f2 2, 4 (nearest-rank
// median 2); f3 1.5. Over functions: median 1.5, p99 2. Latencies 110,
// 120, 130, 150, 200, 400 repMs. One 503, one warm-up row. Instances: a
// 512 MB regular one for 0-10 s busy 5 s, a 1024 MB emergency one for
// 2-4 s busy 1 s: allocated 7 GB-s, busy 3.5.
//
// async: f1 3, f2 10, f3 5: median 5, p99 10. A 1024 MB regular instance
// for 0-10 s busy 2 s: allocated 10 GB-s, busy 2.
func wavelinkRun(t *testing.T, dir string) string {
	t.Helper()
	meta := &RunMeta{Mode: "wavelink", Trace: BundledTraceName, Minutes: "0-4", Compress: 10, TraceMode: "sleep",
		Invoke: "sync", Seed: 7, Cores: 2}
	rows := []InvocationRow{
		repWarmup(repInv("f1", 0, 900*repMs, 100*repMs, TrackRegular)),
		repInv("f1", 1000*repMs, 110*repMs, 100*repMs, TrackRegular),
		repInv("f1", 2000*repMs, 120*repMs, 100*repMs, TrackRegular),
		repInv("f1", 3000*repMs, 130*repMs, 100*repMs, TrackRegular),
		repInv("f2", 1500*repMs, 200*repMs, 100*repMs, TrackEmergency),
		repInv("f2", 2500*repMs, 400*repMs, 100*repMs, TrackRegular),
		repInv("f3", 4000*repMs, 150*repMs, 100*repMs, TrackRegular),
		repFailed("f3", 5000*repMs, 503, ""),
	}
	inst := []InstanceRow{
		{ID: "r1", Function: "f1", Track: TrackRegular, MemoryMB: 512, StartedUs: 0, ReadyUs: 100 * repMs, StoppedUs: 10_000 * repMs, BusyUs: 5000 * repMs, Served: 5},
		{ID: "e1", Function: "f2", Track: TrackEmergency, MemoryMB: 1024, StartedUs: 2000 * repMs, ReadyUs: 2002 * repMs, StoppedUs: 4000 * repMs, BusyUs: 1000 * repMs, Served: 1},
	}
	return writeTestRun(t, dir, meta, rows, inst)
}

func asyncRun(t *testing.T, dir string) string {
	t.Helper()
	meta := &RunMeta{Mode: "async", Trace: BundledTraceName, Minutes: "0-4", Compress: 10, TraceMode: "sleep",
		Invoke: "sync", Seed: 7, Cores: 2}
	rows := []InvocationRow{
		repInv("f1", 1000*repMs, 300*repMs, 100*repMs, TrackRegular),
		repInv("f2", 1500*repMs, 1000*repMs, 100*repMs, TrackRegular),
		repInv("f3", 4000*repMs, 500*repMs, 100*repMs, TrackRegular),
	}
	inst := []InstanceRow{
		{ID: "r1", Function: "f1", Track: TrackRegular, MemoryMB: 1024, StartedUs: 0, ReadyUs: 900 * repMs, StoppedUs: 10_000 * repMs, BusyUs: 2000 * repMs, Served: 3},
	}
	return writeTestRun(t, dir, meta, rows, inst)
}
