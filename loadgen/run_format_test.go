package loadgen

import (
	"bytes"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The first columns of invocations.csv are the vHive loader's
// metric.ExecutionRecord columns, exactly and in its order.
func TestInvocationsCSVStartsWithTheLoadersColumns(t *testing.T) {
	loader := []string{"phase", "instance", "invocationID", "startTime", "requestedDuration", "grpcConnEstablish",
		"responseTime", "actualDuration", "connectionTimeout", "functionTimeout", "actualMemoryUsage",
		"memoryAllocationTimeout", "timeToSubmitMs", "userCodeExecutionMs", "timeToGetResponseMs"}
	ours := []string{"function", "track", "wlInstance", "coldStart", "scheduledUs", "sentUs", "firstByteUs", "doneUs", "status", "error"}
	var b bytes.Buffer
	row := InvocationRow{Phase: PhaseExecution, Instance: "t-1", InvocationID: "min0.inv3", StartTimeUs: 1_700_000_000_000_000,
		RequestedDurationUs: 20_000, ConnEstablishUs: 25_000, ResponseTimeUs: 25_100, ActualDurationUs: 20_050,
		ActualMemoryMiB: 12, Function: "t-1", Track: TrackRegular, WLInstance: "i-1", ColdStart: true,
		ScheduledRelUs: 100, SentRelUs: 110, FirstByteRelUs: 25_110, DoneRelUs: 25_210, Status: 200}
	if err := WriteInvocationsCSV(&b, []InvocationRow{row}); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if want := slices.Concat(loader, ours); !slices.Equal(recs[0], want) {
		t.Fatalf("header\n%v\nwant\n%v", recs[0], want)
	}
	want := []string{"2", "t-1", "min0.inv3", "1700000000000000", "20000", "25000", "25100", "20050", "false", "false", "12",
		"false", "0", "0", "0", "t-1", "regular", "i-1", "true", "100", "110", "25110", "25210", "200", ""}
	if !slices.Equal(recs[1], want) {
		t.Errorf("row\n%v\nwant\n%v", recs[1], want)
	}
}

func TestRunFilesReadBack(t *testing.T) {
	dir := t.TempDir()
	rows := []InvocationRow{
		{Phase: PhaseWarmup, Instance: "t-a", InvocationID: "min0.inv0", RequestedDurationUs: 5000, Function: "t-a", Track: "emergency",
			WLInstance: "e-1", ScheduledRelUs: 1, SentRelUs: 2, DoneRelUs: 9000, Status: 200, ColdStart: true},
		{Phase: PhaseExecution, Instance: "t-b", InvocationID: "min1.inv0", RequestedDurationUs: 7000, Function: "t-b",
			ConnectionTimeout: true, ScheduledRelUs: 60_000_000, SentRelUs: 60_000_010, Error: `dial tcp: refused, "quoted"`},
	}
	inst := []InstanceRow{{ID: "e-1", Function: "t-a", Track: "emergency", MemoryMB: 96, StartedUs: -5, ReadyUs: 3, StoppedUs: 9_000_000,
		BusyUs: 4000, Served: 1, Alive: true}}
	invPath, instPath := filepath.Join(dir, RunInvocationsFile), filepath.Join(dir, RunInstancesFile)
	var b bytes.Buffer
	if err := WriteInvocationsCSV(&b, rows); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(invPath, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	b.Reset()
	if err := WriteInstancesCSV(&b, inst); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(instPath, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	gotRows, err := ReadInvocationsCSV(invPath)
	if err != nil || !slices.Equal(gotRows, rows) {
		t.Fatalf("invocations read back %+v, %v\nwant %+v", gotRows, err, rows)
	}
	gotInst, err := ReadInstancesCSV(instPath)
	if err != nil || !slices.Equal(gotInst, inst) {
		t.Fatalf("instances read back %+v, %v", gotInst, err)
	}
	if !gotRows[0].Answered() || gotRows[1].Answered() || gotRows[0].EndToEndUs() != 8999 {
		t.Errorf("answered/end-to-end wrong: %+v", gotRows)
	}
}

func TestReadRunCSVNamesTheBadLine(t *testing.T) {
	dir := t.TempDir()
	good := strings.Join(InstancesHeader, ",") + "\n" + "i,f,regular,128,0,1,2,3,4,false\n"
	for name, c := range map[string]struct{ content, want string }{
		"not a number":   {good + "i,f,regular,lots,0,1,2,3,4,false\n", "line 3, column memoryMB"},
		"not a bool":     {good + "i,f,regular,1,0,1,2,3,4,maybe\n", "line 3, column alive"},
		"missing column": {"id,function,track\n", `line 1: no column "memoryMB"`},
		"short row":      {good + "i,f\n", "line 3"},
		"empty":          {"", "line 1: empty file"},
	} {
		path := filepath.Join(dir, name+".csv")
		if err := os.WriteFile(path, []byte(c.content), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadInstancesCSV(path)
		if !errors.Is(err, ErrBadRunFolder) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), name+".csv") {
			t.Errorf("%s: %v, want ErrBadRunFolder naming the file and %q", name, err, c.want)
		}
	}
	if _, err := ReadInvocationsCSV(filepath.Join(dir, "none.csv")); !errors.Is(err, ErrBadRunFolder) {
		t.Errorf("missing file: %v", err)
	}
}
