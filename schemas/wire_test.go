package schemas_test

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/wavelink/wavelink/schemas"
	"github.com/wavelink/wavelink/streams"
	"github.com/wavelink/wavelink/streams/streamstest"
)

// TestInvocationThroughJetStream publishes an invocation to WL_INVOKE on a
// real embedded server and reads it back from the stream: header names keep
// their case on the wire, and the stream's own headers stay out of Header.
func TestInvocationThroughJetStream(t *testing.T) {
	env := streamstest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	inv := schemas.Invocation{
		ID: "wire-1", Source: "/wavelink/gateway", Type: schemas.TypeInvocation,
		Time:            time.Date(2026, 1, 1, 0, 0, 0, 123, time.UTC),
		DataContentType: "application/octet-stream",
		Extensions:      map[string]string{"wlprio": "1"},
		Header:          http.Header{"requested_cpu": {"250"}, "Requested_Memory": {"128"}, "X-Two": {"a", "b"}},
		Data:            bytes.Repeat([]byte{0, 0xff}, 512),
	}
	msg := nats.NewMsg(streams.InvokeSubject("echo"))
	schemas.EncodeInvocationNATS(&inv, msg)
	msg.Header.Set(streams.HeaderMsgID, inv.ID)
	if _, err := env.JS.PublishMsg(ctx, msg); err != nil {
		t.Fatalf("publish: %v", err)
	}
	stored, err := env.JS.Stream(ctx, streams.StreamInvoke)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := stored.GetLastMsgForSubject(ctx, streams.InvokeSubject("echo"))
	if err != nil {
		t.Fatalf("read back: %v", err)
	}
	got, err := schemas.DecodeInvocationNATS(raw.Header, raw.Data)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if got.ID != inv.ID || !got.Time.Equal(inv.Time) || got.Extensions["wlprio"] != "1" || !bytes.Equal(got.Data, inv.Data) {
		t.Fatalf("got %+v", got)
	}
	want := inv.Header
	if len(got.Header) != len(want) {
		t.Fatalf("Header = %v, want %v", got.Header, want)
	}
	for k, vs := range want {
		if g := got.Header[k]; len(g) != len(vs) || g[0] != vs[0] || g[len(g)-1] != vs[len(vs)-1] {
			t.Fatalf("Header[%q] = %q, want %q (all: %v)", k, g, vs, got.Header)
		}
	}
}

// TestBurstRequestReply runs a burst request and its reply over core NATS
// request/reply, as the scaler and a Wavelet do.
func TestBurstRequestReply(t *testing.T) {
	env := streamstest.Start(t)
	subject := streams.BurstSubject("node-1")
	sub, err := env.NC.Subscribe(subject, func(m *nats.Msg) {
		req, err := schemas.DecodeBurstNATS(m.Header, m.Data)
		reply := schemas.BurstReply{Node: "node-1", Function: req.Function, Accepted: req.Count - 1, Refused: "one slot left"}
		if err != nil {
			reply = schemas.BurstReply{Node: "node-1", Function: "invalid", Refused: err.Error()}
		}
		b, err := schemas.EncodeBurstReply(reply)
		if err != nil {
			b = []byte(err.Error())
		}
		_ = m.Respond(b)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sub.Unsubscribe() }()

	msg := nats.NewMsg(subject)
	if err := schemas.EncodeControlNATS(schemas.TypeBurst, "/wavelink/scaler", "burst-1",
		schemas.BurstRequest{Function: "echo", Count: 2, Reason: "backlog"}, msg); err != nil {
		t.Fatal(err)
	}
	resp, err := env.NC.RequestMsg(msg, 5*time.Second)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	reply, err := schemas.DecodeBurstReply(resp.Data)
	if err != nil {
		t.Fatalf("reply %q: %v", resp.Data, err)
	}
	if reply.Function != "echo" || reply.Accepted != 1 || reply.Node != "node-1" {
		t.Fatalf("reply %+v", reply)
	}
}
