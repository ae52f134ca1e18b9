package loadgen

import (
	"errors"
	"fmt"
)

// Sentinel errors of trace replay; returned errors wrap them and name the
// bad value.
var (
	// ErrBadTrace means a trace folder cannot be replayed: a file is
	// missing, a column is missing, a value is not a number or is negative,
	// percentiles go down, or a function in durations.csv or memory.csv is
	// not in invocations.csv (or the other way round). The error is a
	// *TraceError naming the file, line and column.
	ErrBadTrace = errors.New("loadgen: bad trace")
	// ErrBadPlan means replay options cannot make a plan: minutes outside
	// the trace, a non-positive compression, an unknown inter-arrival
	// distribution, a negative cap or rate.
	ErrBadPlan = errors.New("loadgen: bad trace replay options")
	// ErrBadTraceRun means a trace run was asked for with a bad gateway URL,
	// an empty plan, or no run folder.
	ErrBadTraceRun = errors.New("loadgen: bad trace run configuration")
	// ErrBadRunFolder means a run folder's file cannot be read back: a
	// missing column or a value of the wrong kind, named by file and line.
	ErrBadRunFolder = errors.New("loadgen: bad run folder")
)

// TraceError is a problem at one place of a trace file. Line and Column
// count from 1; Column is the field's position in its row, ColumnName its
// header. Line 1 with a ColumnName and no Column means the header lacks
// that column; a zero Line means the whole file.
type TraceError struct {
	File       string
	Line       int
	Column     int
	ColumnName string
	Problem    string
}

func (e *TraceError) Error() string {
	where := e.File
	if e.Line > 0 {
		where += fmt.Sprintf(" line %d", e.Line)
	}
	switch {
	case e.Column > 0 && e.ColumnName != "":
		where += fmt.Sprintf(", column %d (%s)", e.Column, e.ColumnName)
	case e.Column > 0:
		where += fmt.Sprintf(", column %d", e.Column)
	case e.ColumnName != "":
		where += fmt.Sprintf(", column %s", e.ColumnName)
	}
	return fmt.Sprintf("%v: %s: %s", ErrBadTrace, where, e.Problem)
}

// Unwrap makes errors.Is(err, ErrBadTrace) hold.
func (e *TraceError) Unwrap() error { return ErrBadTrace }
