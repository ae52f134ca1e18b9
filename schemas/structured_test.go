package schemas

import (
	"net/http"
	"testing"
	"time"
)

func TestDecodeStructured(t *testing.T) {
	cases := []struct {
		name string
		body string
		want Invocation
	}{
		{
			name: "JSON data, all attributes",
			body: `{"specversion":"1.0","id":"e1","source":"https://example.com/a b","type":"com.example.t",
				"subject":"s","time":"2026-02-03T04:05:06.5+02:00","datacontenttype":"application/json",
				"dataschema":"https://example.com/s.json","myext":"v","num":42,"flag":true,"data":{"k":[1,2]}}`,
			want: Invocation{ID: "e1", Source: "https://example.com/a b", Type: "com.example.t", Subject: "s",
				Time: time.Date(2026, 2, 3, 2, 5, 6, 500_000_000, time.UTC), DataContentType: "application/json",
				DataSchema: "https://example.com/s.json",
				Extensions: map[string]string{"myext": "v", "num": "42", "flag": "true"},
				Data:       []byte(`{"k":[1,2]}`)},
		},
		{
			name: "data after datacontenttype-less JSON value",
			body: `{"data":[true],"specversion":"1.0","id":"e2","source":"/s","type":"t"}`,
			want: Invocation{ID: "e2", Source: "/s", Type: "t", DataContentType: "application/json", Data: []byte(`[true]`)},
		},
		{
			name: "string data for text",
			body: `{"specversion":"1.0","id":"e3","source":"/s","type":"t","datacontenttype":"text/plain","data":"hello \"you\"\n"}`,
			want: Invocation{ID: "e3", Source: "/s", Type: "t", DataContentType: "text/plain", Data: []byte("hello \"you\"\n")},
		},
		{
			name: "string data for JSON stays a JSON string",
			body: `{"specversion":"1.0","id":"e4","source":"/s","type":"t","data":"hi"}`,
			want: Invocation{ID: "e4", Source: "/s", Type: "t", DataContentType: "application/json", Data: []byte(`"hi"`)},
		},
		{
			name: "data_base64",
			body: `{"specversion":"1.0","id":"e5","source":"/s","type":"t","datacontenttype":"application/octet-stream","data_base64":"AAH/gA=="}`,
			want: Invocation{ID: "e5", Source: "/s", Type: "t", DataContentType: "application/octet-stream", Data: []byte{0, 1, 0xff, 0x80}},
		},
		{
			name: "data_base64 before specversion",
			body: `{"data_base64":"aGk=","id":"e6","source":"/s","type":"t","specversion":"1.0"}`,
			want: Invocation{ID: "e6", Source: "/s", Type: "t", Data: []byte("hi")},
		},
		{
			name: "no data, null subject",
			body: `{"specversion":"1.0","id":"e7","source":"/s","type":"t","subject":null}`,
			want: Invocation{ID: "e7", Source: "/s", Type: "t"},
		},
		{
			name: "null data is no data",
			body: `{"specversion":"1.0","id":"e8","source":"/s","type":"t","data":null}`,
			want: Invocation{ID: "e8", Source: "/s", Type: "t"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeStructured([]byte(tc.body))
			mustNoErr(t, err)
			if d := diffInvocation(tc.want, got); d != "" {
				t.Fatalf("%s differs:\nwant %+v\ngot  %+v", d, tc.want, got)
			}
		})
	}
}

func TestDecodeStructuredErrorsNameTheField(t *testing.T) {
	cases := []struct {
		name  string
		body  string
		field string
	}{
		{"empty body", ``, "event"},
		{"not an object", `[1]`, "event"},
		{"not JSON", `{"id":`, "event"},
		{"no specversion", `{"id":"a","source":"/s","type":"t"}`, "specversion"},
		{"specversion 0.3", `{"specversion":"0.3","id":"a","source":"/s","type":"t"}`, "specversion"},
		{"specversion a number", `{"specversion":1.0,"id":"a","source":"/s","type":"t"}`, "specversion"},
		{"no id", `{"specversion":"1.0","source":"/s","type":"t"}`, "id"},
		{"blank id", `{"specversion":"1.0","id":"  ","source":"/s","type":"t"}`, "id"},
		{"id a number", `{"specversion":"1.0","id":7,"source":"/s","type":"t"}`, "id"},
		{"no source", `{"specversion":"1.0","id":"a","type":"t"}`, "source"},
		{"bad source", `{"specversion":"1.0","id":"a","source":"http://[::1","type":"t"}`, "source"},
		{"no type", `{"specversion":"1.0","id":"a","source":"/s"}`, "type"},
		{"type an object", `{"specversion":"1.0","id":"a","source":"/s","type":{}}`, "type"},
		{"bad time", `{"specversion":"1.0","id":"a","source":"/s","type":"t","time":"noon"}`, "time"},
		{"time a number", `{"specversion":"1.0","id":"a","source":"/s","type":"t","time":1700000000}`, "time"},
		{"bad datacontenttype", `{"specversion":"1.0","id":"a","source":"/s","type":"t","datacontenttype":"text"}`, "datacontenttype"},
		{"relative dataschema", `{"specversion":"1.0","id":"a","source":"/s","type":"t","dataschema":"s.json"}`, "dataschema"},
		{"bad base64", `{"specversion":"1.0","id":"a","source":"/s","type":"t","data_base64":"!!"}`, "data_base64"},
		{"base64 a number", `{"specversion":"1.0","id":"a","source":"/s","type":"t","data_base64":12}`, "data_base64"},
		{"data and data_base64", `{"specversion":"1.0","id":"a","source":"/s","type":"t","data":"x","data_base64":"eA=="}`, "data_base64"},
		{"object data for text", `{"specversion":"1.0","id":"a","source":"/s","type":"t","datacontenttype":"text/plain","data":{}}`, "data"},
		{"object extension", `{"specversion":"1.0","id":"a","source":"/s","type":"t","ext":{"a":1}}`, "ext"},
		{"fraction extension", `{"specversion":"1.0","id":"a","source":"/s","type":"t","ext":1.5}`, "ext"},
		{"huge extension", `{"specversion":"1.0","id":"a","source":"/s","type":"t","ext":1e12}`, "ext"},
		{"upper-case extension", `{"specversion":"1.0","id":"a","source":"/s","type":"t","MyExt":"v"}`, "MyExt"},
		{"extension with underscore", `{"specversion":"1.0","id":"a","source":"/s","type":"t","my_ext":"v"}`, "my_ext"},
		{"control character in subject", `{"specversion":"1.0","id":"a","source":"/s","type":"t","subject":"a\u0007"}`, "subject"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeStructured([]byte(tc.body))
			wantFieldError(t, err, tc.field)
		})
	}
}

func TestStructuredDecodesToTheSameAsBinary(t *testing.T) {
	body := `{"specversion":"1.0","id":"e1","source":"/s","type":"t","time":"2026-01-01T00:00:00Z",` +
		`"datacontenttype":"text/plain","wlx":"1","data":"payload"}`
	structured, err := DecodeInvocationHTTP(http.Header{"Content-Type": {ContentTypeStructured}}, []byte(body))
	mustNoErr(t, err)
	binary, err := DecodeInvocationHTTP(http.Header{
		"Ce-Specversion": {"1.0"}, "Ce-Id": {"e1"}, "Ce-Source": {"/s"}, "Ce-Type": {"t"},
		"Ce-Time": {"2026-01-01T00:00:00Z"}, "Content-Type": {"text/plain"}, "Ce-Wlx": {"1"},
	}, []byte("payload"))
	mustNoErr(t, err)
	if d := diffInvocation(structured, binary); d != "" {
		t.Fatalf("%s differs:\nstructured %+v\nbinary     %+v", d, structured, binary)
	}
}
