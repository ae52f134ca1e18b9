package schemas

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestInvocationHTTPRoundTrip(t *testing.T) {
	spaced := fullInvocation()
	spaced.ID = ` id with spaces, "quotes" and 100% ünïcödé `
	spaced.Subject = "tab\u00a0nbsp"
	spaced.Extensions = map[string]string{"wlnote": "a%41b"}
	cases := []struct {
		name string
		inv  Invocation
	}{
		{"everything", fullInvocation()},
		{"values that need percent-encoding", spaced},
		{"required only", Invocation{ID: "a", Source: "/s", Type: "t"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.inv
			want.Header = canonicalHeader(want.Header)
			h := http.Header{}
			body := EncodeInvocationHTTP(&tc.inv, h)
			got, err := DecodeInvocationHTTP(canonicalHeader(h), body)
			mustNoErr(t, err)
			if d := diffInvocation(want, got); d != "" {
				t.Fatalf("%s differs after the round trip:\nsent %+v\ngot  %+v", d, want, got)
			}
		})
	}
}

// canonicalHeader is what a header map looks like after a trip over HTTP.
func canonicalHeader(h http.Header) http.Header {
	if h == nil {
		return nil
	}
	out := http.Header{}
	for k, vs := range h {
		for _, v := range vs {
			out.Add(k, v)
		}
	}
	return out
}

func TestEncodeInvocationHTTPHeaders(t *testing.T) {
	inv := fullInvocation()
	inv.ID = "a b"
	inv.Header.Set("Connection", "close")
	inv.Header.Set("Host", "evil")
	inv.Header.Set("Content-Length", "1")
	inv.Header.Set("Ce-Type", "smuggled")
	h := http.Header{}
	body := EncodeInvocationHTTP(&inv, h)
	if !bytes.Equal(body, inv.Data) {
		t.Fatalf("body = %q, want the data", body)
	}
	for k, want := range map[string]string{
		"Ce-Specversion":  "1.0",
		"Ce-Id":           "a%20b",
		"Ce-Type":         "com.example.order.created",
		"Ce-Time":         "2026-03-04T05:06:07.890123456Z",
		"Ce-Traceparent":  "00-abc-def-01",
		"Content-Type":    "application/octet-stream",
		"Requested_cpu":   "250",
		"Connection":      "",
		"Host":            "",
		"Content-Length":  "",
		"Ce-Wlpriority":   "7",
		"Ce-Dataschema":   "https://example.com/schemas/order.json",
		"Ce-Subject":      "order/42",
		"Ce-Source":       "https://example.com/client",
		"X-Not-There-Too": "",
	} {
		t.Run(k, func(t *testing.T) {
			if got := h.Get(k); got != want {
				t.Fatalf("%s = %q, want %q", k, got, want)
			}
		})
	}
	if got := h["requested_memory"]; len(got) != 1 || got[0] != "128" {
		t.Fatalf("requested_memory kept its case? got %q", got)
	}
}

func TestDecodeInvocationHTTPDropsTransportHeaders(t *testing.T) {
	h := http.Header{
		"Ce-Specversion":      {"1.0"},
		"Ce-Id":               {"x"},
		"Ce-Source":           {"/s"},
		"Ce-Type":             {"t"},
		"Content-Type":        {"text/plain"},
		"Content-Length":      {"2"},
		"Connection":          {"keep-alive, X-Hop"},
		"X-Hop":               {"1"},
		"Keep-Alive":          {"timeout=5"},
		"Transfer-Encoding":   {"chunked"},
		"Upgrade":             {"h2c"},
		"Te":                  {"trailers"},
		"Trailer":             {"X-T"},
		"Proxy-Authorization": {"Basic x"},
		"Proxy-Connection":    {"close"},
		"Host":                {"example.com"},
		"Nats-Msg-Id":         {"x"},
		"Wl-Reply":            {"x"},
		"Requested_cpu":       {"100"},
		"Requested_memory":    {"64"},
		"Accept":              {"*/*"},
	}
	inv, err := DecodeInvocationHTTP(h, []byte("hi"))
	mustNoErr(t, err)
	want := http.Header{"Requested_cpu": {"100"}, "Requested_memory": {"64"}, "Accept": {"*/*"}}
	if !equalHeader(inv.Header, want) {
		t.Fatalf("Header = %v, want %v", inv.Header, want)
	}
}

func TestDecodeInvocationHTTPErrorsNameTheField(t *testing.T) {
	base := func() http.Header {
		return http.Header{"Ce-Specversion": {"1.0"}, "Ce-Id": {"x"}, "Ce-Source": {"/s"}, "Ce-Type": {"t"}}
	}
	cases := []struct {
		name  string
		edit  func(http.Header)
		body  string
		field string
	}{
		{"plain request", func(h http.Header) { clear(h) }, "hi", "specversion"},
		{"no id", func(h http.Header) { h.Del("Ce-Id") }, "", "id"},
		{"no source", func(h http.Header) { h.Del("Ce-Source") }, "", "source"},
		{"no type", func(h http.Header) { h.Del("Ce-Type") }, "", "type"},
		{"specversion 2", func(h http.Header) { h.Set("Ce-Specversion", "2.0") }, "", "specversion"},
		{"bad time", func(h http.Header) { h.Set("Ce-Time", "2026-13-01T00:00:00Z") }, "", "time"},
		{"percent-encoded control character", func(h http.Header) { h.Set("Ce-Subject", "a%0Ab") }, "", "subject"},
		{"percent-encoded invalid UTF-8", func(h http.Header) { h.Set("Ce-Id", "%FF") }, "", "id"},
		{"id given twice", func(h http.Header) { h.Add("Ce-Id", "y") }, "", "id"},
		{"bad extension name", func(h http.Header) { h.Set("Ce-My_ext", "v") }, "", "my_ext"},
		{"batch", func(h http.Header) { h.Set("Content-Type", ContentTypeBatch) }, `[]`, "Content-Type"},
		{"structured without id", func(h http.Header) { h.Set("Content-Type", ContentTypeStructured) },
			`{"specversion":"1.0","source":"/s","type":"t"}`, "id"},
		{"structured not JSON", func(h http.Header) { h.Set("Content-Type", ContentTypeStructured) }, `hi`, "event"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := base()
			tc.edit(h)
			_, err := DecodeInvocationHTTP(h, []byte(tc.body))
			wantFieldError(t, err, tc.field)
		})
	}
}

func TestInvocationFromRequest(t *testing.T) {
	now := time.Date(2026, 5, 6, 7, 8, 9, 0, time.FixedZone("x", 3600))
	newID := func() string { return "generated" }
	cases := []struct {
		name string
		h    http.Header
		body string
		want Invocation
	}{
		{
			name: "plain body gets every default",
			h:    http.Header{"Content-Type": {"text/plain; charset=utf-8"}, "Requested_cpu": {"10"}},
			body: "hi",
			want: Invocation{ID: "generated", Source: DefaultSource, Type: TypeInvocation, Time: now.UTC(),
				DataContentType: "text/plain; charset=utf-8", Header: http.Header{"Requested_cpu": {"10"}}, Data: []byte("hi")},
		},
		{
			name: "given attributes are kept",
			h: http.Header{"Ce-Id": {"client-1"}, "Ce-Source": {"/client"}, "Ce-Type": {"com.example.t"},
				"Ce-Time": {"2020-01-01T00:00:00Z"}, "Ce-Specversion": {"1.0"}, "Ce-Wlprio": {"high"}},
			want: Invocation{ID: "client-1", Source: "/client", Type: "com.example.t",
				Time: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), Extensions: map[string]string{"wlprio": "high"}},
		},
		{
			name: "no body, no content type",
			h:    http.Header{},
			want: Invocation{ID: "generated", Source: DefaultSource, Type: TypeInvocation, Time: now.UTC()},
		},
		{
			name: "structured body",
			h:    http.Header{"Content-Type": {ContentTypeStructured}},
			body: `{"specversion":"1.0","id":"s","source":"/x","type":"t","data":1}`,
			want: Invocation{ID: "s", Source: "/x", Type: "t", DataContentType: ContentTypeJSON, Data: []byte("1")},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := InvocationFromRequest(tc.h, []byte(tc.body), newID, now)
			mustNoErr(t, err)
			if d := diffInvocation(tc.want, got); d != "" {
				t.Fatalf("%s differs:\nwant %+v\ngot  %+v", d, tc.want, got)
			}
		})
	}
}

func TestInvocationFromRequestErrorsNameTheField(t *testing.T) {
	now := time.Unix(0, 0)
	newID := func() string { return "id" }
	cases := []struct {
		name  string
		h     http.Header
		newID func() string
		field string
	}{
		{"specversion other than 1.0", http.Header{"Ce-Specversion": {"0.3"}}, newID, "specversion"},
		{"bad time", http.Header{"Ce-Time": {"now"}}, newID, "time"},
		{"bad content type", http.Header{"Content-Type": {"json"}}, newID, "datacontenttype"},
		{"no id and no generator", http.Header{}, nil, "id"},
		{"empty generated id", http.Header{}, func() string { return "" }, "id"},
		{"bad source", http.Header{"Ce-Source": {"http://[x"}}, newID, "source"},
		{"batch", http.Header{"Content-Type": {ContentTypeBatch}}, newID, "Content-Type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := InvocationFromRequest(tc.h, nil, tc.newID, now)
			wantFieldError(t, err, tc.field)
		})
	}
}

// TestOverRealHTTP sends an invocation to a real HTTP server in binary mode
// and reads the result it answers with, as an instance calls a function and
// a client reads the gateway's answer.
func TestOverRealHTTP(t *testing.T) {
	received := make(chan Invocation, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		inv, err := DecodeInvocationHTTP(r.Header, body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		received <- inv
		res := Result{InvocationID: inv.ID, Function: "echo", Outcome: OutcomeError, Status: 502,
			Error: "line one\nline \"two\" ✓", Instance: "i-1", Track: "emergency",
			Duration: 1500 * time.Microsecond, Attempt: 2, Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
			ContentType: inv.DataContentType, Data: inv.Data}
		SetResultHeadersHTTP(&res, w.Header())
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(res.Data)
	}))
	defer srv.Close()

	inv := fullInvocation()
	inv.ID = "über id %"
	inv.Header.Set("Connection", "close")
	req, err := http.NewRequest(http.MethodPost, srv.URL, nil)
	mustNoErr(t, err)
	body := EncodeInvocationHTTP(&inv, req.Header)
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	resp, err := srv.Client().Do(req)
	mustNoErr(t, err)
	defer resp.Body.Close()
	respBody, err := io.ReadAll(resp.Body)
	mustNoErr(t, err)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, respBody)
	}

	got := <-received
	want := inv
	want.Header = canonicalHeader(inv.Header)
	want.Header.Del("Connection")
	want.Header.Add("Accept-Encoding", "gzip") // the Go client adds it
	want.Header.Add("User-Agent", "Go-http-client/1.1")
	if d := diffInvocation(want, got); d != "" {
		t.Fatalf("%s differs at the server:\nsent %+v\ngot  %+v", d, want, got)
	}

	res, err := DecodeResultHTTP(resp.Header, respBody)
	mustNoErr(t, err)
	if res.InvocationID != inv.ID || res.Error != "line one\nline \"two\" ✓" || res.Status != 502 ||
		res.Duration != 1500*time.Microsecond || res.Attempt != 2 || res.Track != "emergency" ||
		!bytes.Equal(res.Data, inv.Data) || res.ContentType != inv.DataContentType {
		t.Fatalf("result read back wrong: %+v", res)
	}
}
