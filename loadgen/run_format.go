package loadgen

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The files of a run folder written by a trace run.
const (
	// RunInvocationsFile has one row per invocation sent: InvocationsHeader.
	RunInvocationsFile = "invocations.csv"
	// RunInstancesFile has one row per instance cost accounting saw:
	// InstancesHeader.
	RunInstancesFile = "instances.csv"
	// RunSummaryFile is a RunSummary in JSON.
	RunSummaryFile = "summary.json"
	// RunMetaFile is the RunMeta alone in JSON.
	RunMetaFile = "run.json"
)

// Phases of the phase column, numbered as the vHive loader numbers them.
const (
	PhaseWarmup    = 1
	PhaseExecution = 2
)

// LoaderColumns are the vHive loader's per-invocation columns, in its order
// (its metric.ExecutionRecord). Its times are microseconds, including the
// three whose names end in "Ms".
var LoaderColumns = []string{"phase", "instance", "invocationID", "startTime", "requestedDuration",
	"grpcConnEstablish", "responseTime", "actualDuration", "connectionTimeout", "functionTimeout",
	"actualMemoryUsage", "memoryAllocationTimeout", "timeToSubmitMs", "userCodeExecutionMs", "timeToGetResponseMs"}

// WaveLinkColumns follow LoaderColumns in invocations.csv.
var WaveLinkColumns = []string{"function", "track", "wlInstance", "coldStart", "scheduledUs", "sentUs",
	"firstByteUs", "doneUs", "status", "error"}

// InvocationsHeader is the header of invocations.csv.
var InvocationsHeader = append(append([]string{}, LoaderColumns...), WaveLinkColumns...)

// InstancesHeader is the header of instances.csv.
var InstancesHeader = []string{"id", "function", "track", "memoryMB", "startedUs", "readyUs", "stoppedUs", "busyUs", "served", "alive"}

// InvocationRow is one row of invocations.csv. Times named Us are
// microseconds; those named RelUs count from the start of the run.
type InvocationRow struct {
	// Phase is PhaseWarmup or PhaseExecution.
	Phase int
	// Instance is the WaveLink function name (the loader writes the name
	// the platform answers with; per instance data is in WLInstance).
	Instance string
	// InvocationID is "min<M>.inv<I>": trace minute M, I-th call of the
	// function in it.
	InvocationID string
	// StartTimeUs is when the invocation was sent, Unix microseconds.
	StartTimeUs int64
	// RequestedDurationUs is the run time asked of trace.
	RequestedDurationUs int64
	// ConnEstablishUs (grpcConnEstablish) is from send to the answer's
	// headers (for async, of the submission).
	ConnEstablishUs int64
	// ResponseTimeUs is from send to the end of the answer (for async, to
	// the end of the result fetch that found it).
	ResponseTimeUs int64
	// ActualDurationUs is the run time the platform measured (ce-wlduration).
	ActualDurationUs int64
	// ConnectionTimeout: no answer came (the request failed or timed out
	// before a status); FunctionTimeout: an answer came but not a success.
	ConnectionTimeout, FunctionTimeout bool
	// ActualMemoryMiB is the memory trace says it held.
	ActualMemoryMiB int64
	// MemoryAllocationTimeout is always false: trace does not report one.
	MemoryAllocationTimeout bool
	// Async invocations only: the submission's time, the run time, and the
	// successful result fetch's time (the loader's names say ms; it writes
	// µs, and so does this).
	TimeToSubmitUs, UserCodeExecutionUs, TimeToGetResponseUs int64

	// Function is the WaveLink function name.
	Function string
	// Track is "regular" or "emergency"; WLInstance the instance's id.
	Track, WLInstance string
	// ColdStart: the first invocation its instance served.
	ColdStart bool
	// Times from the start of the run; 0 when it did not happen.
	ScheduledRelUs, SentRelUs, FirstByteRelUs, DoneRelUs int64
	// Status is the HTTP status of the answer (of the result, for async),
	// 0 when none came.
	Status int
	// Error says why the invocation got no successful answer; empty when
	// it did.
	Error string
}

// Answered reports whether the invocation got a successful answer.
func (r InvocationRow) Answered() bool { return r.Error == "" && r.Status >= 200 && r.Status < 300 }

// EndToEndUs is from scheduled arrival to the end of the answer, so a late
// send counts against it.
func (r InvocationRow) EndToEndUs() int64 { return r.DoneRelUs - r.ScheduledRelUs }

// Slowdown is end-to-end latency over the requested run time.
func (r InvocationRow) Slowdown() float64 {
	if r.RequestedDurationUs <= 0 {
		return 0
	}
	return float64(r.EndToEndUs()) / float64(r.RequestedDurationUs)
}

func (r InvocationRow) fields() []string {
	i64 := func(v int64) string { return strconv.FormatInt(v, 10) }
	b := strconv.FormatBool
	return []string{strconv.Itoa(r.Phase), r.Instance, r.InvocationID, i64(r.StartTimeUs), i64(r.RequestedDurationUs),
		i64(r.ConnEstablishUs), i64(r.ResponseTimeUs), i64(r.ActualDurationUs), b(r.ConnectionTimeout), b(r.FunctionTimeout),
		i64(r.ActualMemoryMiB), b(r.MemoryAllocationTimeout), i64(r.TimeToSubmitUs), i64(r.UserCodeExecutionUs), i64(r.TimeToGetResponseUs),
		r.Function, r.Track, r.WLInstance, b(r.ColdStart), i64(r.ScheduledRelUs), i64(r.SentRelUs), i64(r.FirstByteRelUs), i64(r.DoneRelUs),
		strconv.Itoa(r.Status), r.Error}
}

// WriteInvocationsCSV writes InvocationsHeader and one line per row.
func WriteInvocationsCSV(w io.Writer, rows []InvocationRow) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(InvocationsHeader); err != nil {
		return err
	}
	for _, r := range rows {
		if err := cw.Write(r.fields()); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// InstanceRow is one row of instances.csv: an instance seen by cost
// accounting. Times are microseconds from the start of the run (negative
// before it).
type InstanceRow struct {
	ID       string
	Function string
	Track    string
	MemoryMB int
	// StartedUs is when its memory was taken; ReadyUs when it started
	// pulling (0 when it never did, or it is unknown); StoppedUs when it
	// stopped, or the end of the run when it was still alive.
	StartedUs, ReadyUs, StoppedUs int64
	// BusyUs is how long it held at least one invocation; for an instance
	// still alive at the end, the run time of the invocations it served.
	BusyUs int64
	Served int64
	// Alive: no stop record came before the end of the run.
	Alive bool
}

func (r InstanceRow) fields() []string {
	i64 := func(v int64) string { return strconv.FormatInt(v, 10) }
	return []string{r.ID, r.Function, r.Track, strconv.Itoa(r.MemoryMB), i64(r.StartedUs), i64(r.ReadyUs), i64(r.StoppedUs),
		i64(r.BusyUs), i64(r.Served), strconv.FormatBool(r.Alive)}
}

// WriteInstancesCSV writes InstancesHeader and one line per row.
func WriteInstancesCSV(w io.Writer, rows []InstanceRow) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(InstancesHeader); err != nil {
		return err
	}
	for _, r := range rows {
		if err := cw.Write(r.fields()); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ReadInvocationsCSV reads a run folder's invocations.csv. Columns are
// found by name, so extra columns are ignored; the phase column may also
// say "warmup" or "execution". Errors wrap ErrBadRunFolder and name the
// file and line.
func ReadInvocationsCSV(path string) ([]InvocationRow, error) {
	var rows []InvocationRow
	err := readRunCSV(path, InvocationsHeader, func(g *rowGetter) {
		r := InvocationRow{
			Phase: g.phase("phase"), Instance: g.str("instance"), InvocationID: g.str("invocationID"),
			StartTimeUs: g.i64("startTime"), RequestedDurationUs: g.i64("requestedDuration"),
			ConnEstablishUs: g.i64("grpcConnEstablish"), ResponseTimeUs: g.i64("responseTime"),
			ActualDurationUs: g.i64("actualDuration"), ConnectionTimeout: g.boolean("connectionTimeout"),
			FunctionTimeout: g.boolean("functionTimeout"), ActualMemoryMiB: g.i64("actualMemoryUsage"),
			MemoryAllocationTimeout: g.boolean("memoryAllocationTimeout"), TimeToSubmitUs: g.i64("timeToSubmitMs"),
			UserCodeExecutionUs: g.i64("userCodeExecutionMs"), TimeToGetResponseUs: g.i64("timeToGetResponseMs"),
			Function: g.str("function"), Track: g.str("track"), WLInstance: g.str("wlInstance"), ColdStart: g.boolean("coldStart"),
			ScheduledRelUs: g.i64("scheduledUs"), SentRelUs: g.i64("sentUs"), FirstByteRelUs: g.i64("firstByteUs"),
			DoneRelUs: g.i64("doneUs"), Status: int(g.i64("status")), Error: g.str("error"),
		}
		rows = append(rows, r)
	})
	return rows, err
}

// ReadInstancesCSV reads a run folder's instances.csv (the alive column may
// be absent). Errors wrap ErrBadRunFolder and name the file and line.
func ReadInstancesCSV(path string) ([]InstanceRow, error) {
	var rows []InstanceRow
	err := readRunCSV(path, InstancesHeader[:len(InstancesHeader)-1], func(g *rowGetter) {
		r := InstanceRow{ID: g.str("id"), Function: g.str("function"), Track: g.str("track"), MemoryMB: int(g.i64("memoryMB")),
			StartedUs: g.i64("startedUs"), ReadyUs: g.i64("readyUs"), StoppedUs: g.i64("stoppedUs"), BusyUs: g.i64("busyUs"),
			Served: g.i64("served")}
		if _, ok := g.cols["alive"]; ok {
			r.Alive = g.boolean("alive")
		}
		rows = append(rows, r)
	})
	return rows, err
}

// rowGetter reads typed fields of one CSV row by column name, keeping the
// first error.
type rowGetter struct {
	file string
	line int
	cols map[string]int
	rec  []string
	err  error
}

func (g *rowGetter) str(name string) string { return g.rec[g.cols[name]] }

func (g *rowGetter) fail(name, problem string) {
	if g.err == nil {
		g.err = fmt.Errorf("%w: %s line %d, column %s: %s", ErrBadRunFolder, g.file, g.line, name, problem)
	}
}

func (g *rowGetter) i64(name string) int64 {
	s := g.str(name)
	if s == "" {
		return 0
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		g.fail(name, fmt.Sprintf("%q is not a whole number", s))
	}
	return v
}

func (g *rowGetter) boolean(name string) bool {
	s := g.str(name)
	if s == "" {
		return false
	}
	v, err := strconv.ParseBool(s)
	if err != nil {
		g.fail(name, fmt.Sprintf("%q is not true or false", s))
	}
	return v
}

func (g *rowGetter) phase(name string) int {
	switch s := strings.ToLower(g.str(name)); s {
	case "warmup", "warm-up":
		return PhaseWarmup
	case "execution":
		return PhaseExecution
	}
	return int(g.i64(name))
}

// readRunCSV reads a CSV file whose header holds at least the required
// columns, calling row for each line.
func readRunCSV(path string, required []string, row func(*rowGetter)) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadRunFolder, err)
	}
	defer f.Close()
	name := filepath.Base(path)
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%w: %s line 1: empty file, want a header", ErrBadRunFolder, name)
		}
		return fmt.Errorf("%w: %s: %v", ErrBadRunFolder, name, err)
	}
	g := &rowGetter{file: name, cols: map[string]int{}}
	for i, h := range header {
		g.cols[strings.TrimSpace(h)] = i
	}
	for _, c := range required {
		if _, ok := g.cols[c]; !ok {
			return fmt.Errorf("%w: %s line 1: no column %q", ErrBadRunFolder, name, c)
		}
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return fmt.Errorf("%w: %s line %d: %v", ErrBadRunFolder, name, pe.Line, pe.Err)
			}
			return fmt.Errorf("%w: %s: %v", ErrBadRunFolder, name, err)
		}
		g.line, _ = r.FieldPos(0)
		g.rec = rec
		row(g)
		if g.err != nil {
			return g.err
		}
	}
}
