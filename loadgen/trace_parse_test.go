package loadgen

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// traceTiny is a two-function trace of three minutes in the Azure 2019
// format, used by tests that need a small trace they can break.
var traceTiny = map[string]string{
	TraceInvocationsFile: "HashOwner,HashApp,HashFunction,Trigger,1,2,3\n" +
		"o1,a1,aaaa0000aaaa0000,http,2,0,3\n" +
		"o2,a2,bbbb1111bbbb1111,timer,1,1,0\n",
	TraceDurationsFile: "HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,percentile_Average_1," +
		"percentile_Average_25,percentile_Average_50,percentile_Average_75,percentile_Average_99,percentile_Average_100\n" +
		"o1,a1,aaaa0000aaaa0000,20,5,10,40,10,10,15,20,25,39,40\n" +
		"o2,a2,bbbb1111bbbb1111,30,2,30,30,30,30,30,30,30,30,30\n",
	TraceMemoryFile: "HashFunction,HashOwner,HashApp,SampleCount,AverageAllocatedMb,AverageAllocatedMb_pct1,AverageAllocatedMb_pct5," +
		"AverageAllocatedMb_pct25,AverageAllocatedMb_pct50,AverageAllocatedMb_pct75,AverageAllocatedMb_pct95,AverageAllocatedMb_pct99," +
		"AverageAllocatedMb_pct100\n" +
		"aaaa0000aaaa0000,o1,a1,10,20,10,11,15,20,25,30,31,32.5\n" +
		"bbbb1111bbbb1111,o2,a2,10,8,8,8,8,8,8,8,8,8\n",
}

// writeTrace writes files (traceTiny with the given files replaced; an
// empty content removes the file) into a new folder.
func traceWrite(t *testing.T, replace map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range traceTiny {
		if c, ok := replace[name]; ok {
			content = c
		}
		if content == "" {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestParseTraceReadsEveryColumn(t *testing.T) {
	tr, err := ParseTrace(traceWrite(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	if tr.Minutes != 3 || len(tr.Functions) != 2 {
		t.Fatalf("minutes %d, functions %d; want 3 and 2", tr.Minutes, len(tr.Functions))
	}
	a := tr.Functions[0]
	if a.Hash != "aaaa0000aaaa0000" || a.Owner != "o1" || a.App != "a1" || a.Trigger != "http" || a.Line != 2 {
		t.Errorf("function a: %+v", a)
	}
	if got := a.PerMinute; len(got) != 3 || got[0] != 2 || got[1] != 0 || got[2] != 3 {
		t.Errorf("per minute %v, want [2 0 3]", got)
	}
	if a.Calls(0, 2) != 5 || a.Calls(1, 1) != 0 || a.Calls(2, 9) != 3 {
		t.Errorf("calls %d %d %d", a.Calls(0, 2), a.Calls(1, 1), a.Calls(2, 9))
	}
	if a.Duration.Percentiles != [7]float64{10, 10, 15, 20, 25, 39, 40} || a.Duration.Count != 5 || a.Duration.AverageMs != 20 {
		t.Errorf("durations %+v", a.Duration)
	}
	if a.Memory.Percentiles != [8]float64{10, 11, 15, 20, 25, 30, 31, 32.5} || a.Memory.MaxMB() != 32.5 || a.Memory.SampleCount != 10 {
		t.Errorf("memory %+v", a.Memory)
	}
}

// The bundled sample is the trace its attribution describes.
func TestBundledTraceMatchesItsAttribution(t *testing.T) {
	tr, err := LoadTrace("")
	if err != nil {
		t.Fatal(err)
	}
	if tr.Source != BundledTraceName || len(tr.Functions) != 100 || tr.Minutes != 480 {
		t.Fatalf("source %q, %d functions, %d minutes; want 100 and 480", tr.Source, len(tr.Functions), tr.Minutes)
	}
	total, first30, active := 0, 0, 0
	for _, f := range tr.Functions {
		total += f.Calls(0, 479)
		n := f.Calls(0, 29)
		first30 += n
		if n > 0 {
			active++
		}
	}
	if total != 339_657 || first30 != 19_058 || active != 72 {
		t.Errorf("invocations %d, first 30 minutes %d across %d functions; want 339657, 19058, 72", total, first30, active)
	}
	if _, err := BundledTrace().Open("ATTRIBUTION.md"); err != nil {
		t.Errorf("attribution not bundled: %v", err)
	}
}

// Each malformed trace fails with a *TraceError naming the file, line and
// column.
func TestParseTraceRejectsMalformedTraces(t *testing.T) {
	inv, dur, mem := traceTiny[TraceInvocationsFile], traceTiny[TraceDurationsFile], traceTiny[TraceMemoryFile]
	cases := []struct {
		name    string
		replace map[string]string
		file    string
		line    int
		column  int
		colName string
		problem string
	}{
		{name: "missing invocations.csv", replace: map[string]string{TraceInvocationsFile: ""},
			file: TraceInvocationsFile, problem: "missing"},
		{name: "missing memory.csv", replace: map[string]string{TraceMemoryFile: ""},
			file: TraceMemoryFile, problem: "missing"},
		{name: "missing Trigger column", replace: map[string]string{TraceInvocationsFile: strings.Replace(inv, "Trigger", "Trig", 1)},
			file: TraceInvocationsFile, line: 1, colName: "Trigger", problem: "no such column"},
		{name: "missing percentile column", replace: map[string]string{TraceDurationsFile: strings.Replace(dur, "percentile_Average_75", "p75", 1)},
			file: TraceDurationsFile, line: 1, colName: "percentile_Average_75", problem: "no such column"},
		{name: "missing memory percentile column", replace: map[string]string{TraceMemoryFile: strings.Replace(mem, "AverageAllocatedMb_pct100", "max", 1)},
			file: TraceMemoryFile, line: 1, colName: "AverageAllocatedMb_pct100", problem: "no such column"},
		{name: "no minute columns", replace: map[string]string{TraceInvocationsFile: "HashOwner,HashApp,HashFunction,Trigger\no,a,f,http\n"},
			file: TraceInvocationsFile, line: 1, column: 5, problem: "no minute columns"},
		{name: "negative count", replace: map[string]string{TraceInvocationsFile: strings.Replace(inv, "timer,1,1,0", "timer,1,-4,0", 1)},
			file: TraceInvocationsFile, line: 3, column: 6, colName: "2", problem: "negative count -4"},
		{name: "count not a number", replace: map[string]string{TraceInvocationsFile: strings.Replace(inv, "http,2,0,3", "http,2,x,3", 1)},
			file: TraceInvocationsFile, line: 2, column: 6, colName: "2", problem: `"x" is not a whole number`},
		{name: "fractional count", replace: map[string]string{TraceInvocationsFile: strings.Replace(inv, "http,2,0,3", "http,2,0,3.5", 1)},
			file: TraceInvocationsFile, line: 2, column: 7, colName: "3", problem: "not a whole number"},
		{name: "duration not a number", replace: map[string]string{TraceDurationsFile: strings.Replace(dur, "10,10,15,20", "10,10,abc,20", 1)},
			file: TraceDurationsFile, line: 2, column: 10, colName: "percentile_Average_25", problem: `"abc" is not a number`},
		{name: "negative memory", replace: map[string]string{TraceMemoryFile: strings.Replace(mem, "10,8,8,8", "10,8,-8,8", 1)},
			file: TraceMemoryFile, line: 3, column: 6, colName: "AverageAllocatedMb_pct1", problem: "negative value"},
		{name: "percentiles go down", replace: map[string]string{TraceDurationsFile: strings.Replace(dur, "15,20,25,39,40", "15,20,25,39,38", 1)},
			file: TraceDurationsFile, line: 2, column: 14, colName: "percentile_Average_100", problem: "must not go down"},
		{name: "function in durations not in invocations", replace: map[string]string{TraceDurationsFile: dur + "o3,a3,cccc,1,1,1,1,1,1,1,1,1,1,1\n"},
			file: TraceDurationsFile, line: 4, column: 3, colName: "HashFunction", problem: "function cccc is not in invocations.csv"},
		{name: "function in memory not in invocations", replace: map[string]string{TraceMemoryFile: mem + "dddd,o,a,1,1,1,1,1,1,1,1,1,1\n"},
			file: TraceMemoryFile, line: 4, column: 1, colName: "HashFunction", problem: "function dddd is not in invocations.csv"},
		{name: "function without durations", replace: map[string]string{TraceDurationsFile: strings.Split(dur, "\n")[0] + "\n" + strings.Split(dur, "\n")[1] + "\n"},
			file: TraceInvocationsFile, line: 3, column: 3, colName: "HashFunction", problem: "has no row in durations.csv"},
		{name: "function twice", replace: map[string]string{TraceInvocationsFile: inv + "o1,a1,aaaa0000aaaa0000,http,1,1,1\n"},
			file: TraceInvocationsFile, line: 4, column: 3, colName: "HashFunction", problem: "appears again (first on line 2)"},
		{name: "short row", replace: map[string]string{TraceInvocationsFile: inv + "o3,a3,eeee,http,1\n"},
			file: TraceInvocationsFile, line: 4, problem: "has 5 fields, the header has 7"},
		{name: "empty hash", replace: map[string]string{TraceInvocationsFile: inv + "o3,a3,,http,1,1,1\n"},
			file: TraceInvocationsFile, line: 4, column: 3, colName: "HashFunction", problem: "empty function hash"},
		{name: "empty file", replace: map[string]string{TraceMemoryFile: "\n"},
			file: TraceMemoryFile, line: 1, problem: "is empty"},
		{name: "header only", replace: map[string]string{TraceInvocationsFile: strings.Split(inv, "\n")[0] + "\n"},
			file: TraceInvocationsFile, line: 2, problem: "no functions"},
		{name: "unbalanced quote", replace: map[string]string{TraceInvocationsFile: inv + "o3,\"a3,eeee,http,1,1,1\n"},
			file: TraceInvocationsFile, line: 4, problem: "quote"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := traceWrite(t, tc.replace)
			_, err := ParseTrace(dir)
			var te *TraceError
			if !errors.As(err, &te) || !errors.Is(err, ErrBadTrace) {
				t.Fatalf("error %v (%T), want a *TraceError wrapping ErrBadTrace", err, err)
			}
			if te.File != filepath.Join(dir, tc.file) || te.Line != tc.line || te.Column != tc.column || te.ColumnName != tc.colName {
				t.Errorf("at %s line %d column %d (%s); want %s line %d column %d (%s)\n%v",
					te.File, te.Line, te.Column, te.ColumnName, tc.file, tc.line, tc.column, tc.colName, err)
			}
			if !strings.Contains(te.Problem, tc.problem) {
				t.Errorf("problem %q, want it to say %q", te.Problem, tc.problem)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.file) || (tc.line > 0 && !strings.Contains(msg, "line ")) {
				t.Errorf("message %q does not name the file and line", msg)
			}
		})
	}
}

func TestParseTraceRejectsAFileForAFolder(t *testing.T) {
	f := filepath.Join(t.TempDir(), "x.csv")
	if err := os.WriteFile(f, []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{f, filepath.Join(t.TempDir(), "none")} {
		if _, err := ParseTrace(dir); !errors.Is(err, ErrBadTrace) || !strings.Contains(err.Error(), dir) {
			t.Errorf("ParseTrace(%s): %v, want ErrBadTrace naming it", dir, err)
		}
	}
}

func TestTraceFunctionNames(t *testing.T) {
	cases := []struct {
		name   string
		hashes []string
		want   []string
	}{
		{"first twelve characters", []string{"1948876d67f73860a97e6a6f", "63a0e5f057df6a21211ea885"},
			[]string{"t-1948876d67f7", "t-63a0e5f057df"}},
		{"longer when twelve collide", []string{"abcdefabcdef01", "abcdefabcdef02", "999"},
			[]string{"t-abcdefabcdef01", "t-abcdefabcdef02", "t-999"}},
		{"lowered, odd characters made '-'", []string{"AB_cd.EF"}, []string{"t-ab-cd-ef"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := TraceFunctionNames(tc.hashes)
			if err != nil || strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
	if _, err := TraceFunctionNames([]string{"a_b", "a.b"}); !errors.Is(err, ErrBadPlan) {
		t.Errorf("hashes that clean to the same name: %v, want ErrBadPlan", err)
	}
}
