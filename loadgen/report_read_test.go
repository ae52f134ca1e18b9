package loadgen

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadReportRunBadInput(t *testing.T) {
	header := strings.Join(InvocationsHeader, ",")
	good := func(t *testing.T) string { return wavelinkRun(t, filepath.Join(t.TempDir(), "run")) }
	tests := []struct {
		name  string
		spoil func(t *testing.T, dir string)
		want  []string // all in the error message
	}{
		{
			name:  "missing folder",
			spoil: func(t *testing.T, dir string) { repMust(t, os.RemoveAll(dir)) },
			want:  []string{"run", "no such file"},
		},
		{
			name: "not a folder",
			spoil: func(t *testing.T, dir string) {
				repMust(t, os.RemoveAll(dir))
				repMust(t, os.WriteFile(dir, nil, 0o644))
			},
			want: []string{"is not a folder"},
		},
		{
			name:  "missing invocations.csv",
			spoil: func(t *testing.T, dir string) { repMust(t, os.Remove(filepath.Join(dir, RunInvocationsFile))) },
			want:  []string{"invocations.csv", "no such file"},
		},
		{
			name:  "missing instances.csv",
			spoil: func(t *testing.T, dir string) { repMust(t, os.Remove(filepath.Join(dir, RunInstancesFile))) },
			want:  []string{"instances.csv", "no such file"},
		},
		{
			name: "a value that is not a number",
			spoil: func(t *testing.T, dir string) {
				row := make([]string, len(InvocationsHeader))
				row[0], row[4] = "2", "12x"
				repWrite(t, dir, RunInvocationsFile, header+"\n"+strings.Join(make([]string, len(InvocationsHeader)), ",")+"\n"+strings.Join(row, ",")+"\n")
			},
			want: []string{"invocations.csv line 3", "requestedDuration", `"12x" is not a whole number`},
		},
		{
			name: "a row of the wrong width",
			spoil: func(t *testing.T, dir string) {
				repWrite(t, dir, RunInstancesFile, strings.Join(InstancesHeader, ",")+"\nr1,f,regular,512,0,0,1,0,0,false\nr2,f,regular\n")
			},
			want: []string{"instances.csv line 3"},
		},
		{
			name: "a header without a needed column",
			spoil: func(t *testing.T, dir string) {
				repWrite(t, dir, RunInstancesFile, "id,function,track,startedUs,readyUs,stoppedUs,busyUs,served\n")
			},
			want: []string{"instances.csv line 1", "memoryMB"},
		},
		{
			name:  "an empty file",
			spoil: func(t *testing.T, dir string) { repWrite(t, dir, RunInvocationsFile, "") },
			want:  []string{"invocations.csv line 1", "empty"},
		},
		{
			name:  "run.json that is not JSON",
			spoil: func(t *testing.T, dir string) { repWrite(t, dir, RunMetaFile, "{mode: wavelink") },
			want:  []string{"run.json"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := good(t)
			tt.spoil(t, dir)
			_, err := ReadReportRun(dir)
			if !errors.Is(err, ErrBadRunFolder) {
				t.Fatalf("err %v, want ErrBadRunFolder", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestReadReportRunWithoutRunJSON(t *testing.T) {
	dir := wavelinkRun(t, filepath.Join(t.TempDir(), "my-run"))
	repMust(t, os.Remove(filepath.Join(dir, RunMetaFile)))
	r, err := ReadReportRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r.Label != "my-run" || r.Meta != nil || len(r.Invocations) != 7 || r.Warmup != 1 || len(r.Instances) != 2 || r.EndUs != 10_000*repMs {
		t.Errorf("label %q meta %v invocations %d warmup %d instances %d end %d",
			r.Label, r.Meta, len(r.Invocations), r.Warmup, len(r.Instances), r.EndUs)
	}
}

func repMust(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func repWrite(t *testing.T, dir, name, content string) {
	t.Helper()
	repMust(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
}
