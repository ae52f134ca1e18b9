package schemas

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// Control events pass between WaveLink's own components: burst requests
// from the scaler to a Wavelet (TypeBurst, with a BurstReply), and each
// Wavelet's node status (TypeNodeStatus). Their data is JSON, checked
// against the embedded JSON Schemas on the way out and on the way in.

// BurstRequest is the data of a TypeBurst event: the scaler asks a Wavelet
// for Count emergency instances of Function.
type BurstRequest struct {
	Function string `json:"function"`
	Count    int    `json:"count"` // 1 to 1000
	// IdleTimeout and MaxLifetime, when above zero, replace the Wavelet's
	// defaults for these instances (whole milliseconds on the wire; a
	// fastpath scaler keeps emergency instances alive like regular ones).
	IdleTimeout time.Duration `json:"-"`
	MaxLifetime time.Duration `json:"-"`
	Reason      string        `json:"reason,omitempty"`
}

// burstWire is BurstRequest as JSON, with durations in milliseconds.
type burstWire struct {
	Function      string `json:"function"`
	Count         int    `json:"count"`
	IdleTimeoutMs int64  `json:"idleTimeoutMs,omitempty"`
	MaxLifetimeMs int64  `json:"maxLifetimeMs,omitempty"`
	Reason        string `json:"reason,omitempty"`
}

// MarshalJSON writes the request with its durations in milliseconds; a
// duration below one millisecond but above zero is sent as one.
func (r BurstRequest) MarshalJSON() ([]byte, error) {
	ms := func(d time.Duration) int64 {
		if d <= 0 {
			return 0
		}
		return max(d.Milliseconds(), 1)
	}
	return json.Marshal(burstWire{Function: r.Function, Count: r.Count,
		IdleTimeoutMs: ms(r.IdleTimeout), MaxLifetimeMs: ms(r.MaxLifetime), Reason: r.Reason})
}

// UnmarshalJSON reads the request's wire form.
func (r *BurstRequest) UnmarshalJSON(b []byte) error {
	var w burstWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*r = w.request()
	return nil
}

// request converts the wire form to a BurstRequest.
func (w burstWire) request() BurstRequest {
	return BurstRequest{Function: w.Function, Count: w.Count, Reason: w.Reason,
		IdleTimeout: time.Duration(w.IdleTimeoutMs) * time.Millisecond,
		MaxLifetime: time.Duration(w.MaxLifetimeMs) * time.Millisecond}
}

// BurstReply is a Wavelet's answer to a burst request: a plain JSON reply
// body, not a CloudEvent.
type BurstReply struct {
	Node     string `json:"node"`
	Function string `json:"function"`
	// Accepted is how many emergency instances the Wavelet starts.
	Accepted int `json:"accepted"`
	// Refused says why fewer than asked were accepted.
	Refused   string   `json:"refused,omitempty"`
	Instances []string `json:"instances,omitempty"`
}

// NodeStatus is the data of a TypeNodeStatus event: a Wavelet's view of its
// node.
type NodeStatus struct {
	Node string    `json:"node"`
	Time time.Time `json:"time"`
	// Mode is how emergency instances run: "libcontainer" or "process".
	Mode     string   `json:"mode"`
	Slots    Capacity `json:"slots"`
	MemoryMB Capacity `json:"memoryMB"`
	// Running counts emergency instances per function.
	Running map[string]int `json:"running,omitempty"`
	// Pool counts pre-created pool entries per function.
	Pool map[string]int `json:"pool,omitempty"`
	// Generic counts parked instances not yet given a function, which a
	// burst of any built-in function can take.
	Generic int `json:"generic,omitempty"`
}

// Capacity is a total and how much of it is free.
type Capacity struct {
	Total int `json:"total"`
	Free  int `json:"free"`
}

// Node status modes.
const (
	ModeLibcontainer = "libcontainer"
	ModeProcess      = "process"
)

// EncodeControlNATS writes a control event onto msg in binary mode, with
// Content-Type application/json. data must be the type's data
// (BurstRequest for TypeBurst, NodeStatus for TypeNodeStatus); it is
// checked against the type's schema first. It leaves msg's subject and any
// other header alone. Its error is a *FieldError naming the bad attribute or
// field (such as "data.count").
func EncodeControlNATS(eventType, source, id string, data any, msg *nats.Msg) error {
	b, err := encodeControlData(eventType, data)
	if err != nil {
		return err
	}
	inv := Invocation{ID: id, Source: source, Type: eventType}
	if err := inv.Validate(); err != nil {
		return err
	}
	if msg.Header == nil {
		msg.Header = make(nats.Header, 5)
	}
	w := newHeaderWriter(msg.Header, 5)
	w.set(HeaderSpecVersion, SpecVersion)
	w.set(HeaderID, id)
	w.set(HeaderSource, source)
	w.set(HeaderType, eventType)
	w.set(HeaderContentType, ContentTypeJSON)
	msg.Data = b
	return nil
}

// encodeControlData marshals data and checks it against eventType's schema.
func encodeControlData(eventType string, data any) ([]byte, error) {
	b, err := json.Marshal(data)
	if err != nil {
		return nil, &FieldError{Field: "data", Problem: "cannot be encoded as JSON: " + err.Error()}
	}
	switch eventType {
	case TypeBurst:
		_, err = decodeBurstData(b)
	case TypeNodeStatus:
		_, err = decodeNodeStatusData(b)
	default:
		return nil, &FieldError{Field: "type", Problem: "must be " + TypeBurst + " or " + TypeNodeStatus + ", got " + quote(eventType)}
	}
	if err != nil {
		return nil, err
	}
	return b, nil
}

// DecodeBurstNATS reads a burst request from a NATS message (binary or
// structured mode). Its error is a *FieldError naming the bad attribute or
// data field (such as "data.count"), and wraps ErrInvalid.
func DecodeBurstNATS(h nats.Header, data []byte) (BurstRequest, error) {
	inv, err := controlEvent(h, data, TypeBurst)
	if err != nil {
		return BurstRequest{}, err
	}
	return decodeBurstData(inv.Data)
}

// DecodeNodeStatus reads a node status from a NATS message (binary or
// structured mode). Its error is a *FieldError naming the bad attribute or
// data field, and wraps ErrInvalid.
func DecodeNodeStatus(h nats.Header, data []byte) (NodeStatus, error) {
	inv, err := controlEvent(h, data, TypeNodeStatus)
	if err != nil {
		return NodeStatus{}, err
	}
	return decodeNodeStatusData(inv.Data)
}

// EncodeNodeStatusJSON returns a node status as a structured-mode CloudEvent
// (application/cloudevents+json), for stores without headers such as a
// key-value bucket. The event's time is s.Time. Its error is a *FieldError.
func EncodeNodeStatusJSON(source, id string, s NodeStatus) ([]byte, error) {
	data, err := encodeControlData(TypeNodeStatus, s)
	if err != nil {
		return nil, err
	}
	inv := Invocation{ID: id, Source: source, Type: TypeNodeStatus}
	if err := inv.Validate(); err != nil {
		return nil, err
	}
	ev := struct {
		SpecVersion     string          `json:"specversion"`
		ID              string          `json:"id"`
		Source          string          `json:"source"`
		Type            string          `json:"type"`
		Time            string          `json:"time,omitempty"`
		DataContentType string          `json:"datacontenttype"`
		Data            json.RawMessage `json:"data"`
	}{SpecVersion, id, source, TypeNodeStatus, "", ContentTypeJSON, data}
	if !s.Time.IsZero() {
		ev.Time = s.Time.UTC().Format(time.RFC3339Nano)
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return nil, &FieldError{Field: "event", Problem: "cannot be encoded as JSON: " + err.Error()}
	}
	return b, nil
}

// DecodeNodeStatusJSON reads a node status from a structured-mode
// CloudEvent, as EncodeNodeStatusJSON writes it. Its error is a *FieldError
// naming the bad attribute or data field, and wraps ErrInvalid.
func DecodeNodeStatusJSON(b []byte) (NodeStatus, error) {
	inv, err := decodeStructured(b)
	if err != nil {
		return NodeStatus{}, err
	}
	if err := checkControl(&inv, TypeNodeStatus); err != nil {
		return NodeStatus{}, err
	}
	return decodeNodeStatusData(inv.Data)
}

// EncodeBurstReply returns a burst reply's JSON body, checked against its
// schema. Its error is a *FieldError naming the field (such as
// "reply.accepted").
func EncodeBurstReply(r BurstReply) ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, &FieldError{Field: "reply", Problem: "cannot be encoded as JSON: " + err.Error()}
	}
	if _, err := DecodeBurstReply(b); err != nil {
		return nil, err
	}
	return b, nil
}

// DecodeBurstReply reads a burst reply's JSON body. Unknown fields are
// refused. Its error is a *FieldError naming the field (such as
// "reply.accepted"), and wraps ErrInvalid.
func DecodeBurstReply(b []byte) (BurstReply, error) {
	var r BurstReply
	if err := decodeValidated(schemaBurstReply, "reply", b, &r); err != nil {
		return BurstReply{}, err
	}
	return r, nil
}

// controlEvent reads the envelope of a control event of type want.
func controlEvent(h nats.Header, data []byte, want string) (Invocation, error) {
	inv, err := DecodeInvocationNATS(h, data)
	if err != nil {
		return Invocation{}, err
	}
	if err := checkControl(&inv, want); err != nil {
		return Invocation{}, err
	}
	return inv, nil
}

// checkControl requires type want and JSON data.
func checkControl(inv *Invocation, want string) error {
	if inv.Type != want {
		return &FieldError{Field: "type", Problem: "must be " + want + ", got " + quote(inv.Type)}
	}
	if ct := inv.DataContentType; ct != "" && !isJSONMedia(ct) {
		return &FieldError{Field: "datacontenttype", Problem: "must be " + ContentTypeJSON + ", got " + quote(ct)}
	}
	return nil
}

// isJSONMedia reports whether ct is application/json or a +json type.
func isJSONMedia(ct string) bool {
	mt := strings.ToLower(mediaType(ct))
	return mt == ContentTypeJSON || strings.HasSuffix(mt, "+json")
}

func decodeBurstData(b []byte) (BurstRequest, error) {
	var w burstWire
	if err := decodeValidated(schemaBurst, "data", b, &w); err != nil {
		return BurstRequest{}, err
	}
	return w.request(), nil
}

func decodeNodeStatusData(b []byte) (NodeStatus, error) {
	var s NodeStatus
	if err := decodeValidated(schemaNodeStatus, "data", b, &s); err != nil {
		return NodeStatus{}, err
	}
	if s.Slots.Free > s.Slots.Total {
		return NodeStatus{}, &FieldError{Field: "data.slots.free", Problem: "must not exceed data.slots.total"}
	}
	if s.MemoryMB.Free > s.MemoryMB.Total {
		return NodeStatus{}, &FieldError{Field: "data.memoryMB.free", Problem: "must not exceed data.memoryMB.total"}
	}
	s.Time = s.Time.UTC()
	return s, nil
}
