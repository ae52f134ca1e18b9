package loadgen

import (
	"encoding/csv"
	"io"
	"strconv"
	"time"
)

// CSVHeader names the columns WriteCSV writes; times are microseconds from
// the start of the run, latency from scheduled arrival to done.
var CSVHeader = []string{"index", "scheduled_us", "sent_us", "first_byte_us", "done_us", "latency_us",
	"status", "track", "instance", "outcome", "run_us", "error"}

// WriteCSV writes a header line and one line per record.
func WriteCSV(w io.Writer, recs []Record) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	us := func(d time.Duration) string { return strconv.FormatInt(d.Microseconds(), 10) }
	for _, r := range recs {
		latency := ""
		if r.Done > 0 {
			latency = us(r.Latency())
		}
		if err := cw.Write([]string{strconv.Itoa(r.Index), us(r.Scheduled), us(r.Sent), us(r.FirstByte), us(r.Done), latency,
			strconv.Itoa(r.Status), r.Track, r.Instance, r.Outcome, us(r.RunTime), r.Err}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
