package schemas

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// BenchmarkControlDecode decodes each kind of control data: a burst request
// and a node status from a binary-mode NATS message, and a burst reply body.
// Each reports x-floor: its time per operation over that of the floor,
// which decodes the same JSON into the same Go type with encoding/json
// alone (unknown fields refused, no schema).
func BenchmarkControlDecode(b *testing.B) {
	header := func(eventType string) nats.Header {
		return nats.Header{HeaderSpecVersion: {SpecVersion}, HeaderID: {"c-1"}, HeaderSource: {"/wavelink/bench"},
			HeaderType: {eventType}, HeaderContentType: {ContentTypeJSON}}
	}
	burst := []byte(`{"function":"echo","count":12,"idleTimeoutMs":30000,"maxLifetimeMs":600000,"reason":"backlog 412 > regular capacity 40"}`)
	status, err := json.Marshal(sampleStatus())
	if err != nil {
		b.Fatal(err)
	}
	reply := []byte(`{"node":"node-1","function":"echo","accepted":3,"instances":["echo-e-1","echo-e-2","echo-e-3"]}`)
	cases := []struct {
		name   string
		data   []byte
		decode func(data []byte) error
		floor  func() any
	}{
		{"burst", burst, func(d []byte) error { _, err := DecodeBurstNATS(header(TypeBurst), d); return err },
			func() any { return new(burstWire) }},
		{"nodestatus", status, func(d []byte) error { _, err := DecodeNodeStatus(header(TypeNodeStatus), d); return err },
			func() any { return new(NodeStatus) }},
		{"reply", reply, func(d []byte) error { _, err := DecodeBurstReply(d); return err },
			func() any { return new(BurstReply) }},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			if err := tc.decode(tc.data); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if err := tc.decode(tc.data); err != nil {
					b.Fatal(err)
				}
			}
			codec, n := b.Elapsed(), b.N
			b.StopTimer()
			if floor := measureControlFloor(b, tc.data, tc.floor, n); floor > 0 {
				b.ReportMetric(float64(codec)/float64(floor), "x-floor")
			}
		})
	}
}

// measureControlFloor times n plain encoding/json decodes of data.
func measureControlFloor(b *testing.B, data []byte, newValue func() any, n int) time.Duration {
	start := time.Now()
	for range n {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(newValue()); err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(start)
}

// BenchmarkLoadSchemas loads the embedded schemas, as the first control
// event a process decodes does. It reports x-library: its time per
// operation over that of compiling the same schemas with the JSON Schema
// library, measured in the same run.
func BenchmarkLoadSchemas(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := compileSchemas(); err != nil {
			b.Fatal(err)
		}
	}
	own, n := b.Elapsed(), b.N
	b.StopTimer()
	start := time.Now()
	for range n {
		if _, err := compileReference(); err != nil {
			b.Fatal(err)
		}
	}
	if library := time.Since(start); library > 0 {
		b.ReportMetric(float64(own)/float64(library), "x-library")
	}
}
