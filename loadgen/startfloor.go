package loadgen

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"time"
)

// MeasureStartFloor starts `exe args...` n times, one after another, and
// times each from the start until the process writes a byte on descriptor 3
// (the wavelink binary's hidden `ready-probe --ready-fd 3` does so at once):
// the floor of starting a binary, which instance starts compare against. It
// returns the times sorted.
func MeasureStartFloor(n int, exe string, args ...string) ([]time.Duration, error) {
	lat := make([]time.Duration, 0, n)
	for range n {
		r, w, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		cmd := exec.Command(exe, args...)
		cmd.ExtraFiles = []*os.File{w}
		t0 := time.Now()
		err = cmd.Start()
		w.Close()
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("start floor: start %s: %w", exe, err)
		}
		_, err = r.Read(make([]byte, 1))
		lat = append(lat, time.Since(t0))
		r.Close()
		_ = cmd.Wait()
		if err != nil {
			return nil, fmt.Errorf("start floor: %s reported nothing: %w", exe, err)
		}
	}
	slices.Sort(lat)
	return lat, nil
}
