package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wavelink/wavelink/loadgen"
)

// TestLoadgenStepAnswersEveryInvocation runs `loadgen step` on its own
// platform in wavelink mode: 0 -> 40 invocations per second of a 20 ms trace
// for 3 s, with the function redeployed at concurrency 8. Every invocation
// must be answered and the summary's counts must add up.
func TestLoadgenStepAnswersEveryInvocation(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	csvPath, summaryPath := filepath.Join(dir, "step.csv"), filepath.Join(dir, "step.json")
	var out, errOut bytes.Buffer
	root := newRootCmd()
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs([]string{"loadgen", "step", "--platform", "--binary", wavelinkBinary(t), "--mode", "wavelink", "--data", data,
		"--from", "0", "--to", "40", "--at", "500ms", "--duration", "3500ms", "--run-ms", "20", "--concurrency", "8",
		"--csv", csvPath, "--summary", summaryPath, "--json"})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // a guard against a hang
	defer cancel()
	if err := root.ExecuteContext(ctx); err != nil {
		b, _ := os.ReadFile(filepath.Join(data, "platform.log"))
		t.Fatalf("%v\n%s\nplatform log (last 8 KiB):\n%s", err, errOut.String(), tail(b, 8<<10))
	}
	if !strings.Contains(errOut.String(), "deployed trace") || !strings.Contains(errOut.String(), "concurrency 8") {
		t.Errorf("no deploy message:\n%s", errOut.String())
	}
	var rep stepReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("printed summary: %v\n%s", err, out.String())
	}
	s := rep.Summary
	if rep.Experiment.Arrivals != 120 || s.Count != 120 || rep.Experiment.Mode != "wavelink" {
		t.Fatalf("experiment %+v, count %d; want 120 arrivals", rep.Experiment, s.Count)
	}
	if s.Answered != s.Count || s.Errors != 0 {
		t.Fatalf("answered %d of %d, errors %v", s.Answered, s.Count, s.ErrorsByKind)
	}
	if s.Regular+s.Emergency != s.Answered || s.Latency.N != s.Answered || s.RegularInstances+s.EmergencyInstances == 0 {
		t.Fatalf("tracks do not add up: %+v", s)
	}
	inv, answered := 0, 0
	for _, sec := range s.Seconds {
		if sec.Regular+sec.Emergency != sec.Answered || sec.Answered+sec.Errors != sec.Invocations {
			t.Errorf("second %+v does not add up", sec)
		}
		inv += sec.Invocations
		answered += sec.Answered
	}
	if inv != s.Count || answered != s.Answered {
		t.Errorf("seconds hold %d invocations and %d answers; want %d and %d", inv, answered, s.Count, s.Answered)
	}
	var written stepReport
	if b, err := os.ReadFile(summaryPath); err != nil || json.Unmarshal(b, &written) != nil || written.Summary.Count != s.Count {
		t.Errorf("summary file: %v", err)
	}
	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) != s.Count+1 {
		t.Fatalf("CSV: %d rows, %v", len(rows), err)
	}
	for _, row := range rows[1:] {
		if row[6] != "200" || row[7] == "" || row[8] == "" || row[11] != "" {
			t.Fatalf("CSV row %v", row)
		}
	}
}

func TestLoadgenStepRejectsBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
		is   error
	}{
		{[]string{"--rate", "5", "--from", "1"}, "not both", nil},
		{[]string{"--platform", "--url", "http://127.0.0.1:1"}, "not both", nil},
		{[]string{"--to", "-1"}, "To rate", loadgen.ErrBadShape},
		{[]string{"--spacing", "uniform"}, "spacing", loadgen.ErrBadShape},
		{[]string{"--from", "0", "--to", "0"}, "no arrivals", nil},
		{[]string{"-H", "no-colon"}, "NAME:VALUE", nil},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			err := runQuiet(append([]string{"loadgen", "step", "--csv", "", "--summary", ""}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) || (tc.is != nil && !errors.Is(err, tc.is)) {
				t.Fatalf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}
