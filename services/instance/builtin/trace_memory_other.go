//go:build !linux

package builtin

import "errors"

// newResident is only available on Linux; elsewhere trace's memory is a
// Go buffer.
func newResident(int) ([]byte, func(), error) {
	return nil, nil, errors.New("resident mappings need Linux")
}
