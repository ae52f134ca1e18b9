package loadgen

import (
	"math"
	"testing"
	"time"

	"github.com/wavelink/wavelink/schemas"
	"github.com/wavelink/wavelink/streams"
	"github.com/wavelink/wavelink/streams/streamstest"
)

var costT0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

func costAt(s float64) time.Time { return costT0.Add(time.Duration(s * float64(time.Second))) }

func costStartRec(id, fn, track string, mb int, started, ready float64) schemas.InstanceRecord {
	return schemas.InstanceRecord{ID: id, Function: fn, Track: track, MemoryMB: mb, Started: costAt(started), Ready: costAt(ready)}
}

func costStopRec(r schemas.InstanceRecord, stopped float64, busy time.Duration, served int64) schemas.InstanceRecord {
	r.Stopped, r.Busy, r.Served = costAt(stopped), busy, served
	return r
}

func costApprox(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestCostLedgerAddsUpGBSeconds(t *testing.T) {
	reg := costStartRec("r-1", "f", TrackRegular, 1024, 1, 2)
	em := costStartRec("e-1", "f", TrackEmergency, 512, 3, 3)
	old := costStartRec("r-0", "g", TrackRegular, 2048, -10, -9)
	cases := []struct {
		name    string
		records []schemas.InstanceRecord
		use     map[string]InstanceUse
		check   func(t *testing.T, rows []InstanceRow, s CostSummary)
	}{
		{
			name:    "start and stop",
			records: []schemas.InstanceRecord{reg, costStopRec(reg, 11, 4*time.Second, 7)},
			check: func(t *testing.T, rows []InstanceRow, s CostSummary) {
				// 1 GB for 10 s, busy 4 s.
				if !costApprox(s.AllocatedGBs, 10) || !costApprox(s.BusyGBs, 4) || !costApprox(s.BusyOverAllocated, 0.4) {
					t.Errorf("summary %+v", s)
				}
				r := rows[0]
				if r.StartedUs != 1e6 || r.ReadyUs != 2e6 || r.StoppedUs != 11e6 || r.BusyUs != 4e6 || r.Served != 7 || r.Alive {
					t.Errorf("row %+v", r)
				}
				if s.CreationsByTrack[TrackRegular] != 1 || s.Instances != 1 || s.AliveAtEnd != 0 || s.Records != 2 {
					t.Errorf("counts %+v", s)
				}
			},
		},
		{
			name:    "alive at the end counts until the end, busy from the invocations",
			records: []schemas.InstanceRecord{em},
			use:     map[string]InstanceUse{"e-1": {Busy: 2 * time.Second, Served: 3}},
			check: func(t *testing.T, rows []InstanceRow, s CostSummary) {
				// 0.5 GB from 3 s to the end at 23 s; busy 2 s.
				if !costApprox(s.AllocatedGBs, 10) || !costApprox(s.BusyGBs, 1) || s.AliveAtEnd != 1 {
					t.Errorf("summary %+v", s)
				}
				if r := rows[0]; !r.Alive || r.StoppedUs != 23e6 || r.BusyUs != 2e6 || r.Served != 3 {
					t.Errorf("row %+v", r)
				}
				if s.ByTrack[TrackEmergency].Creations != 1 || !costApprox(s.ByTrack[TrackEmergency].AllocatedGBs, 10) {
					t.Errorf("by track %+v", s.ByTrack)
				}
			},
		},
		{
			name:    "stop before start, repeated",
			records: []schemas.InstanceRecord{costStopRec(reg, 5, time.Second, 1), reg, costStopRec(reg, 9, 3*time.Second, 2)},
			check: func(t *testing.T, rows []InstanceRow, s CostSummary) {
				if len(rows) != 1 || rows[0].StoppedUs != 5e6 || rows[0].Served != 1 || !costApprox(s.AllocatedGBs, 4) {
					t.Errorf("rows %+v summary %+v", rows, s)
				}
			},
		},
		{
			name:    "an instance from before the window counts from the window's start and is no creation",
			records: []schemas.InstanceRecord{costStopRec(old, 5, 6*time.Second, 9)},
			check: func(t *testing.T, rows []InstanceRow, s CostSummary) {
				// Lived 15 s (-10..5), 5 s of it in the window: 2 GB x 5 s;
				// busy 6 s scaled to the same third.
				if !costApprox(s.AllocatedGBs, 10) || !costApprox(s.BusyGBs, 4) || len(s.CreationsByTrack) != 0 {
					t.Errorf("summary %+v", s)
				}
				if rows[0].StartedUs != -10e6 {
					t.Errorf("row %+v", rows[0])
				}
			},
		},
		{
			name:    "a pooled instance that never pulled",
			records: []schemas.InstanceRecord{{ID: "p-1", Function: "generic", Track: TrackEmergency, MemoryMB: 1024, Started: costAt(2), Stopped: costAt(4)}},
			check: func(t *testing.T, rows []InstanceRow, s CostSummary) {
				if !costApprox(s.AllocatedGBs, 2) || s.BusyGBs != 0 || rows[0].ReadyUs != 0 {
					t.Errorf("rows %+v summary %+v", rows, s)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := NewCostLedger()
			for _, r := range tc.records {
				l.Add(r)
			}
			rows, s := l.Close(CostWindow{RunStart: costT0, From: costAt(0), To: costAt(23)}, tc.use)
			if s.FromUs != 0 || s.ToUs != 23e6 {
				t.Errorf("window %d..%d", s.FromUs, s.ToUs)
			}
			tc.check(t, rows, s)
		})
	}
}

// Records published on NATS, as instances publish them, reach the
// recorder; an unreadable one is counted and skipped.
func TestCostRecorderListensToInstanceRecords(t *testing.T) {
	env := streamstest.Start(t)
	nc, err := env.Server.Connect("cost-test")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	rec, err := StartCostRecorder(nc)
	if err != nil {
		t.Fatal(err)
	}
	a := costStartRec("r-1", "f", TrackRegular, 2048, 0, 1)
	b := costStartRec("e-1", "g", TrackEmergency, 1024, 2, 2)
	for _, r := range []schemas.InstanceRecord{a, b, costStopRec(a, 10, 5*time.Second, 4)} {
		data, err := schemas.EncodeInstanceRecord(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := env.NC.Publish(streams.InstanceSubject(r.Function), data); err != nil {
			t.Fatal(err)
		}
	}
	if err := env.NC.Publish(streams.InstanceSubject("f"), []byte(`{"id":""}`)); err != nil {
		t.Fatal(err)
	}
	if err := env.NC.Flush(); err != nil {
		t.Fatal(err)
	}
	rec.Stop(5 * time.Second)
	rows, s := rec.Close(CostWindow{RunStart: costT0, From: costAt(0), To: costAt(12)}, nil)
	// Regular: 2 GB x 10 s, busy 5 s. Emergency: 1 GB x 10 s (alive), busy
	// unknown (no invocations given).
	if len(rows) != 2 || s.Records != 3 || s.Rejected != 1 {
		t.Fatalf("rows %+v, records %d, rejected %d", rows, s.Records, s.Rejected)
	}
	if !costApprox(s.AllocatedGBs, 30) || !costApprox(s.BusyGBs, 10) || s.CreationsByTrack[TrackRegular] != 1 || s.CreationsByTrack[TrackEmergency] != 1 {
		t.Errorf("summary %+v", s)
	}
}
