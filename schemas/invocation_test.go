package schemas

import (
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	ok := func() Invocation { return Invocation{ID: "a", Source: "/s", Type: "t"} }
	cases := []struct {
		name  string
		edit  func(*Invocation)
		field string // "" when valid
	}{
		{"minimal", func(*Invocation) {}, ""},
		{"absolute source, params in media type", func(i *Invocation) {
			i.Source = "urn:example:a"
			i.DataContentType = `text/plain; charset="utf-8"`
			i.DataSchema = "https://example.com/s.json"
		}, ""},
		{"non-ASCII text", func(i *Invocation) { i.Subject = "日本語 ✓" }, ""},
		{"no id", func(i *Invocation) { i.ID = "" }, "id"},
		{"no source", func(i *Invocation) { i.Source = "" }, "source"},
		{"no type", func(i *Invocation) { i.Type = "" }, "type"},
		{"newline in id", func(i *Invocation) { i.ID = "a\nb" }, "id"},
		{"DEL in type", func(i *Invocation) { i.Type = "a\x7f" }, "type"},
		{"bad UTF-8 in subject", func(i *Invocation) { i.Subject = "\xc3" }, "subject"},
		{"bad percent-escape in source", func(i *Invocation) { i.Source = "/a%zz" }, "source"},
		{"colon in first path segment", func(i *Invocation) { i.Source = ":x" }, "source"},
		{"relative data schema", func(i *Invocation) { i.DataSchema = "s.json" }, "dataschema"},
		{"media type without subtype", func(i *Invocation) { i.DataContentType = "text/" }, "datacontenttype"},
		{"media type with space", func(i *Invocation) { i.DataContentType = "text /plain" }, "datacontenttype"},
		{"upper-case extension", func(i *Invocation) { i.Extensions = map[string]string{"Ext": "v"} }, "Ext"},
		{"reserved extension", func(i *Invocation) { i.Extensions = map[string]string{"data": "v"} }, "data"},
		{"control character in extension value", func(i *Invocation) { i.Extensions = map[string]string{"ext": "\x00"} }, "ext"},
		{"long extension name", func(i *Invocation) { i.Extensions = map[string]string{strings.Repeat("a", 21): "v"} }, strings.Repeat("a", 21)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inv := ok()
			tc.edit(&inv)
			err := inv.Validate()
			if tc.field == "" {
				mustNoErr(t, err)
				return
			}
			wantFieldError(t, err, tc.field)
		})
	}
}

func TestPercentEncoding(t *testing.T) {
	cases := []struct{ raw, encoded string }{
		{"plain-ASCII_value/~!", "plain-ASCII_value/~!"},
		{"a b", "a%20b"},
		{`"q"`, "%22q%22"},
		{"100%", "100%25"},
		{"✓", "%E2%9C%93"},
		{"\x00\n\x7f", "%00%0A%7F"},
	}
	for _, tc := range cases {
		t.Run(tc.encoded, func(t *testing.T) {
			if got := percentEncode(tc.raw); got != tc.encoded {
				t.Fatalf("percentEncode(%q) = %q, want %q", tc.raw, got, tc.encoded)
			}
			if got := percentDecode(tc.encoded); got != tc.raw {
				t.Fatalf("percentDecode(%q) = %q, want %q", tc.encoded, got, tc.raw)
			}
		})
	}
	// Senders that do not encode: a '%' without two hex digits stays.
	for in, want := range map[string]string{"50%": "50%", "%zz": "%zz", "%4": "%4", "%41%e2%9c%93": "A✓"} {
		if got := percentDecode(in); got != want {
			t.Errorf("percentDecode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTransportHeaders(t *testing.T) {
	cases := []struct {
		name       string
		nats, http bool
	}{
		{"ce-id", true, true},
		{"Ce-Wlfoo", true, true},
		{"Content-Type", true, true},
		{"content-type", true, true},
		{"Nats-Msg-Id", true, true},
		{"nats-stream", true, true},
		{"Wl-Reply", true, true},
		{"Content-Length", false, true},
		{"Connection", false, true},
		{"Keep-Alive", false, true},
		{"Transfer-Encoding", false, true},
		{"Upgrade", false, true},
		{"Te", false, true},
		{"Trailer", false, true},
		{"Proxy-Authorization", false, true},
		{"Host", false, true},
		{"requested_cpu", false, false},
		{"Authorization", false, false},
		{"Ce", false, false},
		{"Wlx", false, false},
		{"Content-Encoding", false, false},
		{"X", false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := natsTransportHeader(tc.name); got != tc.nats {
				t.Errorf("natsTransportHeader = %v, want %v", got, tc.nats)
			}
			if got := httpTransportHeader(tc.name); got != tc.http {
				t.Errorf("httpTransportHeader = %v, want %v", got, tc.http)
			}
		})
	}
}
