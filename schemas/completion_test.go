package schemas

import (
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

func TestCompletionRoundTrip(t *testing.T) {
	in := Result{InvocationID: "a.b c", Function: "f", Outcome: OutcomeTimeout, Track: "regular", Duration: 1500 * time.Microsecond, Status: 504, Error: "slow", Data: []byte("x")}
	msg := nats.NewMsg("wl.done.f")
	EncodeCompletionNATS(&in, msg)
	if len(msg.Data) != 0 || len(msg.Header) != 4 {
		t.Fatalf("completion has %d bytes and headers %v; want no data and 4 headers", len(msg.Data), msg.Header)
	}
	got, err := DecodeCompletionNATS(msg.Header)
	if err != nil {
		t.Fatal(err)
	}
	want := Result{InvocationID: in.InvocationID, Outcome: in.Outcome, Track: in.Track, Duration: in.Duration}
	if got.InvocationID != want.InvocationID || got.Outcome != want.Outcome || got.Track != want.Track || got.Duration != want.Duration {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestCompletionErrorsNameTheField(t *testing.T) {
	for field, h := range map[string]nats.Header{
		ExtInvocation: {HeaderPrefix + ExtOutcome: {"ok"}},
		ExtOutcome:    {HeaderPrefix + ExtInvocation: {"x"}, HeaderPrefix + ExtOutcome: {"maybe"}},
		ExtDuration:   {HeaderPrefix + ExtInvocation: {"x"}, HeaderPrefix + ExtOutcome: {"ok"}, HeaderPrefix + ExtDuration: {"-1"}},
	} {
		_, err := DecodeCompletionNATS(h)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("%s: error %v, want a FieldError naming it", field, err)
		}
	}
}
