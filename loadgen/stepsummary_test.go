package loadgen

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"time"
)

// stepRecords makes a synthetic step run: the step at 2 s, ten invocations
// in each of seconds 0..5 after it, served by these many regular instances
// (the rest emergency), each taking 100 ms plus its index within the second
// in ms; and before the step one answered invocation and one that timed out.
func stepRecords() []Record {
	step := 2 * time.Second
	var recs []Record
	add := func(r Record) {
		r.Index = len(recs)
		recs = append(recs, r)
	}
	add(Record{Scheduled: 1500 * time.Millisecond, Sent: 1501 * time.Millisecond, FirstByte: 1550 * time.Millisecond, Done: 1560 * time.Millisecond,
		Status: 200, Track: TrackRegular, Instance: "r0", Outcome: "ok"})
	add(Record{Scheduled: 1600 * time.Millisecond, Sent: 1600 * time.Millisecond, Done: 2600 * time.Millisecond, Err: "timeout"})
	regular := []int{0, 5, 10, 9, 10, 10}
	for sec, nReg := range regular {
		for k := 0; k < 10; k++ {
			at := step + time.Duration(sec)*time.Second + time.Duration(k)*100*time.Millisecond
			r := Record{Scheduled: at, Sent: at + time.Millisecond, FirstByte: at + 99*time.Millisecond,
				Done: at + 100*time.Millisecond + time.Duration(k)*time.Millisecond, Status: 200, Outcome: "ok"}
			if k < nReg {
				r.Track, r.Instance = TrackRegular, fmt.Sprintf("r%d", k%2)
			} else {
				r.Track, r.Instance = TrackEmergency, fmt.Sprintf("e%d", k%3)
			}
			add(r)
		}
	}
	// An error answer from the function in second 1.
	recs[len(recs)-45].Status, recs[len(recs)-45].Outcome, recs[len(recs)-45].Err = 502, "error", "status 502"
	return recs
}

func TestSummarizeCountsAStepRun(t *testing.T) {
	s := Summarize(stepRecords(), SummaryOptions{Step: 2 * time.Second, Window: 3 * time.Second})
	if s.Count != 62 || s.Answered != 60 || s.Errors != 2 || s.Answered+s.Errors != s.Count {
		t.Fatalf("count %d answered %d errors %d", s.Count, s.Answered, s.Errors)
	}
	if s.ErrorsByKind["timeout"] != 1 || s.ErrorsByKind["status 502 (error)"] != 1 || len(s.ErrorsByKind) != 2 {
		t.Fatalf("errors by kind %v", s.ErrorsByKind)
	}
	// Second 1's sixth invocation (an emergency one) failed.
	wantRegular, wantEmergency := 1+0+5+10+9+10+10, 10+4+1
	if s.Regular != wantRegular || s.Emergency != wantEmergency || s.Regular+s.Emergency != s.Answered {
		t.Fatalf("regular %d emergency %d, want %d and %d", s.Regular, s.Emergency, wantRegular, wantEmergency)
	}
	if s.RegularInstances != 2 || s.EmergencyInstances != 3 {
		t.Fatalf("instances: %d regular, %d emergency", s.RegularInstances, s.EmergencyInstances)
	}
	if s.Latency.N != 60 || s.Latency.Max != 109 || s.Latency.P50 != 104 {
		t.Fatalf("latency %+v", s.Latency)
	}
	if s.LatencyAfterStep.N != 29 || s.WindowSeconds != 3 {
		t.Fatalf("latency in the 3 s after the step %+v", s.LatencyAfterStep)
	}
	if s.SendLag.N != 62 || s.SendLag.Max != 1 {
		t.Fatalf("send lag %+v", s.SendLag)
	}
	if got := s.RegularShareAfterStep; got != float64(5+10+9+10+10)/60 {
		t.Fatalf("regular share after the step %v", got)
	}
	if s.RegularCarriesAfter != "4s" || s.RegularCarriesAfterS == nil || *s.RegularCarriesAfterS != 4 {
		t.Fatalf("regular carries after %q", s.RegularCarriesAfter)
	}
	want := []Second{
		{Second: -1, Invocations: 2, Answered: 1, Errors: 1, Regular: 1, RegularInstances: 1, P99Ms: 60},
		{Second: 0, Invocations: 10, Answered: 10, Emergency: 10, EmergencyInstances: 3, P99Ms: 109},
		{Second: 1, Invocations: 10, Answered: 9, Errors: 1, Regular: 5, Emergency: 4, RegularInstances: 2, EmergencyInstances: 3, P99Ms: 109},
		{Second: 2, Invocations: 10, Answered: 10, Regular: 10, RegularInstances: 2, P99Ms: 109},
		{Second: 3, Invocations: 10, Answered: 10, Regular: 9, Emergency: 1, RegularInstances: 2, EmergencyInstances: 1, P99Ms: 109},
		{Second: 4, Invocations: 10, Answered: 10, Regular: 10, RegularInstances: 2, P99Ms: 109},
		{Second: 5, Invocations: 10, Answered: 10, Regular: 10, RegularInstances: 2, P99Ms: 109},
	}
	if len(s.Seconds) != len(want) {
		t.Fatalf("%d seconds, want %d: %+v", len(s.Seconds), len(want), s.Seconds)
	}
	sum := 0
	for i, w := range want {
		if s.Seconds[i] != w {
			t.Errorf("second %d: %+v, want %+v", w.Second, s.Seconds[i], w)
		}
		sum += s.Seconds[i].Invocations
	}
	if sum != s.Count {
		t.Errorf("seconds hold %d invocations, want %d", sum, s.Count)
	}
	var text bytes.Buffer
	if err := s.WriteText(&text); err != nil || !strings.Contains(text.String(), "carry the load after: 4s") {
		t.Fatalf("text summary (%v):\n%s", err, text.String())
	}
}

func TestSummarizeEdgeCases(t *testing.T) {
	s := Summarize(nil, SummaryOptions{})
	if s.Count != 0 || s.Seconds != nil || s.RegularCarriesAfter != "never" || s.RegularCarriesAfterS != nil {
		t.Fatalf("empty run: %+v", s)
	}
	// A gap of empty seconds is kept in the series; an unsent invocation is
	// an error without send lag.
	s = Summarize([]Record{
		{Scheduled: 0, Sent: time.Microsecond, Done: time.Millisecond, Status: 200, Track: TrackRegular, Instance: "a"},
		{Index: 1, Scheduled: 3 * time.Second, Err: "not sent: context canceled"},
	}, SummaryOptions{})
	if len(s.Seconds) != 4 || s.Seconds[1].Invocations != 0 || s.Errors != 1 || s.SendLag.N != 1 {
		t.Fatalf("summary %+v", s)
	}
	if s.RegularCarriesAfter != "never" {
		t.Fatalf("regular carries after %q with the last second failed", s.RegularCarriesAfter)
	}
}

func TestRegularCarries(t *testing.T) {
	sec := func(n, inv, reg int) Second { return Second{Second: n, Invocations: inv, Regular: reg} }
	for _, tc := range []struct {
		name    string
		seconds []Second
		want    int
		ok      bool
	}{
		{"from the step", []Second{sec(-1, 5, 0), sec(0, 100, 98), sec(1, 100, 100)}, 0, true},
		{"after a slow start", []Second{sec(0, 100, 0), sec(1, 100, 97), sec(2, 100, 99), sec(3, 50, 50)}, 2, true},
		{"empty seconds do not count", []Second{sec(0, 100, 0), sec(1, 0, 0), sec(2, 100, 100), sec(3, 0, 0)}, 2, true},
		{"a late relapse", []Second{sec(0, 100, 100), sec(1, 100, 100), sec(2, 100, 90)}, 0, false},
		{"nothing after the step", []Second{sec(-2, 100, 100), sec(-1, 100, 100)}, 0, false},
		{"no invocations", []Second{sec(0, 0, 0)}, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := RegularCarries(tc.seconds, 0.98)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("RegularCarries = %d, %v; want %d, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestSecondOf(t *testing.T) {
	for d, want := range map[time.Duration]int{0: 0, 999 * time.Millisecond: 0, time.Second: 1, -time.Nanosecond: -1, -time.Second: -1, -1001 * time.Millisecond: -2} {
		if got := secondOf(d); got != want {
			t.Errorf("secondOf(%s) = %d, want %d", d, got, want)
		}
	}
}

func TestWriteCSV(t *testing.T) {
	recs := stepRecords()
	var b bytes.Buffer
	if err := WriteCSV(&b, recs); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(recs)+1 || strings.Join(rows[0], ",") != strings.Join(CSVHeader, ",") {
		t.Fatalf("%d rows, header %v", len(rows), rows[0])
	}
	if got := strings.Join(rows[1], ","); got != "0,1500000,1501000,1550000,1560000,60000,200,regular,r0,ok,0," {
		t.Fatalf("first row %s", got)
	}
	if got := rows[2][11]; got != "timeout" {
		t.Fatalf("second row's error %q", got)
	}
}
