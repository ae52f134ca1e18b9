package schemas

import (
	"net/http"
	"testing"

	"github.com/nats-io/nats.go"
)

// fuzzHeaders are the header values a fuzz case sets; an empty value leaves
// its header out.
type fuzzHeaders struct {
	specVersion, id, source, typ, tm, contentType, extName, extValue, otherName, otherValue string
}

func (f fuzzHeaders) into(set func(k, v string), ce func(name string) string) {
	put := func(k, v string) {
		if v != "" {
			set(k, v)
		}
	}
	put(ce("specversion"), f.specVersion)
	put(ce("id"), f.id)
	put(ce("source"), f.source)
	put(ce("type"), f.typ)
	put(ce("time"), f.tm)
	put(HeaderContentType, f.contentType)
	if f.extName != "" {
		put(ce(f.extName), f.extValue)
	}
	if f.otherName != "" {
		put(f.otherName, f.otherValue)
	}
}

func addFuzzSeeds(f *testing.F) {
	structured := `{"specversion":"1.0","id":"s","source":"/s","type":"t","ext":7,"data":{"a":[1,"x"]}}`
	seeds := []struct {
		h    fuzzHeaders
		body string
	}{
		{fuzzHeaders{"1.0", "id-1", "/wavelink/gateway", TypeInvocation, "2026-01-02T03:04:05.123Z", "text/plain", "wlprio", "1", "requested_cpu", "250"}, "hello"},
		{fuzzHeaders{"1.0", "a b%20c", "https://example.com/x", "t", "", "", "traceparent", "00-1-2-01", "Nats-Msg-Id", "x"}, ""},
		{fuzzHeaders{"1.0", "100%2541 %E2%9C%93 50%", "/s", "t", "", "", "wlnote", "%22q%22", "", ""}, ""},
		{fuzzHeaders{"", "", "", "", "", ContentTypeStructured, "", "", "X-Trace", "1"}, structured},
		{fuzzHeaders{"", "", "", "", "", ContentTypeStructured, "", "", "", ""}, `{"specversion":"1.0","id":"s","source":"/s","type":"t","datacontenttype":"text/plain","data":"hi"}`},
		{fuzzHeaders{"", "", "", "", "", ContentTypeStructured, "", "", "", ""}, `{"specversion":"1.0","id":"s","source":"/s","type":"t","data_base64":"AAE="}`},
		{fuzzHeaders{"", "", "", "", "", ContentTypeBatch, "", "", "", ""}, `[` + structured + `]`},
		{fuzzHeaders{"0.3", "x", "/s", "t", "yesterday", "text", "BAD-ext", "v", "Wl-Reply", "_INBOX.1"}, "\x00\xff"},
		{fuzzHeaders{"1.0", "\xff", "http://[::1", "t\x01", "2026-01-01T00:00:00+25:00", "a/b; c=d", "datacontenttype", "x", "Connection", "close"}, ""},
	}
	for _, s := range seeds {
		h := s.h
		f.Add(h.specVersion, h.id, h.source, h.typ, h.tm, h.contentType, h.extName, h.extValue, h.otherName, h.otherValue, []byte(s.body))
	}
}

// FuzzDecodeInvocationNATS feeds random header values and bodies to
// DecodeInvocationNATS: it must never panic, and anything it accepts must
// encode and decode again to an equal invocation.
func FuzzDecodeInvocationNATS(f *testing.F) {
	addFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, sv, id, src, typ, tm, ct, extName, extValue, otherName, otherValue string, body []byte) {
		h := nats.Header{}
		fuzzHeaders{sv, id, src, typ, tm, ct, extName, extValue, otherName, otherValue}.into(
			func(k, v string) { h[k] = append(h[k], v) },
			func(name string) string { return HeaderPrefix + name })
		inv, err := DecodeInvocationNATS(h, body)
		if err != nil {
			var fe *FieldError
			if !asFieldError(err, &fe) {
				t.Fatalf("error %v is not a *FieldError", err)
			}
			return
		}
		var msg nats.Msg
		EncodeInvocationNATS(&inv, &msg)
		again, err := DecodeInvocationNATS(msg.Header, msg.Data)
		if err != nil {
			t.Fatalf("re-encoded invocation does not decode: %v\nfirst %+v\nheaders %v", err, inv, msg.Header)
		}
		if d := diffInvocation(inv, again); d != "" {
			t.Fatalf("%s differs after re-encoding:\nfirst %+v\nagain %+v", d, inv, again)
		}
	})
}

// FuzzDecodeInvocationHTTP does the same for DecodeInvocationHTTP and
// EncodeInvocationHTTP, and checks InvocationFromRequest never panics.
func FuzzDecodeInvocationHTTP(f *testing.F) {
	addFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, sv, id, src, typ, tm, ct, extName, extValue, otherName, otherValue string, body []byte) {
		h := http.Header{}
		fuzzHeaders{sv, id, src, typ, tm, ct, extName, extValue, otherName, otherValue}.into(
			func(k, v string) { h[k] = append(h[k], v) },
			func(name string) string { return "Ce-" + name })
		if _, err := InvocationFromRequest(h, body, func() string { return "generated" }, fuzzNow()); err != nil {
			var fe *FieldError
			if !asFieldError(err, &fe) {
				t.Fatalf("InvocationFromRequest error %v is not a *FieldError", err)
			}
		}
		inv, err := DecodeInvocationHTTP(h, body)
		if err != nil {
			var fe *FieldError
			if !asFieldError(err, &fe) {
				t.Fatalf("error %v is not a *FieldError", err)
			}
			return
		}
		out := http.Header{}
		data := EncodeInvocationHTTP(&inv, out)
		again, err := DecodeInvocationHTTP(out, data)
		if err != nil {
			t.Fatalf("re-encoded invocation does not decode: %v\nfirst %+v\nheaders %v", err, inv, out)
		}
		if d := diffInvocation(inv, again); d != "" {
			t.Fatalf("%s differs after re-encoding:\nfirst %+v\nagain %+v", d, inv, again)
		}
	})
}
