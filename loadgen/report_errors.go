package loadgen

import "errors"

// ErrBadReport means a report or comparison was asked for with nothing to
// report (no run folders, no modes), no output folder, or an output folder
// that already holds a run of a mode to compare.
var ErrBadReport = errors.New("loadgen: bad report configuration")
