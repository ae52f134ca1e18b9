package docker

import (
	"bytes"
	"strings"
	"testing"

	"github.com/docker/docker/pkg/stdcopy"
)

// framed is output as the daemon's log stream carries it: stdout frames.
func framed(t *testing.T, chunks ...string) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	w := stdcopy.NewStdWriter(&buf, stdcopy.Stdout)
	for _, c := range chunks {
		if _, err := w.Write([]byte(c)); err != nil {
			t.Fatal(err)
		}
	}
	return &buf
}

func TestFindReady(t *testing.T) {
	cases := []struct {
		name   string
		chunks []string
		want   bool
	}{
		{"alone", []string{"ready\n"}, true},
		{"after other lines", []string{"hello\n", "ready\n"}, true},
		{"split over frames", []string{"rea", "dy", "\n"}, true},
		{"crlf", []string{"ready\r\n"}, true},
		{"not ended", []string{"ready"}, false},
		{"part of a line", []string{"not ready\n", "ready now\n"}, false},
		{"after a long line", []string{strings.Repeat("x", 200) + "ready\n"}, false},
		{"a long line then ready", []string{strings.Repeat("x", 200) + "\n", "ready\n"}, true},
		{"nothing", nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := findReady(framed(t, tc.chunks...))
			if got != tc.want || err != nil {
				t.Fatalf("findReady = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}
