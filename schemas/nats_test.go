package schemas

import (
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

func fullInvocation() Invocation {
	return Invocation{
		ID:              "inv-1",
		Source:          "https://example.com/client",
		Type:            "com.example.order.created",
		Subject:         "order/42",
		Time:            time.Date(2026, 3, 4, 5, 6, 7, 890123456, time.UTC),
		DataContentType: "application/octet-stream",
		DataSchema:      "https://example.com/schemas/order.json",
		Extensions:      map[string]string{"traceparent": "00-abc-def-01", "wlpriority": "7"},
		Header: http.Header{
			"Requested_cpu":    {"250"},
			"requested_memory": {"128"},
			"X-Multi":          {"a", "b"},
		},
		Data: []byte{0, 1, 2, 0xff, '\n', 0x80},
	}
}

func TestInvocationNATSRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		inv  Invocation
	}{
		{"everything", fullInvocation()},
		{"required only", Invocation{ID: "a", Source: "/s", Type: "t"}},
		{"empty body with type", Invocation{ID: "a", Source: "/s", Type: "t", DataContentType: "text/plain", Data: []byte{}}},
		{"time with offset becomes UTC", Invocation{ID: "a", Source: "/s", Type: "t",
			Time: time.Date(2026, 1, 1, 12, 0, 0, 0, time.FixedZone("x", 7200))}},
		{"unicode attributes", Invocation{ID: "ünï-☃", Source: "/s", Type: "t", Subject: "日本"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var msg nats.Msg
			EncodeInvocationNATS(&tc.inv, &msg)
			got, err := DecodeInvocationNATS(msg.Header, msg.Data)
			mustNoErr(t, err)
			if d := diffInvocation(tc.inv, got); d != "" {
				t.Fatalf("%s differs after the round trip:\nsent %+v\ngot  %+v", d, tc.inv, got)
			}
			if !got.Time.IsZero() && got.Time.Location() != time.UTC {
				t.Fatalf("time location %v, want UTC", got.Time.Location())
			}
		})
	}
}

func TestEncodeInvocationNATSWritesBinaryMode(t *testing.T) {
	inv := fullInvocation()
	inv.Header["Nats-Msg-Id"] = []string{"smuggled"}
	inv.Header["Wl-Reply"] = []string{"smuggled"}
	inv.Header["Ce-Id"] = []string{"smuggled"}
	msg := nats.Msg{Header: nats.Header{"Wl-Reply": {"_INBOX.x"}}}
	EncodeInvocationNATS(&inv, &msg)
	want := map[string]string{
		"ce-specversion":   "1.0",
		"ce-id":            "inv-1",
		"ce-source":        "https://example.com/client",
		"ce-type":          "com.example.order.created",
		"ce-subject":       "order/42",
		"ce-time":          "2026-03-04T05:06:07.890123456Z",
		"ce-dataschema":    "https://example.com/schemas/order.json",
		"ce-traceparent":   "00-abc-def-01",
		"Content-Type":     "application/octet-stream",
		"Requested_cpu":    "250",
		"requested_memory": "128",
		"Wl-Reply":         "_INBOX.x",
	}
	for k, v := range want {
		t.Run(k, func(t *testing.T) {
			if got := msg.Header[k]; len(got) != 1 || got[0] != v {
				t.Fatalf("header %q = %q, want [%q]", k, got, v)
			}
		})
	}
	for _, k := range []string{"Nats-Msg-Id", "Ce-Id"} {
		if _, ok := msg.Header[k]; ok {
			t.Errorf("header %q from inv.Header was written", k)
		}
	}
	if got := msg.Header["X-Multi"]; len(got) != 2 {
		t.Errorf("X-Multi = %q, want both values", got)
	}
}

func TestDecodeInvocationNATSHeaders(t *testing.T) {
	h := nats.Header{
		"ce-specversion":  {"1.0"},
		"Ce-Id":           {"x"},
		"CE-SOURCE":       {"/s"},
		"ce-type":         {"t"},
		"ce-MyExt":        {"v"},
		"content-type":    {"text/plain"},
		"Nats-Msg-Id":     {"x"},
		"Nats-Stream":     {"WL_INVOKE"},
		"Wl-Reply":        {"_INBOX.1"},
		"wl-deliveries":   {"3"},
		"requested_cpu":   {"100"},
		"Requested_Cpu":   {"200"},
		"Connection":      {"close"},
		"Authorization":   {"Bearer t"},
		"X-Empty-Present": {},
	}
	inv, err := DecodeInvocationNATS(h, []byte("hi"))
	mustNoErr(t, err)
	if inv.ID != "x" || inv.Source != "/s" || inv.DataContentType != "text/plain" {
		t.Fatalf("attributes not read in any case: %+v", inv)
	}
	if inv.Extensions["myext"] != "v" {
		t.Fatalf("extension names must be lower-cased: %v", inv.Extensions)
	}
	want := http.Header{
		"requested_cpu": {"100"},
		"Requested_Cpu": {"200"},
		"Connection":    {"close"},
		"Authorization": {"Bearer t"},
	}
	if !equalHeader(inv.Header, want) {
		t.Fatalf("Header = %v, want %v", inv.Header, want)
	}
}

func TestDecodeInvocationNATSErrorsNameTheField(t *testing.T) {
	base := func() nats.Header {
		return nats.Header{"ce-specversion": {"1.0"}, "ce-id": {"x"}, "ce-source": {"/s"}, "ce-type": {"t"}}
	}
	cases := []struct {
		name  string
		edit  func(nats.Header)
		field string
	}{
		{"no specversion", func(h nats.Header) { delete(h, "ce-specversion") }, "specversion"},
		{"old specversion", func(h nats.Header) { h["ce-specversion"] = []string{"0.3"} }, "specversion"},
		{"no id", func(h nats.Header) { delete(h, "ce-id") }, "id"},
		{"empty id", func(h nats.Header) { h["ce-id"] = []string{""} }, "id"},
		{"no source", func(h nats.Header) { delete(h, "ce-source") }, "source"},
		{"no type", func(h nats.Header) { delete(h, "ce-type") }, "type"},
		{"bad time", func(h nats.Header) { h["ce-time"] = []string{"yesterday"} }, "time"},
		{"time without zone", func(h nats.Header) { h["ce-time"] = []string{"2026-01-01T00:00:00"} }, "time"},
		{"id twice by case", func(h nats.Header) { h["Ce-Id"] = []string{"y"} }, "id"},
		{"id with two values", func(h nats.Header) { h["ce-id"] = []string{"x", "y"} }, "id"},
		{"content type twice", func(h nats.Header) { h["Content-Type"] = []string{"a/b"}; h["content-type"] = []string{"a/c"} }, "datacontenttype"},
		{"bad media type", func(h nats.Header) { h["Content-Type"] = []string{"text"} }, "datacontenttype"},
		{"relative dataschema", func(h nats.Header) { h["ce-dataschema"] = []string{"/x.json"} }, "dataschema"},
		{"source not a URI reference", func(h nats.Header) { h["ce-source"] = []string{"http://[::1"} }, "source"},
		{"control character", func(h nats.Header) { h["ce-subject"] = []string{"a\x01b"} }, "subject"},
		{"C1 control character", func(h nats.Header) { h["ce-type"] = []string{"a\u0085b"} }, "type"},
		{"invalid UTF-8", func(h nats.Header) { h["ce-id"] = []string{"a\xffb"} }, "id"},
		{"extension name with dash", func(h nats.Header) { h["ce-my-ext"] = []string{"v"} }, "my-ext"},
		{"extension name too long", func(h nats.Header) { h["ce-abcdefghijklmnopqrstu"] = []string{"v"} }, "abcdefghijklmnopqrstu"},
		{"empty extension name", func(h nats.Header) { h["ce-"] = []string{"v"} }, `extension ""`},
		{"datacontenttype as extension", func(h nats.Header) { h["ce-datacontenttype"] = []string{"a/b"} }, "datacontenttype"},
		{"batch mode", func(h nats.Header) { h["Content-Type"] = []string{ContentTypeBatch} }, "Content-Type"},
		{"structured XML", func(h nats.Header) { h["Content-Type"] = []string{"application/cloudevents+xml"} }, "Content-Type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := base()
			tc.edit(h)
			_, err := DecodeInvocationNATS(h, nil)
			wantFieldError(t, err, tc.field)
		})
	}
}

func TestDecodeInvocationNATSStructured(t *testing.T) {
	h := nats.Header{"Content-Type": {ContentTypeStructured + "; charset=utf-8"}, "Wl-Reply": {"_INBOX.2"}, "X-Trace": {"1"}}
	body := `{"specversion":"1.0","id":"s1","source":"/src","type":"t","data":{"a":1}}`
	inv, err := DecodeInvocationNATS(h, []byte(body))
	mustNoErr(t, err)
	if inv.ID != "s1" || string(inv.Data) != `{"a":1}` || inv.DataContentType != ContentTypeJSON {
		t.Fatalf("got %+v", inv)
	}
	if !equalHeader(inv.Header, http.Header{"X-Trace": {"1"}}) {
		t.Fatalf("Header = %v", inv.Header)
	}
}
