package schemas

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

func TestEmbeddedSchemasCompile(t *testing.T) {
	all, err := loadSchemas()
	mustNoErr(t, err)
	for _, name := range []string{schemaBurst, schemaBurstReply, schemaNodeStatus} {
		t.Run(name, func(t *testing.T) {
			if all[name] == nil {
				t.Fatal("not compiled")
			}
			b, err := schemaFiles.ReadFile("jsonschema/" + name)
			mustNoErr(t, err)
			var doc struct {
				Schema string `json:"$schema"`
				ID     string `json:"$id"`
			}
			mustNoErr(t, json.Unmarshal(b, &doc))
			if doc.Schema != "https://json-schema.org/draft/2020-12/schema" || doc.ID != schemaBaseURL+name {
				t.Fatalf("$schema %q, $id %q", doc.Schema, doc.ID)
			}
		})
	}
}

func TestBurstNATSRoundTrip(t *testing.T) {
	cases := []BurstRequest{
		{Function: "echo", Count: 1},
		{Function: "a-b-9", Count: 1000, Reason: "backlog 412 > regular capacity 40"},
	}
	for _, req := range cases {
		t.Run(req.Function, func(t *testing.T) {
			var msg nats.Msg
			mustNoErr(t, EncodeControlNATS(TypeBurst, "/wavelink/scaler", "b-1", req, &msg))
			if msg.Header[HeaderType][0] != TypeBurst || msg.Header[HeaderContentType][0] != ContentTypeJSON {
				t.Fatalf("headers %v", msg.Header)
			}
			got, err := DecodeBurstNATS(msg.Header, msg.Data)
			mustNoErr(t, err)
			if got != req {
				t.Fatalf("sent %+v, got %+v", req, got)
			}
		})
	}
}

func sampleStatus() NodeStatus {
	return NodeStatus{
		Node: "node-1", Time: time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC), Mode: ModeLibcontainer,
		Slots: Capacity{Total: 32, Free: 30}, MemoryMB: Capacity{Total: 65536, Free: 1024},
		Running: map[string]int{"echo": 2}, Pool: map[string]int{"echo": 4, "trace": 0},
	}
}

func equalStatus(a, b NodeStatus) bool {
	return a.Node == b.Node && a.Time.Equal(b.Time) && a.Mode == b.Mode && a.Slots == b.Slots &&
		a.MemoryMB == b.MemoryMB && maps.Equal(a.Running, b.Running) && maps.Equal(a.Pool, b.Pool)
}

func TestNodeStatusRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		s    NodeStatus
	}{
		{"full", sampleStatus()},
		{"no instances, process mode", NodeStatus{Node: "n", Time: time.Unix(1, 0).UTC(), Mode: ModeProcess}},
	}
	for _, tc := range cases {
		t.Run(tc.name+"/NATS", func(t *testing.T) {
			var msg nats.Msg
			mustNoErr(t, EncodeControlNATS(TypeNodeStatus, "/wavelink/wavelet/n", "s-1", tc.s, &msg))
			got, err := DecodeNodeStatus(msg.Header, msg.Data)
			mustNoErr(t, err)
			if !equalStatus(tc.s, got) {
				t.Fatalf("sent %+v\ngot  %+v", tc.s, got)
			}
		})
		t.Run(tc.name+"/JSON", func(t *testing.T) {
			b, err := EncodeNodeStatusJSON("/wavelink/wavelet/n", "s-2", tc.s)
			mustNoErr(t, err)
			inv, err := decodeStructured(b)
			mustNoErr(t, err)
			if inv.Type != TypeNodeStatus || !inv.Time.Equal(tc.s.Time) || inv.ID != "s-2" {
				t.Fatalf("envelope %+v", inv)
			}
			got, err := DecodeNodeStatusJSON(b)
			mustNoErr(t, err)
			if !equalStatus(tc.s, got) {
				t.Fatalf("sent %+v\ngot  %+v", tc.s, got)
			}
			got, err = DecodeNodeStatus(nats.Header{HeaderContentType: {ContentTypeStructured}}, b)
			mustNoErr(t, err)
			if !equalStatus(tc.s, got) {
				t.Fatalf("structured on NATS: sent %+v\ngot  %+v", tc.s, got)
			}
		})
	}
}

func TestBurstReplyRoundTrip(t *testing.T) {
	cases := []BurstReply{
		{Node: "n1", Function: "echo", Accepted: 0, Refused: "no free slots"},
		{Node: "n1", Function: "echo", Accepted: 2, Instances: []string{"echo-e-1", "echo-e-2"}},
	}
	for _, r := range cases {
		t.Run(r.Refused, func(t *testing.T) {
			b, err := EncodeBurstReply(r)
			mustNoErr(t, err)
			got, err := DecodeBurstReply(b)
			mustNoErr(t, err)
			if !reflect.DeepEqual(r, got) {
				t.Fatalf("sent %+v, got %+v", r, got)
			}
		})
	}
}

func TestControlDataErrorsNameTheField(t *testing.T) {
	burst := func(data string) func() error {
		return func() error {
			h := nats.Header{"ce-specversion": {"1.0"}, "ce-id": {"1"}, "ce-source": {"/s"}, "ce-type": {TypeBurst}, "Content-Type": {ContentTypeJSON}}
			_, err := DecodeBurstNATS(h, []byte(data))
			return err
		}
	}
	status := func(edit func(m map[string]any)) func() error {
		return func() error {
			b, err := json.Marshal(sampleStatus())
			if err != nil {
				return err
			}
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				return err
			}
			edit(m)
			b, _ = json.Marshal(m)
			h := nats.Header{"ce-specversion": {"1.0"}, "ce-id": {"1"}, "ce-source": {"/s"}, "ce-type": {TypeNodeStatus}}
			_, err = DecodeNodeStatus(h, b)
			return err
		}
	}
	reply := func(data string) func() error {
		return func() error { _, err := DecodeBurstReply([]byte(data)); return err }
	}
	cases := []struct {
		name  string
		call  func() error
		field string
	}{
		{"count zero", burst(`{"function":"echo","count":0}`), "data.count"},
		{"count too big", burst(`{"function":"echo","count":1001}`), "data.count"},
		{"count a string", burst(`{"function":"echo","count":"3"}`), "data.count"},
		{"count a fraction", burst(`{"function":"echo","count":1.5}`), "data.count"},
		{"count missing", burst(`{"function":"echo"}`), "data.count"},
		{"function missing", burst(`{"count":1}`), "data.function"},
		{"function not a DNS label", burst(`{"function":"Echo_1","count":1}`), "data.function"},
		{"unknown field", burst(`{"function":"echo","count":1,"priority":9}`), "data.priority"},
		{"data an array", burst(`[]`), "data"},
		{"data not JSON", burst(`{"function":`), "data"},
		{"data empty", burst(``), "data"},
		{"data with trailing bytes", burst(`{"function":"echo","count":1} {}`), "data"},
		{"bad mode", status(func(m map[string]any) { m["mode"] = "vm" }), "data.mode"},
		{"bad time", status(func(m map[string]any) { m["time"] = "today" }), "data.time"},
		{"negative free slots", status(func(m map[string]any) { m["slots"] = map[string]any{"total": 1, "free": -1} }), "data.slots.free"},
		{"free over total", status(func(m map[string]any) { m["memoryMB"] = map[string]any{"total": 1, "free": 2} }), "data.memoryMB.free"},
		{"slots missing", status(func(m map[string]any) { delete(m, "slots") }), "data.slots"},
		{"bad function key", status(func(m map[string]any) { m["running"] = map[string]any{"Not OK": 1} }), "data.running.Not OK"},
		{"negative running", status(func(m map[string]any) { m["running"] = map[string]any{"echo": -1} }), "data.running.echo"},
		{"unknown capacity field", status(func(m map[string]any) { m["slots"] = map[string]any{"total": 1, "free": 1, "used": 0} }), "data.slots.used"},
		{"node with a wildcard", status(func(m map[string]any) { m["node"] = "a>" }), "data.node"},
		{"reply accepted negative", reply(`{"node":"n","function":"f","accepted":-1}`), "reply.accepted"},
		{"reply accepted a string", reply(`{"node":"n","function":"f","accepted":"1"}`), "reply.accepted"},
		{"reply node missing", reply(`{"function":"f","accepted":1}`), "reply.node"},
		{"reply unknown field", reply(`{"node":"n","function":"f","accepted":1,"why":"x"}`), "reply.why"},
		{"reply empty instance", reply(`{"node":"n","function":"f","accepted":1,"instances":[""]}`), "reply.instances.0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantFieldError(t, tc.call(), tc.field)
		})
	}
}

func TestControlEnvelopeErrors(t *testing.T) {
	good := func() nats.Header {
		return nats.Header{"ce-specversion": {"1.0"}, "ce-id": {"1"}, "ce-source": {"/s"}, "ce-type": {TypeBurst}}
	}
	data := []byte(`{"function":"echo","count":1}`)
	cases := []struct {
		name  string
		edit  func(nats.Header)
		field string
	}{
		{"wrong type", func(h nats.Header) { h["ce-type"] = []string{TypeNodeStatus} }, "type"},
		{"not JSON data", func(h nats.Header) { h["Content-Type"] = []string{"text/plain"} }, "datacontenttype"},
		{"no id", func(h nats.Header) { delete(h, "ce-id") }, "id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := good()
			tc.edit(h)
			_, err := DecodeBurstNATS(h, data)
			wantFieldError(t, err, tc.field)
		})
	}
}

func TestEncodeControlRefusesBadInput(t *testing.T) {
	cases := []struct {
		name      string
		eventType string
		source    string
		id        string
		data      any
		field     string
	}{
		{"count out of range", TypeBurst, "/s", "1", BurstRequest{Function: "echo", Count: 0}, "data.count"},
		{"status as a burst", TypeBurst, "/s", "1", sampleStatus(), "data.count"},
		{"unknown type", "dev.wavelink.other.v1", "/s", "1", BurstRequest{Function: "echo", Count: 1}, "type"},
		{"no id", TypeBurst, "/s", "", BurstRequest{Function: "echo", Count: 1}, "id"},
		{"no source", TypeBurst, "", "1", BurstRequest{Function: "echo", Count: 1}, "source"},
		{"unencodable data", TypeBurst, "/s", "1", func() {}, "data"},
		{"bad status", TypeNodeStatus, "/s", "1", NodeStatus{Node: "n"}, "data.mode"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var msg nats.Msg
			err := EncodeControlNATS(tc.eventType, tc.source, tc.id, tc.data, &msg)
			wantFieldError(t, err, tc.field)
			if msg.Header != nil || msg.Data != nil {
				t.Fatalf("msg written on error: %+v", msg)
			}
		})
	}
	t.Run("burst reply", func(t *testing.T) {
		_, err := EncodeBurstReply(BurstReply{Node: "n", Function: "echo", Accepted: -2})
		wantFieldError(t, err, "reply.accepted")
	})
	t.Run("node status JSON", func(t *testing.T) {
		s := sampleStatus()
		s.Slots.Free = 99
		_, err := EncodeNodeStatusJSON("/s", "1", s)
		wantFieldError(t, err, "data.slots.free")
	})
}

func TestSchemaErrorsReadWell(t *testing.T) {
	_, err := DecodeBurstReply([]byte(`{"node":"n","function":"f","accepted":"1"}`))
	if err == nil || !strings.Contains(err.Error(), "reply.accepted must be integer, got string") {
		t.Fatalf("error %v does not say what is wrong", err)
	}
	_, err = decodeBurstData([]byte(`{"function":"echo","count":5000}`))
	if err == nil || !strings.Contains(err.Error(), "data.count must be at most 1000, got 5000") {
		t.Fatalf("error %v does not say what is wrong", err)
	}
	keys := slices.Sorted(maps.Keys(map[string]int{"b": 1, "a": 2}))
	if keys[0] != "a" {
		t.Fatal("sorting")
	}
}

func TestBurstLifetimesRoundTrip(t *testing.T) {
	in := BurstRequest{Function: "echo", Count: 2, IdleTimeout: 90 * time.Second, MaxLifetime: 300 * time.Microsecond}
	msg := nats.NewMsg("wl.wavelet.n1.burst")
	if err := EncodeControlNATS(TypeBurst, "test", "b1", in, msg); err != nil {
		t.Fatal(err)
	}
	got, err := DecodeBurstNATS(msg.Header, msg.Data)
	if err != nil {
		t.Fatal(err)
	}
	want := in
	want.MaxLifetime = time.Millisecond // sent in whole milliseconds, at least one
	if got != want {
		t.Fatalf("decoded %+v, want %+v", got, want)
	}
	bad := nats.NewMsg("wl.wavelet.n1.burst")
	if err := EncodeControlNATS(TypeBurst, "test", "b2", BurstRequest{Function: "echo", Count: 1}, bad); err != nil {
		t.Fatal(err)
	}
	bad.Data = []byte(`{"function":"echo","count":1,"idleTimeoutMs":-5}`)
	if _, err := DecodeBurstNATS(bad.Header, bad.Data); err == nil || !strings.Contains(err.Error(), "idleTimeoutMs") {
		t.Fatalf("negative idle timeout: got %v, want an error naming idleTimeoutMs", err)
	}
}
