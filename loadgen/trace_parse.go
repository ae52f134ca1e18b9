package loadgen

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
)

// ParseTrace reads the Azure Functions 2019 trace in folder dir. Every
// problem is a *TraceError (wrapping ErrBadTrace) naming the file, line and
// column; nothing is sent anywhere before a trace parses.
func ParseTrace(dir string) (*Trace, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, &TraceError{File: dir, Problem: "cannot read the trace folder: " + err.Error()}
	}
	if !st.IsDir() {
		return nil, &TraceError{File: dir, Problem: "is not a folder (want one holding invocations.csv, durations.csv and memory.csv)"}
	}
	return ParseTraceFS(os.DirFS(dir), dir)
}

// ParseTraceFS reads a trace from the root of fsys; source names it in
// errors and in Trace.Source.
func ParseTraceFS(fsys fs.FS, source string) (*Trace, error) {
	p := traceParser{fsys: fsys, source: source}
	t, err := p.invocations()
	if err != nil {
		return nil, err
	}
	byHash := make(map[string]int, len(t.Functions))
	for i, f := range t.Functions {
		byHash[f.Hash] = i
	}
	durLine, err := p.durations(t, byHash)
	if err != nil {
		return nil, err
	}
	memLine, err := p.memory(t, byHash)
	if err != nil {
		return nil, err
	}
	hashCol := p.invHashCol
	for _, f := range t.Functions {
		for _, m := range []struct {
			file  string
			lines map[string]int
		}{{TraceDurationsFile, durLine}, {TraceMemoryFile, memLine}} {
			if _, ok := m.lines[f.Hash]; !ok {
				return nil, &TraceError{File: p.name(TraceInvocationsFile), Line: f.Line, Column: hashCol + 1, ColumnName: "HashFunction",
					Problem: fmt.Sprintf("function %s has no row in %s", f.Hash, m.file)}
			}
		}
	}
	return t, nil
}

// traceParser reads the three files of one trace.
type traceParser struct {
	fsys       fs.FS
	source     string
	invHashCol int
}

// name is how errors name a file of the trace.
func (p *traceParser) name(file string) string {
	if p.source == "" {
		return file
	}
	return path.Join(p.source, file)
}

// csvFile is one CSV file being read: its header's columns by lower-case
// name, and the reader positioned after the header.
type csvFile struct {
	name   string
	r      *csv.Reader
	header []string
	cols   map[string]int
}

func (p *traceParser) open(file string) (*csvFile, func(), error) {
	f, err := p.fsys.Open(file)
	if err != nil {
		problem := "cannot open: " + err.Error()
		if errors.Is(err, fs.ErrNotExist) {
			problem = "is missing from the trace folder"
		}
		return nil, nil, &TraceError{File: p.name(file), Problem: problem}
	}
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1 // checked here, with a clearer message
	r.ReuseRecord = true
	c := &csvFile{name: p.name(file), r: r, cols: map[string]int{}}
	rec, err := r.Read()
	if err != nil {
		_ = f.Close()
		if errors.Is(err, io.EOF) {
			return nil, nil, &TraceError{File: c.name, Line: 1, Problem: "is empty (want a header line)"}
		}
		return nil, nil, c.readError(err)
	}
	c.header = make([]string, len(rec))
	for i, h := range rec {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		c.header[i] = h
		if _, dup := c.cols[strings.ToLower(h)]; !dup {
			c.cols[strings.ToLower(h)] = i
		}
	}
	return c, func() { _ = f.Close() }, nil
}

// need returns the position of each named column, or an error naming the
// first that is missing.
func (c *csvFile) need(names ...string) ([]int, error) {
	idx := make([]int, len(names))
	for i, n := range names {
		j, ok := c.cols[strings.ToLower(n)]
		if !ok {
			return nil, &TraceError{File: c.name, Line: 1, ColumnName: n, Problem: "the header has no such column"}
		}
		idx[i] = j
	}
	return idx, nil
}

// next reads the next row, checking its width against the header. It
// returns nil at the end of the file.
func (c *csvFile) next() ([]string, error) {
	rec, err := c.r.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil
	}
	if err != nil {
		return nil, c.readError(err)
	}
	if len(rec) != len(c.header) {
		line, _ := c.r.FieldPos(0)
		return nil, &TraceError{File: c.name, Line: line,
			Problem: fmt.Sprintf("has %d fields, the header has %d", len(rec), len(c.header))}
	}
	return rec, nil
}

func (c *csvFile) readError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &TraceError{File: c.name, Line: pe.Line, Problem: pe.Err.Error()}
	}
	return &TraceError{File: c.name, Problem: err.Error()}
}

// fieldError is a problem with field i of the row just read.
func (c *csvFile) fieldError(i int, format string, args ...any) error {
	line, _ := c.r.FieldPos(i)
	return &TraceError{File: c.name, Line: line, Column: i + 1, ColumnName: c.header[i], Problem: fmt.Sprintf(format, args...)}
}

// count reads field i as a whole number of calls, at least 0.
func (c *csvFile) count(rec []string, i int) (int, error) {
	s := strings.TrimSpace(rec[i])
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, c.fieldError(i, "%q is not a whole number", s)
	}
	if n < 0 {
		return 0, c.fieldError(i, "negative count %d", n)
	}
	return n, nil
}

// number reads field i as a finite number, at least 0.
func (c *csvFile) number(rec []string, i int) (float64, error) {
	s := strings.TrimSpace(rec[i])
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, c.fieldError(i, "%q is not a number", s)
	}
	if v < 0 {
		return 0, c.fieldError(i, "negative value %v", v)
	}
	return v, nil
}

// hash reads field i as a function hash: not empty.
func (c *csvFile) hash(rec []string, i int) (string, error) {
	s := strings.TrimSpace(rec[i])
	if s == "" {
		return "", c.fieldError(i, "empty function hash")
	}
	return s, nil
}

// invocations reads invocations.csv: HashOwner, HashApp, HashFunction,
// Trigger, then one column per minute.
func (p *traceParser) invocations() (*Trace, error) {
	c, done, err := p.open(TraceInvocationsFile)
	if err != nil {
		return nil, err
	}
	defer done()
	idx, err := c.need("HashOwner", "HashApp", "HashFunction", "Trigger")
	if err != nil {
		return nil, err
	}
	owner, app, hash, trigger := idx[0], idx[1], idx[2], idx[3]
	p.invHashCol = hash
	first := max(owner, app, hash, trigger) + 1
	if first >= len(c.header) {
		return nil, &TraceError{File: c.name, Line: 1, Column: first + 1,
			Problem: "no minute columns after the hash and Trigger columns"}
	}
	t := &Trace{Source: p.source, Minutes: len(c.header) - first}
	seen := map[string]int{}
	for {
		rec, err := c.next()
		if err != nil {
			return nil, err
		}
		if rec == nil {
			break
		}
		line, _ := c.r.FieldPos(0)
		f := TraceFunction{Owner: strings.TrimSpace(rec[owner]), App: strings.TrimSpace(rec[app]),
			Trigger: strings.TrimSpace(rec[trigger]), Line: line, PerMinute: make([]int, t.Minutes)}
		if f.Hash, err = c.hash(rec, hash); err != nil {
			return nil, err
		}
		if prev, dup := seen[f.Hash]; dup {
			return nil, c.fieldError(hash, "function %s appears again (first on line %d)", f.Hash, prev)
		}
		seen[f.Hash] = line
		for m := range t.Minutes {
			if f.PerMinute[m], err = c.count(rec, first+m); err != nil {
				return nil, err
			}
		}
		t.Functions = append(t.Functions, f)
	}
	if len(t.Functions) == 0 {
		return nil, &TraceError{File: c.name, Line: 2, Problem: "no functions (the file has a header only)"}
	}
	return t, nil
}

// durationColumns are the columns of durations.csv read into DurationStats
// (Average, Minimum and Maximum are read when present).
var durationColumns = []string{"percentile_Average_0", "percentile_Average_1", "percentile_Average_25",
	"percentile_Average_50", "percentile_Average_75", "percentile_Average_99", "percentile_Average_100"}

// memoryColumns are the percentile columns of memory.csv.
var memoryColumns = []string{"AverageAllocatedMb_pct1", "AverageAllocatedMb_pct5", "AverageAllocatedMb_pct25",
	"AverageAllocatedMb_pct50", "AverageAllocatedMb_pct75", "AverageAllocatedMb_pct95", "AverageAllocatedMb_pct99",
	"AverageAllocatedMb_pct100"}

// statsRows reads a per-function statistics file: for each row, the hash
// and the numbers of the named columns (required), and of the optional
// ones (0 when absent), checking that percentile columns never go down.
// It returns each hash's line.
func (p *traceParser) statsRows(file string, required, optional, percentiles []string, byHash map[string]int,
	set func(fn int, req, opt []float64)) (map[string]int, error) {
	c, done, err := p.open(file)
	if err != nil {
		return nil, err
	}
	defer done()
	hashIdx, err := c.need("HashFunction")
	if err != nil {
		return nil, err
	}
	reqIdx, err := c.need(required...)
	if err != nil {
		return nil, err
	}
	pctIdx, err := c.need(percentiles...)
	if err != nil {
		return nil, err
	}
	optIdx := make([]int, len(optional))
	for i, n := range optional {
		j, ok := c.cols[strings.ToLower(n)]
		if !ok {
			j = -1
		}
		optIdx[i] = j
	}
	lines := map[string]int{}
	for {
		rec, err := c.next()
		if err != nil {
			return nil, err
		}
		if rec == nil {
			return lines, nil
		}
		h, err := c.hash(rec, hashIdx[0])
		if err != nil {
			return nil, err
		}
		line, _ := c.r.FieldPos(0)
		fn, ok := byHash[h]
		if !ok {
			return nil, c.fieldError(hashIdx[0], "function %s is not in %s", h, TraceInvocationsFile)
		}
		if prev, dup := lines[h]; dup {
			return nil, c.fieldError(hashIdx[0], "function %s appears again (first on line %d)", h, prev)
		}
		lines[h] = line
		req := make([]float64, 0, len(reqIdx)+len(pctIdx))
		for _, i := range slices.Concat(reqIdx, pctIdx) {
			v, err := c.number(rec, i)
			if err != nil {
				return nil, err
			}
			req = append(req, v)
		}
		for k := 1; k < len(pctIdx); k++ {
			lo, hi := req[len(reqIdx)+k-1], req[len(reqIdx)+k]
			if hi < lo {
				return nil, c.fieldError(pctIdx[k], "%v is below %s (%v): percentiles must not go down", hi, percentiles[k-1], lo)
			}
		}
		opt := make([]float64, len(optIdx))
		for k, i := range optIdx {
			if i < 0 {
				continue
			}
			if opt[k], err = c.number(rec, i); err != nil {
				return nil, err
			}
		}
		set(fn, req, opt)
	}
}

func (p *traceParser) durations(t *Trace, byHash map[string]int) (map[string]int, error) {
	return p.statsRows(TraceDurationsFile, []string{"Count"}, []string{"Average", "Minimum", "Maximum"}, durationColumns, byHash,
		func(fn int, req, opt []float64) {
			d := &t.Functions[fn].Duration
			d.Count = req[0]
			copy(d.Percentiles[:], req[1:])
			d.AverageMs, d.MinimumMs, d.MaximumMs = opt[0], opt[1], opt[2]
		})
}

func (p *traceParser) memory(t *Trace, byHash map[string]int) (map[string]int, error) {
	return p.statsRows(TraceMemoryFile, []string{"SampleCount"}, []string{"AverageAllocatedMb"}, memoryColumns, byHash,
		func(fn int, req, opt []float64) {
			m := &t.Functions[fn].Memory
			m.SampleCount = req[0]
			copy(m.Percentiles[:], req[1:])
			m.AverageMB = opt[0]
		})
}
