package instance

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/wavelink/wavelink/schemas"
	"github.com/wavelink/wavelink/streams"
)

// An instance says when it started pulling and, when it stops, how long it
// held work and how much it served.
func TestInstancePublishesStartAndStopRecords(t *testing.T) {
	e := newEnv(t)
	e.deploy(t, echoSpec("echo"))
	records := make(chan *nats.Msg, 8)
	sub, err := e.NC.ChanSubscribe(streams.InstanceSubject("echo"), records)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	r := startRun(t, e, Config{Function: "echo", ID: "rec-1"})
	start := nextRecord(t, records)
	if start.ID != "rec-1" || start.Track != TrackRegular || !start.Stopped.IsZero() || start.Ready.Before(start.Started) {
		t.Fatalf("start record %+v", start)
	}
	publish(t, e, invocation("echo", "a", nil, nil, ""))
	publish(t, e, invocation("echo", "b", nil, nil, ""))
	awaitResult(t, e, "a")
	awaitResult(t, e, "b")
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	stop := nextRecord(t, records)
	if stop.Served != 2 || stop.Busy <= 0 || stop.Stopped.Before(stop.Ready) || stop.Busy > stop.Stopped.Sub(stop.Ready) {
		t.Fatalf("stop record %+v", stop)
	}
}

func nextRecord(t *testing.T, ch <-chan *nats.Msg) schemas.InstanceRecord {
	t.Helper()
	select {
	case m := <-ch:
		rec, err := schemas.DecodeInstanceRecord(m.Data)
		if err != nil {
			t.Fatal(err)
		}
		return rec
	case <-time.After(10 * time.Second):
		t.Fatal("no instance record")
	}
	return schemas.InstanceRecord{}
}
