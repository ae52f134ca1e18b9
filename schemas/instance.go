package schemas

import (
	"encoding/json"
	"fmt"
	"time"
)

// InstanceRecord is what an instance says of itself on wl.instance.<fn>:
// once when it starts pulling (Stopped zero) and once when it stops. Cost
// accounting reads it: an instance's memory is allocated from Started to
// Stopped, and used while it held at least one invocation (Busy).
type InstanceRecord struct {
	ID       string `json:"id"`
	Function string `json:"function"`
	Track    string `json:"track"` // "regular" or "emergency"
	MemoryMB int    `json:"memoryMB"`
	// Started is when the instance process began; Ready when it started
	// pulling; Stopped when it stopped (zero in the start record).
	Started time.Time `json:"started"`
	Ready   time.Time `json:"ready"`
	Stopped time.Time `json:"stopped,omitzero"`
	// Busy is how long it held at least one invocation; Served and Failed
	// count the invocations it answered (stop record only).
	Busy   time.Duration `json:"busyNs,omitempty"`
	Served int64         `json:"served,omitempty"`
	Failed int64         `json:"failed,omitempty"`
}

// EncodeInstanceRecord writes r as JSON.
func EncodeInstanceRecord(r InstanceRecord) ([]byte, error) { return json.Marshal(r) }

// DecodeInstanceRecord reads a record, refusing one without an id,
// function or track, or with negative counts.
func DecodeInstanceRecord(b []byte) (InstanceRecord, error) {
	var r InstanceRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return InstanceRecord{}, &FieldError{Field: "record", Problem: "is not valid JSON: " + err.Error()}
	}
	switch {
	case r.ID == "":
		return InstanceRecord{}, &FieldError{Field: "record.id", Problem: "is required"}
	case r.Function == "":
		return InstanceRecord{}, &FieldError{Field: "record.function", Problem: "is required"}
	case r.Track == "":
		return InstanceRecord{}, &FieldError{Field: "record.track", Problem: "is required"}
	case r.Busy < 0 || r.Served < 0 || r.Failed < 0 || r.MemoryMB < 0:
		return InstanceRecord{}, &FieldError{Field: "record", Problem: fmt.Sprintf("has a negative count: %+v", r)}
	}
	return r, nil
}
