package schemas

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

func fullResult() Result {
	return Result{
		InvocationID: "inv 1 ✓", Function: "echo", Outcome: OutcomeTimeout, Status: 504,
		Error: "ran past 2s\nkilled", Instance: "echo-e-3", Track: "emergency",
		Duration: 2*time.Second + 7*time.Microsecond, Attempt: 3,
		Time:        time.Date(2026, 7, 8, 9, 10, 11, 12000, time.UTC),
		ContentType: "application/json", Data: []byte(`{"ok":false}`),
	}
}

func equalResult(a, b Result) bool {
	return a.InvocationID == b.InvocationID && a.Function == b.Function && a.Outcome == b.Outcome &&
		a.Status == b.Status && a.Error == b.Error && a.Instance == b.Instance && a.Track == b.Track &&
		a.Duration == b.Duration && a.Attempt == b.Attempt && a.Time.Equal(b.Time) &&
		a.ContentType == b.ContentType && bytes.Equal(a.Data, b.Data)
}

func TestResultRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		r    Result
	}{
		{"everything", fullResult()},
		{"minimal ok", Result{InvocationID: "a", Function: "f", Outcome: OutcomeOK}},
		{"crash without status", Result{InvocationID: "a", Function: "f", Outcome: OutcomeCrash, Error: "exit 2"}},
	}
	for _, tc := range cases {
		t.Run(tc.name+"/NATS", func(t *testing.T) {
			var msg nats.Msg
			EncodeResultNATS(&tc.r, &msg)
			got, err := DecodeResultNATS(msg.Header, msg.Data)
			mustNoErr(t, err)
			if !equalResult(tc.r, got) {
				t.Fatalf("sent %+v\ngot  %+v", tc.r, got)
			}
		})
		t.Run(tc.name+"/HTTP", func(t *testing.T) {
			h := http.Header{}
			SetResultHeadersHTTP(&tc.r, h)
			got, err := DecodeResultHTTP(canonicalHeader(h), tc.r.Data)
			mustNoErr(t, err)
			if !equalResult(tc.r, got) {
				t.Fatalf("sent %+v\ngot  %+v", tc.r, got)
			}
		})
	}
}

func TestSetResultHeadersHTTP(t *testing.T) {
	r := fullResult()
	h := http.Header{}
	SetResultHeadersHTTP(&r, h)
	for k, want := range map[string]string{
		"Ce-Specversion":  "1.0",
		"Ce-Id":           "inv%201%20%E2%9C%93",
		"Ce-Type":         TypeResult,
		"Ce-Source":       "/wavelink/functions/echo",
		"Ce-Time":         "2026-07-08T09:10:11.000012Z",
		"Ce-Wlinvocation": "inv%201%20%E2%9C%93",
		"Ce-Wlfunction":   "echo",
		"Ce-Wloutcome":    "timeout",
		"Ce-Wlstatus":     "504",
		"Ce-Wlerror":      "ran%20past%202s%0Akilled",
		"Ce-Wlinstance":   "echo-e-3",
		"Ce-Wltrack":      "emergency",
		"Ce-Wlduration":   "2000007",
		"Ce-Wlattempt":    "3",
		"Content-Type":    "application/json",
	} {
		t.Run(k, func(t *testing.T) {
			if got := h.Get(k); got != want {
				t.Fatalf("%s = %q, want %q", k, got, want)
			}
		})
	}
}

func TestEncodeResultNATSWithoutTimeWritesNone(t *testing.T) {
	var msg nats.Msg
	EncodeResultNATS(&Result{InvocationID: "a", Function: "f", Outcome: OutcomeOK}, &msg)
	if _, ok := msg.Header[HeaderTime]; ok {
		t.Fatalf("ce-time written for a zero time: %v", msg.Header)
	}
}

func TestDecodeResultErrorsNameTheField(t *testing.T) {
	cases := []struct {
		name  string
		k, v  string
		field string
	}{
		{"wrong type", HeaderType, TypeInvocation, "type"},
		{"no invocation", HeaderPrefix + ExtInvocation, "", ExtInvocation},
		{"bad outcome", HeaderPrefix + ExtOutcome, "maybe", ExtOutcome},
		{"status not a number", HeaderPrefix + ExtStatus, "ok", ExtStatus},
		{"status out of range", HeaderPrefix + ExtStatus, "99", ExtStatus},
		{"negative duration", HeaderPrefix + ExtDuration, "-1", ExtDuration},
		{"overflowing duration", HeaderPrefix + ExtDuration, "9223372036854775807", ExtDuration},
		{"zero attempt", HeaderPrefix + ExtAttempt, "0", ExtAttempt},
		{"bad time", HeaderTime, "soon", "time"},
		{"bad specversion", HeaderSpecVersion, "0.3", "specversion"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := fullResult()
			var msg nats.Msg
			EncodeResultNATS(&r, &msg)
			msg.Header[tc.k] = []string{tc.v}
			_, err := DecodeResultNATS(msg.Header, msg.Data)
			wantFieldError(t, err, tc.field)

			h := http.Header{}
			SetResultHeadersHTTP(&r, h)
			h.Set(tc.k, tc.v)
			_, err = DecodeResultHTTP(h, r.Data)
			wantFieldError(t, err, tc.field)
		})
	}
}
