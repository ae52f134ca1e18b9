package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wavelink/wavelink/loadgen"
)

// e2eTrace is a two-function trace of two minutes: 12 then 6 calls of a
// 20-60 ms function, 3 then 4 calls of a 30 ms one.
var e2eTrace = map[string]string{
	loadgen.TraceInvocationsFile: "HashOwner,HashApp,HashFunction,Trigger,1,2\n" +
		"o1,a1,0123456789abcdef0123,http,12,6\n" +
		"o2,a2,fedcba9876543210fedc,queue,3,4\n",
	loadgen.TraceDurationsFile: "HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,percentile_Average_1," +
		"percentile_Average_25,percentile_Average_50,percentile_Average_75,percentile_Average_99,percentile_Average_100\n" +
		"o1,a1,0123456789abcdef0123,35,10,20,60,20,20,25,30,40,55,60\n" +
		"o2,a2,fedcba9876543210fedc,30,10,30,30,30,30,30,30,30,30,30\n",
	loadgen.TraceMemoryFile: "HashFunction,HashOwner,HashApp,SampleCount,AverageAllocatedMb,AverageAllocatedMb_pct1,AverageAllocatedMb_pct5," +
		"AverageAllocatedMb_pct25,AverageAllocatedMb_pct50,AverageAllocatedMb_pct75,AverageAllocatedMb_pct95,AverageAllocatedMb_pct99," +
		"AverageAllocatedMb_pct100\n" +
		"0123456789abcdef0123,o1,a1,10,8,4,4,6,8,10,12,12,12\n" +
		"fedcba9876543210fedc,o2,a2,10,4,4,4,4,4,4,4,4,4\n",
}

// TestLoadgenTraceAgainstARealPlatform replays a two-function trace, two
// minutes compressed 30 times (4 s), against `wavelink up` in wavelink
// mode: every invocation must be answered, and the run folder must hold
// every invocation and the instances that served them.
func TestLoadgenTraceAgainstARealPlatform(t *testing.T) {
	dir := t.TempDir()
	traceDir, data, out := filepath.Join(dir, "trace"), filepath.Join(dir, "data"), filepath.Join(dir, "run")
	if err := os.MkdirAll(traceDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range e2eTrace {
		if err := os.WriteFile(filepath.Join(traceDir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var stdout, stderr bytes.Buffer
	root := newRootCmd()
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	root.SetArgs([]string{"loadgen", "trace", "--platform", "--binary", wavelinkBinary(t), "--mode", "wavelink", "--data", data,
		"--trace", traceDir, "--minutes", "0-1", "--compress", "30", "--warmup", "10s", "--out", out, "--json"})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // a guard against a hang
	defer cancel()
	if err := root.ExecuteContext(ctx); err != nil {
		b, _ := os.ReadFile(filepath.Join(data, "platform.log"))
		t.Fatalf("%v\n%s\nplatform log (last 8 KiB):\n%s", err, stderr.String(), tail(b, 8<<10))
	}
	var sum loadgen.RunSummary
	if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil {
		t.Fatalf("printed summary: %v\n%s", err, stdout.String())
	}
	if sum.Planned != 25 || sum.Sent != 25 || sum.Warmup+sum.Measured != 25 || sum.Answered != sum.Measured || sum.Errors != 0 || sum.WarmupErrors != 0 {
		b, _ := os.ReadFile(filepath.Join(data, "platform.log"))
		t.Fatalf("planned %d, sent %d, warm-up %d, measured %d, answered %d, errors %d %v\n%s\nplatform log (last 8 KiB):\n%s",
			sum.Planned, sum.Sent, sum.Warmup, sum.Measured, sum.Answered, sum.Errors, sum.ErrorsByKind, stderr.String(), tail(b, 8<<10))
	}
	if sum.Meta.Mode != "wavelink" || !sum.Meta.Platform || sum.Meta.TraceMode != "sleep" || len(sum.Meta.Functions) != 2 ||
		sum.Meta.Functions[0].Name != "t-0123456789ab" || sum.Meta.Functions[0].MemoryMB != 12 {
		t.Errorf("meta %+v", sum.Meta)
	}
	if sum.Regular+sum.Emergency != sum.Answered || sum.Slowdown.PerFunctionMedian.N != 2 || sum.Slowdown.Invocations.P50 < 1 {
		t.Errorf("tracks %d+%d of %d; slowdown %+v", sum.Regular, sum.Emergency, sum.Answered, sum.Slowdown.PerFunctionMedian)
	}

	rows, err := loadgen.ReadInvocationsCSV(filepath.Join(out, loadgen.RunInvocationsFile))
	if err != nil || len(rows) != 25 {
		t.Fatalf("invocations.csv: %d rows, %v", len(rows), err)
	}
	served := map[string]bool{}
	for _, r := range rows {
		if !r.Answered() || r.WLInstance == "" || (r.Track != loadgen.TrackRegular && r.Track != loadgen.TrackEmergency) ||
			r.ActualDurationUs < r.RequestedDurationUs || !strings.HasPrefix(r.Function, "t-") {
			t.Errorf("row %+v", r)
		}
		served[r.WLInstance] = true
	}
	inst, err := loadgen.ReadInstancesCSV(filepath.Join(out, loadgen.RunInstancesFile))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, in := range inst {
		seen[in.ID] = true
		if in.MemoryMB <= 0 || in.StoppedUs < in.StartedUs || in.BusyUs > in.StoppedUs-in.StartedUs {
			t.Errorf("instance row %+v", in)
		}
	}
	for id := range served {
		if !seen[id] {
			t.Errorf("instance %s served invocations but cost accounting never saw it (instances.csv: %+v)", id, inst)
		}
	}
	if sum.Cost.Instances != len(inst) || sum.Cost.AllocatedGBs <= 0 || sum.Cost.BusyGBs <= 0 || sum.Cost.BusyGBs > sum.Cost.AllocatedGBs {
		t.Errorf("cost %+v", sum.Cost)
	}
	for _, f := range []string{loadgen.RunSummaryFile, loadgen.RunMetaFile} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// Bad traces and options fail before any platform starts or load is sent.
func TestLoadgenTraceRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad")
	if err := os.MkdirAll(bad, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range e2eTrace {
		if name == loadgen.TraceInvocationsFile {
			content = strings.Replace(content, "queue,3,4", "queue,3,-4", 1)
		}
		if err := os.WriteFile(filepath.Join(bad, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
		is   error
	}{
		{[]string{"--trace", bad}, "invocations.csv line 3, column 6", loadgen.ErrBadTrace},
		{[]string{"--trace", filepath.Join(dir, "none")}, "cannot read the trace folder", loadgen.ErrBadTrace},
		{[]string{"--minutes", "470-480"}, "the trace has minutes 0-479", loadgen.ErrBadPlan},
		{[]string{"--minutes", "x"}, "minutes", loadgen.ErrBadPlan},
		{[]string{"--iat", "pareto"}, "inter-arrival", loadgen.ErrBadPlan},
		{[]string{"--compress", "-1"}, "compression", loadgen.ErrBadPlan},
		{[]string{"--platform", "--url", "http://127.0.0.1:1"}, "not both", nil},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			// The URL and NATS address lead nowhere: nothing may be sent.
			err := runQuiet(append([]string{"loadgen", "trace", "--url", "http://127.0.0.1:1", "--nats", "nats://127.0.0.1:1",
				"--out", filepath.Join(dir, "out")}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) || (tc.is != nil && !errors.Is(err, tc.is)) {
				t.Fatalf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}
