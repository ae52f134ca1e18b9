package loadgen

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeModes runs a mode by writing a synthetic run folder, or failing.
type fakeModes struct {
	ran     []string
	fail    map[string]error // mode -> error after writing its folder (nil: no folder, see empty)
	empty   map[string]bool  // modes that write nothing
	onStart func(mode string)
}

func (f *fakeModes) RunMode(ctx context.Context, mode, dir string) error {
	f.ran = append(f.ran, mode)
	if f.onStart != nil {
		f.onStart(mode)
	}
	if f.empty[mode] {
		return f.fail[mode]
	}
	rows := []InvocationRow{repInv("f1", 1000*repMs, 200*repMs, 100*repMs, TrackRegular)}
	inst := []InstanceRow{{ID: "r", Track: TrackRegular, MemoryMB: 1024, StartedUs: 0, StoppedUs: 2000 * repMs, BusyUs: 200 * repMs}}
	if err := writeRunFiles(dir, &RunMeta{Mode: mode, TraceMode: "sleep"}, rows, inst); err != nil {
		return err
	}
	return f.fail[mode]
}

func TestCompareRunsEveryModeAndReports(t *testing.T) {
	out := filepath.Join(t.TempDir(), "cmp")
	var progress strings.Builder
	f := &fakeModes{}
	rep, err := Compare(context.Background(), CompareConfig{Out: out, Runner: f, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(f.ran, ",") != strings.Join(CompareModes, ",") {
		t.Errorf("ran %v, want %v", f.ran, CompareModes)
	}
	var labels []string
	for _, s := range rep.Runs {
		labels = append(labels, s.Label)
	}
	if strings.Join(labels, ",") != strings.Join(CompareModes, ",") {
		t.Errorf("report columns %v, want %v", labels, CompareModes)
	}
	md, err := os.ReadFile(filepath.Join(out, ReportMarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "| | wavelink | async | sync | fastpath |") {
		t.Errorf("report.md:\n%s", md)
	}
	for _, m := range CompareModes {
		if _, err := os.Stat(filepath.Join(out, m, RunInvocationsFile)); err != nil {
			t.Errorf("mode %s: %v", m, err)
		}
		if !strings.Contains(progress.String(), "mode "+m+": done") {
			t.Errorf("progress does not say %s is done:\n%s", m, progress.String())
		}
	}
}

func TestCompareGoesOnAfterAFailedMode(t *testing.T) {
	out := filepath.Join(t.TempDir(), "cmp")
	boom := errors.New("platform did not start")
	f := &fakeModes{
		fail:  map[string]error{"async": boom, "sync": errors.New("some calls failed")},
		empty: map[string]bool{"async": true},
	}
	rep, err := Compare(context.Background(), CompareConfig{Out: out, Runner: f})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "mode async") || !strings.Contains(err.Error(), "mode sync") {
		t.Fatalf("err %v, want both failures named by mode", err)
	}
	if rep == nil || len(rep.Runs) != 3 {
		t.Fatalf("report %+v, want the three runs with a folder (sync failed but wrote one)", rep)
	}
	if len(f.ran) != 4 {
		t.Errorf("ran %v, want all four", f.ran)
	}
}

func TestCompareStopsWhenCancelled(t *testing.T) {
	out := filepath.Join(t.TempDir(), "cmp")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := &fakeModes{}
	f.onStart = func(mode string) {
		if mode == "async" {
			cancel() // Ctrl-C during the second mode
		}
	}
	f.fail = map[string]error{"async": context.Canceled}
	rep, err := Compare(ctx, CompareConfig{Out: out, Runner: f})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if strings.Join(f.ran, ",") != "wavelink,async" {
		t.Errorf("ran %v, want wavelink,async", f.ran)
	}
	if rep == nil || len(rep.Runs) != 2 {
		t.Fatalf("report %+v, want the two runs that wrote folders", rep)
	}
}

func TestCompareBadConfig(t *testing.T) {
	tmp := t.TempDir()
	used := filepath.Join(tmp, "used")
	writeTestRun(t, filepath.Join(used, "async"), nil, nil, nil)
	for name, cfg := range map[string]CompareConfig{
		"no output":             {Runner: &fakeModes{}},
		"no runner":             {Out: tmp},
		"mode naming no folder": {Out: tmp, Runner: &fakeModes{}, Modes: []string{"a/b"}},
		"mode twice":            {Out: tmp, Runner: &fakeModes{}, Modes: []string{"sync", "sync"}},
		"output holds a run":    {Out: used, Runner: &fakeModes{}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Compare(context.Background(), cfg); !errors.Is(err, ErrBadReport) {
				t.Errorf("err %v, want ErrBadReport", err)
			}
		})
	}
	// Every mode failed without a folder: no report, the failures said.
	f := &fakeModes{empty: map[string]bool{"wavelink": true}, fail: map[string]error{"wavelink": errors.New("no docker")}}
	_, err := Compare(context.Background(), CompareConfig{Out: filepath.Join(tmp, "x"), Runner: f, Modes: []string{"wavelink"}})
	if err == nil || !strings.Contains(err.Error(), "no docker") || !errors.Is(err, ErrBadReport) {
		t.Errorf("err %v", err)
	}
}
